"""A message's content as LangChain holds it: a string, or a list of content blocks (strings
and dicts such as `{"type": "text", "text": ...}` or `{"type": "image_url", ...}`).

One place reads it: `text_of` (the text of the `text` blocks, what `message.text` gives),
`merge_content` (how `chunk + chunk` joins streamed pieces, blocks with the same `index`
merged as LangChain merges them), `openai_content` (list content on OpenAI's chat API) and
`title_line` (the `===== Ai Message =====` line of `pretty_print`). LangChain's standard view
of content (`content_blocks`) is `standard`'s.
"""

from __future__ import annotations

from typing import Any, TypeAlias

MessageContent: TypeAlias = "str | list[Any]"
"""A message's content: text, or a list of content blocks (strings and dicts)."""

# Fields of a block that name it rather than hold its text: kept, never concatenated.
_NAMING_KEYS = frozenset({"type", "index", "id", "call_id", "name", "phase", "output_version"})


class TextAccessor(str):
    """A message's text: a `str` that can also be called, so both LangChain spellings work
    (`message.text`, the 1.0 property, and `message.text()`, the older method)."""

    __slots__ = ()

    def __call__(self) -> str:
        return str(self)


def text_of(content: Any) -> str:
    """The text of a content: itself for a string, else its string blocks and the `text` of
    its `{"type": "text"}` blocks, joined (other blocks, such as images, carry no text)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return "" if content is None else str(content)
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            text = block.get("text")
            if isinstance(text, str):
                parts.append(text)
    return "".join(parts)


def merge_content(first: Any, second: Any) -> Any:
    """Two pieces of streamed content joined, as LangChain's `merge_content`: texts
    concatenated; a text before blocks leads them; blocks with the same integer `index`
    merged into one (their text fields concatenated), others appended."""
    if isinstance(first, str):
        if isinstance(second, str):
            return first + second
        return ([first] if first else []) + list(second)
    merged = list(first)
    if isinstance(second, str):
        if not second:
            return merged
        if merged and isinstance(merged[-1], str):
            merged[-1] += second
        else:
            merged.append(second)
        return merged
    return _merge_lists(merged, second)


def _merge_lists(merged: list[Any], more: list[Any]) -> list[Any]:
    """`more` merged into `merged` (a fresh list): dicts with an `index` already there joined
    with theirs, everything else appended."""
    for block in more:
        index = block.get("index") if isinstance(block, dict) else None
        if type(index) is int:
            for position, earlier in enumerate(merged):
                if isinstance(earlier, dict) and earlier.get("index") == index:
                    merged[position] = _merge_block(earlier, block)
                    break
            else:
                merged.append(dict(block))
        else:
            merged.append(block)
    return merged


def _merge_block(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = dict(left)
    for key, value in right.items():
        if key not in merged or merged[key] is None:
            merged[key] = value
        elif key in _NAMING_KEYS:
            if value and not merged[key]:
                merged[key] = value
        elif isinstance(value, str) and isinstance(merged[key], str):
            merged[key] += value
        elif isinstance(value, list) and isinstance(merged[key], list):
            merged[key] = _merge_lists(list(merged[key]), value)
        elif value is not None:
            merged[key] = value
    return merged


def openai_content(content: list[Any]) -> str | list[dict[str, Any]]:
    """A list content as OpenAI's chat API takes it: one string when it is all text (what
    every OpenAI-compatible server reads), else its parts (`text`, `image_url`,
    `input_audio`, `file`; LangChain's standard `image` blocks as `image_url`). Blocks of a
    provider's answer that are not content (function calls, reasoning) are left out."""
    parts: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
            continue
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text") or "")})
        elif kind == "image":
            url = block.get("url")
            if url is None and block.get("base64") is not None:
                mime = block.get("mime_type") or "image/png"
                url = f"data:{mime};base64,{block['base64']}"
            if url is not None:
                parts.append({"type": "image_url", "image_url": {"url": url}})
        elif kind in ("image_url", "input_audio", "file"):
            parts.append(block)
    if all(part["type"] == "text" for part in parts):
        return "".join(part["text"] for part in parts)
    return parts


def title_line(title: str) -> str:
    """`title` centred in a line of `=` 80 wide, as LangChain's `pretty_repr` heads a message."""
    padded = f" {title} "
    side = (80 - len(padded)) // 2
    return "=" * side + padded + "=" * (side + len(padded) % 2)


__all__ = [
    "MessageContent",
    "TextAccessor",
    "merge_content",
    "openai_content",
    "text_of",
    "title_line",
]
