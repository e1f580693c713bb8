"""A server-sent-events reader for OpenAI-style streams, over an HTTP response body.

It reads the body in whatever pieces arrive and splits events itself, instead of awaiting one
line at a time, because per-line awaiting is where stream readers spend most of their CPU.
Handled as the SSE spec and OpenAI's streams need: `\\n`, `\\r\\n` and `\\r` line ends (also
when a piece ends between `\\r` and `\\n`), several `data:` lines joined by newlines, `:` comment
and keep-alive lines, `event:` names, the `[DONE]` terminator, an error object in the middle of
a stream (raised as `StreamError`), and a body that ends before `[DONE]` (raised as
`IncompleteStreamError`, never a silently short answer). Anthropic's streams name every event
and end with `event: message_stop` instead of `[DONE]`.

What a server controls is bounded: an event larger than `max_event_bytes` is refused with
`BadResponseError`, and the work done per byte is constant (each byte is scanned once), so a
100 MB line costs one pass, not one pass per piece it arrived in.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable
from typing import Any

from .. import _json
from .._exceptions import BadResponseError, IncompleteStreamError, StreamError
from .errors import excerpt, one_line, server_side

_DONE = b"[DONE]"
# Streams that end with a named event instead of `[DONE]` (it is yielded, then the end):
# Anthropic's message_stop, and the Responses API's completed or incomplete response.
_LAST_EVENTS = frozenset({b"message_stop", b"response.completed", b"response.incomplete"})
_LINE_END = re.compile(rb"\r\n|\r|\n")
DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
"""The largest event accepted by default (16 MiB): far above any real chunk."""


class SSEParser:
    """Turns pieces of an SSE body into (event name, data) pairs, byte by byte in one pass.

    Args:
        max_event_bytes: the largest event (its data lines together) accepted.
        url: names the server in errors.
    """

    __slots__ = ("_data", "_event", "_line", "_size", "_skip_lf", "max_event_bytes", "url")

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES, url: str = "") -> None:
        self.max_event_bytes = max_event_bytes
        self.url = url
        self._line = bytearray()  # the incomplete last line of what was fed
        self._data: list[bytes] = []
        self._event: bytes | None = None
        self._size = 0
        self._skip_lf = False  # the last piece ended with \r: a leading \n belongs to it

    def feed(self, piece: bytes) -> list[tuple[bytes | None, bytes]]:
        """The events completed by `piece`, in order."""
        events: list[tuple[bytes | None, bytes]] = []
        start = 0
        if self._skip_lf:
            self._skip_lf = False
            if piece[:1] == b"\n":
                start = 1
        if (
            not self._line
            and not self._data
            and self._event is None  # an `event:` line of the last piece names the next data
            and piece.endswith(b"\n\n")
            and b"\r" not in piece
        ):
            # The common case: whole events of single data lines, split in one C call.
            blocks = piece[start:-2].split(b"\n\n")
            if all(b.startswith(b"data: ") and b"\n" not in b for b in blocks):
                for block in blocks:
                    if len(block) - 6 > self.max_event_bytes:
                        self._too_large()
                    events.append((None, block[6:]))
                return events
        for match in _LINE_END.finditer(piece, start):
            end = match.start()
            if self._line:
                self._line += piece[start:end]
                line = bytes(self._line)
                self._line.clear()
            else:
                line = piece[start:end]
            self._take_line(line, events)
            start = match.end()
            if match.group() == b"\r" and start == len(piece):
                self._skip_lf = True
        if start < len(piece):
            self._line += piece[start:]
            if len(self._line) + self._size > self.max_event_bytes:
                self._too_large()
        return events

    def finish(self) -> list[tuple[bytes | None, bytes]]:
        """Events completed by the end of the body (a last line without its blank line)."""
        events: list[tuple[bytes | None, bytes]] = []
        if self._line:
            line = bytes(self._line)
            self._line.clear()
            self._take_line(line, events)
        if self._data:
            self._take_line(b"", events)
        return events

    def _take_line(self, line: bytes, events: list[tuple[bytes | None, bytes]]) -> None:
        if not line:
            if self._data:
                events.append((self._event, b"\n".join(self._data)))
            self._data, self._event, self._size = [], None, 0
            return
        if line[:1] == b":":
            return  # a comment or keep-alive
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._size += len(value) + 1
            if self._size > self.max_event_bytes:
                self._too_large()
            self._data.append(value)
        elif name == b"event":
            self._event = value

    def _too_large(self) -> None:
        raise BadResponseError(
            f"{self.url} streamed an event larger than {self.max_event_bytes:,} bytes"
        )


async def iter_sse_json(
    body: AsyncIterable[bytes],
    *,
    url: str,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    redact: Callable[[bytes], bytes] | None = None,
    cut: tuple[type[BaseException], ...] = (),
) -> AsyncIterator[dict[str, Any]]:
    """Yield each `data:` payload of an SSE body as a decoded JSON object, until `[DONE]` (or
    a last event: Anthropic's `message_stop`, the Responses API's completed response, named
    by an `event:` line or, from servers that send none, by the payload's `type`).

    A body that ends without its last event is whole when the answer was finished (a choice
    with its `finish_reason`, Anthropic's `stop_reason`, Gemini's `finishReason`): some
    servers never send `[DONE]`. The same holds when the connection breaks after that
    (`cut`: the transport's errors for a broken body).

    `redact`, when given, removes secrets from each event's data before it is decoded.

    Raises:
        StreamError: the stream carried an error object (or an `event: error`).
        IncompleteStreamError: the body ended before the answer was finished.
        BadResponseError: a data payload that is not a JSON object, or too large.
    """
    parser = SSEParser(max_event_bytes=max_event_bytes, url=url)
    finished = False
    broken: list[BaseException] = []
    async with contextlib.aclosing(_parsed(body, parser, cut, broken)) as pieces:
        async for events in pieces:
            for event, data in events:
                if data == _DONE:
                    return
                payload = _decoded(event, redact(data) if redact else data, url)
                finished = finished or _is_finished(payload)
                yield payload
                if event in _LAST_EVENTS or (event is None and _is_last(payload)):
                    return
    if broken and not finished:
        raise broken[0]
    if finished:
        return
    raise IncompleteStreamError(
        f"the stream from {url} ended before the answer was finished (no finish reason, "
        "no [DONE]): the connection was cut mid-answer"
    )


async def _parsed(
    body: AsyncIterable[bytes],
    parser: SSEParser,
    cut: tuple[type[BaseException], ...],
    broken: list[BaseException],
) -> AsyncGenerator[list[tuple[bytes | None, bytes]], None]:
    """The events of each piece of `body` as it arrives, then those the parser still holds;
    a body broken by one of `cut` ends them, the error put in `broken` (whether it matters
    depends on whether the answer was finished)."""
    try:
        async for piece in body:
            yield parser.feed(piece)
    except cut as exc:
        broken.append(exc)
        return
    yield parser.finish()


def _is_last(payload: dict[str, Any]) -> bool:
    """Whether an unnamed event is a last one by its `type` (servers without `event:` lines)."""
    kind = payload.get("type")
    return isinstance(kind, str) and kind.encode() in _LAST_EVENTS


def _is_finished(payload: dict[str, Any]) -> bool:
    """Whether an event finishes the answer: an OpenAI choice with its `finish_reason`, an
    Anthropic `message_delta` with its `stop_reason`, a Gemini candidate's `finishReason`."""
    choices = payload.get("choices")
    if choices is not None:
        return (
            isinstance(choices, list)
            and bool(choices)
            and isinstance(choices[0], dict)
            and bool(choices[0].get("finish_reason"))
        )
    candidates = payload.get("candidates")
    if candidates is not None:
        return (
            isinstance(candidates, list)
            and bool(candidates)
            and isinstance(candidates[0], dict)
            and "finishReason" in candidates[0]
        )
    if payload.get("type") == "message_delta":
        delta = payload.get("delta")
        return isinstance(delta, dict) and bool(delta.get("stop_reason"))
    return False


def _decoded(event: bytes | None, data: bytes, url: str) -> dict[str, Any]:
    try:
        payload = _json.loads(data)
    except ValueError as exc:
        raise BadResponseError(
            f"{url} streamed an event that is not JSON: {one_line(excerpt(data, 400), 80)!r}",
            body=excerpt(data),
        ) from exc
    if not isinstance(payload, dict):
        raise BadResponseError(f"{url} streamed JSON that is not an object", body=excerpt(data))
    # `"error": null` is no error (some servers send the key on every chunk).
    if event == b"error" or payload.get("error") is not None or payload.get("type") == "error":
        raise stream_error(payload, url)
    return payload


def stream_error(payload: dict[str, Any], url: str) -> StreamError:
    """The error for an error object a server sent in a stream (or as its answer)."""
    error = payload.get("error")
    if not isinstance(error, dict | str):
        error = payload  # the Responses API's `{"type": "error", "code": ..., "message": ...}`
    message = error.get("message") if isinstance(error, dict) else error
    retryable = server_side(error) or server_side(payload)
    return StreamError(
        f"{url} sent an error in its stream: {one_line(str(message), 500)}",
        body=payload,
        retryable=retryable,
    )
