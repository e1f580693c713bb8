"""JSON over HTTP to one OpenAI-compatible server, on one aiohttp session per event loop.

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
import time
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING, Any

from . import _json
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BadResponseError,
    IncompleteStreamError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from ._sse import iter_sse_json
from ._types import JSONDict

if TYPE_CHECKING:
    import aiohttp

_BODY_SNIPPET = 2000

# What a request may raise that means "the transport failed"; aiohttp's base error joins it
# when aiohttp is first imported (always before the first request).
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (TimeoutError,)


def import_aiohttp() -> None:
    """Import aiohttp (once) and register its base error as a transport failure."""
    global _TRANSPORT_ERRORS
    import aiohttp

    _TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError)


class HTTPTransport:
    """POSTs JSON to paths under one base URL and returns decoded JSON objects.

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
    ) -> None:
        import_aiohttp()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._headers = dict(headers)
        import aiohttp

        # A stream may run for minutes: bound each read, not the whole answer.
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout, sock_read=timeout
        )
        self._external_session = session
        # Per-loop sessions, each with the parked generator that closes it at loop shutdown.
        self._sessions: dict[
            asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, AsyncGenerator[None, None]]
        ] = {}
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

            for old in [lp for lp in self._sessions if lp.is_closed()]:
                del self._sessions[old]
            session = aiohttp.ClientSession(
                # No connection cap here: the limiter's max_concurrency is the one cap.
                connector=aiohttp.TCPConnector(limit=0, limit_per_host=0),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers=self._headers,
            )
            closer = _close_at_loop_shutdown(session)
            await closer.__anext__()
            entry = (session, closer)
            self._sessions[loop] = entry
        self._loop, self._session = loop, entry[0]
        return entry[0]

    async def post_json(self, path: str, payload: JSONDict) -> tuple[JSONDict, Mapping[str, str]]:
        """POST `payload` to `base_url + path`; return the decoded JSON object and the headers.

        Raises:
            APIStatusError: a subclass for each error status.
            APIConnectionError: the connection failed or broke.
            APITimeoutError: no complete answer within the timeout.
            BadResponseError: a success status whose body is not a JSON object.
        """
        # The fast path of _current_session, inline: this runs once per request.
        loop = asyncio.get_running_loop()
        session = self._session
        if loop is not self._loop or session is None or session.closed:
            session = await self._session_for(loop)
        url = self.base_url + path
        try:
            async with session.post(url, data=_json.dumps(payload)) as resp:
                raw = await resp.read()
                status = resp.status
                headers = resp.headers
                if status >= 400:
                    raise status_error(status, raw, resp.headers)
        except _TRANSPORT_ERRORS as exc:
            raise transport_error(exc, url, self.timeout) from exc
        try:
            data = _json.loads(raw)
        except ValueError as exc:
            raise BadResponseError(
                f"{url} answered {status} with a body that is not JSON: {_snippet(raw, 80)!r}",
                body=_snippet(raw),
            ) from exc
        if not isinstance(data, dict):
            raise BadResponseError(
                f"{url} answered {status} with JSON that is not an object", body=_snippet(raw)
            )
        return data, headers

    async def open_stream(self, path: str, payload: JSONDict) -> EventStream:
        """POST `payload` and return the server-sent events of the answer, once its status and
        type are checked.

        Raises what `post_json` raises, and `BadResponseError` when the answer is not a stream.
        """
        session = await self._current_session()
        url = self.base_url + path
        try:
            response = await session.post(
                url, data=_json.dumps(payload), timeout=self._stream_timeout
            )
        except _TRANSPORT_ERRORS as exc:
            raise transport_error(exc, url, self.timeout) from exc
        try:
            if response.status >= 400:
                raise status_error(response.status, await response.read(), response.headers)
            content_type = response.headers.get("Content-Type", "")
            if not content_type.startswith("text/event-stream"):
                raw = await response.read()
                raise BadResponseError(
                    f"{url} answered a stream request with {content_type or 'no type'}, "
                    f"not server-sent events: {_snippet(raw, 80)!r}",
                    body=_snippet(raw),
                )
        except _TRANSPORT_ERRORS as exc:
            response.close()
            raise transport_error(exc, url, self.timeout) from exc
        except BaseException:
            response.close()
            raise
        return EventStream(response, url, self.timeout)

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


class EventStream:
    """The server-sent events of one streamed answer, as JSON objects, until `[DONE]`.

    Iterate it once; `aclose()` (also called when iteration ends) frees the connection at
    once. Raises `StreamError` or `IncompleteStreamError` for a stream that fails midway.

    Attributes:
        headers: the response headers.
    """

    def __init__(self, response: aiohttp.ClientResponse, url: str, timeout: float | None) -> None:
        self.headers: Mapping[str, str] = response.headers
        self._response = response
        self._url = url
        self._timeout = timeout
        self._events = self._read()

    async def _read(self) -> AsyncGenerator[JSONDict, None]:
        try:
            async for event in iter_sse_json(self._response.content.iter_any(), url=self._url):
                yield event
        except _TRANSPORT_ERRORS as exc:
            raise transport_error(exc, self._url, self._timeout) from exc
        finally:
            self._response.release()

    def __aiter__(self) -> AsyncGenerator[JSONDict, None]:
        return self._events

    async def aclose(self) -> None:
        """Stop reading; an unfinished answer's connection is closed, not reused."""
        await self._events.aclose()
        self._response.close()


async def _close_at_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Park until the loop finalizes async generators at shutdown, then close `session`."""
    try:
        yield
    finally:
        await session.close()


def transport_error(exc: BaseException, url: str, timeout: float | None) -> APIConnectionError:
    """The aiochain error for an aiohttp or timeout failure talking to `url`."""
    import aiohttp

    if isinstance(exc, TimeoutError):
        return APITimeoutError(f"no complete answer from {url} within {timeout} s")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return APIConnectionError(f"cannot connect to {url}: {exc.os_error.strerror or exc}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return APIConnectionError(f"{url} closed the connection before answering")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return IncompleteStreamError(f"the answer from {url} was cut before its end")
    return APIConnectionError(f"connection to {url} failed: {type(exc).__name__}: {exc}")


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


def status_error(status: int, raw: bytes, headers: Mapping[str, str]) -> APIStatusError:
    """The aiochain error for an HTTP error status, carrying the server's message and body."""
    body: Any
    try:
        body = _json.loads(raw)
    except ValueError:
        body = _snippet(raw)
    message = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message")
        elif isinstance(error, str):
            message = error
    if not isinstance(message, str) or not message:
        message = _snippet(raw, 200) or "(empty body)"
    if status >= 500:
        cls: type[APIStatusError] = ServerError
    else:
        cls = _STATUS_CLASSES.get(status, BadRequestError)
    return cls(
        message,
        status_code=status,
        body=body,
        headers=headers,
        retry_after=parse_retry_after(headers),
    )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI sends it) or `retry-after`, else None.

    `retry-after` may be a number of seconds or an HTTP date (RFC 9110).
    """
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # rare: only HTTP-date values need it

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _snippet(raw: bytes, limit: int = _BODY_SNIPPET) -> str:
    return raw[:limit].decode("utf-8", "replace")
