"""Messages written as one text: LangChain's `get_buffer_string` (`langchain_core.messages.
utils`), in its two formats.

- `"prefix"` (the default): `Role: text` per message; an AI message's tool calls follow its
  text as Python's `str` of LangChain's tool-call dicts (`{'name', 'args', 'id', 'type'}`),
  or, with none, its legacy `additional_kwargs["function_call"]`.
- `"xml"`: `<message type="role">...</message>` per message, text escaped; supported content
  blocks as elements, base64 data and unknown blocks skipped; an AI message with tool calls
  nests its `<content>` and one `<tool_call>` per call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

from .._exceptions import UsageError
from .base import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

_BLOCK_TEXT_LIMIT = 500  # characters of a plain-text document or server tool's JSON shown
_CALL_ID_LIMIT = 64  # characters of a tool-call id shown in XML


def get_buffer_string(
    messages: Sequence[BaseMessage],
    human_prefix: str = "Human",
    ai_prefix: str = "AI",
    *,
    system_prefix: str = "System",
    function_prefix: str = "Function",
    tool_prefix: str = "Tool",
    message_separator: str = "\n",
    format: Literal["prefix", "xml"] = "prefix",
) -> str:
    """Messages as one text, each as `Role: text` (`Human: hi\\nAI: hello`), as LangChain's
    `get_buffer_string` writes them (memories and `on_llm_start` use it).

    Args:
        messages: the messages.
        human_prefix / ai_prefix / system_prefix / function_prefix / tool_prefix: the role
            written for each kind of message (lowercased as the `type` in XML).
        message_separator: put between two messages.
        format: `"prefix"` (`Role: text`, tool calls after an AI message's text) or `"xml"`
            (`<message type="role">`, escaped, for text that itself holds `Human:` lines).

    Raises:
        UsageError: an unknown `format`, or a message of no known kind.
    """
    if format not in ("prefix", "xml"):
        raise UsageError(
            f"Unrecognized format={format!r}. Supported formats are 'prefix' and 'xml'."
        )
    prefixes = {
        "human": human_prefix,
        "ai": ai_prefix,
        "system": system_prefix,
        "function": function_prefix,
        "tool": tool_prefix,
    }
    written = []
    for message in messages:
        kind = _kind(message)
        role = str(message.role) if kind == "chat" else prefixes[kind]
        if format == "xml":
            written.append(_xml(message, role if kind == "chat" else role.lower()))
            continue
        line = f"{role}: {message.text}"
        calls = _tool_calls(message)
        if calls:
            line += str(calls)
        elif "function_call" in _extra(message):
            line += str(_extra(message)["function_call"])
        written.append(line)
    return message_separator.join(written)


def _kind(message: BaseMessage) -> str:
    """Which prefix a message takes, as LangChain tells them apart (a subclass of a kind is
    of that kind; `function` and `chat` messages by their `type`)."""
    if isinstance(message, HumanMessage):
        return "human"
    if isinstance(message, AIMessage):
        return "ai"
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, ToolMessage):
        return "tool"
    kind = getattr(message, "type", None)
    if kind in ("function", "chat"):
        return str(kind)
    raise UsageError(f"Got unsupported message type: {message!r}")


def _extra(message: BaseMessage) -> dict[str, Any]:
    return message.additional_kwargs if isinstance(message, AIMessage) else {}


def _tool_calls(message: BaseMessage) -> list[dict[str, Any]]:
    """An AI message's valid tool calls as LangChain's `ToolCall` dicts."""
    if not isinstance(message, AIMessage):
        return []
    return [
        {"name": call.get("name"), "args": call.get("args"), "id": call.get("id"),
         "type": "tool_call"}
        for call in message.tool_calls
        if "error" not in call
    ]  # fmt: skip


def _xml(message: BaseMessage, kind: str) -> str:
    content = message.content
    if isinstance(content, str):
        parts = [escape(content)] if content else []
    else:
        parts = []
        for block in content:
            if isinstance(block, str):
                if block:
                    parts.append(escape(block))
            elif isinstance(block, dict) and (shown := _xml_block(block)):
                parts.append(shown)
    calls = _tool_calls(message)
    function_call = None if calls else _extra(message).get("function_call")
    if not calls and function_call is None:
        return f"<message type={quoteattr(kind)}>{' '.join(parts)}</message>"
    lines = [f"<message type={quoteattr(kind)}>"]
    if parts:
        lines.append(f"  <content>{' '.join(parts)}</content>")
    for call in calls:
        ident = str(call.get("id") or "")
        if len(ident) > _CALL_ID_LIMIT:
            ident = ident[:_CALL_ID_LIMIT] + "..."
        args = escape(json.dumps(call.get("args", {}), ensure_ascii=False))
        name = quoteattr(str(call.get("name") or ""))
        lines.append(f"  <tool_call id={quoteattr(ident)} name={name}>{args}</tool_call>")
    if function_call is not None:
        name = quoteattr(str(function_call.get("name") or ""))
        args = escape(str(function_call.get("arguments") or "{}"))
        lines.append(f"  <function_call name={name}>{args}</function_call>")
    lines.append("</message>")
    return "\n".join(lines)


def _xml_block(block: dict[str, Any]) -> str | None:
    """A content block as XML, or None to skip it (base64 data, unknown kinds, empty)."""
    if _has_base64(block):
        return None
    kind = block.get("type", "")
    if kind == "text":
        return escape(block.get("text", "")) or None
    if kind == "reasoning":
        reasoning = block.get("reasoning", "")
        return f"<reasoning>{escape(reasoning)}</reasoning>" if reasoning else None
    if kind in ("image", "audio", "video"):
        for source in ("url", "file_id"):
            if block.get(source):
                return f"<{kind} {source}={quoteattr(block[source])} />"
        return None
    if kind == "image_url":
        image_url = block.get("image_url", {})
        url = image_url.get("url", "") if isinstance(image_url, dict) else ""
        return f"<image url={quoteattr(url)} />" if url else None
    if kind == "text-plain":
        return escape(_cut(block.get("text", ""))) or None
    if kind == "server_tool_call":
        ident = quoteattr(str(block.get("id") or ""))
        name = quoteattr(str(block.get("name") or ""))
        args = escape(_cut(json.dumps(block.get("args", {}), ensure_ascii=False)))
        return f"<server_tool_call id={ident} name={name}>{args}</server_tool_call>"
    if kind == "server_tool_result":
        ident = quoteattr(str(block.get("tool_call_id") or ""))
        status = quoteattr(str(block.get("status") or ""))
        output = block.get("output")
        shown = escape(_cut(json.dumps(output, ensure_ascii=False))) if output else ""
        opening = f"<server_tool_result tool_call_id={ident} status={status}>"
        return f"{opening}{shown}</server_tool_result>"
    return None


def _has_base64(block: dict[str, Any]) -> bool:
    if block.get("base64"):
        return True
    url = block.get("url", "")
    if isinstance(url, str) and url.startswith("data:"):
        return True
    image_url = block.get("image_url", {})
    nested = image_url.get("url", "") if isinstance(image_url, dict) else ""
    return isinstance(nested, str) and nested.startswith("data:")


def _cut(text: str) -> str:
    return text if len(text) <= _BLOCK_TEXT_LIMIT else text[:_BLOCK_TEXT_LIMIT] + "..."


__all__ = ["get_buffer_string"]
