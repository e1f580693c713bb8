"""Runs reported to handlers besides model calls: tool calls and runnable sequences."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Coroutine
from typing import Any

from .._config import RunnableConfig, current_config
from ._managers import AsyncCallbackManager, context_handlers
from ._model_runs import inside_runnable, manager_for, run_config

# --- tools and sequences --------------------------------------------------------------------


# The run manager of the tool call in progress, for a tool function's `run_manager` parameter.
current_tool_run: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "aiochain_current_tool_run", default=None
)


def traced_tool(
    tool: Any, input: Any, config: RunnableConfig | None
) -> Coroutine[Any, Any, Any] | None:
    """A tool's `ainvoke` as a run reported to its handlers, or None when none listens."""
    if inside_runnable.get() is tool:
        return None
    manager = manager_for(tool, config)
    if manager is None:
        return None
    return _tool(tool, manager, input, config)


async def _tool(
    tool: Any, manager: AsyncCallbackManager, input: Any, config: RunnableConfig | None
) -> Any:
    arguments = (
        input.get("args") if isinstance(input, dict) and input.get("type") == "tool_call" else input
    )
    serialized = {"name": tool.name, "description": tool.description}
    run = await manager.on_tool_start(
        serialized,
        str(arguments),
        inputs=arguments if isinstance(arguments, dict) else None,
        name=tool.name,
    )
    inside = inside_runnable.set(tool)
    scope = current_config.set(run_config(config, run))
    running = current_tool_run.set(run)
    try:
        output = await tool.ainvoke(input, config)
    except Exception as exc:
        await run.on_tool_error(exc)
        raise
    finally:
        current_tool_run.reset(running)
        current_config.reset(scope)
        inside_runnable.reset(inside)
    await run.on_tool_end(output, name=tool.name)
    return output


async def traced_runnable(
    runnable: Any,
    input: Any,
    config: RunnableConfig,
    call: Callable[[Any, RunnableConfig], Coroutine[Any, Any, Any]],
) -> Any:
    """`call(input, config)` as a chain run of `runnable` (a sequence) when a handler listens;
    its steps get the run's child manager as their callbacks."""
    if config.get("callbacks") is None and not context_handlers.get():
        return await call(input, config)
    manager = manager_for(None, config)
    if manager is None:
        return await call(input, config)
    name = config.get("run_name") or type(runnable).__name__
    serialized = {"name": name, "id": ["aiochain", "runnables", type(runnable).__name__]}
    run = await manager.on_chain_start(serialized, input, name=name, run_id=config.get("run_id"))
    try:
        output = await call(input, run_config(config, run))
    except Exception as exc:
        await run.on_chain_error(exc)
        raise
    await run.on_chain_end(output)
    return output
