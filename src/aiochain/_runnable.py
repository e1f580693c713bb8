"""The Runnable protocol: `invoke` / `ainvoke` / `batch` / `abatch`, and `|` composition.

Prompts, LLMs, output parsers and chains are all runnables, so `prompt | llm | parser` builds a
`RunnableSequence`. Steps that do no I/O (prompts, parsers, plain functions) are `PureRunnable`s:
a sequence calls them directly instead of awaiting a coroutine per step, which keeps the per-call
overhead of a composed chain to the work itself.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, Generic, TypeVar, cast

from . import _runner
from ._exceptions import UsageError
from ._progress import ProgressCallback, RunStats
from ._sync import iterate_sync, run_sync

InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")


class Runnable(Generic[InputT, OutputT]):
    """Something that turns one input into one output, asynchronously at heart."""

    async def ainvoke(self, input: InputT) -> OutputT:
        """Run on one input."""
        raise NotImplementedError

    def invoke(self, input: InputT) -> OutputT:
        """Run on one input, blocking; do not call from inside an event loop."""
        return run_sync(
            lambda: self.ainvoke(input), name=f"{type(self).__name__}.invoke", async_name="ainvoke"
        )

    async def astream(self, input: InputT) -> AsyncIterator[Any]:
        """Yield the output in pieces as it is produced.

        Models stream text; a runnable that cannot stream yields its whole output once.
        """
        yield await self.ainvoke(input)

    def stream(self, input: InputT) -> Iterator[Any]:
        """`astream` from sync code; do not call from inside an event loop."""
        return iterate_sync(
            lambda: self.astream(input), name=f"{type(self).__name__}.stream", async_name="astream"
        )

    async def atransform(self, chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Consume the stream of the step before this one in a sequence.

        By default the pieces are gathered (text is joined) and this step runs once on the
        whole; steps that can work piece by piece (`StrOutputParser`) override this.
        """
        pieces = [chunk async for chunk in chunks]
        if pieces and all(isinstance(piece, str) for piece in pieces):
            yield await self.ainvoke("".join(pieces))  # type: ignore[arg-type]
        else:
            yield await self.ainvoke(pieces[-1] if pieces else None)  # type: ignore[arg-type]

    async def amap(
        self,
        inputs: Iterable[Any] | AsyncIterable[Any],
        *,
        concurrency: int = _runner.DEFAULT_CONCURRENCY,
        return_exceptions: bool = False,
        progress: RunStats | ProgressCallback | None = None,
        deadline: float | None = None,
    ) -> list[Any]:
        """Run on every input, at most `concurrency` at once; results in input order.

        Inputs are read lazily and no more than `concurrency` tasks exist at any time, so the
        inputs may be a generator of millions.

        Args:
            inputs: an iterable or async iterable of inputs (dicts, or plain values for a
                one-input chain).
            concurrency: the number of workers.
            return_exceptions: put each failure (after its retries) in its slot; otherwise the
                first failure cancels the rest and is raised.
            progress: a `RunStats` to update in place, or a callback called with it at most
                every 0.1 s and at the end.
            deadline: seconds for the whole run; unfinished inputs fail with
                `DeadlineExceededError`.
        """
        return await _runner.amap(
            self.ainvoke,
            inputs,
            concurrency=concurrency,
            return_exceptions=return_exceptions,
            progress=progress,
            deadline=deadline,
        )

    def as_completed(
        self,
        inputs: Iterable[Any] | AsyncIterable[Any],
        *,
        concurrency: int = _runner.DEFAULT_CONCURRENCY,
        return_exceptions: bool = False,
        progress: RunStats | ProgressCallback | None = None,
        deadline: float | None = None,
        stream: bool = False,
    ) -> AsyncIterator[tuple[int, Any]]:
        """Run on every input and yield `(index, output)` as each finishes.

        `async for index, output in chain.as_completed(inputs):`. With `stream=True` it yields
        `(index, chunk)` for every piece of every answer as it arrives, interleaved, and
        `(index, None)` when input `index` is complete. Leaving the loop early cancels the
        work in flight (at once inside `contextlib.aclosing`). See `amap` for the rest.
        """
        return _runner.as_completed(
            self.astream if stream else self.ainvoke,
            inputs,
            streaming=stream,
            concurrency=concurrency,
            return_exceptions=return_exceptions,
            progress=progress,
            deadline=deadline,
        )

    async def abatch(
        self,
        inputs: Iterable[InputT],
        *,
        concurrency: int | None = None,
        return_exceptions: bool = False,
    ) -> list[OutputT]:
        """Run on many inputs concurrently and return the outputs in input order.

        Args:
            inputs: the inputs.
            concurrency: at most this many at once (None: all at once).
            return_exceptions: put each failure in its slot instead of raising the first.
        """
        items = list(inputs)
        results = await _runner.amap(
            self.ainvoke,
            items,
            concurrency=concurrency or _runner.batch_concurrency(len(items)),
            return_exceptions=return_exceptions,
        )
        return cast(list[OutputT], results)

    def batch(
        self,
        inputs: Iterable[InputT],
        *,
        concurrency: int | None = None,
        return_exceptions: bool = False,
    ) -> list[OutputT]:
        """`abatch`, blocking; do not call from inside an event loop."""
        return run_sync(
            lambda: self.abatch(
                inputs, concurrency=concurrency, return_exceptions=return_exceptions
            ),
            name=f"{type(self).__name__}.batch",
            async_name="abatch",
        )

    def __or__(self, other: Any) -> RunnableSequence:
        return RunnableSequence(self, coerce_runnable(other))

    def __ror__(self, other: Any) -> RunnableSequence:
        return RunnableSequence(coerce_runnable(other), self)


