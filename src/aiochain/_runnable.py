"""The Runnable protocol: `invoke` / `ainvoke` / `batch` / `abatch` / `astream`, `|` composition,
and the modifiers every runnable has (`bind`, `with_config`, `with_retry`, `with_fallbacks`,
`assign`, `pick`).

Prompts, LLMs, output parsers and chains are all runnables, so `prompt | llm | parser` builds a
`RunnableSequence`. Steps that do no I/O (prompts, parsers, plain functions) are `PureRunnable`s:
a sequence calls them directly instead of awaiting a coroutine per step, which keeps the per-call
overhead of a composed chain to the work itself.

Every method takes LangChain's `config=` (see `_config.py`). A runnable written before configs
existed (`async def ainvoke(self, input)`) still works: it is called without one.

What the methods return (sequences, bindings, retries, fallbacks) is built in
`_composition.py` and `_modifiers.py`, which import this module; to keep imports one-way, the
methods here build through a `ModifierFactory` that `_modifiers.py` registers when `aiochain`
is imported (a dependency inversion, so that neither module has to hold the other).
"""

from __future__ import annotations

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
        if config is None:
            config = current_config.get()  # a batch inside a step inherits its config
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

    def batch_as_completed(
        self,
        inputs: Sequence[InputT],
        config: BatchConfig = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> Iterator[tuple[int, Any]]:
        """`abatch_as_completed` from sync code; do not call from inside an event loop."""
        return iterate_sync(
            lambda: self.abatch_as_completed(
                inputs, config, return_exceptions=return_exceptions, **kwargs
            ),
            name=f"{type(self).__name__}.batch_as_completed",
            async_name="abatch_as_completed",
        )

    # --- composition and modifiers ----------------------------------------------------------

    def __or__(self, other: Any) -> Runnable[Any, Any]:
        return _modifiers().sequence(self, other)

    def __ror__(self, other: Any) -> Runnable[Any, Any]:
        return _modifiers().sequence(other, self)

    def pipe(self, *others: Any) -> Runnable[Any, Any]:
        """`self | others[0] | others[1] | ...`."""
        return _modifiers().sequence(self, *others)

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

    def assign(self, **steps: Any) -> Runnable[Any, Any]:
        """`self`, then its output dict with the outputs of `steps` (run concurrently) added."""
        return _modifiers().sequence(self, _modifiers().assign(steps))

    def pick(self, keys: str | Sequence[str]) -> Runnable[Any, Any]:
        """`self`, then one key of its output dict (a str) or a dict of some keys (a list)."""
        return _modifiers().sequence(self, _modifiers().pick(keys))


def _pick_concurrency(concurrency: int | None, config: BatchConfig, default: int) -> int:
    """The workers of a batch: `concurrency` if given, else the config's limit, else `default`."""
    if concurrency is not None:
        return concurrency
    return batch_limit(config) or default


class ModifierFactory:
    """Builds the runnables the methods above return; `_modifiers.py` provides the one
    instance (see the module docstring)."""

    def sequence(self, *steps: Any) -> Runnable[Any, Any]:
        raise NotImplementedError

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
