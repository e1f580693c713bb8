"""What the simulation server sends: OpenAI's JSON answers, server-sent events and headers.

Pure functions of what the handlers decided; no timing and no state but the ids passed in.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from ._json import arguments_text, dumps, json_response
from ._ratelimit import Limit, format_duration
from ._request import Reject

DONE = b"data: [DONE]\n\n"
FINGERPRINT = "fp_aiochain_sim"


def rate_headers(limits: Sequence[Limit], retry_after: float | None = None) -> dict[str, str]:
    """The rate-limit headers of any answer: the buckets' state, and when to come back.

    OpenAI sends `retry-after-ms` as well as `retry-after` (whole seconds, at least 1).
    """
    headers: dict[str, str] = {}
    for limit in limits:
        headers[f"x-ratelimit-limit-{limit.kind}"] = f"{limit.per_minute:g}"
        headers[f"x-ratelimit-remaining-{limit.kind}"] = str(limit.remaining)
        headers[f"x-ratelimit-reset-{limit.kind}"] = format_duration(limit.reset_seconds)
    if retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(retry_after)))
        headers["retry-after-ms"] = str(max(1, math.ceil(retry_after * 1000)))
    return headers


def error_response(reject: Reject) -> web.Response:
    """A refusal as OpenAI sends it: the error body and the rate-limit headers."""
    headers = rate_headers(reject.limits, reject.retry_after)
    return json_response(reject.body, status=reject.status, headers=headers)


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """The `usage` object."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def model_object(model: str) -> dict[str, Any]:
    """One entry of `/v1/models`."""
    return {"id": model, "object": "model", "created": 1700000000, "owned_by": "aiochain-sim"}


def completion_base(ident: str, model: str, *, chat: bool, stream: bool) -> dict[str, Any]:
    """The fields every answer or chunk of one completion shares."""
    kinds = ("chat.completion.chunk", "chat.completion") if chat else ("text_completion",) * 2
    return {
        "id": ident,
        "object": kinds[0] if stream else kinds[1],
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": FINGERPRINT,
    }


def completion_body(
    base: dict[str, Any],
    answers: Sequence[tuple[list[str], str]],
    n: int,
    usage: dict[str, int],
    *,
    chat: bool,
) -> dict[str, Any]:
    """A whole answer: `n` choices per prompt, in order, with the usage."""
    choices: list[dict[str, Any]] = []
    for tokens, finish in answers:
        text = "".join(tokens)
        for _ in range(n):
            index = len(choices)
            if chat:
                message = {"role": "assistant", "content": text, "refusal": None}
                choices.append(
                    {"index": index, "message": message, "logprobs": None, "finish_reason": finish}
                )
            else:
                choices.append(
                    {"text": text, "index": index, "logprobs": None, "finish_reason": finish}
                )
    return {
        "id": base["id"],
        "object": base["object"],
        "created": base["created"],
        "model": base["model"],
        "choices": choices,
        "usage": usage,
        "system_fingerprint": FINGERPRINT,
    }


def event(
    base: dict[str, Any], index: int, delta: Any, finish: str | None, *, chat: bool = True
) -> bytes:
    """One chunk of a stream, for one choice."""
    if chat:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
    else:
        choice = {"text": delta, "index": index, "logprobs": None, "finish_reason": finish}
    return b"data: " + dumps({**base, "choices": [choice]}) + b"\n\n"


def usage_event(base: dict[str, Any], usage: dict[str, int]) -> bytes:
    """The last event of a stream with `include_usage`: no choices, the usage."""
    return b"data: " + dumps({**base, "choices": [], "usage": usage}) + b"\n\n"


def tool_calls(calls: Sequence[tuple[str, dict[str, Any]]], ids: Sequence[int]) -> list[Any]:
    """The `tool_calls` of an assistant message, one per chosen (name, arguments)."""
    return [
        {
            "id": f"call_sim{ident}",
            "type": "function",
            "function": {"name": name, "arguments": arguments_text(arguments)},
        }
        for (name, arguments), ident in zip(calls, ids, strict=True)
    ]


def tool_call_body(
    base: dict[str, Any], made: list[dict[str, Any]], usage: dict[str, int]
) -> dict[str, Any]:
    """A whole answer that calls tools."""
    message = {"role": "assistant", "content": None, "tool_calls": made}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "tool_calls"}
    return {**base, "choices": [choice], "usage": usage}


def tool_call_events(
    base: dict[str, Any], made: list[dict[str, Any]], usage: dict[str, int] | None
) -> bytes:
    """A whole stream that calls tools: each call's head, then its arguments in two halves."""
    events = [event(base, 0, {"role": "assistant", "content": None}, None)]
    for index, call in enumerate(made):
        arguments = call["function"]["arguments"]
        middle = len(arguments) // 2
        head = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        events.append(event(base, 0, {"tool_calls": [head]}, None))
        for part in (arguments[:middle], arguments[middle:]):
            piece = {"index": index, "function": {"arguments": part}}
            events.append(event(base, 0, {"tool_calls": [piece]}, None))
    events.append(event(base, 0, {}, "tool_calls"))
    if usage is not None:
        events.append(usage_event(base, usage))
    events.append(DONE)
    return b"".join(events)
