"""What `OpenAI` (completions) and `ChatOpenAI` (chat completions) share: configuration, the
request path through retry and HTTP, response checking, and usage totals."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ._exceptions import (
    APIStatusError,
    BadResponseError,
    ConfigurationError,
    IncompleteStreamError,
    RateLimitError,
)
from ._http import HTTPTransport
from ._limiter import RateLimiter
from ._model_options import request_fields
from ._progress import RunStats, current_stats
from ._retry import RetryPolicy, call_with_retry, is_retryable, take_from_budget
from ._runnable import Runnable
from ._runner import amap, batch_concurrency
from ._sync import run_sync
from ._types import JSONDict, LanguageModelInput
from .outputs import Generation, LLMResult, Usage
from .pricing import cost_for, price_of

if TYPE_CHECKING:
    import aiohttp

    from .cache import SQLiteCache

DEFAULT_BASE_URL = "https://api.openai.com/v1"

OutputT = TypeVar("OutputT")


@dataclass(slots=True)
class StreamOutcome:
    """What a stream reported besides its text: its own usage and its tool calls (by index)."""

    usage: Usage | None = None
    tool_calls: dict[int, JSONDict] = field(default_factory=dict)


class BaseOpenAI(Runnable[LanguageModelInput, OutputT], Generic[OutputT]):
    """A client of one OpenAI-compatible endpoint.

    Args:
        model: the model name (`model_name` is accepted as LangChain spells it).
        temperature: sampling temperature, 0 to 2; None leaves the server's default.
        max_tokens: the most tokens to generate.
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

    Ownership: the client creates its own HTTP sessions (one per event loop) and closes them in
    `aclose()` / `async with`, or at the latest when their event loop shuts down.
    """

    _path: ClassVar[str]
    default_model: ClassVar[str]

    def __init__(
        self,
        *,
        model: str | None = None,
        model_name: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
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
        openai_api_key: str | None = None,
        openai_api_base: str | None = None,
        request_timeout: float | None = None,
    ) -> None:
        self.model = model or model_name or self.default_model
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
        # Only OpenAI itself insists on a key; local servers (ours, vLLM, Ollama) often need none.
        self._key_missing = key is None and self.base_url == DEFAULT_BASE_URL
        headers = {"Content-Type": "application/json", "User-Agent": "aiochain/0.1"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._retry = retry if retry is not None else RetryPolicy(max_retries=max_retries)
        self.max_retries = self._retry.max_retries
        self._retry_budget = self._retry.new_budget()
        if rate_limiter is not None and (rpm or tpm or max_concurrency):
            raise ConfigurationError(
                "give either rate_limiter or max_concurrency / rpm / tpm, not both"
            )
        self.rate_limiter = rate_limiter or RateLimiter(
            rpm=rpm, tpm=tpm, max_concurrency=max_concurrency
        )
        self._price = price_of(self.model)
        self.on_token = on_token
        self.cache = cache
        # Completion tokens expected when max_tokens is not set, for the tpm estimate; it
        # follows what the server really returns.
        self._expected_completion = 256.0
        self._transport = HTTPTransport(
            self.base_url, headers=headers, timeout=timeout, session=session
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
        self.usage = Usage()
        """Token usage summed over every call this client has made."""

    # --- the request path -------------------------------------------------------------------

    def _apost_key_error(self) -> None:
        raise ConfigurationError(
            "no API key: set OPENAI_API_KEY, or set OPENAI_BASE_URL to a compatible server "
            "(`aiochain serve` runs an offline one at http://127.0.0.1:8000/v1)"
        )

    async def _apost(self, payload: JSONDict) -> tuple[JSONDict, Usage]:
        """Send one request through cache, limiter, retries and HTTP; return answer and usage."""
        if self.cache is None:
            return await self._apost_uncached(payload)
        key = self.cache.key_for(self.base_url + self._path, payload)
        data, hit = await self.cache.fetch(key, lambda: self._apost_data(payload))
        if hit:
            stats = current_stats.get()
            if stats is not None:
                stats.cached += 1
        # A cached answer costs nothing: its usage is reported, not added to the totals again.
        return data, _parsed_usage(data.get("usage"), requests=0 if hit else 1)

    async def _apost_data(self, payload: JSONDict) -> JSONDict:
        data, _ = await self._apost_uncached(payload)
        return data

    async def _apost_uncached(self, payload: JSONDict) -> tuple[JSONDict, Usage]:
        if self._key_missing:
            self._apost_key_error()
        stats = current_stats.get()
        tokens = self._estimate_tokens(payload) if self.rate_limiter.tpm else 0.0
        budget = self._retry_budget
        if budget is not None:
            budget.deposit()
        # The first attempt runs bare: the retry machinery costs nothing until something fails.
        try:
            return await self._attempt(payload, tokens, stats)
        except Exception as exc:
            if self._retry.max_retries == 0 or not is_retryable(exc):
                raise
            first_error = exc
        if stats is None:
            return await call_with_retry(
                lambda: self._attempt(payload, tokens, None),
                self._retry,
                budget=budget,
                first_error=first_error,
            )
        waiting = False  # whether this call is between a failure and its retry

        def count_retry(exc: BaseException, retry: int, wait: float) -> None:
            nonlocal waiting
            stats.retries += 1
            stats.retrying += 1
            waiting = True

        async def attempt() -> tuple[JSONDict, Usage]:
            nonlocal waiting
            if waiting:
                stats.retrying -= 1
                waiting = False
            return await self._attempt(payload, tokens, stats)

        return await call_with_retry(
            attempt, self._retry, budget=budget, on_retry=count_retry, first_error=first_error
        )

    async def _attempt(
        self, payload: JSONDict, tokens: float, stats: RunStats | None
    ) -> tuple[JSONDict, Usage]:
        limiter = self.rate_limiter
        if not limiter.try_acquire_now():
            await limiter.acquire(tokens)
        try:
            data, headers = await self._transport.post_json(self._path, payload)
        except APIStatusError as exc:
            limiter.release(tokens, 0)
            self._note_refusal(exc, stats)
            raise
        except BaseException:
            limiter.release(tokens, 0)
            raise
        usage = self._usage_of(data.get("usage"))
        limiter.release(tokens, usage.total_tokens or None)
        if limiter.learn and "x-ratelimit-limit-requests" in headers:
            limiter.note_headers(headers)
        if stats is not None:
            stats.requests += 1
            self._count_usage(stats, usage)
        return data, usage

    def _note_refusal(self, exc: APIStatusError, stats: RunStats | None) -> None:
        """Account an error status: a 429 pauses and teaches the limiter."""
        if isinstance(exc, RateLimitError):
            self.rate_limiter.note_rate_limited(exc.retry_after)
            self.rate_limiter.note_headers(exc.headers)
            if stats is not None:
                stats.rate_limited += 1
        if stats is not None:
            stats.requests += 1

    def _count_usage(self, stats: RunStats, usage: Usage) -> None:
        stats.prompt_tokens += usage.prompt_tokens
        stats.completion_tokens += usage.completion_tokens
        if self._price is not None:
            stats.cost += cost_for(self._price, usage.prompt_tokens, usage.completion_tokens)

    # --- streaming --------------------------------------------------------------------------

    async def _astream_payload(
        self, payload: JSONDict, outcome: StreamOutcome | None = None
    ) -> AsyncIterator[str]:
        """Stream one request's text through limiter, retries and SSE.

        A failure before the first piece of text is retried like any request; after it, the
        error is raised (an `IncompleteStreamError` carries the text received so far), since
        the caller already holds part of the answer. The limiter's slot is held until the
        stream ends. `outcome`, when given, receives this stream's usage and tool calls.
        """
        if self._key_missing:
            self._apost_key_error()
        if payload.get("n", 1) != 1:
            raise ConfigurationError("streaming supports n=1 only")
        stats = current_stats.get()
        limiter = self.rate_limiter
        tokens = self._estimate_tokens(payload) if limiter.tpm else 0.0
        budget = self._retry_budget
        if budget is not None:
            budget.deposit()
        retry = 0
        while True:
            await limiter.acquire(tokens)
            usage: Usage | None = None
            parts: list[str] = []
            if outcome is not None:
                outcome.tool_calls.clear()
            events = self._transport.stream_json(self._path, payload)
            try:
                async for event in events:
                    raw_usage = event.get("usage")
                    if raw_usage:
                        usage = self._usage_of(raw_usage)
                    choices = event.get("choices")
                    if choices:
                        text = self._chunk_text(choices[0])
                        if text:
                            parts.append(text)
                            yield text
                        if outcome is not None:
                            self._collect_tool_deltas(choices[0], outcome.tool_calls)
                if usage is None:
                    usage = self._usage_of(None)
                if outcome is not None:
                    outcome.usage = usage
                if stats is not None:
                    stats.requests += 1
                    self._count_usage(stats, usage)
                return
            except Exception as exc:
                if isinstance(exc, APIStatusError):
                    self._note_refusal(exc, stats)
                if parts:
                    if isinstance(exc, IncompleteStreamError):
                        exc.partial = "".join(parts)
                    raise
                wait = self._retry.wait_for(exc, retry, random.random)
                if wait is None or not take_from_budget(budget, exc):
                    raise
                if stats is not None:
                    stats.retries += 1
            finally:
                await events.aclose()
                limiter.release(tokens, usage.total_tokens if usage else 0)
            retry += 1
            await asyncio.sleep(wait)

    def _stream_request(self, input: LanguageModelInput) -> JSONDict:
        payload = self._payload(input)
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
        return payload

    async def astream(
        self, input: LanguageModelInput, config: Any = None, **kwargs: Any
    ) -> AsyncIterator[str]:
        """Yield the answer's text piece by piece as the server sends it.

        Leaving the loop early closes the response and frees its connection (at once inside
        `contextlib.aclosing`, else as soon as the iterator is dropped).

        Raises:
            IncompleteStreamError: the stream was cut; `.partial` holds the text received.
            StreamError: the server sent an error in the middle of the stream.
        """
        payload = self._stream_request(input)
        payload.update(request_fields(kwargs))  # per-call fields (`stop=`), as in LangChain
        async for text in self._astream_payload(payload):
            yield text

    async def _ainvoke_text(
        self, input: LanguageModelInput, outcome: StreamOutcome | None = None
    ) -> tuple[str, JSONDict, Usage]:
        """The whole answer text, streamed to `on_token` when it is set."""
        if self.on_token is None:
            data, usage = await self._apost(self._payload(input))
            choice = self._choices_of(data)[0]
            return self._choice_text(choice, data), data, usage
        on_token = self.on_token
        outcome = outcome if outcome is not None else StreamOutcome()
        parts = []
        async for text in self._astream_payload(self._stream_request(input), outcome):
            on_token(text)
            parts.append(text)
        return "".join(parts), {"model": self.model}, outcome.usage or Usage(requests=1)

    def _estimate_tokens(self, payload: JSONDict) -> float:
        """Prompt tokens (about four characters each) plus the completion expected."""
        text = payload.get("prompt")
        if text is None:
            chars = sum(len(str(m.get("content") or "")) for m in payload.get("messages", ()))
        else:
            chars = len(text) if isinstance(text, str) else sum(len(t) for t in text)
        completion = float(payload.get("max_tokens") or self._expected_completion)
        return chars / 4.0 + completion * int(payload.get("n") or 1)

    def _usage_of(self, raw: Any) -> Usage:
        """Parse a `usage` object of an answer and add it to this client's totals."""
        usage = _parsed_usage(raw, requests=1)
        if isinstance(raw, dict):
            # Follow the answers' real length, slowly, for the next estimates.
            self._expected_completion += (
                usage.completion_tokens - self._expected_completion
            ) * 0.05
        self.usage.add(usage)
        return usage

    def _choices_of(self, data: JSONDict) -> list[JSONDict]:
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
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

    def _choice_text(self, choice: JSONDict, data: JSONDict) -> str:
        """The text of one complete choice."""
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

    async def agenerate_prompt(self, prompts: Sequence[LanguageModelInput]) -> LLMResult:
        """LangChain's name for `agenerate` over prompt values."""
        return await self.agenerate(prompts)

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
        await self._transport.aclose()

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


def _parsed_usage(raw: Any, *, requests: int) -> Usage:
    """A `usage` object of an answer as `Usage` (zeros when the answer had none)."""
    if not isinstance(raw, dict):
        return Usage(requests=requests)
    prompt, completion = raw.get("prompt_tokens") or 0, raw.get("completion_tokens") or 0
    return Usage(prompt, completion, raw.get("total_tokens") or prompt + completion, requests)
