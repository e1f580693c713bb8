"""`ChatGoogleGenerativeAI`: a chat model on Google's Gemini API (`generateContent` and
`streamGenerateContent?alt=sse`), as `langchain_google_genai.ChatGoogleGenerativeAI` is. It
builds payloads and reads answers (`_gemini_wire`); sending, retries, limits, the cache and
usage go through the one request pipeline."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from .._http.body import ResponseLimits
from .._http.endpoint import gemini_endpoint
from .._pipeline.limiter import RateLimiter
from .._pipeline.pipeline import StreamOutcome
from .._pipeline.retry import RetryPolicy
from .._types import JSONDict, Usage
from ..messages import AIMessage, convert_to_messages
from ..outputs import ChatGeneration, Generation
from ..prompts import LanguageModelInput
from ..runnables.base import Runnable
from .gemini_options import generation_config, thinking_config
from .gemini_wire import (
    event_started,
    event_text,
    function_of,
    gemini_schema,
    read_gemini_usage,
    read_response,
    to_gemini,
    tool_config_of,
)
from .model_client import ModelClient
from .model_options import check_max_tokens, check_range, request_fields

if TYPE_CHECKING:
    import aiohttp

    from .._pipeline.answer_cache import AnswerCache
    from ..rate_limiters import BaseRateLimiter


class ChatGoogleGenerativeAI(ModelClient[AIMessage]):
    """A chat model on Google's Gemini API; `ainvoke` returns an `AIMessage`.

    Args:
        model: the model, e.g. `gemini-2.5-flash` (a `models/` prefix is accepted).
        google_api_key: the key (`api_key` is accepted too), sent as `x-goog-api-key`; default
            `$GOOGLE_API_KEY`, else `$GEMINI_API_KEY`. Never printed.
        temperature: sampling temperature, 0 to 2.
        max_output_tokens: the most tokens to generate (`max_tokens` is accepted too); on
            thinking models the thoughts count against it.
        top_p: nucleus sampling mass.
        top_k: sample from the k most likely tokens only.
        stop: strings that end the generation (at most 5).
        thinking_budget: tokens the model may think (0 turns thinking off where the model
            allows it, -1 lets it decide); `include_thoughts` asks for thought summaries.
        response_mime_type: `application/json` for JSON answers; with `response_schema`
            (a JSON schema, a pydantic class or a dict in Gemini's form) their shape.
        base_url: the API root; default `$GOOGLE_GEMINI_BASE_URL`, else Google's (the
            simulation server's is its root URL). `client_options={"api_endpoint": ...}` is
            accepted as in LangChain.
        api_version: the path's version (default `v1beta`).
        safety_settings: Gemini's `safetySettings` list, sent as it is.
        model_kwargs: further request fields, sent as they are (`cachedContent`, ...).

    Every other option (`timeout`, `max_retries`, `retry`, `max_concurrency`, `rpm`, `tpm`,
    `rate_limiter`, `cache`, `on_token`, `session`, `response_limits`, `verbose`) is as in
    `ChatOpenAI`. Gemini sends no rate-limit headers: a 429's `RetryInfo.retryDelay` paces
    the limiter as `retry-after` does elsewhere, and a per-day quota fails at once with
    `QuotaExhaustedError`.
    """

    _streams_chunks = True  # `astream` yields AIMessageChunks, as LangChain's chat models

    default_model = "gemini-2.5-flash"
    tools: dict[str, Any] = {}  # noqa: RUF012 - replaced, never mutated, by bind_tools

    def __init__(
        self,
        *,
        model: str | None = None,
        model_name: str | None = None,
        google_api_key: str | None = None,
        api_key: str | None = None,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        stop: str | Sequence[str] | None = None,
        thinking_budget: int | None = None,
        include_thoughts: bool | None = None,
        response_mime_type: str | None = None,
        response_schema: Any = None,
        base_url: str | None = None,
        client_options: Mapping[str, Any] | None = None,
        api_version: str = "v1beta",
        safety_settings: list[Any] | None = None,
        default_headers: Mapping[str, str] | None = None,
        timeout: float | None = 60.0,
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
        self.model = (model or model_name or self.default_model).removeprefix("models/")
        max_output_tokens = max_output_tokens if max_output_tokens is not None else max_tokens
        check_max_tokens(max_output_tokens)
        check_range("temperature", temperature, 0.0, 2.0)
        check_range("top_p", top_p, 0.0, 1.0)
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ConfigurationError(f"top_k must be a positive integer, got {top_k!r}")
        if thinking_budget is not None and (
            not isinstance(thinking_budget, int) or thinking_budget < -1
        ):
            raise ConfigurationError(
                f"thinking_budget must be -1, 0 or a positive integer, got {thinking_budget!r}"
            )
        self.stop = [stop] if isinstance(stop, str) else (list(stop) if stop else None)
        self.temperature, self.top_p, self.top_k = temperature, top_p, top_k
        self.max_output_tokens = max_output_tokens
        self.thinking_budget = thinking_budget
        self._path = f"/{api_version}/models/{self.model}:generateContent"
        self._stream_path = f"/{api_version}/models/{self.model}:streamGenerateContent?alt=sse"
        super().__init__(
            endpoint=gemini_endpoint(
                base_url or (client_options or {}).get("api_endpoint"),
                google_api_key or api_key,
                default_headers=default_headers,
            ),
            read_usage=read_gemini_usage,
            timeout=timeout,
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
        config, _ = generation_config(
            {
                "temperature": temperature,
                "max_output_tokens": max_output_tokens,
                "top_p": top_p,
                "top_k": top_k,
                "stop": self.stop,
                "response_mime_type": response_mime_type,
                "response_schema": response_schema,
            }
        )
        if thinking_budget is not None or include_thoughts is not None:
            config["thinkingConfig"] = thinking_config(thinking_budget, include_thoughts)
        payload: JSONDict = {}
        if config:
            payload["generationConfig"] = config
        if safety_settings:
            payload["safetySettings"] = list(safety_settings)
        payload.update(model_kwargs or {})
        self._base_payload = payload

    # --- options ----------------------------------------------------------------------------

    def _call_fields(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """A call's keyword arguments as request fields: sampling options into
        `generationConfig` (merged with the model's), the rest at the top level."""
        config, fields = generation_config(request_fields(kwargs))
        if config:
            base = self._base_payload.get("generationConfig", {})
            fields["generationConfig"] = {**base, **config}
        return fields

    def bind(self, **kwargs: Any) -> ChatGoogleGenerativeAI:
        """A copy of this model whose requests carry `kwargs` (`stop=`, `temperature=`, ... go
        into `generationConfig`); it shares this one's connections, limits and usage totals."""
        fields = self._call_fields(kwargs)
        bound = copy.copy(self)
        bound._base_payload = {**self._base_payload, **fields}
        stop = bound._base_payload.get("generationConfig", {}).get("stopSequences")
        bound.stop = stop
        return bound

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ChatGoogleGenerativeAI:
        """A copy of this model that offers `tools` (as Gemini `functionDeclarations`) with
        every request; it shares this one's connections, limits and usage totals.

        Args:
            tools: `Tool`s, functions to turn into tools, or pydantic classes, TypedDicts and
                JSON-schema dicts that only describe a call.
            tool_choice: "auto", "none", "any" (or "required"), a tool's name, or Gemini's
                `toolConfig` dict.
            kwargs: further request fields (`tool_config=` is taken as `tool_choice`).
        """
        from ..tools import as_tool

        if tool_choice is None and kwargs.get("tool_config") is not None:
            tool_choice = kwargs.pop("tool_config")
        made = [as_tool(t) for t in tools]
        names = [t.name for t in made]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"tool names must be unique, got {names}")
        bound = self.bind(**kwargs) if kwargs else copy.copy(self)
        bound.tools = {t.name: t for t in made}
        payload = dict(bound._base_payload)
        payload["tools"] = [{"functionDeclarations": [function_of(t.to_openai()) for t in made]}]
        if tool_choice is not None:
            payload["toolConfig"] = tool_config_of(tool_choice, names)
        bound._base_payload = payload
        return bound

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, method: str = "json_schema", **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        """A runnable answering with `schema`'s instances (pydantic) or dicts (TypedDict, JSON
        schema). `method="json_schema"` (the default, as in langchain-google-genai) asks for
        JSON of the schema's shape (`responseMimeType` + `responseSchema`);
        `method="function_calling"` offers it as the one tool and makes the model call it."""
        from ..tools._schema import schema_of
        from .structured_output import StructuredOutput

        if kwargs:
            raise ConfigurationError(f"unknown with_structured_output option(s) {sorted(kwargs)}")
        name, description, json_schema = schema_of(schema)
        if method == "function_calling":
            declaration = {"name": name, "parameters": gemini_schema(json_schema)}
            if description:
                declaration["description"] = description
            model = self.bind(
                tools=[{"functionDeclarations": [declaration]}],
                toolConfig=tool_config_of(name, [name]),
            )
            return StructuredOutput(
                model, schema, method="function_calling", include_raw=include_raw, name=name
            )
        if method not in ("json_schema", "json_mode"):
            raise ConfigurationError(
                f"method must be 'json_schema', 'json_mode' or 'function_calling', got {method!r}"
            )
        fields: dict[str, Any] = {"response_mime_type": "application/json"}
        if method == "json_schema":
            fields["response_schema"] = json_schema
        return StructuredOutput(
            self.bind(**fields), schema, method="json_mode", include_raw=include_raw, name=name
        )

    # --- payloads and answers ---------------------------------------------------------------

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        if isinstance(input, str):
            system, contents = None, [{"role": "user", "parts": [{"text": input}]}]
        else:
            system, contents = to_gemini(convert_to_messages(input))
        payload = self._base_payload.copy()
        if system is not None:
            payload["systemInstruction"] = system
        payload["contents"] = contents
        return payload

    def _stream_request(self, input: LanguageModelInput) -> JSONDict:
        return self._payload(input)  # the path says "stream", not the body

    def _message_of(self, data: JSONDict, usage: Usage) -> AIMessage:
        text, calls, metadata = read_response(data, self._where)
        return AIMessage(text, usage=usage, response_metadata=metadata, tool_calls=calls)

    def _generations(self, data: JSONDict, usage: Usage) -> list[Generation]:
        message = self._message_of(data, usage)
        info = {k: v for k, v in message.response_metadata.items() if k != "usage_metadata"}
        return [ChatGeneration(text=message.text, generation_info=info, message=message)]

    def _event_text(self, event: JSONDict, tool_calls: dict[int, JSONDict] | None) -> str | None:
        where = self._pipeline.transport.shown(self._stream_path or self._path)
        return event_text(event, tool_calls, where)

    def _check_answer(self, data: JSONDict) -> None:
        read_response(data, self._where)

    def _event_metadata(self, event: JSONDict, outcome: StreamOutcome) -> None:
        metadata = outcome.metadata
        model = event.get("modelVersion")
        if isinstance(model, str):
            metadata["model_name"] = model
        candidates = event.get("candidates")
        if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict):
            reason = candidates[0].get("finishReason")
            if isinstance(reason, str):
                metadata["finish_reason"] = reason

    def _event_started(self, event: JSONDict) -> bool:
        return event_started(event)

    def _answer(self, data: JSONDict, usage: Usage) -> AIMessage:
        return self._message_of(data, usage)


__all__ = ["ChatGoogleGenerativeAI"]
