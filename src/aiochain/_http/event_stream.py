"""The events of one streamed answer, read from the response as server-sent events, or, from a
server that answered a stream request with one whole JSON answer, that answer turned into
the events a stream of it would have carried.

Servers differ in how they label a stream: `text/event-stream; charset=utf-8`, no
Content-Type at all (then the first bytes tell: `{` is a JSON answer, anything else is read
as events), or `application/json` for a whole answer (vLLM and some proxies ignore
`"stream": true`). A whole answer is read within the body limit and handed to the
provider's `answer_events`, which knows what its stream's events look like.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, NoReturn, Protocol

from .. import _json
from .._exceptions import AiochainError, BadResponseError
from .._types import JSONDict
from .body import iter_body
from .errors import excerpt, one_line
from .sse import iter_sse_json, stream_error

if TYPE_CHECKING:
    import aiohttp

    from .body import ResponseLimits
    from .errors import Redactor


class StreamOwner(Protocol):
    """What an event stream needs of the transport that opened it."""

    limits: ResponseLimits
    redactor: Redactor

    @property
    def transport_errors(self) -> tuple[type[BaseException], ...]: ...

    @property
    def cut_errors(self) -> tuple[type[BaseException], ...]: ...

    def raise_transport_error(self, exc: BaseException, url: str) -> NoReturn: ...

AnswerEvents = Callable[[JSONDict], list[JSONDict]]
"""Turns a whole answer into the stream events that would have carried it."""


# Types that say nothing of the body: its first bytes tell (servers and proxies use them
# for streams: aiohttp's default `application/octet-stream`, Flask's `text/plain`).
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "text/plain", "binary/octet-stream"})


def sniffed_mode(content_type: str | None) -> str | None:
    """How to read a stream request's answer that is not labelled `text/event-stream`: "json"
    for JSON types, "sniff" for no type or a generic one, None for anything else (HTML)."""
    kind = (content_type or "").partition(";")[0].strip().lower()
    if kind.endswith(("/json", "+json")):
        return "json"
    if kind in _GENERIC_TYPES or kind.startswith("text/event-stream"):
        return "sniff"
    return None


class EventStream:
    """The server-sent events of one streamed answer, as JSON objects, until `[DONE]`.

    Iterate it once; `aclose()` (also called when iteration ends) frees the connection at
    once. Raises `StreamError` or `IncompleteStreamError` for a stream that fails midway,
    `BadResponseError` for one past the size limits, `APITimeoutError` for one past its time.

    Attributes:
        headers: the response headers.
    """

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        url: str,
        owner: StreamOwner,
        *,
        mode: str = "sse",
        answer_events: AnswerEvents | None = None,
    ) -> None:
        self.headers: Mapping[str, str] = response.headers
        self._response = response
        self._url = url  # as errors show it
        self._owner = owner
        self._answer_events = answer_events
        seconds = owner.limits.stream_seconds
        self._deadline = time.monotonic() + seconds if seconds is not None else None
        self._events = self._read(mode)

    async def _read(self, mode: str) -> AsyncGenerator[JSONDict, None]:
        owner = self._owner
        failure: BaseException | None = None
        try:
            body = iter_body(self._response, self._url, owner.limits, deadline=self._deadline)
            if mode == "sniff":  # no Content-Type: the first bytes tell
                body, mode = await _sniffed(body)
            if mode == "json":
                for event in await self._whole_answer(body):
                    yield event
                return
            events = iter_sse_json(
                body,
                url=self._url,
                max_event_bytes=owner.limits.max_event_bytes,
                redact=owner.redactor.raw if owner.redactor.active else None,
                cut=owner.cut_errors,
            )
            async for event in events:
                yield event
        except owner.transport_errors as exc:
            failure = exc
        except AiochainError as exc:
            owner.redactor.error(exc)
            raise
        finally:
            self._response.release()
        if failure is not None:
            owner.raise_transport_error(failure, self._url)

    async def _whole_answer(self, body: AsyncIterator[bytes]) -> list[JSONDict]:
        """A whole JSON answer to a stream request, as the events of its stream."""
        raw = b"".join([piece async for piece in body])
        owner = self._owner
        if owner.redactor.active:
            raw = owner.redactor.raw(raw)
        data = decoded_object(raw, self._url, 200)
        if data.get("error") is not None or data.get("type") == "error":
            raise stream_error(data, self._url)
        if self._answer_events is None:
            raise BadResponseError(
                f"{self._url} answered a stream request with a whole JSON answer, "
                "not server-sent events",
                body=excerpt(raw),
            )
        return self._answer_events(data)

    def __aiter__(self) -> AsyncGenerator[JSONDict, None]:
        return self._events

    async def aclose(self) -> None:
        """Stop reading; an unfinished answer's connection is closed, not reused."""
        await self._events.aclose()
        self._response.close()


async def _sniffed(body: AsyncIterator[bytes]) -> tuple[AsyncIterator[bytes], str]:
    """The body again (its first piece put back) and how to read it: "json" when its first
    bytes open a JSON object, else "sse"."""
    first = b""
    async for piece in body:
        first = piece
        if piece.strip():
            break
    mode = "json" if first.lstrip()[:1] in (b"{", b"[") else "sse"

    async def again() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for piece in body:
            yield piece

    return again(), mode


def decoded_object(raw: bytes, url: str, status: int, *, sized: bool = False) -> JSONDict:
    """A success body decoded as a JSON object, or `BadResponseError` with a one-line
    excerpt: retryable for an empty body, or JSON cut before its end when the body was
    read until the connection closed (`sized` False: a dropped connection looks just so),
    not for a body that is whole as sent but not a JSON object (it comes back the same)."""
    try:
        data = _json.loads(raw)
    except ValueError as exc:
        text = raw.strip()
        if not text:
            raise BadResponseError(
                f"{url} answered {status} with an empty body", retryable=True
            ) from exc
        cut = text[:1] in (b"{", b"[") and text[-1:] not in (b"}", b"]")
        what = "JSON cut before its end" if cut else "a body that is not JSON"
        raise BadResponseError(
            f"{url} answered {status} with {what}: {one_line(excerpt(raw, 4000), 80)!r}",
            body=excerpt(raw),
            retryable=cut and not sized,
        ) from exc
    if not isinstance(data, dict):
        raise BadResponseError(
            f"{url} answered {status} with JSON that is not an object "
            f"({type(data).__name__}): {one_line(excerpt(raw, 400), 80)!r}",
            body=excerpt(raw),
        )
    return data


__all__ = ["AnswerEvents", "EventStream", "decoded_object", "sniffed_mode"]
