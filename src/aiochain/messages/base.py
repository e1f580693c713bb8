"""Chat messages, named as LangChain names them, sent to chat models in OpenAI's wire format."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeAlias

from .. import _json
from .._exceptions import BadResponseError, UsageError
from .._types import Usage


class BaseMessage:
    """One message of a conversation.

    Attributes:
        content: the text of the message.
        name: who wrote it, when a conversation tells speakers apart (LangChain's `name`;
            sent as OpenAI's `name`).
        id: the message's id (LangChain's `id`; an answer's is the provider's).
        role: the OpenAI role (`system`, `user`, `assistant`, `tool`).
    """

    __slots__ = ("content", "id", "name")
    role: ClassVar[str] = ""
    type: ClassVar[str] = ""

    def __init__(self, content: str, *, name: str | None = None, id: str | None = None) -> None:
        self.content = content
        self.name = name
        self.id = id

    def to_openai(self) -> dict[str, Any]:
        """The message as OpenAI's chat API expects it."""
        if self.name is None:
            return {"role": self.role, "content": self.content}
        return {"role": self.role, "content": self.content, "name": self.name}

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
        tool_calls: the tools the model asks to call, each
            `{"id", "name", "args", "arguments"}` (`args` decoded, `arguments` the raw JSON text;
            `args` is None and `error` says why when the text is not a JSON object).
    """

    __slots__ = ("response_metadata", "tool_calls", "usage")
    role = "assistant"
    type = "ai"

    def __init__(
        self,
        content: str,
        *,
        usage: Usage | None = None,
        response_metadata: dict[str, Any] | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
        id: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(content, name=name, id=id)  # id: the provider's id of the answer
        self.usage = usage
        self.response_metadata = response_metadata or {}
        self.tool_calls = tool_calls or []

    @property
    def usage_metadata(self) -> dict[str, Any] | None:
        """LangChain's view of `usage`: `input_tokens`, `output_tokens`, `total_tokens`
        (and `input_token_details` / `output_token_details` where the provider says more)."""
        return usage_metadata_of(self.usage)

    def to_openai(self) -> dict[str, Any]:
        """The message as OpenAI's chat API expects it, tool calls included."""
        if not self.tool_calls:
            return super().to_openai()
        return {
            "role": "assistant",
            **({"name": self.name} if self.name is not None else {}),
            "content": self.content or None,
            "tool_calls": [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": _arguments_of(call)},
                }
                for call in self.tool_calls
            ],
        }


def _arguments_of(call: Mapping[str, Any]) -> str:
    """A tool call's arguments as JSON text (LangChain's calls carry only the decoded `args`)."""
    arguments = call.get("arguments")
    if isinstance(arguments, str):
        return arguments
    return json.dumps(call.get("args") or {})


def usage_metadata_of(usage: Any) -> dict[str, Any] | None:
    """`{"input_tokens", "output_tokens", "total_tokens"}` from a `Usage`, or None; with
    LangChain's `input_token_details.cache_read` and `output_token_details.reasoning` when the
    usage has them (Gemini's `GeminiUsage`)."""
    if usage is None:
        return None
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion = int(getattr(usage, "completion_tokens", 0) or 0)
    total = int(getattr(usage, "total_tokens", 0) or 0) or prompt + completion
    meta: dict[str, Any] = {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": total,
    }
    if cached := getattr(usage, "cache_read_tokens", 0):
        meta["input_token_details"] = {"cache_read": cached}
    if reasoning := getattr(usage, "reasoning_tokens", 0):
        meta["output_token_details"] = {"reasoning": reasoning}
    return meta


class AIMessageChunk(AIMessage):
    """A piece of a streamed answer; `chunk + chunk` joins pieces into a longer chunk.

    Attributes:
        tool_call_chunks: pieces of tool calls, each `{"name", "args", "id", "index"}` with
            `args` a fragment of the JSON text; pieces with the same `index` are joined by `+`.
        chunk_usage_metadata: usage as LangChain reports it, set on the final chunk of a stream.
    """

    __slots__ = ("chunk_usage_metadata", "tool_call_chunks")
    type = "AIMessageChunk"

    def __init__(
        self,
        content: str = "",
        *,
        usage_metadata: dict[str, int] | None = None,
        response_metadata: dict[str, Any] | None = None,
        tool_call_chunks: list[dict[str, Any]] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(content, response_metadata=response_metadata, id=id)
        self.chunk_usage_metadata = usage_metadata
        self.tool_call_chunks = list(tool_call_chunks or [])
        self.tool_calls = parse_tool_calls(
            [
                {"id": c.get("id"), "function": {"name": c.get("name"), "arguments": c.get("args")}}
                for c in self.tool_call_chunks
            ]
        )

    @property
    def usage_metadata(self) -> dict[str, int] | None:
        """The usage of the stream, on its final chunk (and on the sum of all chunks)."""
        return self.chunk_usage_metadata

    def __add__(self, other: object) -> AIMessageChunk:
        if not isinstance(other, AIMessageChunk):
            return NotImplemented
        calls: dict[Any, dict[str, Any]] = {}
        for piece in (*self.tool_call_chunks, *other.tool_call_chunks):
            key = piece.get("index", len(calls))
            call = calls.setdefault(key, {"name": None, "args": "", "id": None, "index": key})
            for field in ("name", "id"):
                call[field] = call[field] or piece.get(field)
            call["args"] += piece.get("args") or ""
        return AIMessageChunk(
            self.content + other.content,
            usage_metadata=_add_usage(self.chunk_usage_metadata, other.chunk_usage_metadata),
            response_metadata={**self.response_metadata, **other.response_metadata},
            tool_call_chunks=list(calls.values()),
            id=self.id or other.id,  # pieces of one answer share its id; the first one given
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, AIMessageChunk)
            and other.content == self.content
            and other.tool_call_chunks == self.tool_call_chunks
        )

    def __hash__(self) -> int:
        return hash(("AIMessageChunk", self.content))


