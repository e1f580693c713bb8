"""The entry points every model shares, ours (`ModelClient`) and a user's own
(`BaseChatModel`, `LLM`): `ainvoke`, `agenerate` / `generate` (LangChain's batch call, with
`stop=`, `callbacks=`, `tags=`, ...), `agenerate_prompt`, `apredict`.

Each of them walks one path per prompt: `traced_call` (a run reported to callback handlers,
started only when someone listens) or else the model's own untraced call. A model only
provides `_invoke_untraced` (one answer, as `ainvoke` returns it) and `_generate_one` (one
prompt's generations and usage); so `get_openai_callback`, `callbacks=[...]`, `streaming=True`
and tracing behave the same whichever entry point a program uses (issue 23).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, Generic, TypeVar

from .._config import RunnableConfig
from .._exceptions import ConfigurationError, UsageError
from .._types import Usage
from ..callbacks._generations import output_of
from ..callbacks._model_runs import traced_call
from ..messages import AIMessage
from ..outputs import Generation, LLMResult
from ..runnables._runner import amap, batch_concurrency
from ..runnables._sync import run_sync

OutputT = TypeVar("OutputT")


class ModelCalls(Generic[OutputT]):
    """The shared entry points of a model (see the module docstring)."""

    callbacks: Any = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None

    # --- what a model provides --------------------------------------------------------------

    async def _invoke_untraced(self, input: Any, kwargs: dict[str, Any]) -> OutputT:
        """The answer to one prompt, with nobody listening."""
        raise NotImplementedError

    async def _generate_one(
        self, input: Any, kwargs: dict[str, Any]
    ) -> tuple[list[Generation], Usage]:
        """One prompt's generations (more than one when n > 1) and usage, untraced."""
        raise NotImplementedError

    def _batch_workers(self, count: int) -> int:
        """How many prompts of a batch to run at once."""
        return batch_concurrency(count)

    # --- the entry points -------------------------------------------------------------------

    async def ainvoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> OutputT:
        """The model's answer to one prompt or conversation: an `AIMessage` (chat models) or
        text; `kwargs` (`stop=`, ...) are request fields for this call."""
        traced = traced_call(self, input, config, kwargs)  # None unless a handler listens
        if traced is not None:
            generations, _ = await traced
            answer: OutputT = output_of(generations[0])
            return answer
        return await self._invoke_untraced(input, kwargs)

    async def agenerate(
        self,
        prompts: Sequence[Any] | None = None,
        stop: Sequence[str] | None = None,
        callbacks: Any = None,
        *,
        messages: Sequence[Any] | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        run_name: str | None = None,
        concurrency: int | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """Generate for every prompt concurrently: one list of generations per prompt, one
        model run each (handlers hear `on_llm_start` / `on_chat_model_start`, tokens when
        streaming, `on_llm_end`).

        Args:
            prompts: the prompts (strings, prompt values, or lists of messages); chat models
                take them as `messages=` too, as LangChain names them.
            stop: strings that end each generation.
            callbacks: handlers of these runs (as well as the model's own).
            tags / metadata / run_name: given to the handlers.
            concurrency: at most this many at once (default: all, within `max_concurrency`).
            kwargs: request fields for these calls.
        """
        batch = prompts if prompts is not None else messages
        if batch is None:
            raise UsageError("agenerate() takes a list of prompts (or messages=[...])")
        if isinstance(batch, str):
            raise ConfigurationError("agenerate() takes a list of prompts; use ainvoke() for one")
        batch = list(batch)
        if stop:
            kwargs["stop"] = [stop] if isinstance(stop, str) else list(stop)
        config: RunnableConfig | None = None
        if callbacks is not None or tags or metadata or run_name:
            config = {"callbacks": callbacks, "tags": tags or [], "metadata": metadata or {}}
            if run_name:
                config["run_name"] = run_name

        def one(prompt: Any) -> Awaitable[tuple[list[Generation], Usage]]:
            traced = traced_call(self, prompt, config, kwargs)
            return traced if traced is not None else self._generate_one(prompt, kwargs)

        results = await amap(one, batch, concurrency=concurrency or self._batch_workers(len(batch)))
        total = Usage()
        for _, usage in results:
            total.add(usage)
        return LLMResult(
            generations=[generations for generations, _ in results],
            llm_output={"token_usage": total.to_dict(), "model_name": getattr(self, "model", None)},
            usage=total,
        )

    def generate(
        self,
        prompts: Sequence[Any] | None = None,
        stop: Sequence[str] | None = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> LLMResult:
        """`agenerate`, blocking; async code does better to await the async method."""
        return run_sync(
            lambda: self.agenerate(prompts, stop, callbacks, **kwargs),
            name=f"{type(self).__name__}.generate",
            async_name="agenerate",
        )

    async def agenerate_prompt(
        self,
        prompts: Sequence[Any],
        stop: Sequence[str] | None = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> LLMResult:
        """`agenerate` over prompt values, as LangChain's chains call it (pass
        `run_manager.get_child()` as `callbacks` from a chain's `_acall`)."""
        return await self.agenerate(list(prompts), stop, callbacks, **kwargs)

    def generate_prompt(
        self,
        prompts: Sequence[Any],
        stop: Sequence[str] | None = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> LLMResult:
        """`agenerate_prompt`, blocking; async code does better to await the async method."""
        return run_sync(
            lambda: self.agenerate_prompt(prompts, stop, callbacks, **kwargs),
            name=f"{type(self).__name__}.generate_prompt",
            async_name="agenerate_prompt",
        )

    async def apredict(self, text: str, **kwargs: Any) -> str:
        """The text of the answer to one prompt string."""
        output = await self.ainvoke(text, **kwargs)
        return output.text if isinstance(output, AIMessage) else str(output)

    def predict(self, text: str, **kwargs: Any) -> str:
        """`apredict`, blocking; async code does better to await the async method."""
        return run_sync(
            lambda: self.apredict(text, **kwargs),
            name=f"{type(self).__name__}.predict",
            async_name="apredict",
        )

    async def apredict_messages(
        self, messages: Any, *, stop: Any = None, **kwargs: Any
    ) -> AIMessage:
        """LangChain's classic `apredict_messages`: the answer message to a conversation."""
        if stop is not None:
            kwargs["stop"] = stop
        output = await self.ainvoke(messages, **kwargs)
        return output if isinstance(output, AIMessage) else AIMessage(str(output))

    def predict_messages(self, messages: Any, *, stop: Any = None, **kwargs: Any) -> AIMessage:
        """`apredict_messages`, blocking."""
        return run_sync(
            lambda: self.apredict_messages(messages, stop=stop, **kwargs),
            name=f"{type(self).__name__}.predict_messages",
            async_name="apredict_messages",
        )

    def __call__(self, input: Any, stop: Any = None, callbacks: Any = None, **kwargs: Any) -> Any:
        """LangChain's classic call, blocking: `chat([HumanMessage(...)])` answers with a
        message, `llm("...")` with text."""
        if stop is not None:
            kwargs["stop"] = stop
        config: Any = {"callbacks": callbacks} if callbacks is not None else None
        return run_sync(
            lambda: self.ainvoke(input, config, **kwargs),
            name=f"{type(self).__name__}.__call__",
            async_name="ainvoke",
        )


__all__ = ["ModelCalls"]
