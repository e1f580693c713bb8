"""LangChain's `trim_messages` and `count_tokens_approximately`
(`langchain_core.messages.utils`), with its arguments and defaults; the shared helpers are in
`_message_utils`."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any, Literal

from .._exceptions import ConfigurationError
from ._message_lists import MessageListFunction, MessageTypes, is_type, messages_of, with_content


def count_tokens_approximately(
    messages: Iterable[Any],
    *,
    chars_per_token: float = 4.0,
    extra_tokens_per_message: float = 3.0,
    count_name: bool = True,
) -> int:
    """About how many tokens the messages are: their characters (content, role, name, tool
    calls and call ids) over `chars_per_token`, plus `extra_tokens_per_message` each,
    rounded up per message (LangChain's function of the same name)."""
    total = 0.0
    for message in messages_of(messages):
        content = message.content
        chars = len(content) if isinstance(content, str) else len(repr(content))
        calls = getattr(message, "tool_calls", None)
        if calls and isinstance(content, str):
            chars += len(repr(calls))
        if message.type == "tool":
            chars += len(getattr(message, "tool_call_id", "") or "")
        chars += len(getattr(message, "role", "") or message.type)
        name = getattr(message, "name", None)
        if count_name and isinstance(name, str):
            chars += len(name)
        total += math.ceil(chars / chars_per_token) + extra_tokens_per_message
    return math.ceil(total)


def _list_counter(token_counter: Any) -> Callable[[list[Any]], int]:
    """A function counting a list of messages, from a model (its
    `get_num_tokens_from_messages`), a function of a list, or a function of one message
    (annotated as taking a `BaseMessage`, as LangChain tells them apart)."""
    if token_counter == "approximate":
        return count_tokens_approximately
    counter = getattr(token_counter, "get_num_tokens_from_messages", None)
    if counter is not None:
        return counter  # type: ignore[no-any-return]
    if not callable(token_counter):
        raise ConfigurationError(
            "token_counter must be a model with get_num_tokens_from_messages or a function, "
            f"got {type(token_counter).__name__}"
        )
    try:
        parameters = list(inspect.signature(token_counter).parameters.values())
    except (TypeError, ValueError):  # builtins such as len
        parameters = []
    annotation = parameters[0].annotation if parameters else None
    if getattr(annotation, "__name__", annotation) in ("BaseMessage", "'BaseMessage'"):
        return lambda messages: sum(token_counter(m) for m in messages)
    return token_counter  # type: ignore[no-any-return]


# --- trim_messages --------------------------------------------------------------------------


def trim_messages(
    messages: Any = None,
    *,
    max_tokens: int,
    token_counter: Any,
    strategy: Literal["first", "last"] = "last",
    allow_partial: bool = False,
    end_on: MessageTypes | None = None,
    start_on: MessageTypes | None = None,
    include_system: bool = False,
    text_splitter: Callable[[str], list[str]] | Any = None,
) -> Any:
    """The messages cut to at most `max_tokens` tokens (LangChain's `trim_messages`).

    Args:
        messages: the messages; None returns a runnable that trims its input.
        max_tokens: the most tokens to keep.
        token_counter: a chat model (its `get_num_tokens_from_messages`), a function of a
            list of messages, a function of one message (annotated `BaseMessage`), `len`
            (counting messages), or "approximate" (`count_tokens_approximately`).
        strategy: "last" keeps the latest messages, "first" the earliest.
        allow_partial: keep part of the message at the edge (its last lines for "last",
            its first for "first"; blocks, for a list of content blocks).
        end_on: drop messages after the last one of this type (or types).
        start_on: with "last", drop messages before the first one of this type.
        include_system: with "last", keep a system message at the start.
        text_splitter: splits a text for `allow_partial` (a function or an object with
            `split_text`); default: on newlines, keeping them.

    Raises:
        ConfigurationError: `start_on` or `include_system` with "first", an unknown strategy
            or token counter.
    """
    options = {
        "max_tokens": max_tokens,
        "token_counter": token_counter,
        "strategy": strategy,
        "allow_partial": allow_partial,
        "end_on": end_on,
        "start_on": start_on,
        "include_system": include_system,
        "text_splitter": text_splitter,
    }
    if strategy not in ("first", "last"):
        raise ConfigurationError(f"strategy must be 'first' or 'last', got {strategy!r}")
    if strategy == "first" and (start_on or include_system):
        raise ConfigurationError("start_on and include_system are only valid with strategy='last'")
    if messages is None:
        return MessageListFunction(trim_messages, options)
    count = _list_counter(token_counter)
    splitter = getattr(text_splitter, "split_text", text_splitter) or _split_lines
    items = messages_of(messages)
    if strategy == "first":
        return _first(
            items, max_tokens, count, splitter, "first" if allow_partial else None, end_on
        )
    if end_on:
        while items and not is_type(items[-1], end_on):
            items.pop()
    system = None
    if include_system and items and items[0].type == "system":
        system, items = items[0], items[1:]
        max_tokens = max(0, max_tokens - count([system]))
    kept = _first(
        items[::-1], max_tokens, count, splitter, "last" if allow_partial else None, start_on
    )
    kept.reverse()
    return [system, *kept] if system is not None else kept


def _split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + lines[-1:]


def _first(
    messages: list[Any],
    max_tokens: int,
    count: Callable[[list[Any]], int],
    split: Callable[[str], list[str]],
    partial: str | None,
    end_on: MessageTypes | None,
) -> list[Any]:
    """The longest head of `messages` within `max_tokens`, then cut back to `end_on`."""
    if not messages:
        return []
    if count(messages) <= max_tokens:
        fit = len(messages)
    else:  # binary search for the most whole messages that fit
        low, high = 0, len(messages)
        while low < high:
            middle = (low + high + 1) // 2
            if count(messages[:middle]) <= max_tokens:
                low = middle
            else:
                high = middle - 1
        fit = low
        if partial and fit < len(messages):
            piece = _partial(messages[:fit], messages[fit], max_tokens, count, split, partial)
            if piece is not None:
                messages = [*messages[:fit], piece]
                fit += 1
    if end_on:
        while fit > 0 and not is_type(messages[fit - 1], end_on):
            fit -= 1
    return list(messages[:fit])


def _partial(
    head: list[Any],
    message: Any,
    max_tokens: int,
    count: Callable[[list[Any]], int],
    split: Callable[[str], list[str]],
    side: str,
) -> Any | None:
    """The largest part of `message` that fits after `head`: its first (or, for side
    "last", last) content blocks, else lines of its text; None when no part fits."""
    content = message.content
    if isinstance(content, list) and len(content) > 1:
        blocks = content if side == "first" else content[::-1]
        for size in range(len(blocks) - 1, 0, -1):
            kept = blocks[:size] if side == "first" else blocks[:size][::-1]
            candidate = with_content(message, kept)
            if count([*head, candidate]) <= max_tokens:
                return candidate
    text = content if isinstance(content, str) else _first_text(content)
    if not text:
        return None
    pieces = split(text)
    if side == "last":
        pieces = pieces[::-1]
    base = count(head)
    low, high = 0, len(pieces)
    while low < high:
        middle = (low + high + 1) // 2
        kept = pieces[:middle] if side == "first" else pieces[:middle][::-1]
        if base + count([with_content(message, "".join(kept))]) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    if low == 0:
        return None
    kept = pieces[:low] if side == "first" else pieces[:low][::-1]
    return with_content(message, "".join(kept))


def _first_text(content: Any) -> str | None:
    for block in content if isinstance(content, list) else ():
        if isinstance(block, str):
            return block
        if isinstance(block, dict) and block.get("type") == "text":
            return str(block.get("text") or "")
    return None


__all__ = [
    "count_tokens_approximately",
    "trim_messages",
]
