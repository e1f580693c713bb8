"""`ChatOpenAI` on OpenAI's Responses API (`POST /v1/responses`), as langchain-openai's
`ChatOpenAI(use_responses_api=True)`.

`ChatOpenAI(...)` builds a `ChatOpenAIResponses` when `use_responses_api=True`, or, with
`use_responses_api` not given, by LangChain's switch rules (`wants_responses_api`):
`output_version="responses/v1"`; any of `reasoning`, `include`, `truncation`,
`context_management`, `previous_response_id`, `use_previous_response_id`; a model served only
there (names starting `gpt-5-pro`, `gpt-5.2-pro`, `gpt-5.4-pro`, `gpt-5.5-pro`, `gpt-5.6-sol`,
or containing `codex`); or `model_kwargs` holding a field only the Responses API has
(`context_management`, `include`, `previous_response_id`, `reasoning`, `text`, `truncation`).
The choice is made when the model is built (LangChain also looks at each call's payload, so a
per-call `reasoning=` switches there and not here).

`store` is False by default: OpenAI keeps responses (inputs and outputs) for 30 days unless a
request says `store: false`; pass `store=True` to keep them, as `previous_response_id` needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._exceptions import BadResponseError, StreamError
from .._types import JSONDict
from ..messages import AIMessage, parse_tool_calls, to_messages
from ..outputs import Usage
from ..prompts import LanguageModelInput, PromptValue
from . import openai_chat as _openai_chat
from .openai_chat import ChatOpenAI
from .openai_responses_wire import (
    FINAL_EVENTS,
    finish_reason,
    function_call,
    read_response,
    read_responses_usage,
    responses_request,
    token_details,
)

_RESPONSES_ONLY_MODELS = ("gpt-5-pro", "gpt-5.2-pro", "gpt-5.4-pro", "gpt-5.5-pro", "gpt-5.6-sol")
_RESPONSES_ONLY_FIELDS = frozenset(
    {"context_management", "include", "previous_response_id", "reasoning", "text", "truncation"}
)
_OPTIONS = frozenset(
    {
        "use_responses_api",
        "output_version",
        "reasoning",
        "store",
        "previous_response_id",
        "use_previous_response_id",
        "include",
        "truncation",
        "context_management",
    }
)
_MAX_CALLS = 128
_SEQUENCE = "_sequence_number"


def wants_responses_api(options: Mapping[str, Any]) -> bool:
    """Whether `ChatOpenAI(**options)` speaks the Responses API (LangChain's rules)."""
    chosen = options.get("use_responses_api")
    if isinstance(chosen, bool):
        return chosen
    if options.get("output_version") == "responses/v1":
        return True
    if any(
        options.get(name) not in (None, False)
        for name in (
            "reasoning",
            "include",
            "truncation",
            "context_management",
            "previous_response_id",
            "use_previous_response_id",
        )
    ):
        return True
    model = options.get("model") or options.get("model_name") or ""
    if isinstance(model, str) and (model.startswith(_RESPONSES_ONLY_MODELS) or "codex" in model):
        return True
    return bool(_RESPONSES_ONLY_FIELDS & set(options.get("model_kwargs") or ()))


def chat_openai_variant(options: Mapping[str, Any]) -> type[ChatOpenAI] | None:
    """The class `ChatOpenAI(**options)` builds, when not plain `ChatOpenAI`."""
    if wants_responses_api(options):
        return ChatOpenAIResponses
    if _OPTIONS & options.keys():
        return ChatOpenAICompletions
    return None


def _pop_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {name: kwargs.pop(name) for name in list(kwargs) if name in _OPTIONS}


class ChatOpenAICompletions(ChatOpenAI):
    """`ChatOpenAI` given LangChain's Responses options but kept on chat completions
    (`use_responses_api=False`): `reasoning={"effort": ...}` is sent as `reasoning_effort`,
    `store` as it is; the other options are ignored, as LangChain ignores them there."""

    def __init__(self, **kwargs: Any) -> None:
        options = _pop_options(kwargs)
        super().__init__(**kwargs)
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

    def __init__(self, **kwargs: Any) -> None:
        options = _pop_options(kwargs)
        super().__init__(**kwargs)
        # One usage reader per wire format: a response's usage, in the Responses' names.
        self._read_usage = self._pipeline._read_usage = read_responses_usage
        self.output_version = options.get("output_version")
        self.use_previous_response_id = bool(options.get("use_previous_response_id"))
        payload = self._base_payload
        # Continuing from earlier responses needs them stored, so that option stores them.
        payload["store"] = bool(options.get("store", self.use_previous_response_id))
        for name in ("reasoning", "previous_response_id", "include", "truncation"):
            if options.get(name) is not None:
                payload[name] = options[name]
        if options.get("context_management") is not None:
            payload["context_management"] = options["context_management"]

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        if self.use_previous_response_id and not isinstance(input, str):
            # LangChain's `use_previous_response_id`: send only the messages after the last
            # answer that has a response id, and that id as `previous_response_id`.
            messages = input.to_messages() if isinstance(input, PromptValue) else to_messages(input)
            for position in range(len(messages) - 1, -1, -1):
                message = messages[position]
                ident = (
                    message.response_metadata.get("id") if isinstance(message, AIMessage) else None
                )
                if isinstance(ident, str) and ident:
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
        read_response(data, self.base_url + self._path)

    def _choices_of(self, data: JSONDict) -> list[JSONDict]:
        return [data]  # one response, read whole by `_message_of`

    def _message_of(self, choice: JSONDict, data: JSONDict, usage: Usage) -> AIMessage:
        text, calls, status = read_response(data, self.base_url + self._path)
        return AIMessage(
            text,
            usage=usage,
            response_metadata={
                "id": data["id"],
                "status": status,
                "model_name": data.get("model"),
                "finish_reason": finish_reason(status, data, bool(calls)),
                "token_details": token_details(data),
            },
            tool_calls=parse_tool_calls(calls),
        )

    # --- streams ----------------------------------------------------------------------------

    def _event_text(self, event: JSONDict, tool_calls: dict[int, JSONDict] | None) -> str | None:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            delta = event.get("delta")
            if not isinstance(delta, str):
                raise BadResponseError(
                    f"{self.base_url}{self._path} streamed a delta that is not text",
                    body=str(event)[:2000],
                )
            return delta
        if kind == "response.output_item.added":
            item = event.get("item")
            if isinstance(item, dict) and item.get("type") == "function_call":
                if tool_calls is not None:
                    call = function_call({**item, "arguments": ""}, self.base_url + self._path)
                    sink = self._call_slot(event, tool_calls)
                    sink.update(id=call["id"], name=call["function"]["name"])
                return ""
            return None
        if kind == "response.function_call_arguments.delta":
            delta = event.get("delta")
            if not isinstance(delta, str):
                raise BadResponseError(
                    f"{self.base_url}{self._path} streamed malformed arguments",
                    body=str(event)[:2000],
                )
            if tool_calls is not None:
                self._call_slot(event, tool_calls)["args"] += delta
            return ""
        if kind in FINAL_EVENTS:
            response = event.get("response")
            if not isinstance(response, dict) or not isinstance(response.get("output"), list):
                raise BadResponseError(
                    f"{self.base_url}{self._path} ended its stream without the response",
                    body=str(event)[:2000],
                )
            return ""
        if kind == "response.failed":
            response = event.get("response")
            error = response.get("error") if isinstance(response, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            raise StreamError(
                f"{self.base_url}{self._path} failed mid-stream: {str(message)[:500]}",
                body=event,
            )
        return None

    def _call_slot(self, event: JSONDict, tool_calls: dict[int, JSONDict]) -> JSONDict:
        index = event.get("output_index")
        if type(index) is not int or not 0 <= index < _MAX_CALLS:
            raise BadResponseError(
                f"{self.base_url}{self._path} streamed a tool call at a bad output_index: "
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

    def _event_metadata(self, event: JSONDict, metadata: dict[str, str]) -> None:
        # Events must come in `sequence_number` order; the last number seen is kept here
        # (under a private key, dropped when the stream ends) since hooks hold no state.
        number = event.get("sequence_number")
        if number is not None:
            last = metadata.get(_SEQUENCE)
            if type(number) is not int or (last is not None and number <= int(last)):
                raise BadResponseError(
                    f"{self.base_url}{self._path} streamed events out of order "
                    f"(sequence_number {str(number)[:20]!r} after {last})",
                    body=str(event)[:2000],
                )
            metadata[_SEQUENCE] = str(number)
        if event.get("type") not in FINAL_EVENTS:
            return
        metadata.pop(_SEQUENCE, None)
        response = event["response"]
        status = str(response.get("status"))
        metadata["id"] = str(response.get("id"))
        metadata["status"] = status
        if isinstance(response.get("model"), str):
            metadata["model_name"] = response["model"]
        output = response.get("output")
        has_calls = isinstance(output, list) and any(
            isinstance(item, dict) and item.get("type") == "function_call" for item in output
        )
        metadata["finish_reason"] = finish_reason(status, response, has_calls)


# `ChatOpenAI(...)` asks this which class to build (see `ChatOpenAI.__new__`).
_openai_chat.chat_openai_variant = chat_openai_variant

__all__ = ["ChatOpenAICompletions", "ChatOpenAIResponses", "wants_responses_api"]
