"""Conversation memories for classic chains (`langchain.memory`): a chain with `memory=` adds
the memory's variables (`history`) to its inputs and saves each exchange to it.

    chain = ConversationChain(llm=llm, memory=ConversationBufferMemory())
    await chain.apredict(input="Hi, I'm Ada")

One memory is one conversation: share a memory between concurrent conversations and they share
a history. For many sessions, use `RunnableWithMessageHistory` with one history per session id.
"""

from __future__ import annotations

from typing import Any

from ._exceptions import UsageError
from .chat_history import BaseChatMessageHistory, InMemoryChatMessageHistory
from .messages import BaseMessage, get_buffer_string


class BaseMemory:
    """What a chain's `memory=` provides."""

    @property
    def memory_variables(self) -> list[str]:
        """The input names this memory fills in."""
        raise NotImplementedError

    def load_memory_variables(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The values of `memory_variables` for a run on `inputs`."""
        raise NotImplementedError

    def save_context(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Remember one run."""
        raise NotImplementedError

    def clear(self) -> None:
        """Forget everything."""

    async def aload_memory_variables(self, inputs: dict[str, Any]) -> dict[str, Any]:
        return self.load_memory_variables(inputs)

    async def asave_context(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        self.save_context(inputs, outputs)

    async def aclear(self) -> None:
        self.clear()


class BaseChatMemory(BaseMemory):
    """A memory kept as chat messages.

    Args:
        chat_memory: the history (a new in-memory one by default).
        input_key: the input saved as the human's message (default: the only input that is
            not a memory variable).
        output_key: the output saved as the AI's message (default: the only output).
        return_messages: give the history as messages instead of one text.
    """

    def __init__(
        self,
        *,
        chat_memory: BaseChatMessageHistory | None = None,
        input_key: str | None = None,
        output_key: str | None = None,
        return_messages: bool = False,
    ) -> None:
        self.chat_memory = chat_memory if chat_memory is not None else InMemoryChatMessageHistory()
        self.input_key = input_key
        self.output_key = output_key
        self.return_messages = return_messages

    def _key(self, given: str | None, values: dict[str, Any], what: str) -> str:
        if given is not None:
            return given
        keys = [k for k in values if k not in self.memory_variables and k != "stop"]
        if len(keys) != 1:
            raise UsageError(
                f"{type(self).__name__} cannot tell which {what} to save among {keys}; "
                f"set {what}_key="
            )
        return keys[0]

    def save_context(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        human = inputs[self._key(self.input_key, inputs, "input")]
        ai = outputs[self._key(self.output_key, outputs, "output")]
        self.chat_memory.add_user_message(str(human))
        self.chat_memory.add_ai_message(ai.text if isinstance(ai, BaseMessage) else str(ai))

    def clear(self) -> None:
        self.chat_memory.clear()


class ConversationBufferMemory(BaseChatMemory):
    """The whole conversation, as text (`Human: ...` / `AI: ...` lines) or messages.

    Args:
        memory_key: the input name of the history (`history`).
        human_prefix / ai_prefix: the line prefixes of the text form.
        (and the options of `BaseChatMemory`)
    """

    def __init__(
        self,
        *,
        memory_key: str = "history",
        human_prefix: str = "Human",
        ai_prefix: str = "AI",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.memory_key = memory_key
        self.human_prefix = human_prefix
        self.ai_prefix = ai_prefix

    @property
    def memory_variables(self) -> list[str]:
        return [self.memory_key]

    def _messages(self) -> list[BaseMessage]:
        return list(self.chat_memory.messages)

    @property
    def buffer(self) -> Any:
        """The history as messages (`return_messages`) or text."""
        messages = self._messages()
        if self.return_messages:
            return messages
        return get_buffer_string(messages, self.human_prefix, self.ai_prefix)

    @property
    def buffer_as_str(self) -> str:
        return get_buffer_string(self._messages(), self.human_prefix, self.ai_prefix)

    @property
    def buffer_as_messages(self) -> list[BaseMessage]:
        return self._messages()

    def load_memory_variables(self, inputs: dict[str, Any]) -> dict[str, Any]:
        return {self.memory_key: self.buffer}


class ConversationBufferWindowMemory(ConversationBufferMemory):
    """The last `k` exchanges of the conversation (2k messages).

    Args:
        k: how many exchanges to keep in view (the history keeps them all).
    """

    def __init__(self, *, k: int = 5, **options: Any) -> None:
        super().__init__(**options)
        self.k = k

    def _messages(self) -> list[BaseMessage]:
        messages = list(self.chat_memory.messages)
        return messages[-self.k * 2 :] if self.k > 0 else []


__all__ = [
    "BaseChatMemory",
    "BaseMemory",
    "ConversationBufferMemory",
    "ConversationBufferWindowMemory",
]
