"""`ChatOpenAI` on OpenAI's Responses API (`POST /v1/responses`), as langchain-openai's
`ChatOpenAI(use_responses_api=True)`.

`ChatOpenAI(...)` builds a `ChatOpenAIResponses` when `use_responses_api=True`, or, with
`use_responses_api` not given, by LangChain's switch rules (`wants_responses_api`):
`output_version="responses/v1"`; any of `reasoning`, `include`, `truncation`,
`context_management`, `previous_response_id`, `use_previous_response_id`; a model served only
there (names starting `gpt-5-pro`, `gpt-5.2-pro`, `gpt-5.4-pro`, `gpt-5.5-pro`, `gpt-5.6-sol`,
or containing `codex`); or `model_kwargs` holding a field only the Responses API has
(`context_management`, `include`, `previous_response_id`, `reasoning`, `text`, `truncation`).
The choice is made when the model is built, and again for each call or binding whose request
asks for what only the Responses API has (`switched_for_call`): a built-in tool given to
`bind_tools` (`{"type": "web_search_preview"}`, ...) or a field such as `reasoning=` or
`previous_response_id=` passed to `invoke` / `bind`, as LangChain decides per call.

`store` is False by default: OpenAI keeps responses (inputs and outputs) for 30 days unless a
request says `store: false`; pass `store=True` to keep them, as `previous_response_id` needs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .._exceptions import BadResponseError, ConfigurationError, StreamError
from .._http.errors import server_side
from .._pipeline.pipeline import StreamOutcome
from .._types import JSONDict
from ..messages import AIMessage, convert_to_messages, parse_tool_calls
from ..outputs import ChatGeneration, Generation, Usage
from ..prompts import LanguageModelInput
from . import openai_chat as _openai_chat
from .answer_events import responses_events
from .openai_chat import ChatOpenAI
from .openai_responses_content import TOOL_ITEMS, StreamBlocks, answer_content
from .openai_responses_options import (
    OPTIONS,
    RESPONSES_ONLY_FIELDS,
    output_version_of,
    pop_options,
    wants_responses_api,
)
from .openai_responses_wire import (
    FINAL_EVENTS,
    finish_reason,
    function_call,
    read_response,
    read_responses_usage,
    responses_request,
    token_details,
)

_MAX_CALLS = 128
# Stream events that add content blocks (and nothing to the text) in some output versions.
_BLOCK_EVENTS = frozenset(
    {
        "response.output_text.done",
        "response.output_text.annotation.added",
        "response.reasoning_summary_text.delta",
    }
)


class _StreamState:
    """One Responses stream's bookkeeping (`StreamOutcome.state`): its content blocks, the
    last `sequence_number` seen, and the whole response its final event carried."""

    __slots__ = ("blocks", "response", "sequence")

    def __init__(self, output_version: str | None) -> None:
        self.blocks = StreamBlocks(output_version)
        self.sequence: int | None = None
        self.response: JSONDict | None = None


def chat_openai_variant(options: Mapping[str, Any]) -> type[ChatOpenAI] | None:
    """The class `ChatOpenAI(**options)` builds, when not plain `ChatOpenAI`."""
    if wants_responses_api(options):
        return ChatOpenAIResponses
    if OPTIONS & options.keys():
        return ChatOpenAICompletions
    return None


def switched_for_call(model: ChatOpenAI) -> ChatOpenAI:
    """`model` (a copy made for one call or binding) switched to the Responses API when its
    request asks for what only that API has, as LangChain decides per call: a built-in tool
    (`{"type": "web_search_preview"}`, ...) or a Responses-only field (`reasoning`, `text`,
    `include`, `truncation`, `context_management`, `previous_response_id`); else `model`.
    A model built with `use_responses_api=False` never switches."""
    if isinstance(model, ChatOpenAIResponses) or model.use_responses_api is False:
        return model
    payload = model._base_payload
    builtin = any(
        isinstance(tool, dict) and tool.get("type") not in (None, "function")
        for tool in payload.get("tools") or ()
    )
    if not builtin and not RESPONSES_ONLY_FIELDS & payload.keys():
        return model
    if type(model)._endpoint is not ChatOpenAI._endpoint:
        # Its endpoint (an Azure deployment's) serves chat completions only: sending the
        # Responses request to its chat path would fail, or worse, drop what was asked.
        asked = sorted(RESPONSES_ONLY_FIELDS & payload.keys()) or ["a built-in tool"]
        raise ConfigurationError(
            f"{type(model).__name__} speaks chat completions only, and {', '.join(asked)} "
            "needs OpenAI's Responses API: use ChatOpenAI for it"
        )
    switched = copy.copy(model)
    switched.__class__ = ChatOpenAIResponses
    # Its own pipeline object (sharing the transport, limiter and usage totals): the usage
    # reader and answer check are the Responses'.
    switched._pipeline = copy.copy(model._pipeline)
    switched._base_payload = dict(payload)
    assert isinstance(switched, ChatOpenAIResponses)
    switched._speak_responses({})
    return switched


class ChatOpenAICompletions(ChatOpenAI):
    """`ChatOpenAI` given LangChain's Responses options but kept on chat completions
    (`use_responses_api=False`): `reasoning={"effort": ...}` is sent as `reasoning_effort`,
    `store` as it is; the other options are ignored, as LangChain ignores them there
    (`output_version` is checked, and content stays a string on this API)."""

    def __init__(self, **kwargs: Any) -> None:
        options = pop_options(kwargs)
        super().__init__(**kwargs)
        self.use_responses_api = options.get("use_responses_api")
        self.output_version = output_version_of(options)
        reasoning = options.get("reasoning")
        if isinstance(reasoning, dict) and reasoning.get("effort") is not None:
            self._base_payload["reasoning_effort"] = reasoning["effort"]
        if options.get("store") is not None:
            self._base_payload["store"] = options["store"]


class ChatOpenAIResponses(ChatOpenAI):
    """A chat model on `POST /responses`; built by `ChatOpenAI(use_responses_api=True)`.

    Takes every `ChatOpenAI` option, and:

    Args:
        reasoning: `{"effort": "low" | "medium" | "high" | ...}` for reasoning models; the
            reasoning tokens are counted in the answer's output tokens and shown in
            `response_metadata["token_details"]["reasoning_tokens"]`.
        store: whether OpenAI keeps the responses (30 days); False by default.
        previous_response_id: continue from a stored response (sent with every request).
        use_previous_response_id: as LangChain: send only the messages after the last
            `AIMessage` with a response id, and that id as `previous_response_id` (responses
            are then stored unless `store=False`).
        include / truncation / context_management: sent as they are.
        output_version: accepted as LangChain spells it ("responses/v1" selects this class).

    The answer's `response_metadata` holds the response's `id` (for `previous_response_id`),
    `status`, `model_name`, `finish_reason` ("length" for an answer cut by
    `max_output_tokens`) and `token_details` (`cached_tokens`, `reasoning_tokens`).
    `stop` and `n` > 1 have no place in the Responses API and are refused.
    """

    _path = "/responses"
    _streams_blocks = True
    _id_in_metadata = True

    def __init__(self, **kwargs: Any) -> None:
        options = pop_options(kwargs)
        super().__init__(**kwargs)
        self._speak_responses(options)

    def _speak_responses(self, options: Mapping[str, Any]) -> None:
        """Set this model up for the Responses API (after `ChatOpenAI.__init__`, or on a copy
        of a chat completions model switched for one call)."""
        # One usage reader and one answer check per wire format: the Responses' own.
        self._read_usage = self._pipeline._read_usage = read_responses_usage
        self._pipeline._check_answer = self._check_answer
        self.use_responses_api = options.get("use_responses_api", True)
        self.output_version = output_version_of(options)
        self.use_previous_response_id = bool(options.get("use_previous_response_id"))
        payload = self._base_payload
        # Continuing from earlier responses needs them stored, so that option stores them.
        payload.setdefault("store", bool(options.get("store", self.use_previous_response_id)))
        for name in ("reasoning", "previous_response_id", "include", "truncation"):
            if options.get(name) is not None:
                payload[name] = options[name]
        if options.get("context_management") is not None:
            payload["context_management"] = options["context_management"]

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        if self.use_previous_response_id and not isinstance(input, str):
            # LangChain's `use_previous_response_id`: send only the messages after the last
            # answer that has a response id, and that id as `previous_response_id`.
            messages = convert_to_messages(input)
            for position in range(len(messages) - 1, -1, -1):
                message = messages[position]
                ident = (
                    message.response_metadata.get("id") if isinstance(message, AIMessage) else None
                )
                if isinstance(ident, str) and ident.startswith("resp_"):
                    # (Only a Responses answer's id: a chat completion's `chatcmpl-...`, also
                    # kept in response_metadata, names nothing the Responses API stored.)
                    rest = [m.to_openai() for m in messages[position + 1 :]]
                    body = responses_request(self._base_payload, rest)
                    body["previous_response_id"] = ident
                    return body
        chat = super()._payload(input)
        return responses_request(chat, chat.pop("messages"))

    def _stream_request(self, input: LanguageModelInput) -> JSONDict:
        payload = self._payload(input)
        payload["stream"] = True
        return payload

    # --- whole answers ----------------------------------------------------------------------

    def _check_answer(self, data: JSONDict) -> None:
        read_response(data, self._where)

    def _answer_events(self, answer: JSONDict) -> list[JSONDict]:
        self._check_answer(answer)
        return responses_events(answer)

    def _choices_of(self, data: JSONDict) -> list[JSONDict]:
        return [data]  # one response, read whole by `_message_of`

    def _message_of(self, choice: JSONDict, data: JSONDict, usage: Usage) -> AIMessage:
        _, calls, status = read_response(data, self._where)
        tool_calls = parse_tool_calls(calls)
        content, extra, message_id = answer_content(data, self.output_version, tool_calls)
        metadata: dict[str, Any] = {
            key: data[key]
            for key in ("id", "object", "created_at", "model", "incomplete_details", "metadata")
            if data.get(key) is not None
        }
        metadata.update(
            model_provider="openai",
            model_name=data.get("model"),
            status=status,
            finish_reason=finish_reason(status, data, bool(calls)),
            token_details=token_details(usage),
        )
        if self.output_version == "v1":
            metadata["output_version"] = "v1"
        return AIMessage(
            content,
            usage=usage,
            response_metadata=metadata,
            tool_calls=tool_calls,
            id=message_id,
            additional_kwargs=extra or None,
        )

    def _stream_extra(self, outcome: StreamOutcome) -> dict[str, Any] | None:
        # v0 keeps reasoning, built-in tool items and call ids in `additional_kwargs`: the
        # stream's last chunk carries them, read from the whole response.
        state = outcome.state
        if self.output_version != "v0" or not isinstance(state, _StreamState):
            return None
        if state.response is None:
            return None
        return answer_content(state.response, "v0", [])[1] or None

    def _streamed_generation(self, text: str, usage: Usage, outcome: StreamOutcome) -> Generation:
        # A stream's final event carries the whole response: its message is built as a plain
        # answer's is, so both have the same content blocks.
        state = outcome.state
        if not isinstance(state, _StreamState) or state.response is None:
            return super()._streamed_generation(text, usage, outcome)
        message = self._message_of(state.response, state.response, usage)
        info = dict(message.response_metadata)
        return ChatGeneration(text=message.text, generation_info=info, message=message)

    # --- streams ----------------------------------------------------------------------------

    def _event_text(self, event: JSONDict, tool_calls: dict[int, JSONDict] | None) -> str | None:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            delta = event.get("delta")
            if not isinstance(delta, str):
                raise BadResponseError(
                    f"{self._where} streamed a delta that is not text",
                    body=str(event)[:2000],
                )
            return delta
        if kind == "response.output_item.added":
            item = event.get("item")
            if isinstance(item, dict) and item.get("type") == "function_call":
                if tool_calls is not None:
                    call = function_call({**item, "arguments": ""}, self._where)
                    sink = self._call_slot(event, tool_calls)
                    sink.update(id=call["id"], name=call["function"]["name"])
                return ""
            if isinstance(item, dict) and item.get("type") == "reasoning":
                return ""  # a block of the answer's content, no text
            return None
        if kind == "response.output_item.done":
            item = event.get("item")
            # A built-in tool's item (a web search, ...): a block of the content, no text.
            return "" if isinstance(item, dict) and item.get("type") in TOOL_ITEMS else None
        if kind in _BLOCK_EVENTS:
            if kind == "response.reasoning_summary_text.delta" and not isinstance(
                event.get("delta"), str
            ):
                raise BadResponseError(
                    f"{self._where} streamed a summary that is not text",
                    body=str(event)[:2000],
                )
            return ""
        if kind == "response.function_call_arguments.delta":
            delta = event.get("delta")
            if not isinstance(delta, str):
                raise BadResponseError(
                    f"{self._where} streamed malformed arguments",
                    body=str(event)[:2000],
                )
            if tool_calls is not None:
                self._call_slot(event, tool_calls)["args"] += delta
            return ""
        if kind in FINAL_EVENTS:
            response = event.get("response")
            if not isinstance(response, dict) or not isinstance(response.get("output"), list):
                raise BadResponseError(
                    f"{self._where} ended its stream without the response",
                    body=str(event)[:2000],
                )
            return ""
        if kind == "response.failed":
            response = event.get("response")
            error = response.get("error") if isinstance(response, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            raise StreamError(
                f"{self._where} failed mid-stream: {str(message)[:500]}",
                body=event,
                retryable=server_side(error),
            )
        return None

    def _call_slot(self, event: JSONDict, tool_calls: dict[int, JSONDict]) -> JSONDict:
        index = event.get("output_index")
        if type(index) is not int or not 0 <= index < _MAX_CALLS:
            raise BadResponseError(
                f"{self._where} streamed a tool call at a bad output_index: "
                f"{str(index)[:40]!r}"
            )
        return tool_calls.setdefault(index, {"args": ""})

    def _event_started(self, event: JSONDict) -> bool:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            return bool(event.get("delta"))
        if kind == "response.output_item.added":
            item = event.get("item")
            return isinstance(item, dict) and item.get("type") == "function_call"
        return kind == "response.function_call_arguments.delta"

    def _event_metadata(self, event: JSONDict, outcome: StreamOutcome) -> None:
        state = outcome.state
        if state is None:
            state = outcome.state = _StreamState(self.output_version)
        # Events must come in `sequence_number` order.
        number = event.get("sequence_number")
        if number is not None:
            last = state.sequence
            if type(number) is not int or (last is not None and number <= last):
                raise BadResponseError(
                    f"{self._where} streamed events out of order "
                    f"(sequence_number {str(number)[:20]!r} after {last})",
                    body=str(event)[:2000],
                )
            state.sequence = number
        outcome.blocks = state.blocks.blocks(event)
        if event.get("type") not in FINAL_EVENTS:
            return
        response = event["response"]
        read_response(response, self._where)  # checked as a plain answer is
        state.response = response
        metadata = outcome.metadata
        status = str(response.get("status") or "completed")
        if isinstance(response.get("id"), str):
            metadata["id"] = response["id"]
        metadata["status"] = status
        metadata["model_provider"] = "openai"
        if isinstance(response.get("model"), str):
            metadata["model_name"] = response["model"]
        output = response.get("output")
        has_calls = isinstance(output, list) and any(
            isinstance(item, dict) and item.get("type") == "function_call" for item in output
        )
        metadata["finish_reason"] = finish_reason(status, response, has_calls)


# `ChatOpenAI(...)` asks this which class to build (see `ChatOpenAI.__new__`), and its
# `bind` / `bind_tools` whether a call's fields switch it to this API.
_openai_chat.chat_openai_variant = chat_openai_variant
_openai_chat.switched_for_call = switched_for_call

__all__ = ["ChatOpenAICompletions", "ChatOpenAIResponses", "wants_responses_api"]
