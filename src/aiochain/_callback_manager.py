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
import contextvars
import inspect
import logging
import uuid
from collections.abc import Sequence
from typing import Any, Self
from uuid import UUID

from ._callback_handlers import BaseCallbackHandler, StdOutCallbackHandler
from .messages import get_buffer_string

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
        name, arguments = event, args
        for _ in range(2):
            try:
                result = getattr(handler, name)(*arguments, **kwargs)
                if inspect.isawaitable(result):
                    await result
            except NotImplementedError as exc:
                if name == "on_chat_model_start":
                    name, arguments = _fallback_to_llm_start(name, arguments)
                    continue
                _failed(handler, name, exc)
            except Exception as exc:
                _failed(handler, name, exc)
            break


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
        loop.create_task(run())  # called on the loop itself: it cannot wait
        return
    asyncio.run(run())


class BaseCallbackManager:
    """The handlers, tags and metadata of a run and of the runs it starts.

    Args:
        handlers: the handlers of this run.
        inheritable_handlers: the handlers child runs get too.
        parent_run_id: the id of the run this one belongs to.
        tags / inheritable_tags / metadata / inheritable_metadata: likewise.
    """

    def __init__(
        self,
        handlers: Sequence[BaseCallbackHandler],
        inheritable_handlers: Sequence[BaseCallbackHandler] | None = None,
        parent_run_id: UUID | None = None,
        *,
        tags: Sequence[str] | None = None,
        inheritable_tags: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inheritable_metadata: dict[str, Any] | None = None,
    ) -> None:
        self.handlers = list(handlers)
        self.inheritable_handlers = list(inheritable_handlers or ())
        self.parent_run_id = parent_run_id
        self.tags = list(tags or ())
        self.inheritable_tags = list(inheritable_tags or ())
        self.metadata = dict(metadata or {})
        self.inheritable_metadata = dict(inheritable_metadata or {})

    @property
    def is_async(self) -> bool:
        return False

    def add_handler(self, handler: BaseCallbackHandler, inherit: bool = True) -> None:
        if handler not in self.handlers:
            self.handlers.append(handler)
        if inherit and handler not in self.inheritable_handlers:
            self.inheritable_handlers.append(handler)

    def remove_handler(self, handler: BaseCallbackHandler) -> None:
        if handler in self.handlers:
            self.handlers.remove(handler)
        if handler in self.inheritable_handlers:
            self.inheritable_handlers.remove(handler)

    def set_handlers(self, handlers: list[BaseCallbackHandler], inherit: bool = True) -> None:
        self.handlers, self.inheritable_handlers = [], []
        for handler in handlers:
            self.add_handler(handler, inherit)

    def set_handler(self, handler: BaseCallbackHandler, inherit: bool = True) -> None:
        self.set_handlers([handler], inherit)

    def add_tags(self, tags: list[str], inherit: bool = True) -> None:
        self.tags.extend(t for t in tags if t not in self.tags)
        if inherit:
            self.inheritable_tags.extend(t for t in tags if t not in self.inheritable_tags)

    def add_metadata(self, metadata: dict[str, Any], inherit: bool = True) -> None:
        self.metadata.update(metadata)
        if inherit:
            self.inheritable_metadata.update(metadata)

    def copy(self) -> Self:
        return type(self)(
            self.handlers,
            self.inheritable_handlers,
            self.parent_run_id,
            tags=self.tags,
            inheritable_tags=self.inheritable_tags,
            metadata=self.metadata,
            inheritable_metadata=self.inheritable_metadata,
        )

    @classmethod
    def configure(
        cls,
        inheritable_callbacks: Any = None,
        local_callbacks: Any = None,
        verbose: bool = False,
        inheritable_tags: Sequence[str] | None = None,
        local_tags: Sequence[str] | None = None,
        inheritable_metadata: dict[str, Any] | None = None,
        local_metadata: dict[str, Any] | None = None,
    ) -> Self:
        """A manager for a run, as LangChain's `CallbackManager.configure` builds it."""
        manager = configure(
            inheritable_callbacks,
            local_callbacks,
            verbose=verbose,
            inheritable_tags=inheritable_tags,
            local_tags=local_tags,
            inheritable_metadata=inheritable_metadata,
            local_metadata=local_metadata,
        )
        if manager is None:
            return cls([])
        made = cls.__new__(cls)
        made.__dict__.update(manager.__dict__)
        return made

    def _start(self, run_id: UUID | None) -> dict[str, Any]:
        return {
            "run_id": run_id or uuid.uuid4(),
            "parent_run_id": self.parent_run_id,
            "tags": self.tags,
            "metadata": self.metadata,
        }

    def _run_fields(self, run_id: UUID) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "handlers": self.handlers,
            "inheritable_handlers": self.inheritable_handlers,
            "parent_run_id": self.parent_run_id,
            "tags": self.tags,
            "inheritable_tags": self.inheritable_tags,
            "metadata": self.metadata,
            "inheritable_metadata": self.inheritable_metadata,
        }


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


