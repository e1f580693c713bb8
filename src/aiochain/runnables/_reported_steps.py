"""Runs of the runnables that do not report their own (prompts, parsers, lambdas, parallel
steps, generators, ...): started by whoever calls them (a sequence, a parallel step, the root of
`astream_events`) when a callback handler listens, as LangChain's `_call_with_config` does.

A run is `on_chain_start(..., run_type="prompt" | "parser" | "chain")`, the step's work with
the run's child manager as its callbacks (so its own children name it as their parent, and a
`RunnableLambda` hands it on through `current_config`), then `on_chain_end` or
`on_chain_error`. A streaming step's output is tapped for `on_*_stream` events. Runnables that
report their own runs (models, tools, sequences, chains) are called as they are.

Nothing here runs without a handler: callers check `listening(config)` first.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .._config import RunnableConfig, current_config, merge_configs
from ..callbacks._dispatch import context_handlers
from ..callbacks._event_stream import _NO_INPUT, tap_output
from ..callbacks._manager_base import BaseCallbackManager
from ..callbacks._managers import AsyncCallbackManager
from ..callbacks._model_runs import manager_for, run_config
from .base import join_chunks, takes_config


def listening(config: RunnableConfig | None) -> bool:
    """Whether a run with `config` has a handler to report to."""
    return (config is not None and config.get("callbacks") is not None) or bool(
        context_handlers.get()
    )


def reports_own_runs(step: Any) -> bool:
    """Whether `step` starts its own run when called with callbacks (models, tools, chains,
    sequences); a binding is as the runnable it binds."""
    while (bound := getattr(type(step), "bound_runnable", None)) is not None:
        step = bound(step)
    return bool(getattr(step, "reports_own_runs", False))


def step_config(config: RunnableConfig, tag: str | None) -> RunnableConfig:
    """The config of a composite's step: its callbacks get the step's `tag` (`seq:step:2`),
    not inherited by the step's own children, as in LangChain."""
    callbacks = config.get("callbacks")
    if tag is None or not isinstance(callbacks, BaseCallbackManager):
        return config
    tagged = type(callbacks)(
        callbacks.handlers,
        callbacks.inheritable_handlers,
        callbacks.parent_run_id,
        tags=[*callbacks.tags, tag],
        inheritable_tags=callbacks.inheritable_tags,
        metadata=callbacks.metadata,
        inheritable_metadata=callbacks.inheritable_metadata,
    )
    return {**config, "callbacks": tagged}


def _naming(step: Any, config: RunnableConfig) -> tuple[RunnableConfig, str, str]:
    own = getattr(step, "config", None) if getattr(type(step), "bound_runnable", None) else None
    if isinstance(own, dict):  # a binding's `with_config(run_name=..., tags=...)` names the run
        config = merge_configs(own, config) if config else own  # type: ignore[arg-type,assignment]
    name = config.get("run_name") or step.get_name()
    return config, name, str(getattr(step, "run_type", "chain"))


_LEAVES = frozenset({"prompt", "parser"})


def _inherited(step: Any, config: RunnableConfig) -> Any:
    """The manager a parent handed down in `config`, when it already holds everything
    `manager_for` would merge in (the step has no handlers, tags or metadata of its own, and
    the config's tags and metadata are the manager's): a step run then builds no manager."""
    callbacks = config.get("callbacks")
    if type(callbacks) is not AsyncCallbackManager:
        return None
    if getattr(step, "callbacks", None) or getattr(step, "tags", None):
        return None
    if getattr(step, "metadata", None):
        return None
    tags = config.get("tags")
    if tags and not set(tags) <= set(callbacks.tags):
        return None
    metadata = config.get("metadata")
    if metadata and any(callbacks.metadata.get(k, _NO_INPUT) != v for k, v in metadata.items()):
        return None
    if any(h not in callbacks.handlers for h in context_handlers.get()):
        return None
    return callbacks


async def start_run(step: Any, input: Any, config: RunnableConfig) -> tuple[Any, RunnableConfig]:
    """(run manager or None, config for the step's work) for a run of `step`."""
    config, name, run_type = _naming(step, config)
    manager = _inherited(step, config)
    if manager is None:
        manager = manager_for(step, config)
    if manager is None:
        return None, config
    run = await manager.on_chain_start(
        None, input, name=name, run_type=run_type, run_id=config.get("run_id")
    )
    if run_type in _LEAVES:  # starts no runs: no child manager to build
        return run, config
    return run, run_config(config, run)


async def traced_call(
    step: Any,
    input: Any,
    config: RunnableConfig,
    call: Callable[[Any, RunnableConfig], Awaitable[Any]],
    *,
    own: bool = False,
) -> Any:
    """`call(input, config)` as a run of `step` (see the module docstring); `own`: `step`
    is reporting its own run (a sequence), not being run as a step."""
    if not own and reports_own_runs(step):
        return await call(input, config)
    run, inner = await start_run(step, input, config)
    if run is None:
        reporting = reported_step.set(step)  # nobody to report to: not again by the step
        try:
            return await call(input, config)
        finally:
            reported_step.reset(reporting)
    scope = current_config.set(inner)
    reporting = reported_step.set(step)
    try:
        output = await call(input, inner)
    except BaseException as exc:
        await run.on_chain_error(exc)
        raise
    finally:
        reported_step.reset(reporting)
        current_config.reset(scope)
    await run.on_chain_end(output)
    return output


# The step whose run `traced_call` is reporting, while its work runs: a step called directly
# with callbacks (`RunnableLambda(f).invoke(x, {"callbacks": [...]})`, as LangChain reports it)
# starts its own run unless it is this one.
reported_step: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "aiochain_reported_step", default=None
)


