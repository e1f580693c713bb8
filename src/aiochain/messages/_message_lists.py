"""LangChain's message helpers `filter_messages` and `merge_message_runs`
(`langchain_core.messages.utils`), with its arguments and defaults, and what they share with
`trim_messages` (`_message_trimming`).

Each takes a list of messages (or a chat prompt value) and returns a new list; called without
messages (`trim_messages(max_tokens=..., token_counter=...)`) each returns a runnable that
does the same to its input, for `prompt | trimmer | model` chains.

The helpers work on any message object (its `type`, `content`, `tool_calls`); they never build
messages from `(role, text)` pairs, so this module needs nothing of `aiochain.messages` (which
re-exports it): convert such pairs with `aiochain.messages.to_messages` first.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from .._exceptions import UsageError
from ..runnables.base import Config, PureRunnable

MessageTypes = Any
"""A message type given as a name (`"human"`, `"ai"`, ...), a message class, or a list of
either."""


class MessageListFunction(PureRunnable[Any, list[Any]]):
    """One of the helpers with its options fixed, as a runnable over a list of messages."""

    def __init__(self, function: Callable[..., list[Any]], options: dict[str, Any]) -> None:
        self.function = function
        self.options = options
        self.name = function.__name__

    def invoke(self, input: Any, config: Config = None, **kwargs: Any) -> list[Any]:
        """The helper applied to `input` (a list of messages or a chat prompt value)."""
        return self.function(input, **self.options)

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"


def messages_of(messages: Any) -> list[Any]:
    """The messages of a list or of a prompt value (anything with `to_messages()`)."""
    if hasattr(messages, "to_messages"):
        messages = messages.to_messages()
    items = list(messages)
    for item in items:
        if not hasattr(item, "type") or not hasattr(item, "content"):
            raise UsageError(
                f"expected chat messages, got {item!r}; turn (role, text) pairs into messages "
                "with aiochain.messages.to_messages first"
            )
    return items


def is_type(message: Any, types: MessageTypes) -> bool:
    """Whether a message is of one of `types` (names such as "human", or classes)."""
    wanted = [types] if isinstance(types, str | type) else list(types)
    names = [t for t in wanted if isinstance(t, str)]
    classes = tuple(t for t in wanted if isinstance(t, type))
    return message.type in names or isinstance(message, classes)


def with_content(message: Any, content: Any) -> Any:
    changed = copy.copy(message)
    changed.content = content
    return changed


# --- filter_messages ------------------------------------------------------------------------


def filter_messages(
    messages: Any = None,
    *,
    include_names: Sequence[str] | None = None,
    exclude_names: Sequence[str] | None = None,
    include_types: MessageTypes | None = None,
    exclude_types: MessageTypes | None = None,
    include_ids: Sequence[str] | None = None,
    exclude_ids: Sequence[str] | None = None,
    exclude_tool_calls: Sequence[str] | bool | None = None,
) -> Any:
    """The messages that meet at least one `include_*` condition (all, when none is given)
    and no `exclude_*` one.

    Args:
        messages: the messages; None returns a runnable that filters its input.
        include_names / exclude_names: by the message's `name`.
        include_types / exclude_types: by type name ("system", "human", "ai", "tool") or
            message class.
        include_ids / exclude_ids: by the message's `id`.
        exclude_tool_calls: True drops every AI message with tool calls and every tool
            message; a list of call ids drops those calls (an AI message left with none is
            dropped) and the tool messages answering them.
    """
    options = {
        key: value
        for key, value in (
            ("include_names", include_names),
            ("exclude_names", exclude_names),
            ("include_types", include_types),
            ("exclude_types", exclude_types),
            ("include_ids", include_ids),
            ("exclude_ids", exclude_ids),
            ("exclude_tool_calls", exclude_tool_calls),
        )
        if value is not None
    }
    if messages is None:
        return MessageListFunction(filter_messages, options)
    kept: list[Any] = []
    for message in messages_of(messages):
        name, ident = getattr(message, "name", None), getattr(message, "id", None)
        if (
            (exclude_names and name in exclude_names)
            or (exclude_types and is_type(message, exclude_types))
            or (exclude_ids and ident in exclude_ids)
        ):
            continue
        if exclude_tool_calls is True and (
            getattr(message, "tool_calls", None) or message.type == "tool"
        ):
            continue
        if exclude_tool_calls and not isinstance(exclude_tool_calls, bool):
            if message.type == "tool" and message.tool_call_id in exclude_tool_calls:
                continue
            calls = getattr(message, "tool_calls", None)
            if calls:
                left = [c for c in calls if c.get("id") not in exclude_tool_calls]
                if not left:
                    continue
                if len(left) != len(calls):
                    message = copy.copy(message)
                    message.tool_calls = left
        if (
            not (include_types or include_ids or include_names)
            or (include_names and name in include_names)
            or (include_types and is_type(message, include_types))
            or (include_ids and ident in include_ids)
        ):
            kept.append(message)
    return kept


# --- merge_message_runs ---------------------------------------------------------------------


def merge_message_runs(messages: Any = None, *, chunk_separator: str = "\n") -> Any:
    """Consecutive messages of the same type joined into one (tool messages are never
    joined: each answers its own call).

    Two texts are joined with `chunk_separator`; when either content is a list of blocks,
    the result is the list of both. An AI message keeps the tool calls of both.

    Args:
        messages: the messages; None returns a runnable that merges its input.
        chunk_separator: put between two texts.
    """
    if messages is None:
        return MessageListFunction(merge_message_runs, {"chunk_separator": chunk_separator})
    merged: list[Any] = []
    for message in messages_of(messages):
        last = merged[-1] if merged else None
        if last is None or message.type == "tool" or type(message) is not type(last):
            merged.append(message)
            continue
        joined = with_content(last, _join_content(last.content, message.content, chunk_separator))
        if getattr(message, "tool_calls", None):
            joined.tool_calls = [*last.tool_calls, *message.tool_calls]
        merged[-1] = joined
    return merged


def _join_content(first: Any, second: Any, separator: str) -> Any:
    if isinstance(first, str) and isinstance(second, str):
        return first + separator + second if first and second else first + second

    def blocks(content: Any) -> list[Any]:
        return list(content) if isinstance(content, list) else [content] if content else []

    return blocks(first) + blocks(second)


__all__ = [
    "MessageListFunction",
    "MessageTypes",
    "filter_messages",
    "is_type",
    "merge_message_runs",
    "messages_of",
    "with_content",
]
