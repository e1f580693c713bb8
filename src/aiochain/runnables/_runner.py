"""Run one async function over many inputs: a fixed pool of workers, inputs read lazily.

`amap` returns results in input order; `as_completed` yields `(index, result)` as they finish.
Neither creates more than `concurrency` tasks, whatever the number of inputs, and both read the
inputs one at a time as workers free up, so a million inputs cost memory for the ones in flight
(and, for `amap`, the results), not a million tasks. `as_completed` also waits for its
consumer: while `concurrency` results (or stream pieces) wait to be taken, no worker reads
another input, so a busy consumer holds about what is in flight plus that backlog, not the
whole input (issue 23, item 7). A pool of workers also does less work per call than one task
per call behind a semaphore: no task is created, scheduled and destroyed per input.

Failure: with `return_exceptions=False` the first failure (after its retries) cancels every
other worker and is raised; with True each failure takes its input's slot. Cancelling the caller
cancels every worker, and with it every request in flight. A `deadline` (seconds) ends the run
with `DeadlineExceededError` for every input not finished by then.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sized,
)
from typing import Any, Generic, Literal, TypeVar, cast, overload

from .._exceptions import ConfigurationError, DeadlineExceededError
from .._pipeline.run_stats import ProgressCallback, RunStats, current_stats

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 64
PROGRESS_INTERVAL = 0.1
BATCH_CONCURRENCY_CAP = 1000


def batch_concurrency(count: int, limiter: Any = None) -> int:
    """Workers for LangChain-style "all at once" batches (`agenerate`, `abatch`, `aapply`).

    All at once, as LangChain does, but never more workers than the client's `max_concurrency`
    (the rest would only wait) nor more than 1,000: a batch of 100,000 must not make 100,000
    tasks.
    """
    cap = getattr(limiter, "max_concurrency", None) or BATCH_CONCURRENCY_CAP
    return max(1, min(count, cap))


class _Inputs(Generic[T]):
    """Hands out (index, input) pairs to workers from a sync or async iterable, lazily."""

    def __init__(self, inputs: Iterable[T] | AsyncIterable[T]) -> None:
        self.sync_iter: Iterator[T] | None = None
        self.async_iter: AsyncIterator[T] | None = None
        if isinstance(inputs, AsyncIterable):
            self.async_iter = aiter(inputs)
            self.lock: asyncio.Lock | None = asyncio.Lock()
        else:
            self.sync_iter = iter(inputs)
            self.lock = None
        self.count = 0
        self.exhausted = False

    def next_now(self) -> tuple[int, T] | None:
        """The next input of a sync iterable, without an await."""
        if self.exhausted:
            return None
        assert self.sync_iter is not None
        try:
            item = next(self.sync_iter)
        except StopIteration:
            self.exhausted = True
            return None
        index = self.count
        self.count += 1
        return index, item

    async def next(self) -> tuple[int, T] | None:
        if self.sync_iter is not None:
            return self.next_now()
        if self.exhausted:
            return None
        assert self.lock is not None and self.async_iter is not None
        async with self.lock:
            if self.exhausted:
                return None
            try:
                item = await anext(self.async_iter)
            except StopAsyncIteration:
                self.exhausted = True
                return None
        index = self.count
        self.count += 1
        return index, item


def _check_concurrency(concurrency: int) -> None:
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(f"concurrency must be an integer >= 1, got {concurrency!r}")


def _stats_for(
    inputs: Iterable[Any] | AsyncIterable[Any], progress: RunStats | ProgressCallback | None
) -> tuple[RunStats, ProgressCallback | None]:
    stats = progress if isinstance(progress, RunStats) else RunStats()
    stats.started = time.monotonic()
    if stats.total is None and isinstance(inputs, Sized):
        stats.total = len(inputs)
    callback = None if isinstance(progress, RunStats) or progress is None else progress
    return stats, callback


class _Pool(Generic[T, R]):
    """The workers of one run and what they share."""

    def __init__(
        self,
        func: Callable[[T], Any],
        inputs: Iterable[T] | AsyncIterable[T],
        *,
        concurrency: int,
        return_exceptions: bool,
        progress: RunStats | ProgressCallback | None,
        emit: Callable[[int, Any], None],
        streaming: bool = False,
        backlog: _Backlog | None = None,
    ) -> None:
        _check_concurrency(concurrency)
        self.stats, self.callback = _stats_for(inputs, progress)
        # Requests report to the run's stats only when someone reads them; otherwise they
        # report to the enclosing run's, if any (a map job's chunk calls count in the job).
        self.listened = progress is not None
        self.func = func
        self.streaming = streaming
        self.inputs = _Inputs(inputs)
        self.concurrency = concurrency
        self.return_exceptions = return_exceptions
        self.emit = emit
        # as_completed's results not yet taken: a worker waits while it is full.
        self.backlog = backlog
        self.next_report = 0.0
        # The inputs under way; kept only when a deadline may have to fail them.
        self.unfinished: set[int] = set()
        self.track_unfinished = False

    async def worker(self) -> None:
        if self.listened:
            current_stats.set(self.stats)
        stats = self.stats
        func = self.func
        emit = self.emit
        clock = time.monotonic
        next_now = self.inputs.next_now if self.inputs.sync_iter is not None else None
        track = self.track_unfinished
        unfinished = self.unfinished
        backlog = self.backlog
        while True:
            entry = next_now() if next_now is not None else await self.inputs.next()
            if entry is None:
                return
            index, item = entry
            stats.in_flight += 1
            began = clock()
            if track:
                unfinished.add(index)
            try:
                if self.streaming:
                    # A stream in flight is never held up by the consumer (a server would see
                    # a stalled reader); the backlog holds the next input back instead.
                    async for chunk in func(item):
                        emit(index, chunk)
                    result = None
                else:
                    result = await func(item)
            except Exception as exc:
                stats.in_flight -= 1
                stats.failed += 1
                if track:
                    unfinished.discard(index)
                if not self.return_exceptions:
                    raise
                emit(index, exc)
                if backlog is not None and backlog.full():
                    await backlog.room()
            else:
                now = clock()
                stats.in_flight -= 1
                stats.done += 1
                stats.record_latency(now - began)
                if track:
                    unfinished.discard(index)
                emit(index, result)
                if self.callback is not None and now >= self.next_report:
                    self.next_report = now + PROGRESS_INTERVAL
                    self.callback(stats)
                if backlog is not None and backlog.full():
                    await backlog.room()

    async def run(self, deadline: float | None) -> None:
        """Run the workers to the end; raise the first failure, or the deadline."""
        self.track_unfinished = deadline is not None
        workers = [asyncio.create_task(self.worker()) for _ in range(self.concurrency)]
        try:
            if deadline is None:
                await _first_failure(workers)
            else:
                try:
                    async with asyncio.timeout(deadline):
                        await _first_failure(workers)
                except TimeoutError:
                    # Stop every worker first: none may finish (or take) an input while the
                    # unfinished ones are being failed.
                    for task in workers:
                        task.cancel()
                    await asyncio.wait(workers)
                    await self._expire(deadline)
        finally:
            for task in workers:
                task.cancel()
            # Wait for every worker to finish cancelling, so that nothing is left behind even
            # when the caller itself was cancelled.
            await asyncio.wait(workers)
            self.stats.finished = time.monotonic()
            self.stats.in_flight = 0
            self.stats.retrying = 0
            if self.callback is not None:
                self.callback(self.stats)

    async def _expire(self, deadline: float) -> None:
        """The deadline passed: every input under way, and every input not yet started, ends
        with `DeadlineExceededError` (so there is one result per input), or the run raises."""
        error = DeadlineExceededError(f"the run's deadline of {deadline:g} s passed")
        if not self.return_exceptions:
            self.stats.failed += len(self.unfinished)
            raise error
        expired = sorted(self.unfinished)
        self.stats.failed += len(expired)
        for index in expired:
            self.emit(index, error)
        # The inputs never started, read one at a time as the consumer takes their errors.
        while (entry := await self.inputs.next()) is not None:
            self.stats.failed += 1
            self.emit(entry[0], error)
            if self.backlog is not None and self.backlog.full():
                await self.backlog.room()


class _Backlog:
    """The results `as_completed` yielded not yet: workers wait while `limit` of them do.

    Without it a busy consumer lets the workers read and run the whole input, keeping every
    result in memory (200,000 inputs read for 10 results taken).
    """

    def __init__(self, limit: int) -> None:
        self.queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
        self.limit = limit
        self._taken = asyncio.Event()

    def full(self) -> bool:
        return self.queue.qsize() >= self.limit

    async def room(self) -> None:
        """Wait until the consumer has taken enough for the backlog to have room."""
        while self.full():
            self._taken.clear()
            await self._taken.wait()

    def took(self) -> None:
        """The consumer took a result: wake the workers waiting for room."""
        self._taken.set()


async def _first_failure(workers: list[asyncio.Task[None]]) -> None:
    done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            raise cast(BaseException, task.exception())


@overload
async def amap(
    func: Callable[[T], Awaitable[R]],
    inputs: Iterable[T] | AsyncIterable[T],
    *,
    concurrency: int = ...,
    return_exceptions: Literal[False] = ...,
    progress: RunStats | ProgressCallback | None = ...,
    deadline: float | None = ...,
) -> list[R]: ...


@overload
async def amap(
    func: Callable[[T], Awaitable[R]],
    inputs: Iterable[T] | AsyncIterable[T],
    *,
    concurrency: int = ...,
    return_exceptions: bool,
    progress: RunStats | ProgressCallback | None = ...,
    deadline: float | None = ...,
) -> list[R | Exception]: ...


async def amap(
    func: Callable[[T], Awaitable[R]],
    inputs: Iterable[T] | AsyncIterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    return_exceptions: bool = False,
    progress: RunStats | ProgressCallback | None = None,
    deadline: float | None = None,
) -> list[R] | list[R | Exception]:
    """Apply `func` to every input with at most `concurrency` at once; results in input order.

    Args:
        func: the async function to apply.
        inputs: any iterable or async iterable; read lazily.
        concurrency: the number of workers.
        return_exceptions: put each failure in its slot instead of raising the first.
        progress: a `RunStats` to update in place, or a callback called with it at most every
            0.1 s and at the end.
        deadline: seconds for the whole run, or None.
    """
    results: list[Any] = []

    def emit(index: int, value: Any) -> None:
        # Inputs finish out of order: grow the list to the index, the gap filled later.
        if index >= len(results):
            results.extend([None] * (index + 1 - len(results)))
        results[index] = value

    pool: _Pool[T, R] = _Pool(
        func,
        inputs,
        concurrency=concurrency,
        return_exceptions=return_exceptions,
        progress=progress,
        emit=emit,
    )
    # Every input read is emitted (a result, its failure, or the deadline's error) or the run
    # raises, so no slot stays empty.
    await pool.run(deadline)
    return results


async def as_completed(
    func: Callable[[T], Any],
    inputs: Iterable[T] | AsyncIterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    return_exceptions: bool = False,
    progress: RunStats | ProgressCallback | None = None,
    deadline: float | None = None,
    streaming: bool = False,
) -> AsyncIterator[tuple[int, Any]]:
    """Apply `func` to every input and yield `(index, result)` in the order they finish.

    With `streaming`, `func` returns an async iterator: each of its items is yielded as
    `(index, item)` when it arrives, and `(index, None)` marks the end of input `index`.

    Breaking out of the loop (or cancelling it) cancels the work still in flight; use
    `contextlib.aclosing` to make that happen at once rather than when the generator is
    collected. See `amap` for the arguments.
    """
    _check_concurrency(concurrency)
    backlog = _Backlog(concurrency)
    queue = backlog.queue
    pool: _Pool[T, Any] = _Pool(
        func,
        inputs,
        concurrency=concurrency,
        return_exceptions=return_exceptions,
        progress=progress,
        emit=lambda index, value: queue.put_nowait((index, value)),
        streaming=streaming,
        backlog=backlog,
    )
    runner = asyncio.create_task(pool.run(deadline))
    try:
        while True:
            if queue.empty():
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    # The run ended: drain what it left, then surface its error if any.
                    while not queue.empty():
                        yield queue.get_nowait()
                    await runner
                    return
                backlog.took()
                yield getter.result()
            else:
                backlog.took()
                yield queue.get_nowait()
    finally:
        if not runner.done():
            runner.cancel()
            await asyncio.wait({runner})