def called_directly_with_handlers(step: Any, config: RunnableConfig | None) -> bool:
    """Whether `step` was called with callbacks by a caller that reports no run for it."""
    return (
        config is not None
        and config.get("callbacks") is not None
        and reported_step.get() is not step
    )


async def call_step(step: Any, input: Any, config: RunnableConfig, tag: str | None = None) -> Any:
    """`step.ainvoke(input, config)` as a step of a composite that has a listening handler."""
    config = step_config(config, tag)
    return await traced_call(step, input, config, step.ainvoke)


async def traced_stream(
    step: Any,
    input: Any,
    config: RunnableConfig,
    stream: Callable[[Any, RunnableConfig], AsyncIterator[Any]],
    *,
    own: bool = False,
) -> AsyncIterator[Any]:
    """`stream(input, config)` as a run of `step`, ending with the joined output; its chunks
    are `on_*_stream` events (but a prompt's, as in LangChain)."""
    if not own and reports_own_runs(step):
        async for chunk in stream(input, config):
            yield chunk
        return
    run, inner = await start_run(step, input, config)
    if run is None:
        async for chunk in stream(input, config):
            yield chunk
        return
    pieces: list[Any] = []
    output = _collect(stream(input, inner), pieces, inner, step)
    if getattr(step, "run_type", "chain") != "prompt":
        output = tap_output(run, output)
    try:
        async for chunk in output:
            yield chunk
    except BaseException as exc:
        await run.on_chain_error(exc)
        raise
    await run.on_chain_end(join_chunks(pieces))


async def traced_transform(
    step: Any,
    chunks: AsyncIterator[Any],
    config: RunnableConfig,
    transform: Callable[[AsyncIterator[Any], RunnableConfig], AsyncIterator[Any]],
) -> AsyncIterator[Any]:
    """`transform(chunks, config)` as a run of `step` that starts on its first input chunk
    (with no input yet) and ends with its joined input and output, as LangChain reports it."""
    if reports_own_runs(step):
        async for chunk in transform(chunks, config):
            yield chunk
        return
    first = await anext(chunks, _NO_INPUT)
    run, inner = await start_run(step, _NO_INPUT, config)
    seen: list[Any] = []

    async def inputs() -> AsyncIterator[Any]:
        if first is not _NO_INPUT:
            seen.append(first)
            yield first
        async for chunk in chunks:
            seen.append(chunk)
            yield chunk

    if run is None:
        async for chunk in transform(inputs(), config):
            yield chunk
        return
    pieces: list[Any] = []
    output = tap_output(run, _collect(transform(inputs(), inner), pieces, inner, step))
    try:
        async for chunk in output:
            yield chunk
    except BaseException as exc:
        await run.on_chain_error(exc)
        raise
    await run.on_chain_end(join_chunks(pieces), inputs=join_chunks(seen))


async def _collect(
    output: AsyncIterator[Any], pieces: list[Any], config: RunnableConfig, step: Any
) -> AsyncIterator[Any]:
    """`output`, keeping its chunks, each step of it run with `config` as the current one (so
    a generator's own calls and custom events belong to its run) and `step` as the one whose
    run is reported."""
    while True:
        scope = current_config.set(config)
        reporting = reported_step.set(step)
        try:
            chunk = await anext(output)
        except StopAsyncIteration:
            return
        finally:
            reported_step.reset(reporting)
            current_config.reset(scope)
        pieces.append(chunk)
        yield chunk


def step_stream(step: Any, value: Any, config: RunnableConfig) -> AsyncIterator[Any]:
    """The stream of `step` on `value`, as a run of its own when it reports none itself."""
    if not takes_config(step):
        return step.astream(value)  # type: ignore[no-any-return]
    return traced_stream(step, value, config, step.astream)


def step_transform(step: Any, chunks: AsyncIterator[Any], config: RunnableConfig) -> Any:
    """`step.atransform(chunks)`, as a run of its own when it reports none itself."""
    if not takes_config(step):
        return step.atransform(chunks)
    return traced_transform(step, chunks, config, step.atransform)


def transforms_streams(step: Any) -> bool:
    """Whether `step` works on its input as a stream (lambdas, parsers, generators,
    passthrough and parallel steps) rather than on its whole input (prompts, models, tools)."""
    while (bound := getattr(type(step), "bound_runnable", None)) is not None:
        step = bound(step)
    return bool(getattr(step, "transforms_streams", False))


async def _whole_then_stream(
    step: Any, chunks: AsyncIterator[Any], config: RunnableConfig
) -> AsyncIterator[Any]:
    value = join_chunks([chunk async for chunk in chunks])
    async for chunk in step_stream(step, value, config):
        yield chunk


async def traced_sequence_stream(sequence: Any, input: Any, config: RunnableConfig) -> Any:
    """A sequence's `astream` with a listening handler, as LangChain runs it: its run, and
    each step a run of its own tagged `seq:step:N` that transforms the stream of the one
    before (a step that needs its whole input waits for it, then streams)."""
    steps = sequence.steps

    async def run_steps(value: Any, inner: RunnableConfig) -> AsyncIterator[Any]:
        async def source() -> AsyncIterator[Any]:
            yield value

        chunks: AsyncIterator[Any] = source()
        for index, step in enumerate(steps):
            tagged = step_config(inner, f"seq:step:{index + 1}")
            if transforms_streams(step):
                chunks = step_transform(step, chunks, tagged)
            else:
                chunks = _whole_then_stream(step, chunks, tagged)
        async for chunk in chunks:
            yield chunk

    async for chunk in traced_stream(sequence, input, config, run_steps, own=True):
        yield chunk
