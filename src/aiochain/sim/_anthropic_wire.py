"""Anthropic's Messages API on the wire: checking a request, and the answers, events, errors
and headers the simulation server sends for it.

Facts copied from Anthropic's API reference (Messages, Streaming Messages, Errors, Rate limits):
`max_tokens` is required; `system` is a top-level string or list of text blocks; a stream is
`message_start`, per content block `content_block_start` / `content_block_delta` (`text_delta`
or `input_json_delta`) / `content_block_stop`, then `message_delta` (stop reason and cumulative
usage) and `message_stop`, with `ping`s anywhere and `error` events for failures mid-stream;
errors are `{"type": "error", "error": {"type": ..., "message": ...}}`; rate-limit headers are
`anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`
with RFC 3339 reset times, and a 429 carries `retry-after` in seconds.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Sequence
from typing import Any

from ._json import arguments_text, dumps
from ._ratelimit import Limit
from ._request import Reject, RequestSpec
from ._text import count_tokens

# Anthropic's error type for each status (https://docs.anthropic.com/en/api/errors).
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


class MessagesRequest:
    """A checked Messages request: the common spec, plus what only Anthropic has."""

    __slots__ = ("cached_prefix", "spec", "system")

    def __init__(self, spec: RequestSpec, system: str, cached_prefix: tuple[int, int] | None):
        self.spec = spec
        self.system = system
        # (fingerprint, tokens) of the prompt up to its last cache_control breakpoint.
        self.cached_prefix = cached_prefix


def parse_messages(body: dict[str, Any], models: frozenset[str]) -> MessagesRequest:
    """Check a Messages request body; raise `Reject` (400, 404) as Anthropic would."""
    spec = RequestSpec()
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise Reject(400, "model: Field required")
    if model not in models:
        raise Reject(404, f"model: {model}")
    spec.model = model
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise Reject(400, "max_tokens: Field required (an integer >= 1)")
    spec.max_tokens = max_tokens
    stop = body.get("stop_sequences")
    if stop is not None and (
        not isinstance(stop, list) or not all(isinstance(s, str) for s in stop)
    ):
        raise Reject(400, "stop_sequences: Input should be a list of strings")
    spec.stop = stop or None
    spec.stream = bool(body.get("stream"))
    temperature = body.get("temperature")
    if temperature is not None and (
        not isinstance(temperature, int | float) or not 0 <= temperature <= 1
    ):
        raise Reject(400, "temperature: Input should be less than or equal to 1")
    prefix: list[Any] = []
    cached: tuple[int, int] | None = None
    total = 0

    def take(text: str, block: Any) -> None:
        nonlocal total, cached
        total += count_tokens(text)
        prefix.append(text)
        if isinstance(block, dict) and block.get("cache_control"):
            cached = (hash((model, tuple(prefix))), total)

    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list) or not all(
            isinstance(t, dict)
            and isinstance(t.get("name"), str)
            and isinstance(t.get("input_schema", {}), dict)
            for t in tools
        ):
            raise Reject(400, "tools: each tool must be an object with a name and an input_schema")
        for tool in tools:
            take(tool["name"] + " " + arguments_text(tool.get("input_schema") or {}), tool)
        spec.tools = [{"name": t["name"], "parameters": t.get("input_schema") or {}} for t in tools]
    spec.tool_choice = _tool_choice(body.get("tool_choice"))
    system = body.get("system")
    system_text = ""
    if isinstance(system, str):
        system_text = system
        take(system, None)
    elif isinstance(system, list):
        for block in system:
            if not isinstance(block, dict) or block.get("type") != "text":
                raise Reject(400, "system: each block must be a text block")
            system_text += str(block.get("text", ""))
            take(str(block.get("text", "")), block)
    elif system is not None:
        raise Reject(400, "system: Input should be a string or a list of text blocks")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Reject(400, "messages: Field required (a non-empty list)")
    user_text = ""
    call_names: dict[str, str] = {}
    for position, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant"):
            raise Reject(400, f"messages.{position}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            raise Reject(400, f"messages.{position}.content: Input should be a string or list")
        texts: list[str] = []
        results: list[tuple[str, str]] = []
        for block in blocks:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "text":
                texts.append(str(block.get("text", "")))
                take(texts[-1], block)
            elif kind == "tool_use" and role == "assistant":
                call_names[str(block.get("id"))] = str(block.get("name"))
                take(str(block.get("name")) + " " + arguments_text(block.get("input")), block)
            elif kind == "tool_result" and role == "user":
                call_id = block.get("tool_use_id")
                if not isinstance(call_id, str) or call_id not in call_names:
                    raise Reject(
                        400,
                        f"messages.{position}: tool_result block(s) provided when previous "
                        "message does not contain a matching tool_use block",
                    )
                result = _result_text(block.get("content"))
                results.append((call_names[call_id], result))
                take(result, block)
            elif kind not in ("image", "document", "thinking"):
                raise Reject(400, f"messages.{position}.content: unknown block type {kind!r}")
        if role == "user" and results:
            spec.tool_results = results
        elif role == "user" and texts:
            user_text = "".join(texts)
            spec.tool_results = []
    spec.prompts = [user_text]
    spec.prompt_tokens = total
    spec.fingerprint = hash((model, system_text, tuple(str(m.get("content")) for m in messages)))
    return MessagesRequest(spec, system_text, cached)


def _tool_choice(raw: Any) -> Any:
    """Anthropic's tool_choice in the OpenAI terms `_tools` reads."""
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    if kind == "any":
        return "required"
    if kind == "none":
        return "none"
    if kind == "tool":
        return {"type": "function", "function": {"name": raw.get("name")}}
    return None


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(b.get("text", ""))
            for b in content
            if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


