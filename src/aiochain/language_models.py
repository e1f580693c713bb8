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

from ._providers.model_calls import ModelCalls
from ._types import Usage
from .callbacks._generations import generation_of
from .chat_models import ChatAnthropic, ChatOpenAI
from .llms import OpenAI
from .messages import AIMessage, BaseMessage, HumanMessage, to_messages
from .outputs import ChatGeneration, Generation
from .prompts import ChatPromptValue, PromptValue
from .prompts.prompt import LanguageModelInput
from .runnables.base import Runnable

OutputT = TypeVar("OutputT")


class BaseLanguageModel(ModelCalls[OutputT], Runnable[LanguageModelInput, OutputT], ABC):
    """A model: takes a string, a prompt value or a list of messages.

    `callbacks=` (a class attribute or set on an instance) hear every call of the model. Its
    entry points (`ainvoke`, `agenerate` / `generate`, `agenerate_prompt`, `apredict`,
    `batch`, `astream`) are our own models' (`_prompt_generation.ModelCalls`): a subclass only
    answers one prompt.
    """

    reports_own_runs = True  # a model run, see _run_trace.py

    callbacks: Any = None
    # Its requests pass through no pipeline of ours (unless it calls one of our models): the
    # usage its answers carry (`AIMessage(usage=...)`) is what its runs report.
    usage_from_answers = True

    async def _generate_one(
        self, input: Any, kwargs: dict[str, Any]
    ) -> tuple[list[Generation], Usage]:
        output = await self._invoke_untraced(input, kwargs)
        usage = output.usage if isinstance(output, AIMessage) else None
        return [generation_of(output)], usage or Usage()


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

    async def _invoke_untraced(self, input: Any, kwargs: dict[str, Any]) -> AIMessage:
        if isinstance(input, str):
            messages: list[BaseMessage] = [HumanMessage(input)]
        elif isinstance(input, PromptValue):
            messages = input.to_messages()
        else:
            messages = to_messages(input)
        result = await self._agenerate(messages, **_call_options(kwargs))
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

    async def _invoke_untraced(self, input: Any, kwargs: dict[str, Any]) -> str:
        if isinstance(input, str):
            prompt = input
        elif isinstance(input, PromptValue):
            prompt = input.to_string()
        else:
            prompt = ChatPromptValue(to_messages(input)).to_string()
        return await self._acall(prompt, **_call_options(kwargs))


def _call_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A call's keyword arguments for a user's `_agenerate` / `_acall`: without the ones that
    only say who listens (`callbacks`, `tags`, ...)."""
    return {k: v for k, v in kwargs.items() if k not in _NOT_MODEL_OPTIONS}


_NOT_MODEL_OPTIONS = frozenset({"callbacks", "run_manager", "tags", "metadata", "run_name"})


BaseChatModel.register(ChatOpenAI)
BaseChatModel.register(ChatAnthropic)
BaseLLM.register(OpenAI)

__all__ = ["LLM", "BaseChatModel", "BaseLLM", "BaseLanguageModel"]
