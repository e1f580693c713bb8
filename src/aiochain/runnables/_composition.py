"""The composing runnables: `RunnableSequence` (what `a | b` builds), `RunnableLambda` (a plain
function as a step) and `RunnableParallel` (what a dict step builds), and `coerce_runnable`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, cast

from .._config import (
    RunnableConfig,
    accepts_config,
    check_config,
    child_config,
    current_config,
    filled_config,
)
from .._exceptions import UsageError
from . import _runner
from ._generators import RunnableGenerator, is_generator_function
from ._reported_steps import (
    call_step,
    called_directly_with_handlers,
    listening,
    traced_call,
    traced_sequence_stream,
)
from .base import Config, PureRunnable, Runnable, bound_call, join_chunks, takes_config


class RunnableSequence(Runnable[Any, Any]):
    """Runnables applied one after another; what `a | b | c` builds."""

    reports_own_runs = True
    transforms_streams = True
    steps: list[Runnable[Any, Any]]

    def __init__(self, *steps: Any, first: Any = None, middle: Any = (), last: Any = None) -> None:
        given = [s for s in (first, *middle, *steps, last) if s is not None]
        flat: list[Runnable[Any, Any]] = []
        for step in map(coerce_runnable, given):
            flat.extend(step.steps if isinstance(step, RunnableSequence) else [step])
        if len(flat) < 2:
            raise UsageError("a sequence needs at least two steps")
        self.steps = flat
        # (is_pure, step) pairs, so the hot loop needs no isinstance calls.
        self._plan = [(isinstance(s, PureRunnable), s) for s in flat]

    @property
    def first(self) -> Runnable[Any, Any]:
        return self.steps[0]

    @property
    def last(self) -> Runnable[Any, Any]:
        return self.steps[-1]

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Feed `input` through every step and return the last step's output."""
        value = input
        if config is None:
            config = current_config.get()
            if config is None:
                for pure, step in self._plan:
                    value = step.invoke(value) if pure else await step.ainvoke(value)
                return value
        config = check_config(config)
        if listening(config):
            return await traced_call(self, input, config, self._run_steps, own=True)
        return await self._run_steps(input, child_config(config))

    async def _run_steps(self, value: Any, child: RunnableConfig) -> Any:
        if listening(child):  # each step its own run, tagged as LangChain tags it
            for index, step in enumerate(self.steps):
                value = await call_step(step, value, child, f"seq:step:{index + 1}")
            return value
        for pure, step in self._plan:
            if pure:
                value = step.invoke(value, child)
            else:
                value = await bound_call(step, child, {})(value)
        return value

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Stream from the last step that can stream (a model); the steps before it run
        whole and the steps after it transform its stream."""
        config = config if config is not None else current_config.get()
        if config is not None and listening(config):
            async for chunk in traced_sequence_stream(self, input, check_config(config)):
                yield chunk
            return
        split = self._stream_split()
        child = None if config is None else child_config(check_config(config))
        if split is None:
            yield await self.ainvoke(input, config)
            return
        value = input
        for _, step in self._plan[:split]:
            value = await bound_call(step, child, {})(value)
        head = self.steps[split]
        # Steps written before configs (no `config` parameter) stream without one.
        with_config = child is not None and takes_config(head)
        chunks = head.astream(value, child) if with_config else head.astream(value)
        for step in self.steps[split + 1 :]:
            if child is not None and takes_config(step):
                chunks = step.atransform(chunks, child)
            else:
                chunks = step.atransform(chunks)
        async for chunk in chunks:
            yield chunk

    def _stream_split(self) -> int | None:
        """The step whose stream the sequence streams: the last that produces pieces (a
        model), else the first generator; None when no step streams."""
        sources = [
            i
            for i, s in enumerate(self.steps)
            if streams(s) and not isinstance(s, RunnableGenerator)
        ]
        if sources:
            return sources[-1]
        generators = [i for i, s in enumerate(self.steps) if isinstance(s, RunnableGenerator)]
        return generators[0] if generators else None

    def __repr__(self) -> str:
        return " | ".join(type(s).__name__ for s in self.steps)


class RunnableLambda(Runnable[Any, Any]):
    """Wraps a plain function (sync or async) as a step of a sequence.

    A function that takes a `config` argument receives the call's config. A function that
    returns a runnable has it run on the same input, as in LangChain.

    Args:
        func: the function (sync or async).
        afunc: an async version to use from async code.
        name: a name for the step.
    """

    transforms_streams = True

    def __init__(
        self,
        func: Callable[..., Any],
        afunc: Callable[..., Awaitable[Any]] | None = None,
        name: str | None = None,
    ) -> None:
        self.func = func
        self.afunc = afunc
        own_name = getattr(func, "__name__", "<lambda>")
        self.name = name or (own_name if own_name != "<lambda>" else "RunnableLambda")
        self._is_async = afunc is not None or inspect.iscoroutinefunction(func)
        self._with_config = accepts_config(afunc or func)
        # A generator function yields its output in pieces (LangChain's RunnableLambda takes
        # one): streamed piece by piece, invoked as the pieces joined.
        self._yields = is_generator_function(afunc or func)

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Call the function on `input`."""
        if config is not None and called_directly_with_handlers(self, config):
            # Called with callbacks by a caller that reports no run for it: its own run.
            return await traced_call(
                self, input, config, lambda value, inner: self.ainvoke(value, inner, **kwargs)
            )
        if self._yields:
            return join_chunks([piece async for piece in self._pieces(input, config, kwargs)])
        if config is None:
            config = current_config.get()
        token = None if config is None else current_config.set(child_config(config))
        try:
            # Keyword arguments bound with `.bind(...)` go to the function, as in LangChain.
            options = {"config": filled_config(config), **kwargs} if self._with_config else kwargs
            func = self.afunc or self.func
            if self._is_async:
                result = await cast(Callable[..., Awaitable[Any]], func)(input, **options)
            else:
                result = func(input, **options)
            if isinstance(result, Runnable):
                if config is not None and listening(config):
                    return await call_step(result, input, config)
                result = await bound_call(result, config, {})(input)
            return result
        finally:
            if token is not None:
                current_config.reset(token)

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """The pieces a generator function yields, as they come; else the whole output."""
        if not self._yields:
            async for whole in super().astream(input, config, **kwargs):
                yield whole
            return
        async for piece in self._pieces(input, config, kwargs):
            yield piece

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """In a streamed chain: the function runs on the whole input (as LangChain's does)."""
        if not self._yields:
            async for whole in super().atransform(chunks, config, **kwargs):
                yield whole
            return
        whole = join_chunks([c async for c in chunks])
        async for piece in self._pieces(whole, config, kwargs):
            yield piece

    async def _pieces(
        self, input: Any, config: Config, kwargs: dict[str, Any]
    ) -> AsyncIterator[Any]:
        if config is None:
            config = current_config.get()
        options = {"config": filled_config(config), **kwargs} if self._with_config else kwargs
        produced: Any = (self.afunc or self.func)(input, **options)
        if inspect.isasyncgen(produced):
            async for piece in produced:
                yield piece
        else:
            for piece in produced:
                yield piece

    def __repr__(self) -> str:
        return f"RunnableLambda({self.name})"