class PureRunnable(Runnable[InputT, OutputT]):
    """A runnable that does no I/O: `invoke` is the implementation and `ainvoke` wraps it."""

    def invoke(self, input: InputT) -> OutputT:
        """Run on one input."""
        raise NotImplementedError

    async def ainvoke(self, input: InputT) -> OutputT:
        """Run on one input (no I/O: this returns without yielding to the loop)."""
        return self.invoke(input)


class RunnableSequence(Runnable[Any, Any]):
    """Runnables applied one after another; what `a | b | c` builds."""

    steps: list[Runnable[Any, Any]]

    def __init__(self, *steps: Runnable[Any, Any]) -> None:
        flat: list[Runnable[Any, Any]] = []
        for step in steps:
            flat.extend(step.steps if isinstance(step, RunnableSequence) else [step])
        if len(flat) < 2:
            raise UsageError("a sequence needs at least two steps")
        self.steps = flat
        # (is_pure, step) pairs, so the hot loop needs no isinstance calls.
        self._plan = [(isinstance(s, PureRunnable), s) for s in flat]

    async def ainvoke(self, input: Any) -> Any:
        """Feed `input` through every step and return the last step's output."""
        value = input
        for pure, step in self._plan:
            value = step.invoke(value) if pure else await step.ainvoke(value)
        return value

    async def astream(self, input: Any) -> AsyncIterator[Any]:
        """Stream from the last step that can stream (a model); the steps before it run
        whole and the steps after it transform its stream."""
        streaming = [i for i, s in enumerate(self.steps) if streams(s)]
        if not streaming:
            yield await self.ainvoke(input)
            return
        split = streaming[-1]
        value = input
        for pure, step in self._plan[:split]:
            value = step.invoke(value) if pure else await step.ainvoke(value)
        chunks = self.steps[split].astream(value)
        for step in self.steps[split + 1 :]:
            chunks = step.atransform(chunks)
        async for chunk in chunks:
            yield chunk

    def __repr__(self) -> str:
        return " | ".join(type(s).__name__ for s in self.steps)


class RunnableLambda(Runnable[Any, Any]):
    """Wraps a plain function (sync or async) as a step of a sequence."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func
        self._is_async = inspect.iscoroutinefunction(func)

    async def ainvoke(self, input: Any) -> Any:
        """Call the function on `input`."""
        if self._is_async:
            return await cast(Callable[[Any], Awaitable[Any]], self.func)(input)
        return self.func(input)


class RunnableParallel(Runnable[Any, dict[str, Any]]):
    """Runs several runnables on the same input concurrently; returns their outputs by key.

    What `{"summary": chain_a, "keywords": chain_b} | next_step` builds.
    """

    def __init__(self, steps: Mapping[str, Any]) -> None:
        if not steps:
            raise UsageError("a parallel step needs at least one branch")
        self.steps = {key: coerce_runnable(value) for key, value in steps.items()}

    async def ainvoke(self, input: Any) -> dict[str, Any]:
        """Run every branch on `input` at once."""
        values = await asyncio.gather(*(step.ainvoke(input) for step in self.steps.values()))
        return dict(zip(self.steps, values, strict=True))


def streams(step: Runnable[Any, Any]) -> bool:
    """Whether a runnable produces its output in pieces (it overrides `astream`)."""
    return type(step).astream is not Runnable.astream


def coerce_runnable(obj: Any) -> Runnable[Any, Any]:
    """A runnable for `obj`: runnables as they are, dicts in parallel, functions wrapped.

    Raises:
        UsageError: for anything else.
    """
    if isinstance(obj, Runnable):
        return obj
    if isinstance(obj, Mapping):
        return RunnableParallel(obj)
    if callable(obj):
        return RunnableLambda(obj)
    raise UsageError(f"cannot compose {type(obj).__name__} with `|`; expected a runnable")
