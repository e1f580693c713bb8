"""The model base classes, where LangChain users import them from
(`langchain_core.language_models`): for type hints, `isinstance` checks and subclassing.

`ChatOpenAI` and `ChatAnthropic` are `BaseChatModel`s and `OpenAI` a `BaseLLM` (registered as
virtual subclasses: our clients share one base, `_model_client.ModelClient`, and one request
pipeline, rather than these classes). A
model of your own subclasses `BaseChatModel` and implements `_agenerate` (or a sync
`_generate`, run in a worker thread), or subclasses `LLM` and implements `_acall` / `_call`, as
in LangChain; it is then a runnable like ours (`prompt | my_model | parser`).
"""

from __future__ import annotations

import asyncio
from abc import ABC
from collections.abc import Sequence
from typing import Any, TypeVar

from ._config import RunnableConfig, current_config
from ._runnable import Runnable
from ._string_prompt import LanguageModelInput
from ._sync import run_sync
from ._traced import traced_invoke
from .chat_models import ChatAnthropic, ChatOpenAI
from .llms import OpenAI
from .messages import AIMessage, BaseMessage, HumanMessage, to_messages
from .outputs import ChatGeneration, Generation, LLMResult
from .prompts import ChatPromptValue, PromptValue

OutputT = TypeVar("OutputT")


class BaseLanguageModel(Runnable[LanguageModelInput, OutputT], ABC):
    """A model: takes a string, a prompt value or a list of messages.

    `callbacks=` (a class attribute or set on an instance) hear every call of the model.
    """

    reports_own_runs = True  # a model run, see _run_trace.py

    callbacks: Any = None

    async def agenerate_prompt(
        self,
        prompts: Sequence[LanguageModelInput],
        stop: Sequence[str] | None = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> LLMResult:
        """Generate for every prompt concurrently, one model run each; `callbacks` hear them
        (a chain passes `run_manager.get_child()`)."""
        config: RunnableConfig | None = {"callbacks": callbacks} if callbacks is not None else None
        if stop:
            kwargs["stop"] = list(stop)
        outputs = await asyncio.gather(*(self.ainvoke(p, config, **kwargs) for p in prompts))
        generations: list[list[Generation]] = [
            [ChatGeneration(text=o.content, message=o)]
            if isinstance(o, AIMessage)
            else [Generation(text=str(o))]
            for o in outputs
        ]
        return LLMResult(generations=generations, llm_output={})

    def generate_prompt(
        self,
        prompts: Sequence[LanguageModelInput],
        stop: Sequence[str] | None = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> LLMResult:
        """`agenerate_prompt`, blocking; do not call from inside an event loop."""
        return run_sync(
            lambda: self.agenerate_prompt(prompts, stop, callbacks, **kwargs),
            name=f"{type(self).__name__}.generate_prompt",
            async_name="agenerate_prompt",
        )


class BaseChatModel(BaseLanguageModel[AIMessage]):
    """A chat model; subclasses implement `_agenerate` or `_generate`.

    `_agenerate(messages, stop=None, **kwargs)` returns an `AIMessage`, a string, or an object
    with `generations[0].message` (LangChain's `ChatResult`).
    """

    @property
    def _llm_type(self) -> str:
        return type(self).__name__

    async def _agenerate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> Any:
        return await asyncio.to_thread(self._generate, messages, stop, **kwargs)

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement _agenerate or _generate")

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AIMessage:
        """The model's answer to one prompt or conversation."""
        if (
            config is not None or self.callbacks is not None or current_config.get() is not None
        ) and (traced := traced_invoke(self, input, config, kwargs)) is not None:
            return await traced  # type: ignore[no-any-return]
        if isinstance(input, str):
            messages: list[BaseMessage] = [HumanMessage(input)]
        elif isinstance(input, PromptValue):
            messages = input.to_messages()
        else:
            messages = to_messages(input)
        result = await self._agenerate(messages, **kwargs)
        if isinstance(result, AIMessage):
            return result
        if isinstance(result, str):
            return AIMessage(result)
        generation = result.generations[0]
        if isinstance(generation, ChatGeneration) or hasattr(generation, "message"):
            message: AIMessage = generation.message
            return message
        return AIMessage(str(generation.text))


class BaseLLM(BaseLanguageModel[str]):
    """A completion model: text in, text out."""


class LLM(BaseLLM):
    """A completion model of your own: implement `_acall(prompt, stop=None, **kwargs)` or a
    sync `_call` (run in a worker thread)."""

    @property
    def _llm_type(self) -> str:
        return type(self).__name__

    async def _acall(self, prompt: str, stop: Sequence[str] | None = None, **kwargs: Any) -> str:
        return await asyncio.to_thread(self._call, prompt, stop, **kwargs)

    def _call(self, prompt: str, stop: Sequence[str] | None = None, **kwargs: Any) -> str:
        raise NotImplementedError(f"{type(self).__name__} must implement _acall or _call")

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> str:
        """The generated text for one prompt."""
        if (
            config is not None or self.callbacks is not None or current_config.get() is not None
        ) and (traced := traced_invoke(self, input, config, kwargs)) is not None:
            return await traced  # type: ignore[no-any-return]
        if isinstance(input, str):
            prompt = input
        elif isinstance(input, PromptValue):
            prompt = input.to_string()
        else:
            prompt = ChatPromptValue(to_messages(input)).to_string()
        return await self._acall(prompt, **kwargs)


BaseChatModel.register(ChatOpenAI)
BaseChatModel.register(ChatAnthropic)
BaseLLM.register(OpenAI)

__all__ = ["LLM", "BaseChatModel", "BaseLLM", "BaseLanguageModel"]