class RunnableParallel(Runnable[Any, dict[str, Any]]):
    """Runs several runnables on the same input concurrently; returns their outputs by key.

    What `{"summary": chain_a, "keywords": chain_b} | next_step` builds; also
    `RunnableParallel({"a": ..., "b": ...})` and `RunnableParallel(a=..., b=...)`. A config's
    `max_concurrency` caps how many branches run at once.
    """

    transforms_streams = True

    def __init__(self, steps__: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        merged = {**(steps__ or {}), **kwargs}
        if not merged:
            raise UsageError("a parallel step needs at least one branch")
        self.steps = {key: coerce_runnable(value) for key, value in merged.items()}

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> dict[str, Any]:
        """Run every branch on `input` at once."""
        if config is None:
            config = current_config.get()
            if config is None:
                values = await asyncio.gather(*(s.ainvoke(input) for s in self.steps.values()))
                return dict(zip(self.steps, values, strict=True))
        child = child_config(check_config(config))
        if listening(child):
            calls = [
                _traced_branch(step, child, f"map:key:{key}") for key, step in self.steps.items()
            ]
        else:
            calls = [bound_call(step, child, {}) for step in self.steps.values()]
        limit = child.get("max_concurrency")
        if limit is None or limit >= len(calls):
            values = await asyncio.gather(*(call(input) for call in calls))
        else:
            values = await _runner.amap(lambda call: call(input), calls, concurrency=limit)
        return dict(zip(self.steps, values, strict=True))

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        return super().get_name(suffix, name=name or f"RunnableParallel<{','.join(self.steps)}>")

    def __repr__(self) -> str:
        return f"RunnableParallel({', '.join(self.steps)})"


def _traced_branch(
    step: Runnable[Any, Any], config: RunnableConfig, tag: str
) -> Callable[[Any], Awaitable[Any]]:
    return lambda value: call_step(step, value, config, tag)


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
    if is_generator_function(obj):
        return RunnableGenerator(obj)
    if callable(obj):
        return RunnableLambda(obj)
    raise UsageError(f"cannot compose {type(obj).__name__} with `|`; expected a runnable")
