"""A server-sent-events reader for OpenAI-style streams, over aiohttp's response body.

It reads the body in whatever pieces arrive and splits events itself, instead of awaiting one
line at a time, because per-line awaiting is where stream readers spend most of their CPU.
Handled as the SSE spec and OpenAI's streams need: `\\n`, `\\r\\n` and `\\r` line ends,
several `data:` lines joined by newlines, `:` comment and keep-alive lines, `event:` names,
the `[DONE]` terminator, an error object in the middle of a stream (raised as `StreamError`), and
a body that ends before `[DONE]` (raised as `IncompleteStreamError`, never a silently short
answer).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from . import _json
from ._exceptions import BadResponseError, IncompleteStreamError, StreamError

_DONE = b"[DONE]"


def _split_events(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete event blocks in `buffer` and the incomplete rest."""
    if b"\r" in buffer:
        buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    blocks = buffer.split(b"\n\n")
    return blocks[:-1], blocks[-1]


def _event_data(block: bytes) -> tuple[bytes | None, bytes]:
    """The (event name, data) of one event block; data lines are joined by newlines."""
    if block.startswith(b"data: ") and b"\n" not in block:
        return None, block[6:]  # the common case: one data line
    event: bytes | None = None
    data: list[bytes] = []
    for line in block.split(b"\n"):
        if not line or line.startswith(b":"):
            continue
        field, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if field == b"data":
            data.append(value)
        elif field == b"event":
            event = value
    return event, b"\n".join(data)


async def iter_sse_json(body: AsyncIterable[bytes], *, url: str) -> AsyncIterator[dict[str, Any]]:
    """Yield each `data:` payload of an SSE body as a decoded JSON object, until `[DONE]`.

    Raises:
        StreamError: the stream carried an error object (or an `event: error`).
        IncompleteStreamError: the body ended before `[DONE]`.
        BadResponseError: a data payload that is not a JSON object.
    """
    buffer = b""
    async for piece in body:
        buffer += piece
        if b"\n\n" not in buffer and b"\r" not in buffer:
            continue
        blocks, buffer = _split_events(buffer)
        for block in blocks:
            event, data = _event_data(block)
            if not data:
                continue
            if data == _DONE:
                return
            try:
                payload = _json.loads(data)
            except ValueError as exc:
                raise BadResponseError(
                    f"{url} streamed an event that is not JSON: {data[:80]!r}",
                    body=data[:2000].decode("utf-8", "replace"),
                ) from exc
            if not isinstance(payload, dict):
                raise BadResponseError(
                    f"{url} streamed JSON that is not an object",
                    body=data[:2000].decode("utf-8", "replace"),
                )
            if event == b"error" or "error" in payload:
                error = payload.get("error", payload)
                message = error.get("message") if isinstance(error, dict) else str(error)
                raise StreamError(f"{url} sent an error mid-stream: {message}", body=payload)
            yield payload
    # A last event without its blank line still counts if it is the terminator.
    if buffer.strip() and _event_data(buffer.strip())[1] == _DONE:
        return
    raise IncompleteStreamError(f"the stream from {url} ended before [DONE]")
