"""JSON over HTTP to one model server (OpenAI-compatible, Anthropic, Azure), on one aiohttp
session per event loop.

aiohttp sessions are bound to the loop they were created on, and programs call `asyncio.run`
more than once (every sync method does), so a transport keeps one session per running loop
instead of one global session (which is what makes "Event loop is closed" errors elsewhere).

aiohttp itself (about 160 ms to import) is imported when the first transport is built, not with
`import aiochain`: a program that only builds prompts never needs it, and building clients
usually happens before any concurrent work, so the import does not stall a busy event loop the
way importing on the first request would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import IO, TYPE_CHECKING, Any, NoReturn

from .. import _json
from .._exceptions import AiochainError, BadResponseError
from .._types import JSONDict
from .body import ACCEPT_ENCODING, ResponseLimits, iter_body, read_body
from .errors import Redactor, carries_request, excerpt, one_line, transport_error
from .event_stream import AnswerEvents, EventStream, decoded_object, sniffed_mode
from .sending import error_body, send
from .urls import shown_url, split_base_url

if TYPE_CHECKING:
    import aiohttp

logger = logging.getLogger("aiochain")

# What a request may raise that means "the transport failed"; aiohttp's base error joins it
# when aiohttp is first imported (always before the first request).
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (TimeoutError,)
# What reading a body raises when the connection breaks in the middle of it.
_CUT_ERRORS: tuple[type[BaseException], ...] = ()
# What a request on a stale pooled connection fails with.
_STALE_ERRORS: tuple[type[BaseException], ...] = ()


def import_aiohttp() -> None:
    """Import aiohttp (once) and register its errors as transport failures."""
    global _TRANSPORT_ERRORS, _CUT_ERRORS, _STALE_ERRORS
    import aiohttp

    from .connections import STALE_ERRORS

    _STALE_ERRORS = STALE_ERRORS
    _TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError)
    _CUT_ERRORS = (
        aiohttp.ClientPayloadError,
        aiohttp.ServerDisconnectedError,
        aiohttp.ClientOSError,
        TimeoutError,
    )


class HTTPTransport:
    """POSTs JSON to paths under one base URL and returns decoded JSON objects (and, for
    file and batch APIs, sends GET / DELETE / multipart requests with `request`).

    Ownership: sessions this transport creates are its own. `aclose()` closes the one of the
    running loop; any other is closed when its loop shuts down (`asyncio.run` and
    `asyncio.Runner` finalize async generators, and a parked generator per session does the
    closing), so a program that never calls `aclose()` still leaks nothing. A `session` passed
    in is the caller's: it is used on its own loop and never closed here.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        timeout: float | None,
        session: aiohttp.ClientSession | None = None,
        limits: ResponseLimits | None = None,
        secrets: tuple[str, ...] = (),
        header_provider: Callable[[], Awaitable[Mapping[str, str]]] | None = None,
    ) -> None:
        import_aiohttp()
        # A root with a query (Azure's `?api-version=`, a gateway's `?api-key=`): paths go
        # before the query, and key-like values are kept out of errors and logs.
        self._url = split_base_url(base_url)
        self.base_url = self._url.shown()
        """The base URL as errors and logs show it."""
        secrets = (*secrets, *self._url.secrets)
        self.timeout = timeout
        self.limits = limits or ResponseLimits()
        self._headers = {"Accept-Encoding": ACCEPT_ENCODING, **headers}
        # Our keys, removed from anything of the server's that goes into an error.
        self.redactor = Redactor(secrets)
        # Headers made afresh for every request (a bearer token that expires, as Azure's
        # Entra ID tokens do); None on the common path, which then costs nothing.
        self._header_provider = header_provider
        import aiohttp

        # A stream may run for minutes: bound each read, not the whole answer.
        # A stream's total time is `limits.stream_seconds`, checked as bytes arrive; a wait for
        # the next bytes is bounded by the timeout, or by that total when there is no timeout.
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout, sock_read=timeout or self.limits.stream_seconds
        )
        self._streamed: dict[str, Any] = {"timeout": self._stream_timeout}
        self._external_session = session
        # Per-loop sessions, each with the parked generator that closes it at loop shutdown.
        self._sessions: dict[
            asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, AsyncGenerator[None, None]]
        ] = {}
        from .connections import close_when_dropped

        close_when_dropped(self, self._sessions)
        # The last loop and its session: the fast path of every call after the first.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None

    async def _current_session(self) -> aiohttp.ClientSession:
        """The session of the running loop: the last one used (the fast path), or another."""
        loop = asyncio.get_running_loop()
        session = self._session
        if loop is self._loop and session is not None and not session.closed:
            return session
        return await self._session_for(loop)

    async def _session_for(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        if self._external_session is not None:
            self._loop, self._session = loop, self._external_session
            return self._external_session
        entry = self._sessions.get(loop)
        if entry is None or entry[0].closed:
            import aiohttp

            from .connections import ReuseNotingConnector, closer_of

            # (A copy of the keys, and pop: sync calls on other threads add and drop theirs.)
            for old in [lp for lp in list(self._sessions) if lp.is_closed()]:
                self._sessions.pop(old, None)
            session = aiohttp.ClientSession(
                # No connection cap here: the limiter's max_concurrency is the one cap.
                connector=ReuseNotingConnector(limit=0, limit_per_host=0),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers=self._headers,
                # Bodies are inflated by _body, within their size limit.
                auto_decompress=False,
            )
            entry = (session, await closer_of(session))
            self._sessions[loop] = entry
        self._loop, self._session = loop, entry[0]
        return entry[0]

    async def post_json(self, path: str, payload: JSONDict) -> tuple[JSONDict, Mapping[str, str]]:
        """POST `payload` to `path` under the base URL; return the decoded JSON object and the
        headers.

        Raises:
            APIStatusError: a subclass for each error status.
            APIConnectionError: the connection failed or broke (`RedirectError`: a redirect
                that is not followed).
            APITimeoutError: no complete answer within the timeout.
            BadResponseError: a success status whose body is not a JSON object.
        """
        # The fast path of _current_session, inline: this runs once per request.
        loop = asyncio.get_running_loop()
        session = self._session
        if loop is not self._loop or session is None or session.closed:
            session = await self._session_for(loop)
        url = self._url.url(path)
        provider = self._header_provider
        extra = await provider() if provider is not None else None
        failure: BaseException | None = None
        try:
            resp = await send(
                session, "POST", url, _json.dumps(payload), extra, {}, self.redactor, _STALE_ERRORS
            )
            try:
                status = resp.status
                headers = resp.headers
                sized = resp.content_length is not None
                raw = await read_body(resp, url, self.limits)
            finally:
                resp.release()
        except _TRANSPORT_ERRORS as exc:
            failure = exc
        except AiochainError as exc:
            self.redactor.error(exc)
            raise
        if failure is not None:
            self.raise_transport_error(failure, url)
        return self._json_object(raw, url, status, sized), headers

    def _json_object(self, raw: bytes, url: str, status: int, sized: bool = True) -> JSONDict:
        """A success body decoded as a JSON object, without our secrets, or `BadResponseError`."""
        if self.redactor.active:
            raw = self.redactor.raw(raw)
        try:
            return decoded_object(raw, shown_url(url), status, sized=sized)
        except AiochainError as exc:
            self.redactor.error(exc)
            raise

    async def request(
        self,
        method: str,
        path: str,
        *,
        payload: JSONDict | None = None,
        form: aiohttp.FormData | None = None,
        content: bytes | None = None,
        max_bytes: int | None = None,
    ) -> bytes:
        """Send one request of any method (GET, DELETE, POST with a JSON `payload`, a
        multipart `form` (aiohttp's `FormData`, which streams its files; build one per
        attempt, as aiohttp sends each once), or JSON already encoded as `content`) and return
        the body, inflated and without our secrets.

        One attempt: callers retry with `call_with_retry`. The body is bounded by
        `max_bytes` (default: `limits.max_bytes`).

        Raises what `post_json` raises, except that any success body is accepted.
        """
        session = await self._current_session()
        url = self._url.url(path)
        limits = self.limits
        if max_bytes is not None:
            limits = dataclasses.replace(limits, max_bytes=max_bytes)
        data: bytes | aiohttp.Payload | None = None
        headers: dict[str, str] = {}
        if payload is not None:
            data = _json.dumps(payload)
        elif content is not None:
            data = content
        elif form is not None:
            # The session's default Content-Type (JSON) would win over the form's: name the
            # multipart type and boundary of the encoded form explicitly.
            data = form()
            headers["Content-Type"] = data.content_type
        failure: BaseException | None = None
        try:
            resp = await send(
                session, method, url, data, headers, {}, self.redactor, _STALE_ERRORS
            )
            try:
                raw = await read_body(resp, url, limits)
            finally:
                resp.release()
        except _TRANSPORT_ERRORS as exc:
            failure = exc
        except AiochainError as exc:
            self.redactor.error(exc)
            raise
        if failure is not None:
            self.raise_transport_error(failure, url)
        return self.redactor.raw(raw) if self.redactor.active else raw

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        payload: JSONDict | None = None,
        form: aiohttp.FormData | None = None,
        content: bytes | None = None,
    ) -> JSONDict:
        """`request`, for an answer that must be a JSON object (`BadResponseError` if not)."""
        raw = await self.request(method, path, payload=payload, form=form, content=content)
        return self._json_object(raw, self._url.url(path), 200)

    async def download(self, path: str, sink: IO[bytes], *, max_bytes: int) -> int:
        """GET `path` and write its body, inflated, to `sink` as it arrives (a batch's
        result file: never held whole); returns the bytes written. One attempt: a caller
        that retries starts `sink` over.

        Raises what `request` raises; `BadResponseError` past `max_bytes`.
        """
        session = await self._current_session()
        url = self._url.url(path)
        limits = dataclasses.replace(self.limits, max_bytes=max_bytes)
        written = 0
        failure: BaseException | None = None
        try:
            resp = await send(
                session, "GET", url, None, None, self._streamed, self.redactor, _STALE_ERRORS
            )
            try:
                async for piece in iter_body(resp, url, limits, deadline=None):
                    sink.write(piece)
                    written += len(piece)
            finally:
                resp.release()
        except _TRANSPORT_ERRORS as exc:
            failure = exc
        except AiochainError as exc:
            self.redactor.error(exc)
            raise
        if failure is not None:
            self.raise_transport_error(failure, url)
        return written

    def raise_transport_error(self, exc: BaseException, url: str) -> NoReturn:
        """Raise the aiochain error for a transport failure, outside the `except` block that
        caught it: an aiohttp error that holds the request (and its key) is then neither the
        cause nor the context of ours."""
        error = transport_error(exc, shown_url(url), self.timeout)
        self.redactor.error(error)
        if carries_request(exc):
            raise error
        raise error from exc

    @property
    def transport_errors(self) -> tuple[type[BaseException], ...]:
        """What a request may raise that means "the transport failed"."""
        return _TRANSPORT_ERRORS

    @property
    def cut_errors(self) -> tuple[type[BaseException], ...]:
        """What reading a body raises when the connection breaks in the middle of it."""
        return _CUT_ERRORS

    def shown(self, path: str) -> str:
        """The URL of `path` as errors and logs show it (key-like query values redacted)."""
        return self._url.shown(path)

    async def open_stream(
        self, path: str, payload: JSONDict, *, answer_events: AnswerEvents | None = None
    ) -> EventStream:
        """POST `payload` and return the server-sent events of the answer, once its status and
        type are checked.

        A server that answers with one whole JSON answer instead (`application/json`, or no
        Content-Type and a body that opens a JSON object) has it turned into its stream's
        events by `answer_events`; without it, that is a `BadResponseError`.

        Raises what `post_json` raises, and `BadResponseError` when the answer is not a stream.
        """
        session = await self._current_session()
        url = self._url.url(path)
        provider = self._header_provider
        extra = await provider() if provider is not None else None
        failure: BaseException | None = None
        try:
            response = await send(
                session,
                "POST",
                url,
                _json.dumps(payload),
                extra,
                self._streamed,
                self.redactor,
                _STALE_ERRORS,
            )
        except _TRANSPORT_ERRORS as exc:
            failure = exc
        except AiochainError as exc:
            self.redactor.error(exc)
            raise
        if failure is not None:
            self.raise_transport_error(failure, url)
        content_type = response.headers.get("Content-Type")
        if content_type is not None and content_type.startswith("text/event-stream"):
            return EventStream(response, shown_url(url), self)
        mode = sniffed_mode(content_type)
        if mode is not None:
            shown = shown_url(url)
            return EventStream(response, shown, self, mode=mode, answer_events=answer_events)
        try:
            raw = await error_body(response, self.redactor)
        finally:
            response.close()
        error = BadResponseError(
            f"{shown_url(url)} answered a stream request with {one_line(content_type or '', 60)}, "
            f"not server-sent events: {one_line(excerpt(raw, 4000), 80)!r}",
            body=excerpt(raw),
        )
        self.redactor.error(error)
        raise error

    async def aclose(self) -> None:
        """Close the session of the running loop, if this transport created one."""
        loop = asyncio.get_running_loop()
        entry = self._sessions.pop(loop, None)
        if self._loop is loop:
            self._loop = self._session = None
        if entry is not None:
            session, closer = entry
            await session.close()
            await closer.aclose()

