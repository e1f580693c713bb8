"""Running a runnable over many inputs: `amap`, `as_completed`, `abatch`, `batch` and their
as-completed forms, on the worker pool of `_runner.py`; mixed into `Runnable`.

Also how a runnable is called with a config (`bound_call`): runnables written before configs
existed (`async def ainvoke(self, input)`) are called without one.
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

from .._config import (
    RunnableConfig,
    accepts_config,
    batch_limit,
    config_list,
    current_config,
)
from .._exceptions import UsageError
from .._pipeline.run_stats import ProgressCallback, RunStats
from . import _runner
from ._sync import iterate_sync, run_sync

InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")

Config = RunnableConfig | None
BatchConfig = RunnableConfig | Sequence[RunnableConfig] | None

_TAKES_CONFIG: dict[type, bool] = {}


def takes_config(step: Batching[Any, Any]) -> bool:
    """Whether `step.ainvoke` accepts `config` (runnables written before configs do not)."""
    cls = type(step)
    try:
        return _TAKES_CONFIG[cls]
    except KeyError:
        takes = _TAKES_CONFIG[cls] = accepts_config(cls.ainvoke)
        return takes


def bound_call(
    step: Batching[Any, Any], config: Config, kwargs: Mapping[str, Any]
) -> Callable[[Any], Awaitable[Any]]:
    """`step.ainvoke` as a one-argument function carrying `config` and `kwargs`."""
    if config is None and not kwargs:
        return step.ainvoke
    if not takes_config(step):
        if kwargs:
            raise UsageError(f"{type(step).__name__}.ainvoke takes no keyword arguments")
        return step.ainvoke  # written before configs: it runs without one
    return lambda value: step.ainvoke(value, config, **kwargs)


class Batching(Generic[InputT, OutputT]):
    """The many-inputs methods of `Runnable` (see there)."""

    async def ainvoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input."""
        raise NotImplementedError

    def astream(self, input: InputT, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Yield the output in pieces as it is produced."""
        raise NotImplementedError

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
        """`abatch`, blocking; async code does better to await the async method."""
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
        """`abatch_as_completed` from sync code; async code does better to await it."""
        return iterate_sync(
            lambda: self.abatch_as_completed(
                inputs, config, return_exceptions=return_exceptions, **kwargs
            ),
            name=f"{type(self).__name__}.batch_as_completed",
            async_name="abatch_as_completed",
        )


def _pick_concurrency(concurrency: int | None, config: BatchConfig, default: int) -> int:
    """The workers of a batch: `concurrency` if given, else the config's limit, else `default`."""
    if concurrency is not None:
        return concurrency
    return batch_limit(config) or default
