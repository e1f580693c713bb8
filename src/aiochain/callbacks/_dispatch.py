"""Calling handlers: one event to every handler that does not ignore it, awaiting async ones;
a handler that raises is logged and skipped unless its `raise_error` is set. Also the handlers
of the context (`context_handlers`), which every run hears."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Sequence
from typing import Any

from ..messages import get_buffer_string
from ._handlers import BaseCallbackHandler

logger = logging.getLogger("aiochain")

context_handlers: contextvars.ContextVar[tuple[BaseCallbackHandler, ...]] = contextvars.ContextVar(
    "aiochain_context_handlers", default=()
)
"""Handlers every run in this context hears (`get_openai_callback()` adds itself here)."""

_IGNORE = {
    "on_llm_start": "ignore_llm",
    "on_llm_new_token": "ignore_llm",
    "on_llm_end": "ignore_llm",
    "on_llm_error": "ignore_llm",
    "on_chat_model_start": "ignore_chat_model",
    "on_chain_start": "ignore_chain",
    "on_chain_end": "ignore_chain",
    "on_chain_error": "ignore_chain",
    "on_tool_start": "ignore_agent",
    "on_tool_end": "ignore_agent",
    "on_tool_error": "ignore_agent",
    "on_agent_action": "ignore_agent",
    "on_agent_finish": "ignore_agent",
    "on_retry": "ignore_retry",
    "on_retriever_start": "ignore_retriever",
    "on_retriever_end": "ignore_retriever",
    "on_retriever_error": "ignore_retriever",
    "on_custom_event": "ignore_custom_event",
}


def _fallback_to_llm_start(event: str, args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """`on_chat_model_start` not implemented: `on_llm_start` with each prompt as text."""
    serialized, messages = args
    return "on_llm_start", (serialized, [get_buffer_string(m) for m in messages])


def _failed(handler: BaseCallbackHandler, event: str, exc: Exception) -> None:
    if handler.raise_error:
        raise exc
    logger.warning("callback %s.%s raised %r", type(handler).__name__, event, exc)


async def adispatch(
    handlers: Sequence[BaseCallbackHandler], event: str, *args: Any, **kwargs: Any
) -> None:
    """Call `event` on every handler that does not ignore it, awaiting async ones in turn."""
    ignore = _IGNORE.get(event)
    for handler in handlers:
        if ignore is not None and getattr(handler, ignore):
            continue
        try:
            result = getattr(handler, event)(*args, **kwargs)
            if result is not None and inspect.isawaitable(result):
                await result
        except NotImplementedError as exc:
            if event != "on_chat_model_start":
                _failed(handler, event, exc)
                continue
            name, arguments = _fallback_to_llm_start(event, args)
            try:
                result = getattr(handler, name)(*arguments, **kwargs)
                if result is not None and inspect.isawaitable(result):
                    await result
            except Exception as fallback_exc:
                _failed(handler, name, fallback_exc)
        except Exception as exc:
            _failed(handler, event, exc)


_pending: set[asyncio.Task[None]] = set()
"""Fire-and-forget dispatches still running (see `dispatch`)."""


def dispatch(
    handlers: Sequence[BaseCallbackHandler],
    event: str,
    *args: Any,
    loop: asyncio.AbstractEventLoop | None = None,
    **kwargs: Any,
) -> None:
    """`adispatch` from sync code (a chain's `_call` in a worker thread): an async handler runs
    on `loop` when given (the caller waits for it), else on a private loop."""

    async def run() -> None:
        await adispatch(handlers, event, *args, **kwargs)

    if loop is not None and loop.is_running():
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run_coroutine_threadsafe(run(), loop).result()
            return
        # Called on the loop itself: it cannot wait. The loop keeps only a weak reference to a
        # task, so hold one until it is done, or the task may vanish mid-run (issue 23).
        task = loop.create_task(run())
        _pending.add(task)
        task.add_done_callback(_pending.discard)
        return
    asyncio.run(run())
