"""Callback managers: who hears a run's events, and the run managers LangChain code receives.

A manager holds the handlers of a run (`handlers`) and those its child runs inherit
(`inheritable_handlers`), with tags and metadata split the same way, and the id of the parent
run. `configure` builds one from a call's `callbacks` (a list of handlers, or a manager from
`run_manager.get_child()`), the object's own handlers, `verbose`, and the handlers of the
context (`get_openai_callback()`); it returns None when nobody listens, so that a call without
handlers does no callback work at all.

Starting a run (`on_chain_start`, `on_chat_model_start`, ...) calls every handler and returns
a run manager (`AsyncCallbackManagerForChainRun`, ...) for the rest of that run's events; its
`get_child()` is the manager child runs start from. A handler that raises is logged and
skipped unless its `raise_error` is set.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from ._dispatch import adispatch, context_handlers
from ._manager_base import BaseCallbackManager, BaseRunManager, Callbacks, configure_manager
from ._manager_base import _handlers_of as _handlers_of
from ._sync_managers import (
    CallbackManager,
    CallbackManagerForChainRun,
    CallbackManagerForLLMRun,
    CallbackManagerForToolRun,
)

__all__ = [
    "AsyncCallbackManager",
    "AsyncCallbackManagerForChainRun",
    "AsyncCallbackManagerForLLMRun",
    "AsyncCallbackManagerForToolRun",
    "AsyncParentRunManager",
    "AsyncRunManager",
    "BaseCallbackManager",
    "BaseRunManager",
    "CallbackManager",
    "CallbackManagerForChainRun",
    "CallbackManagerForLLMRun",
    "Callbacks",
    "configure",
    "context_handlers",
]


class AsyncCallbackManager(BaseCallbackManager):
    """Starts runs and calls the handlers' start events (awaiting async handlers)."""

    @property
    def is_async(self) -> bool:
        return True

    async def on_chain_start(
        self, serialized: dict[str, Any] | None, inputs: Any, run_id: UUID | None = None, **kw: Any
    ) -> AsyncCallbackManagerForChainRun:
        start = self._start(run_id)
        await adispatch(self.handlers, "on_chain_start", serialized or {}, inputs, **start, **kw)
        return AsyncCallbackManagerForChainRun(**self._run_fields(start["run_id"]))

    async def on_llm_start(
        self, serialized: dict[str, Any], prompts: list[str], run_id: UUID | None = None, **kw: Any
    ) -> list[AsyncCallbackManagerForLLMRun]:
        runs = []
        for prompt in prompts:
            start = self._start(run_id if len(prompts) == 1 else None)
            await adispatch(self.handlers, "on_llm_start", serialized, [prompt], **start, **kw)
            runs.append(AsyncCallbackManagerForLLMRun(**self._run_fields(start["run_id"])))
        return runs

    async def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        run_id: UUID | None = None,
        **kw: Any,
    ) -> list[AsyncCallbackManagerForLLMRun]:
        runs = []
        for conversation in messages:
            start = self._start(run_id if len(messages) == 1 else None)
            await adispatch(
                self.handlers, "on_chat_model_start", serialized, [conversation], **start, **kw
            )
            runs.append(AsyncCallbackManagerForLLMRun(**self._run_fields(start["run_id"])))
        return runs

    async def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        run_id: UUID | None = None,
        parent_run_id: UUID | None = None,
        inputs: dict[str, Any] | None = None,
        **kw: Any,
    ) -> AsyncCallbackManagerForToolRun:
        start = self._start(run_id)
        await adispatch(
            self.handlers, "on_tool_start", serialized, input_str, inputs=inputs, **start, **kw
        )
        return AsyncCallbackManagerForToolRun(**self._run_fields(start["run_id"]))


# --- run managers ---------------------------------------------------------------------------


class AsyncRunManager(BaseRunManager):
    """Events any async run may report."""

    async def on_text(self, text: str, **kwargs: Any) -> None:
        if self.handlers:
            await adispatch(self.handlers, "on_text", text, **self._ids(), **kwargs)

    async def on_retry(self, retry_state: Any, **kwargs: Any) -> None:
        if self.handlers:
            ids = {"run_id": self.run_id, "parent_run_id": self.parent_run_id}
            await adispatch(self.handlers, "on_retry", retry_state, **ids, **kwargs)


class AsyncParentRunManager(AsyncRunManager):
    """A run that starts other runs (a chain, a tool)."""

    def get_child(self, tag: str | None = None) -> AsyncCallbackManager:
        """The manager for runs this one starts (pass it as their `callbacks=`)."""
        child: AsyncCallbackManager = self._child(AsyncCallbackManager, tag)
        return child


class AsyncCallbackManagerForChainRun(AsyncParentRunManager):
    """The run manager a chain's `_acall(inputs, run_manager)` receives."""

    def get_sync(self) -> CallbackManagerForChainRun:
        """This run's manager for sync code; async handlers run on this run's event loop."""
        run = CallbackManagerForChainRun(**self._fields())
        try:
            run.loop = asyncio.get_running_loop()
        except RuntimeError:
            run.loop = None
        return run

    async def on_chain_end(self, outputs: Any, **kwargs: Any) -> None:
        if self.handlers:
            await adispatch(self.handlers, "on_chain_end", outputs, **self._ids(), **kwargs)

    async def on_chain_error(self, error: BaseException, **kwargs: Any) -> None:
        if self.handlers:
            await adispatch(self.handlers, "on_chain_error", error, **self._ids(), **kwargs)

    async def on_agent_action(self, action: Any, **kwargs: Any) -> None:
        if self.handlers:
            await adispatch(self.handlers, "on_agent_action", action, **self._ids(), **kwargs)

    async def on_agent_finish(self, finish: Any, **kwargs: Any) -> None:
        if self.handlers:
            await adispatch(self.handlers, "on_agent_finish", finish, **self._ids(), **kwargs)


class AsyncCallbackManagerForLLMRun(AsyncRunManager):
    """The run manager of one model call."""

    async def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        await adispatch(
            self.handlers, "on_llm_new_token", token, chunk=chunk, **self._ids(), **kwargs
        )

    async def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        await adispatch(self.handlers, "on_llm_end", response, **self._ids(), **kwargs)

    async def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        await adispatch(self.handlers, "on_llm_error", error, **self._ids(), **kwargs)


class AsyncCallbackManagerForToolRun(AsyncParentRunManager):
    """The run manager of one tool call."""

    def get_sync(self) -> CallbackManagerForToolRun:
        """This run's manager for sync code; async handlers run on this run's event loop."""
        run = CallbackManagerForToolRun(**self._fields())
        try:
            run.loop = asyncio.get_running_loop()
        except RuntimeError:
            run.loop = None
        return run

    async def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        await adispatch(self.handlers, "on_tool_end", output, **self._ids(), **kwargs)

    async def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        await adispatch(self.handlers, "on_tool_error", error, **self._ids(), **kwargs)


def configure(
    inheritable_callbacks: Any, local_callbacks: Any = None, **options: Any
) -> AsyncCallbackManager | None:
    """The async manager of a run, or None when no handler would hear it (see
    `configure_manager`)."""
    return configure_manager(
        AsyncCallbackManager, inheritable_callbacks, local_callbacks, **options
    )
