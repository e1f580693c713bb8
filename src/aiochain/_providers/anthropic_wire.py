"""Anthropic's Messages API on the wire, client side: messages and tools into a request body,
and a Message, its usage and its stream events back into our common shapes.

Facts from Anthropic's API reference (Messages, Streaming Messages, Tool use, Prompt caching):
system prompts are a top-level `system` (a string or text blocks), never a message; only
`user` and `assistant` turns, whose content is a string or content blocks; a tool call is a
`tool_use` block `{"id", "name", "input"}` and its result a `tool_result` block in the next user
turn; tools are `{"name", "description", "input_schema"}`; `usage.input_tokens` excludes the
tokens written to and read from the prompt cache (`cache_creation_input_tokens`,
`cache_read_input_tokens`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._exceptions import BadResponseError, ConfigurationError
from .._types import DetailedUsage, JSONDict, Usage
from ..messages import AIMessage, BaseMessage, ToolMessage, parse_tool_calls
from .openai_wire import token_count

MAX_TOOL_BLOCKS = 128
"""The most tool_use blocks believed in one answer."""


def to_anthropic(messages: Iterable[BaseMessage]) -> tuple[Any, list[JSONDict]]:
    """The `system` field (None, a string, or text blocks) and the `messages` of a request.

    System messages are lifted out of the conversation into `system`; a `ToolMessage` becomes
    a `tool_result` block in a user turn (consecutive results share one turn, as the API
    wants every result of one assistant turn in the next user turn). Content given as a list
    of blocks is sent as Anthropic's blocks (`_anthropic_blocks`: `cache_control` kept,
    images converted, another provider's answer items left out).
    """
    system: list[Any] = []
    turns: list[JSONDict] = []
    for message in messages:
        content: Any = message.content
        if message.role == "system":
            system.extend(_blocks(content) if isinstance(content, list) else [content])
            continue
        if isinstance(message, ToolMessage):
            block = {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": content}
            last = turns[-1] if turns else None
            if last is not None and last["role"] == "user" and _is_results(last["content"]):
                last["content"].append(block)
            else:
                turns.append({"role": "user", "content": [block]})
            continue
        if isinstance(message, AIMessage) and message.tool_calls:
            blocks = _blocks(content)
            blocks.extend(
                {
                    "type": "tool_use",
                    "id": call.get("id") or "",
                    "name": call.get("name") or "",
                    "input": call.get("args") or {},
                }
                for call in message.tool_calls
            )
            turns.append({"role": "assistant", "content": blocks})
            continue
        role = "assistant" if message.role == "assistant" else "user"
        turns.append(
            {"role": role, "content": _blocks(content) if isinstance(content, list) else content}
        )
    if not turns:
        raise ConfigurationError("Anthropic's API needs at least one user message")
    return _system_field(system), turns


def _blocks(content: Any) -> list[Any]:
    if isinstance(content, list):
        return _anthropic_blocks(content)
    return [{"type": "text", "text": content}] if content else []


# Blocks of another provider's answer that hold no content to send (an OpenAI Responses
# answer's items, kept in a conversation's history).
_NOT_CONTENT = frozenset({"function_call", "reasoning", "refusal", "web_search_call"})
_TEXT_KEYS = ("type", "text", "cache_control", "citations")


def _anthropic_blocks(content: list[Any]) -> list[Any]:
    """List content as Anthropic's blocks: strings and text blocks as text (another provider's
    ids and annotations dropped), OpenAI's `image_url` and LangChain's `image` blocks as
    Anthropic images; Anthropic's own blocks as they are."""
    blocks: list[Any] = []
    for block in content:
        if isinstance(block, str):
            if block:
                blocks.append({"type": "text", "text": block})
            continue
        kind = block.get("type") if isinstance(block, dict) else None
        if kind is None or kind in _NOT_CONTENT:
            continue
        if kind == "text":
            blocks.append({key: block[key] for key in _TEXT_KEYS if key in block})
        elif kind == "image_url" or (kind == "image" and "source" not in block):
            blocks.append({"type": "image", "source": _image_source(block)})
        else:
            blocks.append(block)
    return blocks


def _image_source(block: Mapping[str, Any]) -> JSONDict:
    url = block.get("image_url", block.get("url"))
    url = url.get("url") if isinstance(url, Mapping) else url
    if url is None and block.get("base64") is not None:
        mime = block.get("mime_type") or "image/png"
        return {"type": "base64", "media_type": mime, "data": block["base64"]}
    head, _, data = str(url).partition(",")
    if head.startswith("data:") and ";base64" in head:
        return {"type": "base64", "media_type": head[5:].split(";")[0], "data": data}
    return {"type": "url", "url": str(url)}


def _is_results(content: Any) -> bool:
    return (
        isinstance(content, list)
        and bool(content)
        and all(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)
    )


def _system_field(parts: Sequence[Any]) -> Any:
    """One string when every part is text, else text blocks (keeping `cache_control`)."""
    if not parts:
        return None
    if all(isinstance(p, str) for p in parts):
        return "\n\n".join(parts)
    return [{"type": "text", "text": p} if isinstance(p, str) else p for p in parts]


