"""`ChatAnthropic`: a chat model on Anthropic's Messages API (`POST /v1/messages`), as
`langchain_anthropic.ChatAnthropic` is. It builds payloads and reads answers (`_anthropic_wire`);
sending, retries, limits, the cache and usage go through the one request pipeline."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from .._http.body import ResponseLimits
from .._http.endpoint import ANTHROPIC_BASE_URL, ANTHROPIC_VERSION, anthropic_endpoint
from .._pipeline.limiter import RateLimiter
from .._pipeline.pipeline import StreamOutcome
from .._pipeline.retry import RetryPolicy
from .._types import JSONDict, Usage
from ..messages import AIMessage, convert_to_messages
from ..outputs import ChatGeneration, Generation
from ..prompts import LanguageModelInput
from ..runnables.base import Runnable
from .answer_events import anthropic_message_events
from .anthropic_wire import (
    event_started,
    event_text,
    read_anthropic_usage,
    read_message,
    to_anthropic,
    tool_choice_of,
    tool_of,
)
from .model_client import ModelClient
from .model_options import check_max_tokens, check_range, request_fields

if TYPE_CHECKING:
    import aiohttp

    from .._pipeline.answer_cache import AnswerCache
    from ..rate_limiters import BaseRateLimiter

DEFAULT_BASE_URL = ANTHROPIC_BASE_URL


class ChatAnthropic(ModelClient[AIMessage]):
    """A chat model on Anthropic's Messages API; `ainvoke` returns an `AIMessage`.

    Args:
        model: the model (`model_name` is accepted too), e.g. `claude-sonnet-4-5`.
        max_tokens: the most tokens to generate; the API requires it (default 1024, as
            LangChain's).
        temperature: sampling temperature, 0 to 1.
        top_p: nucleus sampling mass.
        top_k: sample from the k most likely tokens only.
        stop_sequences: strings that end the generation (`stop` is accepted too).
        api_key: the key, sent as `x-api-key`; default `$ANTHROPIC_API_KEY`. Never printed.
        base_url: the API root; default `$ANTHROPIC_BASE_URL`, else `https://api.anthropic.com`
            (the simulation server's is its root URL, without `/v1`).
        anthropic_version: the `anthropic-version` header (default 2023-06-01).
        default_headers: further headers sent with every request (`anthropic-beta`, ...).
        model_kwargs: further request fields, sent as they are (`metadata`, `thinking`, ...).

    Every other option (`timeout`, `max_retries`, `retry`, `max_concurrency`, `rpm`, `tpm`,
    `rate_limiter`, `cache`, `on_token`, `session`, `response_limits`, `verbose`) is as in
    `ChatOpenAI`. 429 `rate_limit_error` and 529 `overloaded_error` are retried, and the
    limiter learns from the `anthropic-ratelimit-*` headers.

    Messages: system messages are lifted into the request's `system`; a message whose content
    is a list of content blocks (images, `cache_control` breakpoints) is sent as it is.
    """

    _streams_chunks = True  # `astream` yields AIMessageChunks, as LangChain's chat models

    _path = "/v1/messages"
    _stop_field = "stop_sequences"
    default_model = "claude-sonnet-4-5"
    tools: dict[str, Any] = {}  # noqa: RUF012 - replaced, never mutated, by bind_tools

    def __init__(
        self,
        *,
        model: str | None = None,
        model_name: str | None = None,
        max_tokens: int = 1024,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        stop_sequences: str | Sequence[str] | None = None,
        stop: str | Sequence[str] | None = None,
        api_key: str | None = None,
        anthropic_api_key: str | None = None,
        base_url: str | None = None,
        anthropic_api_url: str | None = None,
        anthropic_version: str = ANTHROPIC_VERSION,
        default_headers: Mapping[str, str] | None = None,
        timeout: float | None = 60.0,
        default_request_timeout: float | None = None,
        max_retries: int = 2,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        rpm: float | None = None,
        tpm: float | None = None,
        rate_limiter: RateLimiter | BaseRateLimiter | None = None,
        on_token: Callable[[str], Any] | None = None,
        cache: AnswerCache | bool | None = None,
        model_kwargs: dict[str, Any] | None = None,
        session: aiohttp.ClientSession | None = None,
        response_limits: ResponseLimits | None = None,
        streaming: bool = False,
        verbose: bool = False,
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        custom_get_token_ids: Callable[[str], list[int]] | None = None,
    ) -> None:
        self.custom_get_token_ids = custom_get_token_ids
        self.model = model or model_name or self.default_model
        check_max_tokens(max_tokens)
        check_range("temperature", temperature, 0.0, 1.0)
        check_range("top_p", top_p, 0.0, 1.0)
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ConfigurationError(f"top_k must be a positive integer, got {top_k!r}")
        stops = stop_sequences if stop_sequences is not None else stop
        self.stop = [stops] if isinstance(stops, str) else (list(stops) if stops else None)
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        super().__init__(
            endpoint=anthropic_endpoint(
                base_url or anthropic_api_url,
                api_key or anthropic_api_key,
                version=anthropic_version,
                default_headers=default_headers,
            ),
            read_usage=read_anthropic_usage,
            timeout=default_request_timeout or timeout,
            max_retries=max_retries,
            retry=retry,
            max_concurrency=max_concurrency,
            rpm=rpm,
            tpm=tpm,
            rate_limiter=rate_limiter,
            cache=cache,
            session=session,
            response_limits=response_limits,
            on_token=on_token,
            streaming=streaming,
            verbose=verbose,
            callbacks=callbacks,
            tags=tags,
            metadata=metadata,
        )
        payload: JSONDict = {"model": self.model, "max_tokens": max_tokens}
        for name, value in (
            ("temperature", temperature),
            ("top_p", top_p),
            ("top_k", top_k),
            ("stop_sequences", self.stop),
        ):
            if value is not None:
                payload[name] = value
        payload.update(model_kwargs or {})
        self._base_payload = payload

    # --- options ----------------------------------------------------------------------------

    def _call_fields(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        fields = request_fields(kwargs)
        if "stop" in fields:
            fields["stop_sequences"] = fields.pop("stop")
        return fields

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | dict[str, Any] | None = None,
    ) -> ChatAnthropic:
        """A copy of this model that offers `tools` (as Anthropic's `input_schema` tools) with
        every request; it shares this one's connections, limits and usage totals.

        Args:
            tools: `Tool`s, functions to turn into tools, or pydantic classes, TypedDicts and
                JSON-schema dicts that only describe a call.
            tool_choice: "auto", "none", "any" (or "required"), a tool's name, or Anthropic's
                dict form.
        """
        from ..tools import as_tool

        made = [as_tool(t) for t in tools]
        names = [t.name for t in made]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"tool names must be unique, got {names}")
        bound = copy.copy(self)
        bound.tools = {t.name: t for t in made}
        payload = dict(self._base_payload)
        payload["tools"] = [tool_of(t.to_openai()) for t in made]
        if tool_choice is not None:
            payload["tool_choice"] = tool_choice_of(tool_choice, names)
        bound._base_payload = payload
        return bound

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        """A runnable answering with `schema`'s instances (pydantic) or dicts (TypedDict, JSON
        schema): the schema is offered as the one tool and the model made to call it, as
        LangChain's `ChatAnthropic` does."""
        from ..tools._schema import schema_of
        from .structured_output import StructuredOutput

        kwargs.pop("method", None)  # tool calling is the one method here
        if kwargs:
            raise ConfigurationError(f"unknown with_structured_output option(s) {sorted(kwargs)}")
        name, description, json_schema = schema_of(schema)
        tool: JSONDict = {"name": name, "input_schema": json_schema}
        if description:
            tool["description"] = description
        model = self.bind(tools=[tool], tool_choice={"type": "tool", "name": name})
        return StructuredOutput(
            model, schema, method="function_calling", include_raw=include_raw, name=name
        )

    # --- payloads and answers ---------------------------------------------------------------

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        if isinstance(input, str):
            system, messages = None, [{"role": "user", "content": input}]
        else:
            system, messages = to_anthropic(convert_to_messages(input))
        payload = self._base_payload.copy()
        if system is not None:
            payload["system"] = system
        payload["messages"] = messages
        return payload

    def _message_of(self, data: JSONDict, usage: Usage) -> AIMessage:
        text, calls, metadata = read_message(data, self._where)
        return AIMessage(text, usage=usage, response_metadata=metadata, tool_calls=calls)

    def _generations(self, data: JSONDict, usage: Usage) -> list[Generation]:
        message = self._message_of(data, usage)
        info = {k: v for k, v in message.response_metadata.items() if k != "usage"}
        return [ChatGeneration(text=message.text, generation_info=info, message=message)]

    def _event_text(self, event: JSONDict, tool_calls: dict[int, JSONDict] | None) -> str | None:
        return event_text(event, tool_calls, self._where)

    def _check_answer(self, data: JSONDict) -> None:
        read_message(data, self._where)

    def _answer_events(self, answer: JSONDict) -> list[JSONDict]:
        self._check_answer(answer)
        return anthropic_message_events(answer)

    def _event_metadata(self, event: JSONDict, outcome: StreamOutcome) -> None:
        metadata = outcome.metadata
        kind = event.get("type")
        if kind == "message_start" and isinstance(event.get("message"), dict):
            model = event["message"].get("model")
            if isinstance(model, str):
                metadata["model_name"] = model
        elif kind == "message_delta" and isinstance(event.get("delta"), dict):
            reason = event["delta"].get("stop_reason")
            if isinstance(reason, str):
                metadata["stop_reason"] = reason

    def _event_started(self, event: JSONDict) -> bool:
        return event_started(event)

    def _answer(self, data: JSONDict, usage: Usage) -> AIMessage:
        return self._message_of(data, usage)


__all__ = ["ChatAnthropic"]
