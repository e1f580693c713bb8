"""`adispatch_custom_event` / `dispatch_custom_event`: a step's own events, heard by the
handlers of the run it belongs to (and by `astream_events` as `on_custom_event`).

    async def reindex(docs, config):
        await adispatch_custom_event("progress", {"done": 1, "of": 3}, config=config)

Called inside a run (a `RunnableLambda`, a `RunnableGenerator`, a tool), it names that run as
its `run_id`, as LangChain's does; outside any run it raises `UsageError`.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from .._config import RunnableConfig, current_config
from .._exceptions import UsageError
from ._dispatch import adispatch
from ._model_runs import manager_for

_NO_PARENT = (
    "a custom event can only be dispatched from inside a run (a RunnableLambda, a "
    "RunnableGenerator or a tool called with callbacks or from astream_events); pass the "
    "step's config= when it is not inherited"
)


def _manager(config: RunnableConfig | None) -> Any:
    manager = manager_for(None, config if config is not None else current_config.get())
    if manager is not None and manager.parent_run_id is None:
        raise UsageError(_NO_PARENT)
    return manager


async def adispatch_custom_event(
    name: str, data: Any, *, config: RunnableConfig | None = None
) -> None:
    """Send `data` under `name` to the handlers of the run this is called from."""
    manager = _manager(config)
    if manager is None:
        return  # nobody listens
    await adispatch(
        manager.handlers,
        "on_custom_event",
        name,
        data,
        run_id=manager.parent_run_id,
        tags=manager.tags,
        metadata=manager.metadata,
    )


def dispatch_custom_event(name: str, data: Any, *, config: RunnableConfig | None = None) -> None:
    """`adispatch_custom_event` from sync code: sync handlers are called now, async ones are
    scheduled on the running event loop (or run to the end when there is none)."""
    manager = _manager(config)
    if manager is None:
        return
    for handler in manager.handlers:
        if getattr(handler, "ignore_custom_event", False):
            continue
        result = handler.on_custom_event(
            name,
            data,
            run_id=manager.parent_run_id,
            tags=manager.tags,
            metadata=manager.metadata,
        )
        if inspect.isawaitable(result):
            try:
                task = asyncio.get_running_loop().create_task(_wait(result))
            except RuntimeError:
                asyncio.run(_wait(result))
            else:
                _pending.add(task)  # held until done: the loop keeps only a weak reference
                task.add_done_callback(_pending.discard)


_pending: set[asyncio.Task[None]] = set()


async def _wait(result: Any) -> None:
    await result
