"""How a `Chain` runs with callbacks: `on_chain_start`, its `_acall` with a run manager, and
`on_chain_end` / `on_chain_error`; the runs it starts inherit its handlers through the context.

`Chain.ainvoke` comes here only when a config, handlers or `verbose` are around; otherwise it
calls `_acall` directly.
"""

from __future__ import annotations

import inspect
from typing import Any

from .._config import RunnableConfig, current_config, merge_configs
from ..callbacks._managers import AsyncCallbackManagerForChainRun
from ..callbacks._model_runs import manager_for, run_config

_TAKES_RUN_MANAGER: dict[tuple[type, str], bool] = {}


def takes_run_manager(cls: type, method: str = "_acall") -> bool:
    """Whether `cls.<method>` takes LangChain's `run_manager` argument."""
    key = (cls, method)
    try:
        return _TAKES_RUN_MANAGER[key]
    except KeyError:
        try:
            parameters = inspect.signature(getattr(cls, method)).parameters
        except (TypeError, ValueError):
            parameters = {}  # type: ignore[assignment]
        takes = _TAKES_RUN_MANAGER[key] = "run_manager" in parameters
        return takes


def with_call_options(
    config: RunnableConfig | None,
    callbacks: Any,
    tags: list[str] | None,
    metadata: dict[str, Any] | None,
    run_name: str | None,
) -> RunnableConfig:
    """`config` with a call's `callbacks=`, `tags=`, `metadata=`, `run_name=` added."""
    extra: dict[str, Any] = {}
    if callbacks is not None:
        extra["callbacks"] = callbacks
    if tags:
        extra["tags"] = list(tags)
    if metadata:
        extra["metadata"] = dict(metadata)
    if run_name:
        extra["run_name"] = run_name
    return merge_configs(config, extra)  # type: ignore[arg-type]


_NOOP_RUN: AsyncCallbackManagerForChainRun | None = None


def noop_run() -> AsyncCallbackManagerForChainRun:
    """One shared run manager without handlers, for `_acall`s that expect one either way."""
    global _NOOP_RUN
    if _NOOP_RUN is None:
        _NOOP_RUN = AsyncCallbackManagerForChainRun.get_noop_manager()
    return _NOOP_RUN


async def call_acall(
    chain: Any, inputs: dict[str, Any], run: AsyncCallbackManagerForChainRun | None
) -> Any:
    """`chain._acall(inputs)`, with `run_manager=` when it takes one (a shared one without
    handlers when there is no run: LangChain code may use it unchecked)."""
    if takes_run_manager(type(chain)):
        return await chain._acall(inputs, run_manager=run or noop_run())
    return await chain._acall(inputs)


async def run_chain(
    chain: Any, input: Any, config: RunnableConfig | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run `chain` as a run its handlers hear; return its inputs and outputs."""
    manager = manager_for(chain, config, verbose=chain.verbose)
    inputs = chain.prep_inputs(input)
    if manager is None:
        outputs = await call_acall(chain, inputs, None)
        chain._check_outputs(outputs)
        return inputs, outputs
    base = config if config is not None else current_config.get()
    name = (base or {}).get("run_name") or type(chain).__name__
    serialized = {"lc": 1, "type": "not_implemented", "id": ["aiochain", "chains", name]}
    serialized["name"] = name
    run = await manager.on_chain_start(
        serialized, inputs, name=name, run_id=(base or {}).get("run_id")
    )
    scope = current_config.set(run_config(config, run))
    try:
        outputs = await call_acall(chain, inputs, run)
        chain._check_outputs(outputs)
    except BaseException as exc:
        current_config.reset(scope)
        await run.on_chain_error(exc)
        raise
    current_config.reset(scope)
    await run.on_chain_end(outputs)
    return inputs, outputs
