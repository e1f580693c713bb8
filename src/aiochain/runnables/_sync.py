"""Run the async implementation from a sync method, once, on a fresh event loop.

Every sync method (`run`, `invoke`, `generate`, ...) goes through `run_sync`, so there is one
implementation of each operation: the async one.

A sync method called on a loop that a sync method made (a sync function in a `@chain` or
`RunnableLambda` that calls `model.invoke`, as LangChain's LCEL guide writes them, run by
`chain.invoke`) runs on a helper thread's loop and blocks: its whole caller is sync, so
blocking is what LangChain does there too. On any other running loop it raises
`SyncInAsyncError`, since blocking would stall the program's other tasks.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from .._exceptions import SyncInAsyncError

T = TypeVar("T")

# True inside the tasks of a loop that `run_sync` or `iterate_sync` made (tasks inherit it).
_ON_A_SYNC_CALLS_LOOP: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "aiochain_on_a_sync_calls_loop", default=False
)


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
    if _inside_a_loop():
        if _ON_A_SYNC_CALLS_LOOP.get():
            return _run_on_a_helper_thread(make_coro, name)
        _refuse(name, f"await ....{async_name}(...)")
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(make_coro(), context=_sync_calls_context())


def _run_on_a_helper_thread(make_coro: Callable[[], Coroutine[Any, Any, T]], name: str) -> T:
    """`run_sync` on a new thread (whose loop is a sync call's too), waited for here."""
    box: list[T] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            box.append(run_sync(make_coro, name=name, async_name=name))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=work, name=f"aiochain-{name}", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return box[0]


def iterate_sync(
    make_iterator: Callable[[], AsyncIterator[T]], *, name: str, async_name: str
) -> Iterator[T]:
    """Drive an async iterator from sync code, on a private event loop, one item at a time.

    Stopping early (breaking out of the loop) closes the async iterator, and with it any
    response it holds, before the loop is closed.

    Raises:
        SyncInAsyncError: when iterated from inside a running event loop.
    """
    if _inside_a_loop():
        if _ON_A_SYNC_CALLS_LOOP.get():
            # The caller's loop is blocked either way: collect the items on a helper thread.
            yield from _run_on_a_helper_thread(lambda: _collect(make_iterator()), name)
            return
        _refuse(name, f"async for ... in ....{async_name}(...)")
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        iterator = make_iterator()
        context = _sync_calls_context()

        async def step() -> T:
            return await anext(iterator)

        try:
            while True:
                try:
                    item = runner.run(step(), context=context)
                except StopAsyncIteration:
                    return
                yield item
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                runner.run(close(), context=context)


async def _collect(iterator: AsyncIterator[T]) -> list[T]:
    return [item async for item in iterator]


def _sync_calls_context() -> contextvars.Context:
    """The caller's context with `_ON_A_SYNC_CALLS_LOOP` set, for a sync call's loop."""
    context = contextvars.copy_context()
    context.run(_ON_A_SYNC_CALLS_LOOP.set, True)
    return context


def _inside_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _refuse(name: str, instead: str) -> None:
    """Raise SyncInAsyncError: blocking a program's running loop would stall every task."""
    raise SyncInAsyncError(
        f"{name}() cannot be called inside a running event loop; use `{instead}` instead"
    )
