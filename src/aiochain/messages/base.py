"""Chat messages, named as LangChain names them, sent to chat models in OpenAI's wire format."""

from __future__ import annotations

from typing import Any, ClassVar

from .._types import Usage
from ._usage import add_usage, usage_metadata_of
from .content import (
    MessageContent,
    TextAccessor,
    merge_content,
    openai_content,
    text_of,
    title_line,
)
from .standard import message_blocks
from .tool_calls import arguments_of, parse_partial_json, parse_tool_calls


class BaseMessage:
    """One message of a conversation.

    Attributes:
        content: the text of the message, or a list of content blocks (strings and dicts such
            as `{"type": "text", "text": ...}` or `{"type": "image_url", ...}`).
        name: who wrote it, when a conversation tells speakers apart (LangChain's `name`;
            sent as OpenAI's `name`).
        id: the message's id (LangChain's `id`; an answer's is the provider's).
        additional_kwargs: what a provider said beside the content (LangChain's field: e.g. a
            Responses answer's `reasoning`, or a structured answer's `parsed`).
        response_metadata: what the provider said of the answer (model, finish reason, ...).
        role: the OpenAI role (`system`, `user`, `assistant`, `tool`).
    """

    __slots__ = ("_additional_kwargs", "content", "id", "name", "response_metadata")
    role: ClassVar[str] = ""
    type: ClassVar[str] = ""

    def __init__(
        self,
        content: MessageContent = "",
        *,
        name: str | None = None,
        id: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
        content_blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        self.content: MessageContent = content if content_blocks is None else list(content_blocks)
        self.name = name
        self.id = id
        self._additional_kwargs = additional_kwargs
        self.response_metadata: dict[str, Any] = response_metadata or {}

    @property
    def additional_kwargs(self) -> dict[str, Any]:
        """What a provider said beside the content; `{}` when nothing (made on first use, as
        most messages never need one)."""
        if self._additional_kwargs is None:
            self._additional_kwargs = {}
        return self._additional_kwargs

    @additional_kwargs.setter
    def additional_kwargs(self, value: dict[str, Any]) -> None:
        self._additional_kwargs = value

    @property
    def text(self) -> TextAccessor:
        """The message's text: its content when a string, else the text of its text blocks
        (`message.text` and, as older LangChain spelled it, `message.text()`)."""
        content = self.content
        return TextAccessor(content if isinstance(content, str) else text_of(content))

    @property
    def content_blocks(self) -> list[dict[str, Any]]:
        """The content as LangChain's standard blocks (`text`, `reasoning`, `image`,
        `tool_call`, `tool_call_chunk`, ...), whatever the provider's own shape."""
        return message_blocks(self)

    def pretty_repr(self, html: bool = False) -> str:
        """The message under a title line, as LangChain's `pretty_repr` (`html` accepted)."""
        title = title_line(f"{self.type.title()} Message")
        if self.name is not None:
            title += f"\nName: {self.name}"
        return f"{title}\n\n{self.content}"

    def pretty_print(self) -> None:
        """Print `pretty_repr()`."""
        print(self.pretty_repr())

    def to_openai(self) -> dict[str, Any]:
        """The message as OpenAI's chat API expects it."""
        content: str | list[Any] = self.content
        if not isinstance(content, str):
            content = openai_content(content)
        if self.name is None:
            return {"role": self.role, "content": content}
        return {"role": self.role, "content": content, "name": self.name}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BaseMessage)
            and type(other) is type(self)
            and (other.content == self.content)
        )

    def __hash__(self) -> int:
        return hash((self.role, self.text))

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

    __slots__ = ("_usage_metadata", "tool_calls", "usage")
    role = "assistant"
    type = "ai"

    def __init__(
        self,
        content: MessageContent = "",
        *,
        usage: Usage | None = None,
        response_metadata: dict[str, Any] | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
        id: str | None = None,
        name: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        usage_metadata: dict[str, Any] | None = None,
        invalid_tool_calls: list[dict[str, Any]] | None = None,
        content_blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(
            content,
            name=name,
            id=id,  # the provider's id of the answer
            additional_kwargs=additional_kwargs,
            response_metadata=response_metadata,
            content_blocks=content_blocks,
        )
        self.usage = usage
        self._usage_metadata = usage_metadata  # LangChain's spelling, when given as such
        calls = tool_calls or []
        if invalid_tool_calls:  # LangChain's: `args` the raw text that did not decode
            calls = [*calls, *map(_invalid_call, invalid_tool_calls)]
        self.tool_calls = calls

    @property
    def usage_metadata(self) -> dict[str, Any] | None:
        """LangChain's view of `usage`: `input_tokens`, `output_tokens`, `total_tokens`
        (and `input_token_details` / `output_token_details` where the provider says more)."""
        if self._usage_metadata is not None:
            return self._usage_metadata
        return usage_metadata_of(self.usage)

    @property
    def invalid_tool_calls(self) -> list[dict[str, Any]]:
        """The tool calls whose arguments are not a JSON object (each with an `error`), as
        LangChain lists them apart; they stay in `tool_calls` too, where agents answer them."""
        return [call for call in self.tool_calls if "error" in call]

    def pretty_repr(self, html: bool = False) -> str:
        """The message and its tool calls under a title line, as LangChain's."""
        lines = [super().pretty_repr(html).strip()]
        if self.tool_calls:
            lines.append("Tool Calls:")
            for call in self.tool_calls:
                lines += [f"  {call.get('name', 'Tool')} ({call.get('id')})"]
                lines += [f" Call ID: {call.get('id')}"]
                if call.get("args"):
                    lines.append("  Args:")
                    lines += [f"    {key}: {value}" for key, value in call["args"].items()]
        return "\n".join(lines).strip()

    def to_openai(self) -> dict[str, Any]:
        """The message as OpenAI's chat API expects it, tool calls included."""
        if not self.tool_calls:
            return super().to_openai()
        return {
            "role": "assistant",
            **({"name": self.name} if self.name is not None else {}),
            "content": self.text or None,
            "tool_calls": [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": arguments_of(call)},
                }
                for call in self.tool_calls
            ],
        }


