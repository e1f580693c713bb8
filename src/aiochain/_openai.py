"""What `OpenAI` (completions) and `ChatOpenAI` (chat completions) share: their options, the
payload every request starts from, and reading OpenAI's answers. Sending goes through the one
request pipeline (`_pipeline.py`); this module only builds requests and reads answers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from ._body import ResponseLimits
from ._exceptions import BadResponseError, ConfigurationError, IncompleteStreamError
from ._http import HTTPTransport
from ._limiter import RateLimiter
from ._model_options import bound_model
from ._openai_wire import read_openai_usage
from ._pipeline import RequestPipeline, StreamOutcome
from ._prompt_generation import PromptGeneration
from ._retry import RetryPolicy
from ._runnable import Runnable
from ._runner import amap, batch_concurrency
from ._sync import run_sync
from ._types import NOT_GIVEN, JSONDict, NotGiven
from ._usage import Usage
from .outputs import Generation, LLMResult
from .pricing import cost_for, price_of
from .prompts import LanguageModelInput

if TYPE_CHECKING:
    import aiohttp

    from .cache import SQLiteCache

DEFAULT_BASE_URL = "https://api.openai.com/v1"

OutputT = TypeVar("OutputT")


class BaseOpenAI(PromptGeneration, Runnable[LanguageModelInput, OutputT], Generic[OutputT]):
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
        cache: an `aiochain.cache.SQLiteCache`; identical requests are answered from it (and
            identical requests in flight at once are sent once). Streams are not cached.
        on_token: called with each piece of text as it arrives; when set, every call streams
            (so chains built on this model report tokens too) and still returns the whole
            answer.
        model_kwargs: further request fields, sent as they are.
        session: an aiohttp session to use instead of our own; it stays the caller's to close.
        response_limits: bounds on answers (`ResponseLimits`: body and event sizes, a stream's
            total time); generous by default.
        streaming: accepted as LangChain spells it (`astream` streams either way).
        verbose: log each prompt and answer under the `aiochain` logger at INFO.
        callbacks / tags / metadata: handlers that hear every call of this model, and the
            tags and metadata they are given (`aiochain.callbacks`).

    Ownership: the client creates its own HTTP sessions (one per event loop) and closes them in
    `aclose()` / `async with`, or at the latest when their event loop shuts down.
    """

    _path: ClassVar[str]
    default_model: ClassVar[str]
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
        rate_limiter: RateLimiter | None = None,
        on_token: Callable[[str], Any] | None = None,
        cache: SQLiteCache | None = None,
        model_kwargs: dict[str, Any] | None = None,
        session: aiohttp.ClientSession | None = None,
        response_limits: ResponseLimits | None = None,
        streaming: bool = False,
        verbose: bool = False,
        openai_api_key: str | None = None,
        openai_api_base: str | None = None,
        request_timeout: float | None = None,
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.callbacks, self.tags, self.metadata = callbacks, tags, metadata  # callbacks
        self.model = model or model_name or self.default_model
        if isinstance(max_tokens, NotGiven):
            max_tokens = self.default_max_tokens
        _check_range("temperature", temperature, 0.0, 2.0)
        _check_range("top_p", top_p, 0.0, 1.0)
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
            raise ConfigurationError(f"max_tokens must be a positive integer, got {max_tokens!r}")
        if not isinstance(n, int) or n < 1:
            raise ConfigurationError(f"n must be a positive integer, got {n!r}")
        if request_timeout is not None:
            timeout = request_timeout
        if timeout is not None and timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds or None, got {timeout!r}")
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.top_p = top_p
        self.stop = [stop] if isinstance(stop, str) else (list(stop) if stop else None)
        self.n = n
        self.timeout = timeout
        self.max_retries = max_retries
        self.base_url = (
            base_url or openai_api_base or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        ).rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"base_url must start with http:// or https://, got {self.base_url!r}"
            )
        key = api_key or openai_api_key or os.environ.get("OPENAI_API_KEY") or None
        headers = {"Content-Type": "application/json", "User-Agent": "aiochain/0.1"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        retry = retry if retry is not None else RetryPolicy(max_retries=max_retries)
        self.max_retries = retry.max_retries
        if rate_limiter is not None and (rpm or tpm or max_concurrency):
            raise ConfigurationError(
                "give either rate_limiter or max_concurrency / rpm / tpm, not both"
            )
        self.rate_limiter = rate_limiter or RateLimiter(
            rpm=rpm, tpm=tpm, max_concurrency=max_concurrency
        )
        self._price = price_of(self.model)
        self.on_token = on_token
        self.streaming = streaming
        self.verbose = verbose
        self.cache = cache
        # Only OpenAI itself insists on a key; local servers (ours, vLLM, Ollama) often need none.
        key_error = None
        if key is None and self.base_url == DEFAULT_BASE_URL:
            key_error = (
                "no API key: set OPENAI_API_KEY, or set OPENAI_BASE_URL to a compatible server "
                "(`aiochain serve` runs an offline one at http://127.0.0.1:8000/v1)"
            )
        self._pipeline = RequestPipeline(
            HTTPTransport(
                self.base_url,
                headers=headers,
                timeout=timeout,
                session=session,
                limits=response_limits,
                secrets=(key,) if key else (),
            ),
            limiter=self.rate_limiter,
            retry=retry,
            read_usage=read_openai_usage,
            cache=cache,
            price=self._price,
            key_error=key_error,
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

    def bind(self, **kwargs: Any) -> Self:
        """A copy of this model whose requests carry `kwargs` as fields (`stop=[...]`); it
        shares this one's connections, limits and usage totals."""
        return bound_model(self, kwargs)

    @property
    def usage(self) -> Usage:
        """Token usage summed over every call this client has made."""
        return self._pipeline.usage

    # --- the request path -------------------------------------------------------------------

    async def _apost(self, payload: JSONDict) -> tuple[JSONDict, Usage]:
        """Send one request through the pipeline; return the answer and its usage."""
        return await self._pipeline.send(self._path, payload)

    # --- streaming --------------------------------------------------------------------------

    async def _astream_payload(
        self, payload: JSONDict, outcome: StreamOutcome | None = None
    ) -> AsyncIterator[tuple[str | None, JSONDict]]:
        """Stream one request through the pipeline: `(text or None, choice)` per choice event.

        A failure before the first piece of content is retried like any request; after it,
        the error is raised with the text received so far (`IncompleteStreamError.partial`).
        `outcome`, when given, receives this stream's usage, tool calls, model and finish
        reason.
        """
        if payload.get("n", 1) != 1:
            raise ConfigurationError("streaming supports n=1 only")
        parts: list[str] = []
        answered = False  # whether any event carried a choice
        events = self._pipeline.stream(
            self._path, payload, started=self._event_started, outcome=outcome
        )
        try:
            async for event in events:
                choices = event.get("choices")
                if not choices:
                    continue
                choice = choices[0]
                answered = True
                if not isinstance(choice, dict):
                    raise BadResponseError(
                        f"{self.base_url}{self._path} streamed a choice that is not an object",
                        body=str(event)[:2000],
                    )
                text = self._chunk_text(choice)
                if text:
                    parts.append(text)
                if outcome is not None:
                    self._collect_tool_deltas(choice, outcome.tool_calls)
                    if choice.get("finish_reason"):
                        outcome.metadata["finish_reason"] = choice["finish_reason"]
                    if isinstance(event.get("model"), str):
                        outcome.metadata["model_name"] = event["model"]
                yield text, choice
            if not answered:
                raise BadResponseError(
                    f"{self.base_url}{self._path} streamed no choices at all: an empty answer"
                )
        except IncompleteStreamError as exc:
            exc.partial = "".join(parts)
            raise
        finally:
            await events.aclose()

    def _event_started(self, event: JSONDict) -> bool:
        """Whether a stream event carries content (text or a tool call): from then on the
        caller holds part of the answer and the stream is no longer retried."""
        choices = event.get("choices")
        if not choices or not isinstance(choices[0], dict):
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

    async def _collect_stream(
        self, input: LanguageModelInput, outcome: StreamOutcome
    ) -> tuple[str, Usage]:
        """The whole answer, streamed piece by piece to `on_token` (which is set)."""
        on_token = self.on_token
        assert on_token is not None
        parts = []
        async for text, _ in self._astream_payload(self._stream_request(input), outcome):
            if text:
                on_token(text)
                parts.append(text)
        return "".join(parts), outcome.usage or Usage(requests=1)

    def _choices_of(self, data: JSONDict) -> list[JSONDict]:
        choices = data.get("choices")
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(choice, dict) for choice in choices)
        ):
            raise BadResponseError(
                f"{self.base_url}{self._path} answered without choices: {str(data)[:200]}",
                body=str(data)[:2000],
            )
        return choices

    # --- what subclasses provide ------------------------------------------------------------

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        raise NotImplementedError

    def _generations(self, data: JSONDict, usage: Usage) -> list[Generation]:
        raise NotImplementedError

    def _chunk_text(self, choice: JSONDict) -> str | None:
        """The text of one streamed choice."""
        raise NotImplementedError

    def _collect_tool_deltas(self, choice: JSONDict, sink: dict[int, JSONDict]) -> None:
        """Gather streamed tool-call pieces (chat models only)."""

    # --- the public API ---------------------------------------------------------------------

    async def _agenerate_one(self, prompt: LanguageModelInput) -> tuple[list[Generation], Usage]:
        data, usage = await self._apost(self._payload(prompt))
        return self._generations(data, usage), usage

    async def agenerate(
        self, prompts: Sequence[LanguageModelInput], *, concurrency: int | None = None
    ) -> LLMResult:
        """Generate for every prompt concurrently; one list of generations per prompt.

        Args:
            prompts: the prompts.
            concurrency: at most this many at once (default: all, within `max_concurrency`).
        """
        if isinstance(prompts, str):
            raise ConfigurationError("agenerate() takes a list of prompts; use ainvoke() for one")
        results = await amap(
            self._agenerate_one,
            prompts,
            concurrency=concurrency or batch_concurrency(len(prompts), self.rate_limiter),
        )
        total = Usage()
        for _, usage in results:
            total.add(usage)
        return LLMResult(
            generations=[generations for generations, _ in results],
            llm_output={"token_usage": total.to_dict(), "model_name": self.model},
            usage=total,
        )

    def generate(self, prompts: Sequence[LanguageModelInput]) -> LLMResult:
        """`agenerate`, blocking; do not call from inside an event loop."""
        return run_sync(
            lambda: self.agenerate(prompts),
            name=f"{type(self).__name__}.generate",
            async_name="agenerate",
        )

    async def apredict(self, text: str) -> str:
        """The text of the first generation for one prompt string."""
        generations, _ = await self._agenerate_one(text)
        return generations[0].text

    def predict(self, text: str) -> str:
        """`apredict`, blocking; do not call from inside an event loop."""
        return run_sync(
            lambda: self.apredict(text),
            name=f"{type(self).__name__}.predict",
            async_name="apredict",
        )

    @property
    def cost(self) -> float | None:
        """Estimated US dollars spent by this client so far, or None for an unpriced model
        (see `aiochain.pricing`)."""
        if self._price is None:
            return None
        return cost_for(self._price, self.usage.prompt_tokens, self.usage.completion_tokens)

    async def aclose(self) -> None:
        """Close the HTTP session this client created on the running loop."""
        await self._pipeline.transport.aclose()

    async def __aenter__(self) -> BaseOpenAI[OutputT]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        # Never the key.
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r})"


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