# --- run managers ---------------------------------------------------------------------------


class BaseRunManager:
    """The handlers of one run, for its later events."""

    def __init__(
        self,
        *,
        run_id: UUID,
        handlers: list[BaseCallbackHandler],
        inheritable_handlers: list[BaseCallbackHandler],
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        inheritable_tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inheritable_metadata: dict[str, Any] | None = None,
    ) -> None:
        self.run_id = run_id
        self.handlers = handlers
        self.inheritable_handlers = inheritable_handlers
        self.parent_run_id = parent_run_id
        self.tags = tags or []
        self.inheritable_tags = inheritable_tags or []
        self.metadata = metadata or {}
        self.inheritable_metadata = inheritable_metadata or {}

    @classmethod
    def get_noop_manager(cls) -> Self:
        """A run manager with no handlers, for code that wants one either way."""
        return cls(run_id=uuid.uuid4(), handlers=[], inheritable_handlers=[])

    def _ids(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "parent_run_id": self.parent_run_id, "tags": self.tags}

    def _fields(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "handlers": self.handlers,
            "inheritable_handlers": self.inheritable_handlers,
            "parent_run_id": self.parent_run_id,
            "tags": self.tags,
            "inheritable_tags": self.inheritable_tags,
            "metadata": self.metadata,
            "inheritable_metadata": self.inheritable_metadata,
        }

    def _child(self, cls: type[BaseCallbackManager], tag: str | None) -> Any:
        child = cls(
            self.inheritable_handlers,
            self.inheritable_handlers,
            self.run_id,
            tags=self.inheritable_tags,
            inheritable_tags=self.inheritable_tags,
            metadata=self.inheritable_metadata,
            inheritable_metadata=self.inheritable_metadata,
        )
        if tag is not None:
            child.add_tags([tag], inherit=False)
        return child


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

    async def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        await adispatch(self.handlers, "on_tool_end", output, **self._ids(), **kwargs)

    async def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        await adispatch(self.handlers, "on_tool_error", error, **self._ids(), **kwargs)


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


def _handlers_of(callbacks: Any) -> list[BaseCallbackHandler]:
    if callbacks is None:
        return []
    if isinstance(callbacks, BaseCallbackManager):
        return list(callbacks.handlers)
    if isinstance(callbacks, BaseCallbackHandler):
        return [callbacks]
    return list(callbacks)


def configure(
    inheritable_callbacks: Any,
    local_callbacks: Any = None,
    *,
    verbose: bool = False,
    inheritable_tags: Sequence[str] | None = None,
    local_tags: Sequence[str] | None = None,
    inheritable_metadata: dict[str, Any] | None = None,
    local_metadata: dict[str, Any] | None = None,
) -> AsyncCallbackManager | None:
    """The manager of a run, or None when no handler would hear it.

    Args:
        inheritable_callbacks: the call's `callbacks` (a list, or a parent's `get_child()`).
        local_callbacks: the object's own handlers (not inherited by child runs).
        verbose: add a `StdOutCallbackHandler` for this run.
    """
    parent = (
        inheritable_callbacks if isinstance(inheritable_callbacks, BaseCallbackManager) else None
    )
    if parent is not None:
        handlers = list(parent.handlers)
        inheritable = list(parent.inheritable_handlers)
    else:
        handlers = _handlers_of(inheritable_callbacks)
        inheritable = list(handlers)
    for handler in context_handlers.get():
        if handler not in handlers:
            handlers.append(handler)
            inheritable.append(handler)
    for handler in _handlers_of(local_callbacks):
        if handler not in handlers:
            handlers.append(handler)
    if verbose and not any(isinstance(h, StdOutCallbackHandler) for h in handlers):
        handlers.append(StdOutCallbackHandler())
    if not handlers:
        return None
    manager = AsyncCallbackManager(
        handlers,
        inheritable,
        parent.parent_run_id if parent is not None else None,
        tags=[*(parent.tags if parent else ()), *(inheritable_tags or ()), *(local_tags or ())],
        inheritable_tags=[*(parent.inheritable_tags if parent else ()), *(inheritable_tags or ())],
        metadata={
            **(parent.metadata if parent else {}),
            **(inheritable_metadata or {}),
            **(local_metadata or {}),
        },
        inheritable_metadata={
            **(parent.inheritable_metadata if parent else {}),
            **(inheritable_metadata or {}),
        },
    )
    return manager
