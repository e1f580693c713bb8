"""Runs reported to handlers besides single model calls: `agenerate_prompt(prompts,
callbacks=...)` (one model run per prompt), tool calls, and runnable sequences."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from ._callback_manager import AsyncCallbackManager, context_handlers
from ._config import RunnableConfig, current_config
from ._progress import current_stats
from ._traced import CallRecorder, inside_runnable, manager_for, run_config, start_model_run
from ._usage import Usage
from .outputs import Generation, LLMResult


async def traced_generate(
    model: Any,
    prompts: list[Any],
    callbacks: Any,
    generate: Callable[[Any], Coroutine[Any, Any, tuple[list[Generation], Usage]]],
) -> LLMResult:
    """`agenerate_prompt(prompts, callbacks=...)`: one model run per prompt, concurrently."""
    config: RunnableConfig | None = {"callbacks": callbacks} if callbacks is not None else None

    async def one(prompt: Any) -> tuple[list[Generation], Usage]:
        manager = manager_for(model, config)
        if manager is None:
            return await generate(prompt)
        run = await start_model_run(model, manager, prompt, config, {}, False)
        recorder = CallRecorder(current_stats.get(), run)
        counting = current_stats.set(recorder)
        try:
            generations, usage = await generate(prompt)
        except BaseException as exc:
            current_stats.reset(counting)
            await run.on_llm_error(exc)
            raise
        current_stats.reset(counting)
        await recorder.settle()
        result = LLMResult(
            [generations],
            {
                "token_usage": recorder.usage().to_dict(),
                "model_name": getattr(model, "model", None),
            },
            recorder.usage(),
        )
        await run.on_llm_end(result)
        return generations, usage

    results = await asyncio.gather(*(one(p) for p in prompts))
    total = Usage()
    for _, usage in results:
        total.add(usage)
    return LLMResult(
        generations=[g for g, _ in results],
        llm_output={"token_usage": total.to_dict(), "model_name": getattr(model, "model", None)},
        usage=total,
    )


# --- tools and sequences --------------------------------------------------------------------


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
    try:
        output = await tool.ainvoke(input, config)
    except Exception as exc:
        await run.on_tool_error(exc)
        raise
    finally:
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
