"""What shared state needs to know about event loops: a sync call may run on a loop of its own.

A sync method (`invoke`, `run`, ...) runs the async one on a fresh loop, on a helper thread when
a loop already runs in its thread (a notebook cell). Its model's limiter and cache are shared
with every other loop that uses the model, so their waits must work across loops, and must never
wait for the loop that the sync call blocks: that loop cannot run until the call returns, so
whatever its tasks hold (a concurrency slot, the head of the line, a request in flight) stays
held. `BLOCKED_LOOP` names those loops inside the sync call's tasks.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

BLOCKED_LOOP: contextvars.ContextVar[tuple[asyncio.AbstractEventLoop, ...]] = (
    contextvars.ContextVar("aiochain_blocked_loop", default=())
)
"""The event loops that the current sync call blocks (set on its helper thread's loop): the
caller's, and those of the sync calls it is nested in (a sync step calling `invoke` inside a
chain that a notebook cell `invoke`d blocks both loops)."""


def wake(future: asyncio.Future[Any]) -> None:
    """Complete `future` with None, from any thread or loop (a waiter on another loop is woken
    through that loop, thread-safely)."""
    loop = future.get_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        if not future.done():
            future.set_result(None)
    elif not loop.is_closed():
        loop.call_soon_threadsafe(_complete, future)


def _complete(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(None)


def on_this_loop(future: asyncio.Future[Any]) -> bool:
    """Whether `future` belongs to the running loop (so it can be awaited here)."""
    return future.get_loop() is asyncio.get_running_loop()


__all__ = ["BLOCKED_LOOP", "on_this_loop", "wake"]
