"""What `OpenAI` (completions) and `ChatOpenAI` (chat completions) share: their options, the
payload every request starts from, and reading OpenAI's answers and stream chunks. What every
provider shares (sending through the one request pipeline, `agenerate`, `astream`, `cost`, ...)
is `_model_client.ModelClient`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from .._exceptions import BadResponseError, ConfigurationError
from .._http.body import ResponseLimits
from .._http.endpoint import OPENAI_BASE_URL, Endpoint, openai_endpoint
from .._pipeline.limiter import RateLimiter
from .._pipeline.retry import RetryPolicy
from .._types import NOT_GIVEN, JSONDict, NotGiven
from ..prompts import LanguageModelInput
from .model_client import ModelClient
from .model_options import check_max_tokens, check_range
from .openai_wire import read_openai_usage

if TYPE_CHECKING:
    import aiohttp

    from .._pipeline.answer_cache import AnswerCache
    from ..rate_limiters import BaseRateLimiter

DEFAULT_BASE_URL = OPENAI_BASE_URL

OutputT = TypeVar("OutputT")


class BaseOpenAI(ModelClient[OutputT], Generic[OutputT]):
    """A client of one OpenAI-compatible endpoint.

    Args:
        model: the model name (`model_name` is accepted as LangChain spells it).
        temperature: sampling temperature, 0 to 2; None leaves the server's default.
        max_tokens: the most tokens to generate; None leaves the server's default. Not
            given: the class's `default_max_tokens` (256 for `OpenAI`, as LangChain).
        top_p: nucleus sampling mass.
        stop: up to four strings that end the generation.
        n: how many choices to generate per prompt.
        base_url: the API root; default `$OPENAI_BASE_URL`, else OpenAI's public URL.
        api_key: the bearer key; default `$OPENAI_API_KEY`. It is never printed or logged.
        timeout: seconds for one whole request; None for no limit.
        max_retries: retries after a connection error, timeout, 429 or 5xx.
        retry: a full retry policy (backoff, caps); when given it replaces `max_retries`.
        max_concurrency: requests in flight at once to this endpoint.
        rpm: requests per minute allowed; requests are spread evenly.
        tpm: tokens per minute allowed (prompt plus completion, estimated before a call
            and corrected from the answer's usage).
        rate_limiter: a `RateLimiter` shared with other clients of the same endpoint, instead
            of `max_concurrency` / `rpm` / `tpm`. Without one, each client has its own, which
            still learns from 429s and rate-limit headers.
            Or LangChain's `InMemoryRateLimiter` (`aiochain.rate_limiters`), waited on once
            per call beside `max_concurrency` / `rpm` / `tpm`.
        cache: an `aiochain.cache` cache (`SQLiteCache`, `InMemoryCache`); identical requests
            are answered from it (and identical requests in flight at once are sent once).
            None: the global cache (`aiochain.globals.set_llm_cache`), if any; False: none.
            Streams are not cached.
        on_token: called with each piece of text as it arrives; when set, every call streams
            (so chains built on this model report tokens too) and still returns the whole
            answer.
        model_kwargs: further request fields, sent as they are.
        session: an aiohttp session to use instead of our own; it stays the caller's to close.
        response_limits: bounds on answers (`ResponseLimits`: body and event sizes, a stream's
            total time); generous by default.
        streaming: accepted as LangChain spells it (`astream` streams either way).
        stream_usage: accepted as langchain-openai spells it; a stream always asks for its
            usage, so the last chunk carries exact `usage_metadata` either way.
        verbose: log each prompt and answer under the `aiochain` logger at INFO.
        callbacks / tags / metadata: handlers that hear every call of this model, and the
            tags and metadata they are given (`aiochain.callbacks`).
        custom_get_token_ids: text to token ids, for `get_num_tokens` and the summarize
            chains' `token_max` (instead of tiktoken).
        use_responses_api / output_version / reasoning / store / previous_response_id /
            use_previous_response_id / include / truncation / context_management:
            `ChatOpenAI`'s options for OpenAI's Responses API, as langchain-openai's (see
            `ChatOpenAIResponses`); other models refuse them.

    Ownership: the client creates its own HTTP sessions (one per event loop) and closes them in
    `aclose()` / `async with`, or at the latest when their event loop shuts down.
    """

    default_max_tokens: ClassVar[int | None] = None

    def __init__(
        self,
        *,
        model: str | None = None,
        model_name: str | None = None,
        temperature: float | None = None,
        max_tokens: int | NotGiven | None = NOT_GIVEN,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        n: int = 1,
        base_url: str | None = None,
        api_key: str | None = None,
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
        stream_usage: bool = True,
        verbose: bool = False,
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        openai_api_key: str | None = None,
        openai_api_base: str | None = None,
        request_timeout: float | None = None,
        custom_get_token_ids: Callable[[str], list[int]] | None = None,
        use_responses_api: bool | None = None,
        output_version: str | None = None,
        reasoning: dict[str, Any] | None = None,
        store: bool | None = None,
        previous_response_id: str | None = None,
        use_previous_response_id: bool = False,
        include: list[str] | None = None,
        truncation: str | None = None,
        context_management: Any = None,
    ) -> None:
        # `ChatOpenAI`'s Responses API options are declared here, so type checkers know them;
        # `ChatOpenAI(...)` takes them out before this runs (see `openai_responses`), so any
        # that arrive here were given to a model that has no use for them.
        unused = {
            "use_responses_api": use_responses_api,
            "output_version": output_version,
            "reasoning": reasoning,
            "store": store,
            "previous_response_id": previous_response_id,
            "use_previous_response_id": use_previous_response_id or None,
            "include": include,
            "truncation": truncation,
            "context_management": context_management,
        }
        given = [name for name, value in unused.items() if value is not None]
        if given:
            raise ConfigurationError(
                f"{type(self).__name__} does not take {', '.join(given)}: "
                "they are options of ChatOpenAI's Responses API"
            )
        self.custom_get_token_ids = custom_get_token_ids
        self.model = model or model_name or self.default_model
        if isinstance(max_tokens, NotGiven):
            max_tokens = self.default_max_tokens
        check_range("temperature", temperature, 0.0, 2.0)
        check_range("top_p", top_p, 0.0, 1.0)
        check_max_tokens(max_tokens)
        if not isinstance(n, int) or n < 1:
            raise ConfigurationError(f"n must be a positive integer, got {n!r}")
        if request_timeout is not None:
            timeout = request_timeout
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.top_p = top_p
        self.stop = [stop] if isinstance(stop, str) else (list(stop) if stop else None)
        self.n = n
        # Accepted as langchain-openai spells it; streams always ask for usage (exact counts).
        self.stream_usage = stream_usage
        super().__init__(
            endpoint=self._endpoint(base_url or openai_api_base, api_key or openai_api_key),
            read_usage=read_openai_usage,
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
        payload: JSONDict = {"model": self.model}
        for name, value in (
            ("temperature", temperature),
            ("max_tokens", max_tokens),
            ("top_p", top_p),
            ("stop", self.stop),
        ):
            if value is not None:
                payload[name] = value
        if n != 1:
            payload["n"] = n
        payload.update(model_kwargs or {})
        self._base_payload = payload

    def _endpoint(self, base_url: str | None, api_key: str | None) -> Endpoint:
        """Where requests go and how they authenticate (a bearer key, for OpenAI)."""
        return openai_endpoint(base_url, api_key)

    # --- streaming --------------------------------------------------------------------------

    def _check_answer(self, data: JSONDict) -> None:
        self._choices_of(data)

    def _event_text(self, event: JSONDict, tool_calls: dict[int, JSONDict] | None) -> str | None:
        choices = event.get("choices")
        if not choices:
            return None  # a usage-only chunk
        if not isinstance(choices, list):
            raise BadResponseError(
                f"{self._where} streamed choices that are not a list",
                body=str(event)[:2000],
            )
        choice = choices[0]
        if not isinstance(choice, dict):
            raise BadResponseError(
                f"{self._where} streamed a choice that is not an object",
                body=str(event)[:2000],
            )
        if tool_calls is not None:
            self._collect_tool_deltas(choice, tool_calls)
        return self._chunk_text(choice) or ""

    def _event_started(self, event: JSONDict) -> bool:
        choices = event.get("choices")
        if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
            return False
        choice = choices[0]
        if self._chunk_text(choice):
            return True
        delta = choice.get("delta")
        return isinstance(delta, dict) and bool(delta.get("tool_calls"))

    def _stream_request(self, input: LanguageModelInput) -> JSONDict:
        payload = self._payload(input)
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
        return payload

    def _choices_of(self, data: JSONDict) -> list[JSONDict]:
        choices = data.get("choices")
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(choice, dict) for choice in choices)
        ):
            raise BadResponseError(
                f"{self._where} answered without choices: {str(data)[:200]}",
                body=str(data)[:2000],
            )
        return choices

    # --- what subclasses provide ------------------------------------------------------------

    def _chunk_text(self, choice: JSONDict) -> str | None:
        """The text of one streamed choice."""
        raise NotImplementedError

    def _collect_tool_deltas(self, choice: JSONDict, sink: dict[int, JSONDict]) -> None:
        """Gather streamed tool-call pieces (chat models only)."""
