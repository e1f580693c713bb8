"""A whole answer turned into the events of its stream, per wire format: for servers that
answer a stream request with one JSON answer (vLLM and some proxies ignore `"stream": true`),
so that the stream's reader, its tool-call gathering and its usage all work unchanged.

OpenAI's completions and Gemini need nothing: their answers and stream events have the same
shape. Each function gets an answer its provider's `_check_answer` has accepted.
"""

from __future__ import annotations

import json
from typing import Any

from .._types import JSONDict


def chat_completion_events(answer: JSONDict) -> list[JSONDict]:
    """A chat completion as one chunk: each choice's message as its delta (tool calls with
    their index, arguments as text), with the answer's usage and finish reasons."""
    choices = []
    for position, choice in enumerate(answer.get("choices") or []):
        message = choice.get("message")
        delta: dict[str, Any] = dict(message) if isinstance(message, dict) else {}
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            delta["tool_calls"] = [
                {**call, "index": index} if isinstance(call, dict) else call
                for index, call in enumerate(calls)
            ]
        choices.append(
            {
                "index": choice.get("index", position),
                "delta": delta,
                "finish_reason": choice.get("finish_reason"),
            }
        )
    return [{**answer, "object": "chat.completion.chunk", "choices": choices}]


def anthropic_message_events(message: JSONDict) -> list[JSONDict]:
    """An Anthropic Message as its stream: message_start, each block's start, delta and
    stop, message_delta (stop reason, output tokens), message_stop."""
    usage = message.get("usage")
    start = {key: value for key, value in message.items() if key != "content"}
    events: list[JSONDict] = [{"type": "message_start", "message": {**start, "content": []}}]
    for index, block in enumerate(message.get("content") or []):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            events.append(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                }
            )
            events.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": block.get("text", "")},
                }
            )
        elif kind == "tool_use":
            events.append(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {**block, "input": {}},
                }
            )
            arguments = json.dumps(block.get("input") or {})
            events.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": arguments},
                }
            )
        else:
            continue  # thinking and server tools' blocks carry no text of the answer
        events.append({"type": "content_block_stop", "index": index})
    output = usage.get("output_tokens") if isinstance(usage, dict) else None
    events.append(
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": message.get("stop_reason"),
                "stop_sequence": message.get("stop_sequence"),
            },
            "usage": {"output_tokens": output} if output is not None else {},
        }
    )
    events.append({"type": "message_stop"})
    return events


def responses_events(response: JSONDict) -> list[JSONDict]:
    """A Responses API response as its stream: each message's text as a delta, each
    function call's item and arguments, then `response.completed` with the response."""
    events: list[JSONDict] = []
    for index, item in enumerate(response.get("output") or []):
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "message":
            events.append(
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": {**item, "content": []},
                }
            )
            for part_index, part in enumerate(item.get("content") or []):
                if isinstance(part, dict) and part.get("type") == "output_text":
                    events.append(
                        {
                            "type": "response.output_text.delta",
                            "output_index": index,
                            "content_index": part_index,
                            "item_id": item.get("id"),
                            "delta": part.get("text", ""),
                        }
                    )
        elif kind == "function_call":
            events.append(
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": {**item, "arguments": ""},
                }
            )
            events.append(
                {
                    "type": "response.function_call_arguments.delta",
                    "output_index": index,
                    "item_id": item.get("id"),
                    "delta": item.get("arguments", ""),
                }
            )
    kind = "response.incomplete" if response.get("status") == "incomplete" else "response.completed"
    events.append({"type": kind, "response": response})
    return events


__all__ = ["anthropic_message_events", "chat_completion_events", "responses_events"]
