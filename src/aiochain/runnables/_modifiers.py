"""What `bind`, `with_config`, `with_retry`, `with_fallbacks`, `assign` and `pick` build.

Each wraps a runnable and adds nothing to a call that does not use it: a plain `prompt | llm`
never passes through this module.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from .._config import RunnableConfig, merge_configs
from .._exceptions import ConfigurationError, UsageError
from .._types import Sleep
from ..callbacks._event_stream import astream_events
from ._composition import RunnableParallel, RunnableSequence, coerce_runnable
from ._each import RunnableEach
from ._listeners import RunnableWithListeners
from ._reported_steps import call_step, listening, reports_own_runs, step_stream, traced_stream
from .base import (
    Config,
    ModifierFactory,
    PureRunnable,
    Runnable,
    bound_call,
    register_modifiers,
    takes_config,
)
from .configurable import RunnableConfigurableAlternatives, RunnableConfigurableFields

logger = logging.getLogger("aiochain")


class RunnableBinding(Runnable[Any, Any]):
    """A runnable called with fixed keyword arguments and/or a fixed config.

    Attributes:
        bound: the runnable wrapped.
        kwargs: added to every call (a call's own win).
        config: merged under every call's own config.
    """

    def __init__(
        self,
        bound: Runnable[Any, Any],
        *,
        kwargs: Mapping[str, Any] | None = None,
        config: RunnableConfig | None = None,
    ) -> None:
        self.bound = bound
        self.kwargs = dict(kwargs or {})
        self.config = config
        if self.kwargs and not takes_config(bound):
            raise UsageError(f"{type(bound).__name__}.ainvoke takes no keyword arguments")

    def _args(self, config: Config, kwargs: Mapping[str, Any]) -> tuple[Config, dict[str, Any]]:
        merged = merge_configs(self.config, config) if config is not None else self.config
        return merged, {**self.kwargs, **kwargs} if kwargs else self.kwargs

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Call the bound runnable with the fixed arguments and config added."""
        merged, arguments = self._args(config, kwargs)
        return await bound_call(self.bound, merged, arguments)(input)

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Stream from the bound runnable with the fixed arguments and config added."""
        merged, arguments = self._args(config, kwargs)
        if merged is None and not arguments:
            stream = self.bound.astream(input)
        else:
            stream = self.bound.astream(input, merged, **arguments)
        async for chunk in stream:
            yield chunk

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        merged, arguments = self._args(config, kwargs)
        if merged is None and not arguments:
            stream = self.bound.atransform(chunks)
        else:
            stream = self.bound.atransform(chunks, merged, **arguments)
        async for chunk in stream:
            yield chunk

    def bound_runnable(self) -> Runnable[Any, Any]:
        """The runnable whose runs this one's are (for callback reporting)."""
        return self.bound

    async def abatch(
        self,
        inputs: Any,
        config: Any = None,
        *,
        return_exceptions: bool = False,
        concurrency: int | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """`abatch`, its config's `max_concurrency` (from `with_config`) capping the batch."""
        if concurrency is None and self.config is not None:
            own = self.config.get("max_concurrency")
            given = [config] if isinstance(config, dict) else list(config or [])
            limits = [int(c["max_concurrency"]) for c in given if c and c.get("max_concurrency")]
            concurrency = min(limits) if limits else own
        return await super().abatch(
            inputs,
            config,
            return_exceptions=return_exceptions,
            concurrency=concurrency,
            **kwargs,
        )

    def bind(self, **kwargs: Any) -> Runnable[Any, Any]:
        if type(self) is not RunnableBinding:  # a retry keeps retrying what it binds
            return RunnableBinding(self, kwargs=kwargs)
        return RunnableBinding(self.bound, kwargs={**self.kwargs, **kwargs}, config=self.config)

    def __getattr__(self, name: str) -> Any:
        # LangChain's bindings forward attribute reads (`bound.model`, `bound.bind_tools`).
        if name.startswith("__") or name == "bound":
            raise AttributeError(name)
        return getattr(self.bound, name)

    def __repr__(self) -> str:
        return f"RunnableBinding(bound={self.bound!r}, kwargs={self.kwargs!r})"


class RunnableRetry(RunnableBinding):
    """A runnable retried on the listed exceptions, with exponential backoff and jitter.

    The wait before retry `n` (0-based) is `min(initial * exp_base**n + uniform(0, jitter),
    max)`, as LangChain's tenacity policy; a `retry_after` on the error (a 429) wins when
    longer. The real last error is raised. Each input of a batch is retried on its own.
    """

    def __init__(
        self,
        bound: Runnable[Any, Any],
        *,
        retry_if_exception_type: tuple[type[BaseException], ...] = (Exception,),
        wait_exponential_jitter: bool = True,
        exponential_jitter_params: Mapping[str, float] | None = None,
        stop_after_attempt: int = 3,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(bound)
        if not isinstance(stop_after_attempt, int) or stop_after_attempt < 1:
            raise ConfigurationError(
                f"stop_after_attempt must be an integer >= 1, got {stop_after_attempt!r}"
            )
        params = {"initial": 1.0, "max": 60.0, "exp_base": 2.0, "jitter": 1.0}
        unknown = set(exponential_jitter_params or {}) - set(params)
        if unknown:
            raise ConfigurationError(f"unknown exponential_jitter_params {sorted(unknown)}")
        params.update(exponential_jitter_params or {})
        self.retry_if_exception_type = tuple(retry_if_exception_type)
        # Programmer mistakes fail the same way every time: retried only when listed by name.
        self._retries_usage_errors = any(issubclass(t, UsageError) for t in retry_if_exception_type)
        self.wait_exponential_jitter = wait_exponential_jitter
        self.params = params
        self.stop_after_attempt = stop_after_attempt
        self.sleep = sleep
        self.rand = rand

    def wait_before(self, retry: int, error: BaseException) -> float:
        """Seconds to wait before retry number `retry` (0-based) after `error`."""
        if not self.wait_exponential_jitter:
            return 0.0
        p = self.params
        wait = min(p["initial"] * p["exp_base"] ** retry + p["jitter"] * self.rand(), p["max"])
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > 0:
            wait = max(wait, min(float(retry_after), p["max"]))
        return wait

    def _gives_up_on(self, error: BaseException) -> bool:
        return isinstance(error, UsageError) and not self._retries_usage_errors

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Call the bound runnable until it succeeds or the attempts are used up."""
        call = bound_call(self.bound, config, kwargs)
        retry = 0
        while True:
            try:
                return await call(input)
            except self.retry_if_exception_type as exc:
                if retry + 1 >= self.stop_after_attempt or self._gives_up_on(exc):
                    raise
                wait = self.wait_before(retry, exc)
                logger.debug(
                    "with_retry: attempt %d failed (%r); retrying in %.2f s", retry + 1, exc, wait
                )
                retry += 1
                if wait:
                    await self.sleep(wait)

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Stream; a failure before the first piece is retried, one after it is raised."""
        retry = 0
        while True:
            started = False
            try:
                async for chunk in self.bound.astream(input, config, **kwargs):
                    started = True
                    yield chunk
                return
            except self.retry_if_exception_type as exc:
                if started or retry + 1 >= self.stop_after_attempt or self._gives_up_on(exc):
                    raise
                wait = self.wait_before(retry, exc)
                retry += 1
                if wait:
                    await self.sleep(wait)


class RunnableWithFallbacks(Runnable[Any, Any]):
    """A runnable that tries other runnables, in order, when it fails.

    When every one fails, the first error is raised (as LangChain does), with the later ones
    chained as its context.
    """

    def __init__(
        self,
        runnable: Runnable[Any, Any],
        fallbacks: Sequence[Any],
        *,
        exceptions_to_handle: tuple[type[BaseException], ...] = (Exception,),
        exception_key: str | None = None,
    ) -> None:
        if not fallbacks:
            raise ConfigurationError("with_fallbacks needs at least one fallback")
        self.runnable = runnable
        self.fallbacks = [coerce_runnable(f) for f in fallbacks]
        self.exceptions_to_handle = tuple(exceptions_to_handle)
        self.exception_key = exception_key

    @property
    def runnables(self) -> list[Runnable[Any, Any]]:
        return [self.runnable, *self.fallbacks]

    def _input_for(self, input: Any, error: BaseException | None) -> Any:
        if self.exception_key is None or error is None:
            return input
        if not isinstance(input, Mapping):
            raise UsageError(
                f"with_fallbacks(exception_key={self.exception_key!r}) needs dict inputs, "
                f"got {type(input).__name__}"
            )
        return {**input, self.exception_key: error}

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Call each runnable in turn until one succeeds."""
        first: BaseException | None = None
        last: BaseException | None = None
        traced = config is not None and listening(config) and not kwargs
        for runnable in self.runnables:
            try:
                value = self._input_for(input, last)
                if traced:  # each attempt a run of its own, as in LangChain
                    return await call_step(runnable, value, config)  # type: ignore[arg-type]
                return await bound_call(runnable, config, kwargs)(value)
            except self.exceptions_to_handle as exc:
                first = first or exc
                last = exc
        assert first is not None
        raise first

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Stream from each runnable in turn until one yields its first piece."""
        first: BaseException | None = None
        last: BaseException | None = None
        traced = config is not None and listening(config) and not kwargs
        for runnable in self.runnables:
            value = self._input_for(input, last)
            if traced:  # each attempt a run of its own, as in LangChain
                stream = step_stream(runnable, value, config)  # type: ignore[arg-type]
            else:
                stream = runnable.astream(value, config, **kwargs)
            try:
                head = await anext(stream)
            except StopAsyncIteration:
                return
            except self.exceptions_to_handle as exc:
                first = first or exc
                last = exc
                continue
            yield head
            async for chunk in stream:
                yield chunk
            return
        assert first is not None
        raise first


class RunnableAssign(Runnable[Any, dict[str, Any]]):
    """The input dict with the outputs of `mapper`'s branches added (`.assign(**steps)`)."""

    transforms_streams = True

    def __init__(self, mapper: RunnableParallel) -> None:
        self.mapper = mapper

    def _check(self, input: Any) -> Mapping[str, Any]:
        if not isinstance(input, Mapping):
            raise UsageError(
                f"assign() needs a dict input, got {type(input).__name__}; "
                "start with RunnablePassthrough() or a step that returns a dict"
            )
        return input

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> dict[str, Any]:
        """Run the branches on the input and return the input with their outputs added."""
        if config is not None and listening(config):  # the mapper is a run, as in LangChain
            added = await call_step(self.mapper, self._check(input), config)
            return {**input, **added}
        added = await self.mapper.ainvoke(self._check(input), config)
        return {**input, **added}

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        keys = ",".join(self.mapper.steps)
        return super().get_name(suffix, name=name or f"RunnableAssign<{keys}>")

    def __repr__(self) -> str:
        return f"RunnableAssign({', '.join(self.mapper.steps)})"


class RunnablePick(PureRunnable[Any, Any]):
    """One key of a dict (a str) or a dict of the keys present (a list); `.pick(keys)`."""

    transforms_streams = True

    def __init__(self, keys: str | Sequence[str]) -> None:
        self.keys = keys

    def invoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        if not isinstance(input, Mapping):
            raise UsageError(f"pick() needs a dict input, got {type(input).__name__}")
        if isinstance(self.keys, str):
            return input.get(self.keys)
        return {key: input[key] for key in self.keys if key in input}

    def __repr__(self) -> str:
        return f"RunnablePick({self.keys!r})"


class _Factory(ModifierFactory):
    def sequence(self, *steps: Any) -> Runnable[Any, Any]:
        return RunnableSequence(*steps)

    def binding(
        self,
        bound: Runnable[Any, Any],
        *,
        kwargs: Mapping[str, Any] | None = None,
        config: RunnableConfig | None = None,
    ) -> Runnable[Any, Any]:
        return RunnableBinding(bound, kwargs=kwargs, config=config)

    def retry(self, bound: Runnable[Any, Any], **options: Any) -> Runnable[Any, Any]:
        return RunnableRetry(bound, **options)

    def fallbacks(
        self, bound: Runnable[Any, Any], fallbacks: Sequence[Runnable[Any, Any]], **options: Any
    ) -> Runnable[Any, Any]:
        return RunnableWithFallbacks(bound, fallbacks, **options)

    def assign(self, steps: Mapping[str, Any]) -> Runnable[Any, Any]:
        return RunnableAssign(RunnableParallel(steps))

    def pick(self, keys: str | Sequence[str]) -> Runnable[Any, Any]:
        return RunnablePick(keys)

    def astream_events(self, runnable: Any, input: Any, config: Config, **options: Any) -> Any:
        return astream_events(runnable, input, config, stream=_root_stream, **options)

    def each(self, bound: Runnable[Any, Any]) -> Runnable[Any, Any]:
        return RunnableEach(bound)

    def listeners(self, bound: Runnable[Any, Any], *listeners: Any, is_async: bool) -> Any:
        return RunnableWithListeners(bound, *listeners, is_async=is_async)

    def configurable_fields(self, bound: Runnable[Any, Any], fields: dict[str, Any]) -> Any:
        return RunnableConfigurableFields(bound, fields)

    def configurable_alternatives(
        self, bound: Runnable[Any, Any], which: Any, alternatives: dict[str, Any], **options: Any
    ) -> Any:
        return RunnableConfigurableAlternatives(bound, which, alternatives, **options)


def _root_stream(runnable: Any, input: Any, config: RunnableConfig, kwargs: Any) -> Any:
    """The stream `astream_events` runs: the runnable's `astream`, as a run of its own when
    it reports none itself."""
    if reports_own_runs(runnable):
        return runnable.astream(input, config, **kwargs)
    return traced_stream(
        runnable, input, config, lambda value, inner: runnable.astream(value, inner, **kwargs)
    )


register_modifiers(_Factory())