# --- answers ---------------------------------------------------------------------------------


def usage(input_tokens: int, output_tokens: int, created: int = 0, read: int = 0) -> dict[str, int]:
    """Anthropic's usage: `input_tokens` excludes the tokens written to or read from the cache."""
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": created,
        "cache_read_input_tokens": read,
        "output_tokens": output_tokens,
    }


def message(
    ident: str,
    model: str,
    content: list[dict[str, Any]],
    stop_reason: str | None,
    stop_sequence: str | None,
    usage: dict[str, int],
) -> dict[str, Any]:
    """A whole Message."""
    return {
        "id": ident,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage,
    }


def tool_use_block(ident: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A `tool_use` content block."""
    return {"type": "tool_use", "id": ident, "name": name, "input": arguments}


def event(kind: str, data: dict[str, Any]) -> bytes:
    """One server-sent event, named as its `type`."""
    return b"event: " + kind.encode() + b"\ndata: " + dumps({"type": kind, **data}) + b"\n\n"


def text_delta(token: str) -> bytes:
    """A `content_block_delta` with a `text_delta`, for block 0."""
    return event(
        "content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": token}}
    )


def stream_head(start: dict[str, Any], first_block: dict[str, Any]) -> list[bytes]:
    """`message_start` (the message without content), the first block's start, a `ping`."""
    return [
        event("message_start", {"message": start}),
        event("content_block_start", {"index": 0, "content_block": first_block}),
        event("ping", {}),
    ]


def stream_tail(
    blocks: int, stop_reason: str, stop_sequence: str | None, output_tokens: int
) -> list[bytes]:
    """The last block's stop, `message_delta` with the stop reason and usage, `message_stop`."""
    delta = {"stop_reason": stop_reason, "stop_sequence": stop_sequence}
    return [
        event("content_block_stop", {"index": blocks - 1}),
        event("message_delta", {"delta": delta, "usage": {"output_tokens": output_tokens}}),
        event("message_stop", {}),
    ]


def tool_use_events(blocks: Sequence[dict[str, Any]]) -> list[bytes]:
    """The tool_use blocks' events after `stream_head` started the first: each block's input
    in two `input_json_delta` halves; between blocks, one's stop and the next one's start."""
    events: list[bytes] = []
    for index, block in enumerate(blocks):
        if index > 0:
            events.append(event("content_block_stop", {"index": index - 1}))
            start = {**block, "input": {}}
            events.append(event("content_block_start", {"index": index, "content_block": start}))
        text = arguments_text(block["input"])
        middle = len(text) // 2
        for part in (text[:middle], text[middle:]):
            delta = {"type": "input_json_delta", "partial_json": part}
            events.append(event("content_block_delta", {"index": index, "delta": delta}))
    return events


def error_type(status: int) -> str:
    """Anthropic's error type for an HTTP status."""
    return _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def error_body(reject: Reject, request_id: str) -> dict[str, Any]:
    """An error as Anthropic sends it."""
    return {
        "type": "error",
        "error": {"type": error_type(reject.status), "message": reject.message},
        "request_id": request_id,
    }


def rate_headers(limits: Sequence[Limit], retry_after: float | None = None) -> dict[str, str]:
    """Anthropic's rate-limit headers: limits, what remains, and RFC 3339 reset times.

    The simulation has one token budget; the tokens, input-tokens and output-tokens families
    all state it (Anthropic's `tokens` family is the most restrictive of the other two).
    """
    headers: dict[str, str] = {}
    now = time.time()
    for limit in limits:
        reset = rfc3339(now + limit.reset_seconds)
        families = (
            ("requests",)
            if limit.kind == "requests"
            else (
                "tokens",
                "input-tokens",
                "output-tokens",
            )
        )
        for family in families:
            headers[f"anthropic-ratelimit-{family}-limit"] = f"{limit.per_minute:.0f}"
            headers[f"anthropic-ratelimit-{family}-remaining"] = str(limit.remaining)
            headers[f"anthropic-ratelimit-{family}-reset"] = reset
    if retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(retry_after)))
    return headers


def rfc3339(epoch: float) -> str:
    """An epoch time as RFC 3339, to the second (rounded up), in UTC."""
    moment = datetime.datetime.fromtimestamp(math.ceil(epoch), tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
