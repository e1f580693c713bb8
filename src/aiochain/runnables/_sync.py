"""Run the async implementation from a sync method, once, on a fresh event loop.

Every sync method (`run`, `invoke`, `generate`, ...) goes through `run_sync`, so there is one
implementation of each operation: the async one.

A sync method called where an event loop is already running (a notebook cell, whose code runs
inside Jupyter's loop; a sync function inside `async def main()`; a sync function in a
`@chain` that `chain.invoke` runs) runs on a helper thread's loop and blocks its caller until
done, as LangChain's sync methods block there: the program's other tasks wait meanwhile, so
async code should `await` the async method instead (logged at INFO, once per method). Streams
come through from the helper thread piece by piece.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import queue
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
logger = logging.getLogger("aiochain")

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
    """Run `make_coro()` to completion on a new event loop and return its result (on a helper
    thread, blocking, when called inside a running loop)."""
    if _inside_a_loop():
        _note_blocking(name, f"await ....{async_name}(...)")
        return _run_on_a_helper_thread(make_coro, name)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(make_coro(), context=_sync_calls_context())


def _run_on_a_helper_thread(make_coro: Callable[[], Coroutine[Any, Any, T]], name: str) -> T:
    """`run_sync` on a new thread (with a loop of its own), waited for here."""
    box: list[T] = []
    failure: list[BaseException] = []
    context = contextvars.copy_context()  # the caller's config and callbacks go along

    def work() -> None:
        try:
            with asyncio.Runner(loop_factory=loop_factory()) as runner:
                box.append(runner.run(make_coro(), context=_sync_calls_context(context)))
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
    """Drive an async iterator from sync code, on a private event loop, one item at a time
    (on a helper thread, handing each item over as it comes, inside a running loop).

    Stopping early (breaking out of the loop) closes the async iterator, and with it any
    response it holds, before the loop is closed.
    """
    if _inside_a_loop():
        _note_blocking(name, f"async for ... in ....{async_name}(...)")
        yield from _stream_from_a_helper_thread(make_iterator, name)
        return
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


_DONE = object()


def _stream_from_a_helper_thread(
    make_iterator: Callable[[], AsyncIterator[T]], name: str
) -> Iterator[T]:
    """`iterate_sync` on a new thread: each item handed over through a queue as it comes; a
    caller that stops early stops the thread's iterator (and closes its response)."""
    items: queue.Queue[Any] = queue.Queue(maxsize=64)
    stop = threading.Event()
    failure: list[BaseException] = []
    context = contextvars.copy_context()

    def work() -> None:
        try:
            for item in iterate_sync(make_iterator, name=name, async_name=name):
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return  # leaving the loop closes the iterator
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)
        finally:
            items.put(_DONE)

    thread = threading.Thread(target=context.run, args=(work,), name=f"aiochain-{name}",
                              daemon=True)  # fmt: skip
    thread.start()
    try:
        while (item := items.get()) is not _DONE:
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # drain so a blocked put sees the stop
            with contextlib.suppress(queue.Empty):
                items.get(timeout=0.1)
        thread.join()
    if failure:
        raise failure[0]


async def _collect(iterator: AsyncIterator[T]) -> list[T]:
    return [item async for item in iterator]


def _sync_calls_context(base: contextvars.Context | None = None) -> contextvars.Context:
    """A copy of `base` (default: the caller's context) with `_ON_A_SYNC_CALLS_LOOP` set, for a
    sync call's loop."""
    context = (base or contextvars.copy_context()).copy()
    context.run(_ON_A_SYNC_CALLS_LOOP.set, True)
    return context


def _inside_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_NOTED: set[str] = set()


def _note_blocking(name: str, instead: str) -> None:
    """Say once per method, at INFO, that a sync call blocks a running loop (nothing is wrong:
    LangChain blocks there too; async code does better to await)."""
    if name in _NOTED or _ON_A_SYNC_CALLS_LOOP.get():
        return
    _NOTED.add(name)
    logger.info(
        "%s() inside a running event loop blocks it until done; `%s` lets other tasks run",
        name,
        instead,
    )