def _add_usage(a: dict[str, int] | None, b: dict[str, int] | None) -> dict[str, int] | None:
    if a is None or b is None:
        return a if b is None else b
    return {key: a.get(key, 0) + b.get(key, 0) for key in {**a, **b}}


class ToolMessage(BaseMessage):
    """The result of a tool call, sent back to the model.

    Attributes:
        tool_call_id: the id of the call this answers.
    """

    __slots__ = ("tool_call_id",)
    role = "tool"
    type = "tool"

    def __init__(
        self, content: str, *, tool_call_id: str, name: str | None = None, id: str | None = None
    ) -> None:
        super().__init__(content, name=name, id=id)
        self.tool_call_id = tool_call_id

    def __repr__(self) -> str:
        return f"ToolMessage(content={self.content!r}, tool_call_id={self.tool_call_id!r})"

    def to_openai(self) -> dict[str, Any]:
        return {"role": "tool", "tool_call_id": self.tool_call_id, "content": self.content}


def get_buffer_string(
    messages: Sequence[BaseMessage], human_prefix: str = "Human", ai_prefix: str = "AI"
) -> str:
    """Messages as one text of `Human: ...` / `AI: ...` lines (LangChain's
    `get_buffer_string`, which memories and `on_llm_start` use)."""
    prefixes = {"human": human_prefix, "ai": ai_prefix, "AIMessageChunk": ai_prefix}
    prefixes.update(system="System", tool="Tool")
    return "\n".join(f"{prefixes.get(m.type, m.type)}: {m.content}" for m in messages)


def parse_tool_calls(raw: Any) -> list[dict[str, Any]]:
    """Tool calls from OpenAI's `message.tool_calls`, with their arguments decoded.

    Each call is `{"id", "name", "arguments", "args"}`, plus `"error"` when its arguments do
    not decode to a JSON object (the agent tells the model so). Arguments sent as an object
    instead of a JSON string are taken as they are (some servers do).

    Raises:
        BadResponseError: a call that is not shaped as a tool call at all.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadResponseError(f"tool_calls is not a list: {str(raw)[:80]!r}")
    calls = []
    for item in raw:
        function = item.get("function") if isinstance(item, dict) else None
        if function is None:
            function = {}
        if not isinstance(item, dict) or not isinstance(function, dict):
            raise BadResponseError(f"a tool call is not shaped as one: {str(item)[:80]!r}")
        arguments = function.get("arguments") or ""
        call: dict[str, Any] = {
            "id": str(item.get("id") or ""),
            "name": str(function.get("name") or ""),
            "arguments": arguments,
            "args": None,
            "type": "tool_call",
        }
        if isinstance(arguments, dict):
            call["args"] = arguments
            call["arguments"] = json.dumps(arguments)
        elif not isinstance(arguments, str):
            call["error"] = "arguments are not a JSON object"
        else:
            try:
                args = _json.loads(arguments) if arguments.strip() else {}
            except ValueError as exc:
                call["error"] = f"arguments are not valid JSON ({str(exc)[:80]})"
            else:
                if isinstance(args, dict):
                    call["args"] = args
                else:
                    call["error"] = "arguments are not a JSON object"
        calls.append(call)
    return calls


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


MessageLike: TypeAlias = "BaseMessage | tuple[str, str] | Mapping[str, Any]"
"""A chat message: a message object, a `(role, content)` pair or an OpenAI-style dict."""


__all__ = [
    "AIMessage",
    "BaseMessage",
    "HumanMessage",
    "MessageLike",
    "SystemMessage",
    "ToolMessage",
    "message_class",
    "parse_tool_calls",
    "to_message",
    "to_messages",
]
