"""`ConversationChain`: LangChain's classic chat chain, an `LLMChain` with a memory and
LangChain's default conversation prompt."""

from __future__ import annotations

from typing import Any

from .._exceptions import ConfigurationError
from ..memory import BaseMemory, ConversationBufferMemory
from ..prompts import BasePromptTemplate
from ..prompts.prompt import PromptTemplate
from ..runnables.base import Runnable
from .llm import LLMChain

DEFAULT_TEMPLATE = """The following is a friendly conversation between a human and an AI. \
The AI is talkative and provides lots of specific details from its context. If the AI does not \
know the answer to a question, it truthfully says it does not know.

Current conversation:
{history}
Human: {input}
AI:"""

PROMPT = PromptTemplate(input_variables=["history", "input"], template=DEFAULT_TEMPLATE)
"""LangChain's default `ConversationChain` prompt, word for word."""


class ConversationChain(LLMChain):
    """A conversation: each call's `input` and the model's `response` are saved to `memory`,
    and the history fills the prompt's `{history}`.

    Args:
        llm: the model.
        memory: the conversation's memory (a new `ConversationBufferMemory` by default).
        prompt: the prompt; its variables must be the memory's plus `input_key`.
        input_key: the input's name (`input`).
        output_key: the output's name (`response`).
    """

    def __init__(
        self,
        *,
        llm: Runnable[Any, Any],
        memory: BaseMemory | None = None,
        prompt: BasePromptTemplate = PROMPT,
        input_key: str = "input",
        output_key: str = "response",
        **options: Any,
    ) -> None:
        super().__init__(llm=llm, prompt=prompt, output_key=output_key, **options)
        self.memory = memory if memory is not None else ConversationBufferMemory()
        self.input_key = input_key
        expected = {*self.memory.memory_variables, input_key}
        if set(prompt.input_variables) != expected:
            raise ConfigurationError(
                f"ConversationChain's prompt takes {sorted(prompt.input_variables)}, but the "
                f"memory and input_key give {sorted(expected)}"
            )

    @property
    def input_keys(self) -> list[str]:
        return [self.input_key]