def tool_of(openai_tool: Mapping[str, Any]) -> JSONDict:
    """An OpenAI-shaped tool (`{"type": "function", "function": {...}}`) as Anthropic's."""
    function = openai_tool["function"]
    tool: JSONDict = {
        "name": function["name"],
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        tool["description"] = function["description"]
    return tool


def tool_choice_of(choice: str | Mapping[str, Any], names: Sequence[str]) -> JSONDict:
    """Anthropic's `tool_choice` for "auto", "none", "any" / "required", a tool's name, or a
    dict given in Anthropic's own form."""
    if isinstance(choice, Mapping):
        return dict(choice)
    if choice in ("auto", "none", "any"):
        return {"type": choice}
    if choice == "required":
        return {"type": "any"}
    if choice not in names:
        raise ConfigurationError(f"tool_choice {choice!r} is not among {list(names)}")
    return {"type": "tool", "name": choice}


# --- answers ---------------------------------------------------------------------------------


def read_anthropic_usage(data: JSONDict) -> Usage | None:
    """The usage of a Message, or of a `message_start` / `message_delta` event, else None.

    Prompt tokens are every input token: `input_tokens` plus the tokens written to and read
    from the prompt cache, as LangChain counts them.

    Raises:
        BadResponseError: counts that are not sane non-negative integers.
    """
    kind = data.get("type")
    if kind == "message_start":
        message = data.get("message")
        raw = message.get("usage") if isinstance(message, dict) else None
    elif kind in ("message", "message_delta"):
        raw = data.get("usage")
    else:
        return None
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadResponseError(
            f"the answer's usage is not an object: {str(raw)[:80]!r}", body=str(data)[:2000]
        )
    written = token_count(raw.get("cache_creation_input_tokens"), data)
    read = token_count(raw.get("cache_read_input_tokens"), data)
    prompt = token_count(raw.get("input_tokens"), data) + written + read
    completion = token_count(raw.get("output_tokens"), data)
    if "cache_read_input_tokens" not in raw and "cache_creation_input_tokens" not in raw:
        return Usage(prompt, completion, prompt + completion)
    return DetailedUsage(
        prompt,
        completion,
        prompt + completion,
        cache_read_tokens=read,
        cache_creation_tokens=written,
    )


def read_message(data: JSONDict, url: str) -> tuple[str, list[JSONDict], JSONDict]:
    """A Message's text (its text blocks joined), tool calls (our common shape) and metadata
    (`stop_reason`, `stop_sequence`, `model_name`, `id`, the raw `usage`).

    Raises:
        BadResponseError: a body that is not a Message.
    """
    content = data.get("content")
    if data.get("type") != "message" or not isinstance(content, list):
        raise BadResponseError(
            f"{url} answered something that is not a Message: {str(data)[:200]}",
            body=str(data)[:2000],
        )
    texts: list[str] = []
    calls: list[JSONDict] = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            text = block.get("text")
            if not isinstance(text, str):
                raise BadResponseError(
                    f"{url} answered a text block without text", body=str(data)[:2000]
                )
            texts.append(text)
        elif kind == "tool_use":
            if len(calls) >= MAX_TOOL_BLOCKS:
                raise BadResponseError(f"{url} answered more than {MAX_TOOL_BLOCKS} tool calls")
            function = {"name": block.get("name"), "arguments": block.get("input")}
            calls.append({"id": block.get("id"), "function": function})
        # Other blocks (thinking, server tools' results) carry no text of the answer.
    metadata = {
        "id": data.get("id"),
        "model_name": data.get("model"),
        "stop_reason": data.get("stop_reason"),
        "stop_sequence": data.get("stop_sequence"),
        "usage": data.get("usage"),
    }
    return "".join(texts), parse_tool_calls(calls), metadata


# --- stream events ---------------------------------------------------------------------------


def event_started(event: JSONDict) -> bool:
    """Whether an event carries content: a text delta with text, a tool call's start or its
    arguments."""
    kind = event.get("type")
    if kind == "content_block_delta":
        delta = event.get("delta")
        return isinstance(delta, dict) and bool(delta.get("text") or delta.get("partial_json"))
    if kind == "content_block_start":
        block = event.get("content_block")
        return isinstance(block, dict) and (
            block.get("type") == "tool_use" or bool(block.get("text"))
        )
    return False


def event_text(event: JSONDict, tool_calls: dict[int, JSONDict] | None, url: str) -> str | None:
    """The text an event adds to the answer ("" for the answer's other events, None for
    `ping` and event types we do not know: Anthropic says new ones may appear), gathering
    tool calls by block index into `tool_calls`.

    Raises:
        BadResponseError: a content event shaped wrongly.
    """
    kind = event.get("type")
    if kind == "content_block_delta":
        delta = event.get("delta")
        if not isinstance(delta, dict):
            raise _malformed(url, event)
        if delta.get("type") == "text_delta":
            text = delta.get("text")
            if not isinstance(text, str):
                raise _malformed(url, event)
            return text
        if delta.get("type") == "input_json_delta" and tool_calls is not None:
            call = tool_calls.get(_index(event, url))
            piece = delta.get("partial_json")
            if call is None or not isinstance(piece, str):
                raise _malformed(url, event)
            call["args"] += piece
        return ""
    if kind == "content_block_start":
        block = event.get("content_block")
        if not isinstance(block, dict):
            raise _malformed(url, event)
        if block.get("type") == "tool_use" and tool_calls is not None:
            index = _index(event, url)
            if len(tool_calls) >= MAX_TOOL_BLOCKS:
                raise _malformed(url, event)
            tool_calls[index] = {
                "id": str(block.get("id") or ""),
                "name": str(block.get("name") or ""),
                "args": "",
            }
        text = block.get("text") if block.get("type") == "text" else None
        return text if isinstance(text, str) else ""
    if kind in ("message_start", "content_block_stop", "message_delta", "message_stop"):
        return ""
    return None


def _index(event: JSONDict, url: str) -> int:
    index = event.get("index")
    if type(index) is not int or not 0 <= index < 1024:
        raise _malformed(url, event)
    return index


def _malformed(url: str, event: JSONDict) -> BadResponseError:
    return BadResponseError(
        f"{url} streamed a malformed {str(event.get('type'))[:40]} event: {str(event)[:120]!r}",
        body=str(event)[:2000],
    )
