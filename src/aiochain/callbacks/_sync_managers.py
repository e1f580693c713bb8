"""The run managers of sync code (a chain's `_call`, run in a worker thread): the same events as
the async ones; async handlers run on the event loop of the run that started them."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from ._dispatch import dispatch
from ._manager_base import BaseCallbackManager, BaseRunManager


class CallbackManager(BaseCallbackManager):
    """`AsyncCallbackManager` for sync code (a chain's `_call` runs in a worker thread)."""

    loop: asyncio.AbstractEventLoop | None = None

    def on_chain_start(
        self, serialized: dict[str, Any] | None, inputs: Any, run_id: UUID | None = None, **kw: Any
    ) -> CallbackManagerForChainRun:
        start = self._start(run_id)
        dispatch(self.handlers, "on_chain_start", serialized or {}, inputs, **start, **kw)
        run = CallbackManagerForChainRun(**self._run_fields(start["run_id"]))
        run.loop = self.loop
        return run


class CallbackManagerForChainRun(BaseRunManager):
    """The run manager a sync chain's `_call(inputs, run_manager)` receives."""

    loop: asyncio.AbstractEventLoop | None = None

    def _send(self, event: str, *args: Any, **kwargs: Any) -> None:
        if self.handlers:
            dispatch(self.handlers, event, *args, loop=self.loop, **self._ids(), **kwargs)

    def get_child(self, tag: str | None = None) -> CallbackManager:
        child: CallbackManager = self._child(CallbackManager, tag)
        child.loop = self.loop
        return child

    def on_text(self, text: str, **kwargs: Any) -> None:
        self._send("on_text", text, **kwargs)

    def on_chain_end(self, outputs: Any, **kwargs: Any) -> None:
        self._send("on_chain_end", outputs, **kwargs)

    def on_chain_error(self, error: BaseException, **kwargs: Any) -> None:
        self._send("on_chain_error", error, **kwargs)


class CallbackManagerForLLMRun(BaseRunManager):
    """The run manager of one model call, for sync code."""

    loop: asyncio.AbstractEventLoop | None = None

    def _send(self, event: str, *args: Any, **kwargs: Any) -> None:
        if self.handlers:
            dispatch(self.handlers, event, *args, loop=self.loop, **self._ids(), **kwargs)

    def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        self._send("on_llm_new_token", token, chunk=chunk, **kwargs)

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self._send("on_llm_end", response, **kwargs)

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self._send("on_llm_error", error, **kwargs)


class CallbackManagerForToolRun(CallbackManagerForChainRun):
    """The run manager of one tool call, for sync code (a tool's `_run(..., run_manager)`)."""

    def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        self._send("on_tool_end", output, **kwargs)

    def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        self._send("on_tool_error", error, **kwargs)
