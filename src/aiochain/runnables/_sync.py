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

from .._pipeline.loops import BLOCKED_LOOP

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
    """`run_sync` on a new thread (with a loop of its own), waited for here.

    The call runs in a copy of the caller's context (its config and callbacks go along), marked
    as blocking the caller's loop (`BLOCKED_LOOP`: limits and caches then never wait for that
    loop's tasks). An interrupt (Ctrl-C in a notebook) while waiting cancels the call.
    """
    context = _helper_context()
    box: list[T] = []
    failure: list[BaseException] = []
    call = _HelperTask()

    async def main() -> T:
        call.begin()
        return await make_coro()

    def work() -> None:
        try:
            with asyncio.Runner(loop_factory=loop_factory()) as runner:
                box.append(runner.run(main(), context=context))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)
        finally:
            call.started.set()
            done.set()

    # Waited for with an Event, not `thread.join()`: a join interrupted by Ctrl-C marks the
    # thread stopped while it runs (CPython 3.11), and a second join returns at once.
    done = threading.Event()
    thread = threading.Thread(target=work, name=f"aiochain-{name}", daemon=True)
    try:
        thread.start()
        done.wait()
    except BaseException:  # KeyboardInterrupt: stop the call, then let the interrupt through
        if thread.ident is not None:  # it started
            call.cancel()
            done.wait()
        raise
    if failure:
        raise failure[0]
    return box[0]


class _HelperTask:
    """The task a helper thread runs a sync call in, so that the caller's thread can cancel
    it (on Ctrl-C, or when it leaves a stream early)."""

    def __init__(self) -> None:
        self.started = threading.Event()  # set once begun (or once the thread gave up)
        self.cancelled = False  # by the caller (not a CancelledError of the call's own)
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def begin(self) -> None:
        """Called first thing in the helper's task."""
        self._task, self._loop = asyncio.current_task(), asyncio.get_running_loop()
        self.started.set()

    def cancel(self) -> None:
        """Cancel the task from the caller's thread (nothing when it has finished)."""
        self.cancelled = True
        self.started.wait()
        if self._task is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: it is done
                self._loop.call_soon_threadsafe(self._task.cancel)


def _helper_context() -> contextvars.Context:
    """The caller's context for a helper thread's loop, marked as a sync call's, with the loop
    it blocks."""
    context = _sync_calls_context()
    context.run(BLOCKED_LOOP.set, (*BLOCKED_LOOP.get(), asyncio.get_running_loop()))
    return context


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
        context = _sync_calls_context()
        iterator = context.run(make_iterator)

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
    """`iterate_sync` on a new thread: each item handed over through a queue as it comes. A
    caller that stops early (or is interrupted) cancels the thread's stream at once, even
    while it waits for the next piece, and its iterator (with its response) is closed."""
    items: queue.Queue[Any] = queue.Queue(maxsize=64)
    failure: list[BaseException] = []
    context = _helper_context()
    call = _HelperTask()

    async def pump() -> None:
        call.begin()
        iterator = make_iterator()
        try:
            async for item in iterator:
                while True:  # the caller takes items as it goes; a full queue waits for it
                    try:
                        items.put_nowait(item)
                        break
                    except queue.Full:
                        await asyncio.sleep(0.005)
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    def work() -> None:
        try:
            with asyncio.Runner(loop_factory=loop_factory()) as runner:
                runner.run(pump(), context=context)
        except BaseException as exc:  # handed to the caller's thread
            if isinstance(exc, asyncio.CancelledError) and call.cancelled:
                return  # the caller stopped early (finally still hands over the end)
            failure.append(exc)
        finally:
            call.started.set()
            items.put(_DONE)

    thread = threading.Thread(target=work, name=f"aiochain-{name}", daemon=True)
    finished = False
    try:
        thread.start()
        while (item := items.get()) is not _DONE:
            yield item
        finished = True
    finally:
        if not finished and thread.ident is not None:
            call.cancel()
            while items.get() is not _DONE:  # drain until the thread's last put
                pass
    if thread.ident is not None:
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
