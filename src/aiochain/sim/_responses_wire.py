"""What the simulator answers on `/v1/responses`: the response object and its stream of events.

The answer (documented, so tests predict it):
- Tool calls as on chat completions (see `_tools`), one `function_call` item each (only the
  first with `parallel_tool_calls` false).
- Otherwise one `message` item with one `output_text` part: the chat answer to the last user
  message (see `_text`), or "Based on the tools: ..." once tool results are in. With
  `text.format` `json_object` it is `{"summary": ...}`; with `json_schema` it is JSON fitting
  the schema: strings get the answer text (the first string) or the property's name, numbers
  1 / 1.0, booleans true, arrays one element, enums their first value, `$ref`s resolved.
- Reasoning models (o-series, gpt-5) first write a `reasoning` item (empty summary) costing
  `REASONING_PER_TOKEN[effort]` tokens per answer token (at least 8 unless effort is none or
  minimal); they count in `output_tokens` and `output_tokens_details.reasoning_tokens`.
- `max_output_tokens` bounds reasoning plus text; an answer cut by it ends `incomplete` with
  `incomplete_details.reason` `max_output_tokens` (streams end with `response.incomplete`).
- With `previous_response_id`, the earlier conversation counts as input and all of it as cached
  (`input_tokens_details.cached_tokens`).
"""

from __future__ import annotations

import time
from typing import Any

from ._json import dumps

REASONING_PER_TOKEN = {"none": 0, "minimal": 0, "low": 1, "medium": 2, "high": 4, "xhigh": 8}


def fill_schema(schema: Any, text: str) -> Any:
    """A value fitting `schema`: the first string gets `text`; see the module's docstring."""
    unused = [text]

    def fill(node: Any, name: str) -> Any:
        if not isinstance(node, dict):
            return name
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = schema
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            return fill(target, name)
        if "const" in node:
            return node["const"]
        if node.get("enum"):
            return node["enum"][0]
        for key in ("anyOf", "oneOf"):
            options = node.get(key)
            if isinstance(options, list) and options:
                chosen = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
                return fill((chosen or options)[0], name)
        kind = node.get("type", "object" if "properties" in node else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            return {key: fill(sub, key) for key, sub in (node.get("properties") or {}).items()}
        if kind == "array":
            return [fill(node.get("items") or {}, name)]
        if kind == "string":
            return unused.pop() if unused else name
        return {"integer": 1, "number": 1.0, "boolean": True}.get(kind)

    return fill(schema, "value")


def usage(
    input_tokens: int, cached: int, text_tokens: int, reasoning_tokens: int
) -> dict[str, Any]:
    """The Responses `usage` object."""
    output = text_tokens + reasoning_tokens
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output,
    }


def message_item(
    ident: str, text: str, status: str, annotations: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An assistant `message` output item with one `output_text` part."""
    part = output_text(text)
    if annotations:
        part["annotations"] = annotations
    return {"id": ident, "type": "message", "status": status, "role": "assistant",
            "content": [part]}  # fmt: skip


SEARCH_URL = "https://example.com/simulated-search"


def search_item(ident: str, query: str) -> dict[str, Any]:
    """A `web_search_call` output item (the search the simulator pretends to have run)."""
    return {
        "id": ident,
        "type": "web_search_call",
        "status": "completed",
        "action": {"type": "search", "query": query},
    }


def citation(text: str) -> dict[str, Any]:
    """A `url_citation` annotation covering `text`, citing the pretend search's page."""
    return {
        "type": "url_citation",
        "start_index": 0,
        "end_index": len(text),
        "url": SEARCH_URL,
        "title": "Simulated search result",
    }


def output_text(text: str) -> dict[str, Any]:
    """One `output_text` content part."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def call_item(ident: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A `function_call` output item."""
    return {
        "id": ident,
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def reasoning_item(ident: str) -> dict[str, Any]:
    """A `reasoning` output item (its summary is empty, as when none is asked for)."""
    return {"id": ident, "type": "reasoning", "summary": []}


def response_object(
    ident: str,
    body: dict[str, Any],
    *,
    model: str,
    effort: str | None,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    incomplete: bool = False,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The `response` object, echoing the request's settings as OpenAI does."""
    text = body.get("text") if isinstance(body.get("text"), dict) else None
    return {
        "id": ident,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": effort, "summary": None},
        "store": body.get("store", True) is not False,
        "temperature": body.get("temperature", 1.0),
        "text": text or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


class EventWriter:
    """Server-sent events of one streamed response, numbered by `sequence_number`."""

    def __init__(self) -> None:
        self.sequence = 0

    def __call__(self, kind: str, **fields: Any) -> bytes:
        """One event: `event: KIND` and its data with `type` and the next `sequence_number`."""
        data = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return b"event: " + kind.encode() + b"\ndata: " + dumps(data) + b"\n\n"


def item_events(
    write: EventWriter, index: int, item: dict[str, Any], pieces: list[str]
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """The events of one output item: (before its deltas, one per piece, after them)."""
    kind = item["type"]
    if kind == "message":
        opened = {**item, "status": "in_progress", "content": []}
    elif kind == "function_call":
        opened = {**item, "status": "in_progress", "arguments": ""}
    elif kind == "web_search_call":
        opened = {"id": item["id"], "type": kind, "status": "in_progress"}
    else:
        opened = item
    head = [write("response.output_item.added", output_index=index, item=opened)]
    ident = item["id"]
    deltas: list[bytes] = []
    tail: list[bytes] = []
    if kind == "message":
        part = item["content"][0]
        place = {"item_id": ident, "output_index": index, "content_index": 0}
        head.append(write("response.content_part.added", **place, part=output_text("")))
        deltas = [
            write("response.output_text.delta", **place, delta=piece, logprobs=[])
            for piece in pieces
        ]
        tail.extend(
            write("response.output_text.annotation.added", **place, annotation_index=number,
                  annotation=annotation)
            for number, annotation in enumerate(part["annotations"])
        )  # fmt: skip
        tail.append(write("response.output_text.done", **place, text=part["text"], logprobs=[]))
        tail.append(write("response.content_part.done", **place, part=part))
    elif kind == "function_call":
        place = {"item_id": ident, "output_index": index}
        deltas = [
            write("response.function_call_arguments.delta", **place, delta=piece)
            for piece in pieces
        ]
        tail.append(
            write(
                "response.function_call_arguments.done",
                **place,
                name=item["name"],
                arguments=item["arguments"],
            )
        )
    elif kind == "web_search_call":
        place = {"item_id": ident, "output_index": index}
        head.extend(
            write(f"response.web_search_call.{stage}", **place)
            for stage in ("in_progress", "searching", "completed")
        )
    tail.append(write("response.output_item.done", output_index=index, item=item))
    return head, deltas, tail
