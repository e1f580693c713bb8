"""Run the async implementation from a sync method, once, on a fresh event loop.

Every sync method (`run`, `invoke`, `generate`, ...) goes through `run_sync`, so there is one
implementation of each operation: the async one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from .._exceptions import SyncInAsyncError

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when the `fast` extra is installed, else None (the default loop).

    `AIOCHAIN_NO_UVLOOP=1` turns it off.
    """
    if os.environ.get("AIOCHAIN_NO_UVLOOP"):
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on uvloop when the `fast` extra is installed.

    aiochain never changes the event loop of a program that calls `asyncio.run` itself; this is
    how a program opts in to the faster loop.
    """
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


def run_sync(make_coro: Callable[[], Coroutine[Any, Any, T]], *, name: str, async_name: str) -> T:
    """Run `make_coro()` to completion on a new event loop and return its result.

    Raises:
        SyncInAsyncError: when called from inside a running event loop, where blocking would
            stall every other task; the message names the async method to await instead.
    """
    _refuse_inside_a_loop(name, f"await ....{async_name}(...)")
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(make_coro())


def iterate_sync(
    make_iterator: Callable[[], AsyncIterator[T]], *, name: str, async_name: str
) -> Iterator[T]:
    """Drive an async iterator from sync code, on a private event loop, one item at a time.

    Stopping early (breaking out of the loop) closes the async iterator, and with it any
    response it holds, before the loop is closed.

    Raises:
        SyncInAsyncError: when iterated from inside a running event loop.
    """
    _refuse_inside_a_loop(name, f"async for ... in ....{async_name}(...)")
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        iterator = make_iterator()

        async def step() -> T:
            return await anext(iterator)

        try:
            while True:
                try:
                    item = runner.run(step())
                except StopAsyncIteration:
                    return
                yield item
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                runner.run(close())


def _refuse_inside_a_loop(name: str, instead: str) -> None:
    """Raise SyncInAsyncError when a loop is running: blocking it would stall every task."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise SyncInAsyncError(
        f"{name}() cannot be called inside a running event loop; use `{instead}` instead"
    )
