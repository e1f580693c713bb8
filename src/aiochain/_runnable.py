"""The Runnable protocol: `invoke` / `ainvoke` / `batch` / `abatch` / `astream`, `|` composition,
and the modifiers every runnable has (`bind`, `with_config`, `with_retry`, `with_fallbacks`,
`assign`, `pick`).

Prompts, LLMs, output parsers and chains are all runnables, so `prompt | llm | parser` builds a
`RunnableSequence`. Steps that do no I/O (prompts, parsers, plain functions) are `PureRunnable`s:
a sequence calls them directly instead of awaiting a coroutine per step, which keeps the per-call
overhead of a composed chain to the work itself.

Every method takes LangChain's `config=` (see `_config.py`). A runnable written before configs
existed (`async def ainvoke(self, input)`) still works: it is called without one.

The modifier classes live in `_modifiers.py`, which this module does not import: the modifier
methods are attached there (`Runnable.bind = ...` would hide them from type checkers, so instead
the methods here build them through `_modifier_factory`, set once by that module).
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
    Sequence,
)
from typing import Any, Generic, TypeVar, cast

from . import _runner
from ._config import (
    RunnableConfig,
    accepts_config,
    batch_limit,
    check_config,
    child_config,
    config_list,
    current_config,
)
from ._exceptions import UsageError
from ._progress import ProgressCallback, RunStats
from ._sync import iterate_sync, run_sync

InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")

Config = RunnableConfig | None
BatchConfig = RunnableConfig | Sequence[RunnableConfig] | None

_TAKES_CONFIG: dict[type, bool] = {}


def takes_config(step: Runnable[Any, Any]) -> bool:
    """Whether `step.ainvoke` accepts `config` (runnables written before configs do not)."""
    cls = type(step)
    try:
        return _TAKES_CONFIG[cls]
    except KeyError:
        takes = _TAKES_CONFIG[cls] = accepts_config(cls.ainvoke)
        return takes


def bound_call(
    step: Runnable[Any, Any], config: Config, kwargs: Mapping[str, Any]
) -> Callable[[Any], Awaitable[Any]]:
    """`step.ainvoke` as a one-argument function carrying `config` and `kwargs`."""
    if config is None and not kwargs:
        return step.ainvoke
    if not takes_config(step):
        if kwargs:
            raise UsageError(f"{type(step).__name__}.ainvoke takes no keyword arguments")
        return step.ainvoke  # written before configs: it runs without one
    return lambda value: step.ainvoke(value, config, **kwargs)


class Runnable(Generic[InputT, OutputT]):
    """Something that turns one input into one output, asynchronously at heart."""

    async def ainvoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input."""
        raise NotImplementedError

    def invoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input, blocking; do not call from inside an event loop."""
        call = bound_call(self, config, kwargs)

        async def run() -> OutputT:
            return cast(OutputT, await call(input))

        return run_sync(run, name=f"{type(self).__name__}.invoke", async_name="ainvoke")

    async def astream(
        self, input: InputT, config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Yield the output in pieces as it is produced.

        Models stream text; a runnable that cannot stream yields its whole output once.
        """
        yield await bound_call(self, config, kwargs)(input)

    def stream(self, input: InputT, config: Config = None, **kwargs: Any) -> Iterator[Any]:
        """`astream` from sync code; do not call from inside an event loop."""
        return iterate_sync(
            lambda: (
                self.astream(input, config, **kwargs)
                if config is not None or kwargs
                else self.astream(input)
            ),
            name=f"{type(self).__name__}.stream",
            async_name="astream",
        )

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Consume the stream of the step before this one in a sequence.

        By default the pieces are gathered (text, and message chunks, are joined) and this step
        runs once on the whole; steps that can work piece by piece (`StrOutputParser`,
        `JsonOutputParser`) override this.
        """
        call = bound_call(self, config, kwargs)
        yield await call(join_chunks([chunk async for chunk in chunks]))

    async def amap(
        self,
        inputs: Iterable[Any] | AsyncIterable[Any],
        *,
        concurrency: int | None = None,
        return_exceptions: bool = False,
        progress: RunStats | ProgressCallback | None = None,
        deadline: float | None = None,
        config: Config = None,
    ) -> list[Any]:
        """Run on every input, at most `concurrency` at once; results in input order.

        Inputs are read lazily and no more than `concurrency` tasks exist at any time, so the
        inputs may be a generator of millions.

        Args:
            inputs: an iterable or async iterable of inputs (dicts, or plain values for a
                one-input chain).
            concurrency: the number of workers (default: the config's `max_concurrency`,
                else 64).
            return_exceptions: put each failure (after its retries) in its slot; otherwise the
                first failure cancels the rest and is raised.
            progress: a `RunStats` to update in place, or a callback called with it at most
                every 0.1 s and at the end.
            deadline: seconds for the whole run; unfinished inputs fail with
                `DeadlineExceededError`.
            config: the config of every call.
        """
        return await _runner.amap(
            bound_call(self, config, {}),
            inputs,
            concurrency=_pick_concurrency(concurrency, config, _runner.DEFAULT_CONCURRENCY),
            return_exceptions=return_exceptions,
            progress=progress,
            deadline=deadline,
        )

    def as_completed(
        self,
        inputs: Iterable[Any] | AsyncIterable[Any],
        *,
        concurrency: int | None = None,
        return_exceptions: bool = False,
        progress: RunStats | ProgressCallback | None = None,
        deadline: float | None = None,
        stream: bool = False,
        config: Config = None,
    ) -> AsyncIterator[tuple[int, Any]]:
        """Run on every input and yield `(index, output)` as each finishes.

        `async for index, output in chain.as_completed(inputs):`. With `stream=True` it yields
        `(index, chunk)` for every piece of every answer as it arrives, interleaved, and
        `(index, None)` when input `index` is complete. Leaving the loop early cancels the
        work in flight (at once inside `contextlib.aclosing`). See `amap` for the rest.
        """
        if stream:
            func: Callable[[Any], Any] = (
                self.astream if config is None else lambda x: self.astream(x, config)
            )
        else:
            func = bound_call(self, config, {})
        return _runner.as_completed(
            func,
            inputs,
            streaming=stream,
            concurrency=_pick_concurrency(concurrency, config, _runner.DEFAULT_CONCURRENCY),
            return_exceptions=return_exceptions,
            progress=progress,
            deadline=deadline,
        )

    async def abatch(
        self,
        inputs: Iterable[InputT],
        config: BatchConfig = None,
        *,
        return_exceptions: bool = False,
        concurrency: int | None = None,
        **kwargs: Any,
    ) -> list[OutputT]:
        """Run on many inputs concurrently and return the outputs in input order.

        Args:
            inputs: the inputs.
            config: one config for every input, or a list of one per input; its
                `max_concurrency` caps how many run at once.
            return_exceptions: put each failure in its slot instead of raising the first.
            concurrency: at most this many at once (default: the config's `max_concurrency`,
                else all at once, up to 1,000).
            kwargs: passed to every call.
        """
        items = list(inputs)
        limit = _pick_concurrency(concurrency, config, _runner.batch_concurrency(len(items)))
        if config is None or isinstance(config, dict):
            func = bound_call(self, config, kwargs)
            results = await _runner.amap(
                func, items, concurrency=limit, return_exceptions=return_exceptions
            )
        else:
            configs = config_list(config, len(items))

            async def call(pair: tuple[Any, RunnableConfig]) -> Any:
                return await bound_call(self, pair[1], kwargs)(pair[0])

            results = await _runner.amap(
                call,
                list(zip(items, configs, strict=True)),
                concurrency=limit,
                return_exceptions=return_exceptions,
            )
        return cast(list[OutputT], results)

    def batch(
        self,
        inputs: Iterable[InputT],
        config: BatchConfig = None,
        *,
        return_exceptions: bool = False,
        concurrency: int | None = None,
        **kwargs: Any,
    ) -> list[OutputT]:
        """`abatch`, blocking; do not call from inside an event loop."""
        return run_sync(
            lambda: self.abatch(
                inputs,
                config,
                return_exceptions=return_exceptions,
                concurrency=concurrency,
                **kwargs,
            ),
            name=f"{type(self).__name__}.batch",
            async_name="abatch",
        )

    async def abatch_as_completed(
        self,
        inputs: Sequence[InputT],
        config: BatchConfig = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> AsyncIterator[tuple[int, Any]]:
        """`abatch`, yielding `(index, output)` as each finishes."""
        items = list(inputs)
        configs = config_list(config, len(items))

        async def call(pair: tuple[Any, Config]) -> Any:
            return await bound_call(self, pair[1], kwargs)(pair[0])

        async for pair in _runner.as_completed(
            call,
            list(zip(items, configs, strict=True)),
            concurrency=batch_limit(config) or _runner.batch_concurrency(len(items)),
            return_exceptions=return_exceptions,
        ):
            yield pair

    # --- composition and modifiers ----------------------------------------------------------

    def __or__(self, other: Any) -> RunnableSequence:
        return RunnableSequence(self, coerce_runnable(other))

    def __ror__(self, other: Any) -> RunnableSequence:
        return RunnableSequence(coerce_runnable(other), self)

    def pipe(self, *others: Any) -> RunnableSequence:
        """`self | others[0] | others[1] | ...`."""
        return RunnableSequence(self, *(coerce_runnable(o) for o in others))

    def bind(self, **kwargs: Any) -> Runnable[InputT, OutputT]:
        """A runnable that calls this one with `kwargs` added to every call.

        Models override this to put the arguments in the request (`llm.bind(stop=["\\n"])`).
        """
        return _modifiers().binding(self, kwargs=kwargs)

    def with_config(
        self, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Runnable[InputT, OutputT]:
        """A runnable that calls this one with `config` (merged under each call's own)."""
        merged = dict(config or {})
        merged.update(kwargs)
        return _modifiers().binding(self, config=check_config(merged))

    def with_retry(
        self,
        *,
        retry_if_exception_type: tuple[type[BaseException], ...] = (Exception,),
        wait_exponential_jitter: bool = True,
        exponential_jitter_params: Mapping[str, float] | None = None,
        stop_after_attempt: int = 3,
    ) -> Runnable[InputT, OutputT]:
        """A runnable that retries this one on the listed exceptions.

        Args:
            retry_if_exception_type: the exceptions worth another attempt.
            wait_exponential_jitter: wait `initial * 2**retry` seconds plus up to `jitter`
                between attempts (a server's `retry_after` wins when longer); False: no wait.
            exponential_jitter_params: `initial` (1), `max` (60), `exp_base` (2), `jitter` (1).
            stop_after_attempt: the most attempts, the first included.
        """
        return _modifiers().retry(
            self,
            retry_if_exception_type=retry_if_exception_type,
            wait_exponential_jitter=wait_exponential_jitter,
            exponential_jitter_params=exponential_jitter_params,
            stop_after_attempt=stop_after_attempt,
        )

    def with_fallbacks(
        self,
        fallbacks: Sequence[Runnable[Any, Any]],
        *,
        exceptions_to_handle: tuple[type[BaseException], ...] = (Exception,),
        exception_key: str | None = None,
    ) -> Runnable[InputT, OutputT]:
        """A runnable that tries `fallbacks` in order when this one fails.

        Args:
            fallbacks: the runnables to try next.
            exceptions_to_handle: the failures that move on to the next runnable; any other
                is raised at once.
            exception_key: when set, a dict input is passed to each fallback with the
                previous failure under this key.
        """
        return _modifiers().fallbacks(
            self,
            fallbacks,
            exceptions_to_handle=exceptions_to_handle,
            exception_key=exception_key,
        )

    def assign(self, **steps: Any) -> RunnableSequence:
        """`self`, then its output dict with the outputs of `steps` (run concurrently) added."""
        return RunnableSequence(self, _modifiers().assign(steps))

    def pick(self, keys: str | Sequence[str]) -> RunnableSequence:
        """`self`, then one key of its output dict (a str) or a dict of some keys (a list)."""
        return RunnableSequence(self, _modifiers().pick(keys))


def _pick_concurrency(concurrency: int | None, config: BatchConfig, default: int) -> int:
    """The workers of a batch: `concurrency` if given, else the config's limit, else `default`."""
    if concurrency is not None:
        return concurrency
    return batch_limit(config) or default


class ModifierFactory:
    """Builds the modifier runnables; `_modifiers.py` provides the one instance."""

    def binding(
        self,
        bound: Runnable[Any, Any],
        *,
        kwargs: Mapping[str, Any] | None = None,
        config: RunnableConfig | None = None,
    ) -> Runnable[Any, Any]:
        raise NotImplementedError

    def retry(self, bound: Runnable[Any, Any], **options: Any) -> Runnable[Any, Any]:
        raise NotImplementedError

    def fallbacks(
        self, bound: Runnable[Any, Any], fallbacks: Sequence[Runnable[Any, Any]], **options: Any
    ) -> Runnable[Any, Any]:
        raise NotImplementedError

    def assign(self, steps: Mapping[str, Any]) -> Runnable[Any, Any]:
        raise NotImplementedError

    def pick(self, keys: str | Sequence[str]) -> Runnable[Any, Any]:
        raise NotImplementedError


_factory: list[ModifierFactory] = []


def register_modifiers(factory: ModifierFactory) -> None:
    """Called once by `_modifiers.py`, which `aiochain/__init__` always imports."""
    _factory[:] = [factory]


def _modifiers() -> ModifierFactory:
    if not _factory:
        raise UsageError("import aiochain (not only aiochain._runnable) to use the modifiers")
    return _factory[0]


class PureRunnable(Runnable[InputT, OutputT]):
    """A runnable that does no I/O: `invoke` is the implementation and `ainvoke` wraps it."""

    def invoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input."""
        raise NotImplementedError

    async def ainvoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input (no I/O: this returns without yielding to the loop)."""
        return self.invoke(input, config, **kwargs)


class RunnableSequence(Runnable[Any, Any]):
    """Runnables applied one after another; what `a | b | c` builds."""

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
        child = child_config(check_config(config))
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
        child = None if config is None else child_config(check_config(config))
        streaming = [i for i, s in enumerate(self.steps) if streams(s)]
        if not streaming:
            yield await self.ainvoke(input, config)
            return
        split = streaming[-1]
        value = input
        for _, step in self._plan[:split]:
            value = await bound_call(step, child, {})(value)
        head = self.steps[split]
        chunks = head.astream(value) if child is None else head.astream(value, child)
        for step in self.steps[split + 1 :]:
            chunks = step.atransform(chunks) if child is None else step.atransform(chunks, child)
        async for chunk in chunks:
            yield chunk

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

    def __init__(
        self,
        func: Callable[..., Any],
        afunc: Callable[..., Awaitable[Any]] | None = None,
        name: str | None = None,
    ) -> None:
        self.func = func
        self.afunc = afunc
        self.name = name or getattr(func, "__name__", "RunnableLambda")
        self._is_async = afunc is not None or inspect.iscoroutinefunction(func)
        self._with_config = accepts_config(afunc or func)

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Call the function on `input`."""
        if config is None:
            config = current_config.get()
        token = None if config is None else current_config.set(child_config(config))
        try:
            options = {"config": config or {}} if self._with_config else {}
            func = self.afunc or self.func
            if self._is_async:
                result = await cast(Callable[..., Awaitable[Any]], func)(input, **options)
            else:
                result = func(input, **options)
            if isinstance(result, Runnable):
                result = await bound_call(result, config, {})(input)
            return result
        finally:
            if token is not None:
                current_config.reset(token)

    def __repr__(self) -> str:
        return f"RunnableLambda({self.name})"


class RunnableParallel(Runnable[Any, dict[str, Any]]):
    """Runs several runnables on the same input concurrently; returns their outputs by key.

    What `{"summary": chain_a, "keywords": chain_b} | next_step` builds; also
    `RunnableParallel({"a": ..., "b": ...})` and `RunnableParallel(a=..., b=...)`. A config's
    `max_concurrency` caps how many branches run at once.
    """

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
        calls = [bound_call(step, child, {}) for step in self.steps.values()]
        limit = child.get("max_concurrency")
        if limit is None or limit >= len(calls):
            values = await asyncio.gather(*(call(input) for call in calls))
        else:
            values = await _runner.amap(lambda call: call(input), calls, concurrency=limit)
        return dict(zip(self.steps, values, strict=True))

    def __repr__(self) -> str:
        return f"RunnableParallel({', '.join(self.steps)})"


def join_chunks(pieces: list[Any]) -> Any:
    """The whole of a stream: text joined, message chunks added up, else the last piece."""
    if not pieces:
        return None
    if all(isinstance(piece, str) for piece in pieces):
        return "".join(pieces)
    first = pieces[0]
    if hasattr(first, "__add__") and all(type(piece) is type(first) for piece in pieces):
        whole = first
        for piece in pieces[1:]:
            whole = whole + piece
        return whole
    return pieces[-1]


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
