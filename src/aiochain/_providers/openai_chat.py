"""`ChatOpenAI`: a chat model on the `/chat/completions` endpoint (public in `chat_models`)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Self

from .._exceptions import APIError, BadResponseError, ConfigurationError
from .._pipeline.pipeline import StreamOutcome
from .._types import JSONDict
from ..messages import AIMessage, AIMessageChunk, convert_to_messages, parse_tool_calls
from ..outputs import ChatGeneration, Generation, Usage
from ..prompts import LanguageModelInput
from ..runnables.base import Runnable
from .answer_events import chat_completion_events
from .openai import BaseOpenAI
from .structured_output import strict_schema, structured_output

# Set by `openai_responses`: the class `ChatOpenAI(**options)` builds for langchain-openai's
# Responses options (`use_responses_api`, `reasoning`, ...), else None; and the per-call
# switch to that API for a bound copy whose request needs it.
chat_openai_variant: Callable[[Mapping[str, Any]], type[ChatOpenAI] | None] | None = None
switched_for_call: Callable[[ChatOpenAI], ChatOpenAI] | None = None


# OpenAI's built-in tools that `tool_choice` may name by type, as langchain-openai lists them.
_WELL_KNOWN_TOOLS = frozenset(
    {
        "file_search",
        "web_search_preview",
        "web_search",
        "computer_use_preview",
        "code_interpreter",
        "mcp",
        "image_generation",
    }
)

class ChatOpenAI(BaseOpenAI[AIMessage]):
    """A chat model (default `gpt-4o-mini`); `ainvoke` returns an `AIMessage`.

    Accepts a string (sent as one user message), a prompt value, or a list of messages. See
    `BaseOpenAI` for every option; `streaming` and `verbose` are accepted as LangChain spells
    them (`verbose` logs prompts and answers under the `aiochain` logger at INFO).
    """

    _streams_chunks = True  # `astream` yields AIMessageChunks, as LangChain's chat models

    _path = "/chat/completions"
    default_model = "gpt-4o-mini"
    tools: dict[str, Any] = {}  # noqa: RUF012 - replaced, never mutated, by bind_tools
    use_responses_api: bool | None = None  # None: switch per call as LangChain does

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        variant = chat_openai_variant(kwargs) if cls is ChatOpenAI and chat_openai_variant else None
        return super().__new__(variant or cls)  # type: ignore[return-value]

    def with_structured_output(
        self,
        schema: Any,
        *,
        method: str = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """A runnable answering with `schema`'s instances (pydantic) or dicts (TypedDict, JSON
        schema); see `aiochain._providers.structured_output.structured_output` for the methods."""
        return structured_output(
            self, schema, method=method, include_raw=include_raw, strict=strict, **kwargs
        )

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> ChatOpenAI:
        """A copy of this model that offers `tools` with every request.

        The copy shares this one's connections, limits and usage totals.

        Args:
            tools: `Tool`s, functions to turn into tools, or pydantic classes, TypedDicts and
                JSON-schema dicts that only describe a call; and OpenAI's built-in tools as
                dicts (`{"type": "web_search_preview"}`, `{"type": "file_search", ...}`),
                which only the Responses API has: a model given one speaks it (as LangChain's).
            tool_choice: "auto", "none", "required" (or "any", or True), a tool's name, a
                built-in tool's type (`"web_search_preview"`, `"file_search"`, ...), or
                OpenAI's dict.
            strict: ask the server to hold every call's arguments to its schema exactly.
            parallel_tool_calls: whether the model may ask for several calls at once.
            kwargs: more request fields, as `bind` takes them.
        """
        from ..tools import as_tool

        wire: list[Any] = []
        made = []
        for tool in tools:
            if isinstance(tool, dict) and tool.get("type") not in (None, "function"):
                wire.append(dict(tool))  # a built-in tool, sent as it is
                continue
            made.append(as_tool(tool))
            wire.append(_function_tool(made[-1].to_openai(), _strict_of(tool, strict)))
        names = [t.name for t in made]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"tool names must be unique, got {names}")
        bound = self.bind(**kwargs) if kwargs else copy.copy(self)
        bound.tools = {t.name: t for t in made}
        payload = dict(bound._base_payload)
        payload["tools"] = wire
        if tool_choice is True or tool_choice == "any":
            tool_choice = "required"  # LangChain's spellings of "some tool must be called"
        if tool_choice is not None and tool_choice is not False:
            builtin = {t["type"] for t in wire if t.get("type") not in (None, "function")}
            if isinstance(tool_choice, str) and tool_choice not in ("auto", "none", "required"):
                if tool_choice in bound.tools:
                    tool_choice = {"type": "function", "function": {"name": tool_choice}}
                elif tool_choice in builtin | _WELL_KNOWN_TOOLS:
                    tool_choice = {"type": tool_choice}  # a built-in tool, as LangChain's
                else:
                    known = names + sorted(builtin)
                    raise ConfigurationError(f"tool_choice {tool_choice!r} is not among {known}")
            payload["tool_choice"] = tool_choice
        if parallel_tool_calls is not None:
            payload["parallel_tool_calls"] = parallel_tool_calls
        bound._base_payload = payload
        return switched_for_call(bound) if switched_for_call is not None else bound

    def bind(self, **kwargs: Any) -> Self:
        """A copy of this model whose requests carry `kwargs` as fields; one asking for what
        only the Responses API has (`reasoning=`, `previous_response_id=`, ...) speaks it."""
        bound = super().bind(**kwargs)
        if switched_for_call is None:
            return bound
        return switched_for_call(bound)  # type: ignore[return-value]

    def _astream_chunks(
        self, input: LanguageModelInput, kwargs: Mapping[str, Any]
    ) -> AsyncIterator[AIMessageChunk]:
        if kwargs and switched_for_call is not None:
            bound = self.bind(**kwargs)
            if type(bound) is not type(self):  # this call's fields need the Responses API
                return bound._astream_chunks(input, {})
        return super()._astream_chunks(input, kwargs)

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        if isinstance(input, str):
            messages: list[dict[str, Any]] = [{"role": "user", "content": input}]
        else:
            messages = [m.to_openai() for m in convert_to_messages(input)]
        payload = self._base_payload.copy()
        payload["messages"] = messages
        return payload

    def _message_of(self, choice: JSONDict, data: JSONDict, usage: Usage) -> AIMessage:
        message = choice.get("message")
        if not isinstance(message, dict):
            raise BadResponseError(
                f"{self._where} answered a choice without a message",
                body=str(data)[:2000],
            )
        content = message.get("content")
        if content is None:
            content = ""  # a message of tool calls only
        elif not isinstance(content, str):
            raise BadResponseError(
                f"{self._where} answered content that is not text: "
                f"{str(content)[:80]!r}",
                body=str(data)[:2000],
            )
        answer_id = _answer_id(data)
        # What langchain-openai's response_metadata holds for a chat completion.
        metadata: dict[str, Any] = {
            "token_usage": data.get("usage"),
            "model_provider": "openai",
            "model_name": data.get("model"),
            "system_fingerprint": data.get("system_fingerprint") or "",
            "id": answer_id,
            "finish_reason": choice.get("finish_reason"),
            "logprobs": choice.get("logprobs"),
        }
        if data.get("service_tier") is not None:
            metadata["service_tier"] = data["service_tier"]
        return AIMessage(
            content,
            usage=usage,
            response_metadata=metadata,
            tool_calls=parse_tool_calls(message.get("tool_calls")),
            id=answer_id,
        )

    def _generations(self, data: JSONDict, usage: Usage) -> list[Generation]:
        out: list[Generation] = []
        for choice in self._choices_of(data):
            message = self._message_of(choice, data, usage)
            out.append(
                ChatGeneration(
                    text=message.text,
                    generation_info=dict(message.response_metadata),
                    message=message,
                )
            )
        return out

    def _collect_tool_deltas(self, choice: JSONDict, sink: dict[int, JSONDict]) -> None:
        delta = choice.get("delta")
        pieces = delta.get("tool_calls") if isinstance(delta, dict) else None
        if not isinstance(pieces, list):
            return
        for piece in pieces:
            index = piece.get("index", 0) if isinstance(piece, dict) else None
            function = piece.get("function") or {} if isinstance(piece, dict) else None
            arguments = function.get("arguments") or "" if isinstance(function, dict) else None
            if (
                type(index) is not int
                or not 0 <= index < 128
                or not isinstance(arguments, str)
                or len(sink) >= 128
            ):
                raise BadResponseError(
                    f"{self._where} streamed a malformed tool call: "
                    f"{str(piece)[:120]!r}"
                )
            assert isinstance(function, dict)
            call = sink.setdefault(index, {"args": ""})
            if piece.get("id"):
                call["id"] = str(piece["id"])
            if function.get("name"):
                call["name"] = str(function["name"])
            call["args"] += arguments

    def _event_metadata(self, event: JSONDict, outcome: StreamOutcome) -> None:
        metadata = outcome.metadata
        choices = event.get("choices")
        if choices and isinstance(choices[0], dict) and choices[0].get("finish_reason"):
            metadata["finish_reason"] = str(choices[0]["finish_reason"])
            metadata["model_provider"] = "openai"
        if isinstance(event.get("system_fingerprint"), str):
            metadata["system_fingerprint"] = event["system_fingerprint"][:256]
        if isinstance(event.get("model"), str):
            metadata["model_name"] = event["model"]
        if "id" not in metadata and (answer_id := _answer_id(event)) is not None:
            metadata["id"] = answer_id  # the message's id, not response metadata: see messages

    def _answer_events(self, answer: JSONDict) -> list[JSONDict]:
        self._check_answer(answer)
        return chat_completion_events(answer)

    def _chunk_text(self, choice: JSONDict) -> str | None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            content = delta.get("content")
            if isinstance(content, str):
                return content
            if content is not None:  # a number, a list...: a broken stream, not an empty one
                raise BadResponseError(
                    f"{self._where} streamed content that is not text: "
                    f"{str(content)[:80]!r}",
                    body=str(choice)[:2000],
                )
        return None

    async def abatch_api(
        self, inputs: Sequence[LanguageModelInput], **options: Any
    ) -> list[AIMessage | APIError]:
        """Answer `inputs` through OpenAI's Batch API (half price, within 24 hours); one
        result per input, in input order: an `AIMessage`, or the `BatchRequestError` of a
        request without an answer (`.retryable` says whether to send it again live).
        `options`: `record=`, `resume=`, `on_progress=` and `OpenAIBatchClient`'s options
        (see `aiochain.batches`)."""
        from ..batches import run_model_batch

        return [*await run_model_batch(self, inputs, self.read_answer, **options)]

    def _answer(self, data: JSONDict, usage: Usage) -> AIMessage:
        return self._message_of(self._choices_of(data)[0], data, usage)


def _strict_of(tool: Any, strict: bool | None) -> bool | None:
    """`strict` as given to `bind_tools`, else as a tool given as an OpenAI dict says."""
    if strict is not None or not isinstance(tool, dict):
        return strict
    inner = tool.get("function")
    said = inner.get("strict") if isinstance(inner, dict) else tool.get("strict")
    return said if isinstance(said, bool) else None


def _function_tool(tool: JSONDict, strict: bool | None) -> JSONDict:
    """A function tool with `strict` set (its schema closed, as strict mode needs)."""
    if strict is None:
        return tool
    function = dict(tool["function"])
    function["strict"] = strict
    if strict:
        function["parameters"] = strict_schema(function.get("parameters") or {})
    return {**tool, "function": function}


def _answer_id(data: JSONDict) -> str | None:
    """The answer's id (`chatcmpl-...`), as LangChain's `message.id`; bounded, as the server
    chooses it."""
    answer_id = data.get("id")
    return answer_id[:256] if isinstance(answer_id, str) and answer_id else None


__all__ = ["ChatOpenAI"]
