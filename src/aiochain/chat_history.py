"""Chat message histories, where LangChain users look for them (`langchain_core.chat_history`):
the store `RunnableWithMessageHistory` reads a session's earlier messages from and adds each
exchange to."""

from __future__ import annotations

from collections.abc import Sequence

from .messages import AIMessage, BaseMessage, HumanMessage


class BaseChatMessageHistory:
    """The messages of one conversation. Subclasses keep `messages` (or override
    `aget_messages` / `add_messages` / `clear` to store them elsewhere)."""

    messages: list[BaseMessage]

    async def aget_messages(self) -> list[BaseMessage]:
        """A copy of the messages so far."""
        return list(self.messages)

    def add_message(self, message: BaseMessage) -> None:
        self.add_messages([message])

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append messages (in one step, so concurrent readers see all or none)."""
        self.messages = [*self.messages, *messages]

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.add_messages(messages)

    def add_user_message(self, message: HumanMessage | str) -> None:
        self.add_message(message if isinstance(message, BaseMessage) else HumanMessage(message))

    def add_ai_message(self, message: AIMessage | str) -> None:
        self.add_message(message if isinstance(message, BaseMessage) else AIMessage(message))

    def clear(self) -> None:
        self.messages = []

    async def aclear(self) -> None:
        self.clear()


class InMemoryChatMessageHistory(BaseChatMessageHistory):
    """A history held in memory.

    Args:
        messages: messages to start from.
        session_id: the conversation it belongs to, kept for the caller (LangChain's
            `InMemoryChatMessageHistory(session_id="...")`, from its agent migration guide).
    """

    def __init__(
        self, messages: Sequence[BaseMessage] | None = None, *, session_id: str | None = None
    ) -> None:
        self.messages = list(messages or [])
        self.session_id = session_id

    def __repr__(self) -> str:
        return f"InMemoryChatMessageHistory({len(self.messages)} messages)"


ChatMessageHistory = InMemoryChatMessageHistory
"""`langchain_community.chat_message_histories.ChatMessageHistory`'s name for it."""

__all__ = ["BaseChatMessageHistory", "ChatMessageHistory", "InMemoryChatMessageHistory"]
