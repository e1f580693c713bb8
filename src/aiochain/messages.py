"""Chat messages, named as LangChain names them, sent to chat models in OpenAI's wire format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ._exceptions import UsageError
from ._types import MessageLike


class BaseMessage:
    """One message of a conversation.

    Attributes:
        content: the text of the message.
        role: the OpenAI role (`system`, `user`, `assistant`, `tool`).
    """

    __slots__ = ("content",)
    role: ClassVar[str] = ""
    type: ClassVar[str] = ""

    def __init__(self, content: str) -> None:
        self.content = content

    def to_openai(self) -> dict[str, Any]:
        """The message as OpenAI's chat API expects it."""
        return {"role": self.role, "content": self.content}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BaseMessage)
            and type(other) is type(self)
            and (other.content == self.content)
        )

    def __hash__(self) -> int:
        return hash((self.role, self.content))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(content={self.content!r})"


class SystemMessage(BaseMessage):
    """Instructions to the model."""

    __slots__ = ()
    role = "system"
    type = "system"


class HumanMessage(BaseMessage):
    """A message from the user."""

    __slots__ = ()
    role = "user"
    type = "human"


class AIMessage(BaseMessage):
    """A message from the model.

    Attributes:
        usage: the token usage of the call that produced it, when known.
        response_metadata: the finish reason and model name of that call.
    """

    __slots__ = ("response_metadata", "usage")
    role = "assistant"
    type = "ai"

    def __init__(
        self,
        content: str,
        *,
        usage: Any = None,
        response_metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(content)
        self.usage = usage
        self.response_metadata = response_metadata or {}


_ROLE_CLASSES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage,
    "human": HumanMessage,
    "user": HumanMessage,
    "ai": AIMessage,
    "assistant": AIMessage,
}


def message_class(role: str) -> type[BaseMessage]:
    """The message class for a role name (`system`, `human`/`user`, `ai`/`assistant`).

    Raises:
        UsageError: for any other role.
    """
    try:
        return _ROLE_CLASSES[role]
    except KeyError:
        known = ", ".join(sorted(_ROLE_CLASSES))
        raise UsageError(f"unknown message role {role!r}; use one of: {known}") from None


def to_message(item: MessageLike) -> BaseMessage:
    """Turn a message, a `(role, content)` pair or an OpenAI-style dict into a message."""
    if isinstance(item, BaseMessage):
        return item
    if isinstance(item, tuple) and len(item) == 2:
        return message_class(item[0])(item[1])
    if isinstance(item, Mapping) and "role" in item:
        return message_class(str(item["role"]))(str(item.get("content") or ""))
    raise UsageError(f"cannot use {item!r} as a chat message")


def to_messages(items: Sequence[MessageLike]) -> list[BaseMessage]:
    """`to_message` over a list."""
    return [to_message(item) for item in items]
