"""Knowing whether a request went out on a pooled (kept-alive) connection, so that one that
fails before any answer byte can be sent again.

A server may close an idle kept-alive connection at the moment we send on it (nginx's
`keepalive_timeout`, a load balancer's idle timeout): the request fails with
`ServerDisconnectedError` or a reset before the server read it. aiohttp sends such a request
again only for idempotent methods; model calls are POSTs. The connector here notes, per
request, whether its connection was reused, in a context variable of the request's task (no
work on the answer's path; a set lookup and a context-variable write per request).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncGenerator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from aiohttp.client_proto import ResponseHandler

REUSED: ContextVar[bool] = ContextVar("aiochain_connection_reused", default=False)
"""Whether the last connection taken by this task's request was a pooled one."""

STALE_ERRORS = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)
"""What a stale pooled connection fails with (a closed or a reset socket)."""


class ReuseNotingConnector(aiohttp.TCPConnector):
    """aiohttp's TCP connector, noting in `REUSED` whether each connection it hands out has
    carried a request before."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._used: weakref.WeakSet[ResponseHandler] = weakref.WeakSet()

    async def connect(
        self,
        req: Any,
        traces: Any,
        timeout: Any,  # noqa: ASYNC109 - aiohttp's signature
    ) -> aiohttp.connector.Connection:
        connection = await super().connect(req, traces, timeout)
        protocol = connection.protocol
        if protocol is not None:
            used = self._used
            REUSED.set(protocol in used)
            used.add(protocol)
        return connection


STALE_WITHIN = 0.5
"""Seconds after sending within which a failure on a reused connection is taken for a stale
one: the server's close was already on its way (it arrives within a round trip). Later, the
server may have read the request and be working on it (a proxy cutting a slow request, a
crashed backend): sending it again could do it twice."""


def was_stale(exc: BaseException, elapsed: float) -> bool:
    """Whether a request that failed with `exc`, `elapsed` seconds after it was sent, went
    out on a pooled connection the server had closed (so it never reached the server): not a
    connection that could not be made, only a reused one, and only at once."""
    return (
        elapsed < STALE_WITHIN
        and not isinstance(exc, aiohttp.ClientConnectorError)
        and REUSED.get()
    )


_PARKED: dict[aiohttp.ClientSession, AsyncGenerator[None, None]] = {}
"""The closer of every open session we made, held here and not only by the model whose
transport made it. A model dropped while its loop runs would otherwise take its closer with
it: the loop then closes the session only through a task, which the loop's shutdown may
cancel before it starts, and the session's connections were never closed."""


async def closer_of(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """A generator parked on the running loop that closes `session` when the loop finalizes
    its async generators at shutdown (or when it is closed before: `aclose()`)."""
    closer = _close_at_loop_shutdown(session)
    await closer.__anext__()
    _PARKED[session] = closer
    return closer


_CLOSING: set[asyncio.Future[None]] = set()


def close_when_dropped(
    owner: object,
    sessions: dict[Any, tuple[aiohttp.ClientSession, AsyncGenerator[None, None]]],
) -> None:
    """When `owner` (a transport) is garbage-collected, close its `sessions` (by loop) on
    their loops soon, not at the loops' shutdown: a program that makes a model per request
    on a long-lived loop must not keep every one's connections open."""
    weakref.finalize(owner, _close_soon, sessions)


def _close_soon(
    sessions: dict[Any, tuple[aiohttp.ClientSession, AsyncGenerator[None, None]]],
) -> None:
    for loop, (_, closer) in list(sessions.items()):
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile: its shutdown closed it
                loop.call_soon_threadsafe(_start_closing, closer)


def _start_closing(closer: AsyncGenerator[None, None]) -> None:
    # (On the session's loop. Should its shutdown cancel this before it starts, the closer is
    # still parked, and the shutdown's finalizing of async generators closes the session.)
    task = asyncio.ensure_future(closer.aclose())
    _CLOSING.add(task)  # a task the loop holds only weakly must be held till done
    task.add_done_callback(_CLOSING.discard)


async def _close_at_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        try:
            await session.close()
        finally:
            _PARKED.pop(session, None)


__all__ = [
    "REUSED",
    "STALE_ERRORS",
    "STALE_WITHIN",
    "ReuseNotingConnector",
    "closer_of",
    "was_stale",
]