def _invalid_call(call: dict[str, Any]) -> dict[str, Any]:
    raw = call.get("args")
    return {
        **call,
        "args": None,
        "arguments": raw if isinstance(raw, str) else "",
        "error": call.get("error") or "arguments are not a JSON object",
    }


class AIMessageChunk(AIMessage):
    """A piece of a streamed answer; `chunk + chunk` joins pieces into a longer chunk.

    Attributes:
        tool_call_chunks: pieces of tool calls, each `{"name", "args", "id", "index"}` with
            `args` a fragment of the JSON text; pieces with the same `index` are joined by `+`.
        chunk_usage_metadata: usage as LangChain reports it, set on the final chunk of a stream.
        chunk_position: `"last"` on a stream's last chunk (and on a sum that holds it), as
            LangChain marks it: its `content_blocks` then give whole `tool_call`s.
    """

    __slots__ = ("chunk_position", "chunk_usage_metadata", "tool_call_chunks")
    type = "AIMessageChunk"

    def __init__(
        self,
        content: MessageContent = "",
        *,
        usage_metadata: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
        tool_call_chunks: list[dict[str, Any]] | None = None,
        id: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        chunk_position: str | None = None,
    ) -> None:
        super().__init__(
            content, response_metadata=response_metadata, id=id, additional_kwargs=additional_kwargs
        )
        self.chunk_position = chunk_position
        self.chunk_usage_metadata = usage_metadata
        self.tool_call_chunks = list(tool_call_chunks or [])
        self.tool_calls = parse_tool_calls(
            [
                {"id": c.get("id"), "function": {"name": c.get("name"), "arguments": c.get("args")}}
                for c in self.tool_call_chunks
            ]
        )
        if chunk_position != "last":
            # Mid-stream, arguments are JSON cut short: read as far as they go, as
            # langchain-core does (a whole answer's stay strict: garbage is an error there).
            for call in self.tool_calls:
                if "error" in call and isinstance(call["arguments"], str):
                    args = parse_partial_json(call["arguments"])
                    if isinstance(args, dict):
                        call["args"] = args
                        del call["error"]

    @property
    def usage_metadata(self) -> dict[str, Any] | None:
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
        content = self.content
        content = (
            content + other.content
            if isinstance(content, str) and isinstance(other.content, str)
            else merge_content(content, other.content)
        )
        last = "last" in (self.chunk_position, other.chunk_position)
        extra = self._additional_kwargs
        if other._additional_kwargs:
            extra = {**(extra or {}), **other._additional_kwargs}
        return AIMessageChunk(
            content,
            usage_metadata=add_usage(self.chunk_usage_metadata, other.chunk_usage_metadata),
            response_metadata={**self.response_metadata, **other.response_metadata},
            tool_call_chunks=list(calls.values()),
            id=self.id or other.id,  # pieces of one answer share its id; the first one given
            additional_kwargs=extra,
            chunk_position="last" if last else None,
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, AIMessageChunk)
            and other.content == self.content
            and other.tool_call_chunks == self.tool_call_chunks
        )

    def __hash__(self) -> int:
        return hash(("AIMessageChunk", self.text))


class ToolMessage(BaseMessage):
    """The result of a tool call, sent back to the model.

    Attributes:
        tool_call_id: the id of the call this answers.
    """

    __slots__ = ("artifact", "status", "tool_call_id")
    role = "tool"
    type = "tool"

    def __init__(
        self,
        content: MessageContent = "",
        *,
        tool_call_id: str,
        name: str | None = None,
        id: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
        artifact: Any = None,
        status: str = "success",
    ) -> None:
        super().__init__(
            content,
            name=name,
            id=id,
            additional_kwargs=additional_kwargs,
            response_metadata=response_metadata,
        )
        self.tool_call_id = tool_call_id
        self.artifact = artifact  # LangChain's: what the tool made beside its text, not sent
        self.status = status

    def __repr__(self) -> str:
        return f"ToolMessage(content={self.content!r}, tool_call_id={self.tool_call_id!r})"

    def to_openai(self) -> dict[str, Any]:
        content = self.content
        return {
            "role": "tool",
            "tool_call_id": self.tool_call_id,
            "content": content if isinstance(content, str) else text_of(content),
        }


__all__ = [
    "AIMessage",
    "AIMessageChunk",
    "BaseMessage",
    "HumanMessage",
    "SystemMessage",
    "ToolMessage",
    "usage_metadata_of",
]
