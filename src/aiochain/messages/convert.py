"""Chat model input read as messages (`convert_to_messages`, `to_message`); messages written
as one text (`get_buffer_string`) live in `_buffer_string` and are re-exported here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from .._exceptions import UsageError
from ._buffer_string import get_buffer_string
from .base import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from .content import MessageContent
from .tool_calls import parse_tool_calls

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
    """Turn a message, a string (a human message), a `(role, content)` pair or an OpenAI-style
    dict (`role`, `content`, and `tool_calls` / `tool_call_id` where they belong) into a
    message; content given as a list of blocks is kept as it is."""
    if isinstance(item, BaseMessage):
        return item
    if isinstance(item, str):
        return HumanMessage(item)
    if isinstance(item, tuple) and len(item) == 2:
        return message_class(item[0])(item[1])
    if isinstance(item, Mapping) and "role" in item:
        role = str(item["role"])
        raw = item.get("content") or ""
        content: MessageContent = raw if isinstance(raw, list) else str(raw)
        name = item.get("name") if isinstance(item.get("name"), str) else None
        if role == "tool":
            return ToolMessage(content, tool_call_id=str(item.get("tool_call_id") or ""), name=name)
        if role in ("assistant", "ai") and item.get("tool_calls"):
            return AIMessage(content, tool_calls=parse_tool_calls(item["tool_calls"]), name=name)
        return message_class(role)(content, name=name)
    raise UsageError(f"cannot use {item!r} as a chat message")


def to_messages(items: Sequence[MessageLike]) -> list[BaseMessage]:
    """`to_message` over a list."""
    return [to_message(item) for item in items]


def convert_to_messages(messages: Any) -> list[BaseMessage]:
    """The messages of any chat model input: a string (one human message), a prompt value, or
    a list of messages, strings, `(role, content)` pairs and OpenAI-style dicts (LangChain's
    function of this name). The one reading of a model's input every provider uses."""
    if type(messages) is list:
        # The common input, a list that holds only messages, costs one isinstance per item
        # (a list subclass, which might have `to_messages`, takes the general way below).
        for item in messages:
            if not isinstance(item, BaseMessage):
                return [to_message(item) for item in messages]
        return messages.copy()
    if isinstance(messages, str):
        return [HumanMessage(messages)]
    if hasattr(messages, "to_messages"):
        return list(messages.to_messages())
    if isinstance(messages, BaseMessage | Mapping):
        return [to_message(messages)]
    return [to_message(item) for item in messages]


MessageLike: TypeAlias = "BaseMessage | str | tuple[str, Any] | Mapping[str, Any]"
"""A chat message: a message object, a string (a human message), a `(role, content)` pair or
an OpenAI-style dict."""


def message_chunk_to_message(chunk: BaseMessage) -> BaseMessage:
    """The whole message a (joined) stream chunk stands for, as LangChain's function of this
    name: an `AIMessageChunk` becomes an `AIMessage` keeping everything it carries (id,
    metadata, additional_kwargs, tool calls, usage); any other message is returned as it is.
    Every place that turns a stream into its answer (histories, callbacks) goes through here."""
    if not isinstance(chunk, AIMessageChunk):
        return chunk
    return AIMessage(
        chunk.content,
        usage_metadata=chunk.chunk_usage_metadata,
        response_metadata=dict(chunk.response_metadata),
        additional_kwargs=dict(chunk.additional_kwargs),
        tool_calls=list(chunk.tool_calls),  # (the invalid ones among them, with their error)
        id=chunk.id,
        name=chunk.name,
    )


__all__ = [
    "MessageLike",
    "convert_to_messages",
    "get_buffer_string",
    "message_chunk_to_message",
    "message_class",
    "to_message",
    "to_messages",
]
