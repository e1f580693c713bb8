"""What every model client shares, whatever its provider: the endpoint, limits, retries and
pipeline it sends through, the one model-call prologue (`ModelCalls`: `ainvoke`, `agenerate`,
`generate`, `apredict`, ...), `astream`, `bind`, `cost`, `aclose`, and the small typed surface
the CLI and the Batch API code use (`request_body`, `read_answer`, `read_usage`,
`endpoint_path`, `transport`, `retry_policy`, `check_key`). A provider's class (`BaseOpenAI`,
`ChatAnthropic`) only says how to build its payloads and read its answers and stream events."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from .._exceptions import ConfigurationError
from .._http.body import ResponseLimits
from .._http.endpoint import Endpoint, EndpointAuth
from .._pipeline.limiter import RateLimiter
from .._pipeline.pipeline import RequestPipeline, StreamOutcome, UsageReader
from .._pipeline.retry import RetryPolicy
from .._types import JSONDict, Usage
from ..callbacks._generations import output_of
from ..callbacks._model_runs import traced_call, traced_stream
from ..outputs import Generation
from ..pricing import cost_for, price_of
from ..prompts import LanguageModelInput
from ..rate_limiters import BaseRateLimiter, split_rate_limiter
from ..runnables._runner import batch_concurrency
from ..runnables.base import Runnable
from .client_surface import ClientSurface
from .model_calls import ModelCalls
from .model_options import log_verbose, request_fields
from .model_stream import ModelStreaming
from .token_counting import TokenCounting

if TYPE_CHECKING:
    import aiohttp

    from .._pipeline.answer_cache import AnswerCache

OutputT = TypeVar("OutputT")

__all__ = ["EndpointAuth", "ModelClient"]


# Where each wire format puts the prompt: chat completions and Anthropic, Responses, Gemini,
# completions.
_PROMPT_FIELDS = ("messages", "input", "contents", "prompt")


class ModelClient(
    ClientSurface,
    TokenCounting,
    ModelCalls[OutputT],
    ModelStreaming,
    Runnable[LanguageModelInput, OutputT],
    Generic[OutputT],
):
    """A client of one model endpoint; subclasses build payloads and read answers.

    Ownership: the client creates its own HTTP sessions (one per event loop) and closes them in
    `aclose()` / `async with`, or at the latest when their event loop shuts down.
    """

    reports_own_runs = True  # a model run, see _run_trace.py

    _path: str
    default_model: ClassVar[str]
    model: str
    base_url: str
    stop: list[str] | None
    _base_payload: JSONDict
    _stop_field: ClassVar[str] = "stop"  # the request field `stop=` is sent as

    def __init__(
        self,
        *,
        endpoint: Endpoint,
        read_usage: UsageReader,
        timeout: float | None,
        max_retries: int,
        retry: RetryPolicy | None,
        max_concurrency: int | None,
        rpm: float | None,
        tpm: float | None,
        rate_limiter: RateLimiter | BaseRateLimiter | None,
        cache: AnswerCache | bool | None,
        session: aiohttp.ClientSession | None,
        response_limits: ResponseLimits | None,
        on_token: Any = None,
        streaming: bool = False,
        verbose: bool = False,
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        estimate: Callable[[JSONDict], float] | None = None,
    ) -> None:
        """Check the options every provider shares and build the limiter, retry policy and
        pipeline on `endpoint` (`model` is set by the subclass first; `estimate` of a request's
        tokens is given by `OpenAIEmbeddings`, whose requests are all input)."""
        self.callbacks, self.tags, self.metadata = callbacks, tags, metadata
        self.on_token = on_token
        self.streaming = streaming
        self.verbose = verbose
        if timeout is not None and timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds or None, got {timeout!r}")
        self.base_url = endpoint.base_url
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"base_url must start with http:// or https://, got {self.base_url!r}"
            )
        self.timeout = timeout
        retry = retry if retry is not None else RetryPolicy(max_retries=max_retries)
        self.max_retries = retry.max_retries
        rate_limiter, request_limiter = split_rate_limiter(rate_limiter)  # ours, LangChain's
        if rate_limiter is not None and (rpm or tpm or max_concurrency):
            raise ConfigurationError(
                "give either rate_limiter or max_concurrency / rpm / tpm, not both"
            )
        self.rate_limiter = rate_limiter or RateLimiter(
            rpm=rpm, tpm=tpm, max_concurrency=max_concurrency
        )
        self._price = price_of(self.model)
        self.cache = cache
        self._read_usage = read_usage
        self._key_error = endpoint.auth.key_error
        self._pipeline = RequestPipeline(
            endpoint.transport(timeout=timeout, session=session, limits=response_limits),
            limiter=self.rate_limiter,
            retry=retry,
            read_usage=read_usage,
            cache=cache,
            price=self._price,
            key_error=endpoint.auth.key_error,
            check_answer=self._check_answer,
            estimate=estimate,
        )
        self._pipeline.request_limiter = request_limiter

    # --- the typed surface for the CLI and the Batch API code ------------------------------

    def request_body(self, input: LanguageModelInput, **fields: Any) -> JSONDict:
        """The request body this model sends for `input` (with `fields` as request fields),
        as a batch line or a journal keeps it."""
        payload = self._payload(input)
        if fields:
            payload.update(self._call_fields(fields))
        return payload

    def read_usage(self, body: JSONDict) -> Usage:
        """The usage of an answer body, by this provider's one usage reader (the live,
        streamed and batch paths all read it so).

        Raises:
            BadResponseError: counts that are not sane.
        """
        usage = self._read_usage(body) or Usage()
        usage.requests = 1
        return usage

    def read_generations(self, body: JSONDict) -> list[Generation]:
        """The generations of an answer body (one per choice).

        Raises:
            BadResponseError: a body this provider cannot read.
        """
        return self._generations(body, self.read_usage(body))

    def read_answer(self, body: JSONDict) -> OutputT:
        """An answer body as `ainvoke` returns it (a message, or text).

        Raises:
            BadResponseError: a body this provider cannot read.
        """
        return self._answer(body, self.read_usage(body))

    def bind(self, **kwargs: Any) -> Self:
        """A copy of this model whose requests carry `kwargs` as fields (`stop=[...]`, sent in
        this provider's name); it shares this one's connections, limits and usage totals."""
        fields = self._call_fields(kwargs)
        bound = copy.copy(self)
        bound._base_payload = {**self._base_payload, **fields}
        stop = fields.get(self._stop_field)
        if stop is not None:
            bound.stop = stop
        return bound

    def with_cache(self, cache: AnswerCache | bool | None) -> Self:
        """A copy of this model that answers from `cache`; it shares this one's connections,
        limits, retry budget and usage totals."""
        model = copy.copy(self)
        model._pipeline = copy.copy(self._pipeline)
        model._pipeline.cache = model.cache = cache
        return model

    @property
    def usage(self) -> Usage:
        """Token usage summed over every call this client has made."""
        return self._pipeline.usage

    async def _apost(self, payload: JSONDict) -> tuple[JSONDict, Usage]:
        """Send one request through the pipeline; return the answer and its usage."""
        return await self._pipeline.send(self._path, payload)

    # --- streaming --------------------------------------------------------------------------

    async def astream(
        self, input: LanguageModelInput, config: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Yield the answer piece by piece as the server sends it: text for completion models;
        for chat models `AIMessageChunk`s, as LangChain's: text and tool-call pieces, then a
        last chunk with `usage_metadata` and `response_metadata` (model, finish reason).
        `kwargs` are request fields for this call (`stop=`).

        Leaving the loop early closes the response and frees its connection (at once inside
        `contextlib.aclosing`, else as soon as the iterator is dropped).

        Raises:
            IncompleteStreamError: the stream was cut; `.partial` holds the text received.
            StreamError: the server sent an error in the middle of the stream.
        """
        traced = traced_stream(self, input, config, kwargs)  # None unless a handler listens
        if traced is not None:
            async for piece in traced:
                yield piece
            return
        if self._streams_chunks:
            async for chunk in self._astream_chunks(input, kwargs):
                yield chunk
            return
        payload = self._stream_request(input)
        payload.update(self._call_fields(kwargs))  # per-call fields (`stop=`), as in LangChain
        async for text, _ in self._astream_payload(payload):
            if text:
                yield text

    def _call_fields(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The request fields of a call's keyword arguments, in this provider's names."""
        return request_fields(kwargs)

    # --- what subclasses provide ------------------------------------------------------------

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        raise NotImplementedError

    def _generations(self, data: JSONDict, usage: Usage) -> list[Generation]:
        raise NotImplementedError

    def _check_answer(self, data: JSONDict) -> None:
        """Raise `BadResponseError` for an answer this provider cannot read (before a cache
        keeps it)."""

    def _answer(self, data: JSONDict, usage: Usage) -> OutputT:
        """An answer body as `ainvoke` returns it (the first choice)."""
        answer: OutputT = output_of(self._generations(data, usage)[0])
        return answer

    # --- one call, untraced (the prologue is `ModelCalls.ainvoke` / `agenerate`) ----------

    async def ainvoke(
        self, input: LanguageModelInput, config: Any = None, **kwargs: Any
    ) -> OutputT:
        """The model's answer to one prompt or conversation: an `AIMessage` (chat models) or
        text; `kwargs` (`stop=`, ...) are request fields for this call.

        `ModelCalls.ainvoke` with the plain call inline: this is the hot path, and one
        coroutine fewer per call is measurable (the prologue is still `traced_call`).
        """
        traced = traced_call(self, input, config, kwargs)  # None unless a handler listens
        if traced is not None:
            generations, _ = await traced
        elif kwargs or self.verbose or self.on_token is not None:
            generations, _ = await self._generate_one(input, kwargs)
        else:
            data, usage = await self._pipeline.send(self._path, self._payload(input))
            return self._answer(data, usage)
        answer: OutputT = output_of(generations[0])
        return answer

    async def _invoke_untraced(self, input: LanguageModelInput, kwargs: dict[str, Any]) -> OutputT:
        generations, _ = await self._generate_one(input, kwargs)
        answer: OutputT = output_of(generations[0])
        return answer

    async def _generate_one(
        self, input: LanguageModelInput, kwargs: dict[str, Any]
    ) -> tuple[list[Generation], Usage]:
        """One prompt: per-call request fields, `verbose` logging, `on_token` streaming."""
        model = self.bind(**kwargs) if kwargs else self
        if model.verbose:
            payload = model._payload(input)
            prompt = next((payload[k] for k in _PROMPT_FIELDS if k in payload), None)
            log_verbose(model, "prompt", prompt)
        if model.on_token is not None:
            outcome = StreamOutcome()
            text, usage = await model._collect_stream(input, outcome)
            generations = [model._streamed_generation(text, usage, outcome)]
        else:
            data, usage = await model._apost(model._payload(input))
            generations = model._generations(data, usage)
        if model.verbose:
            log_verbose(model, "answer", generations[0].text)
        return generations, usage

    def _batch_workers(self, count: int) -> int:
        return batch_concurrency(count, self.rate_limiter)

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

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        # Never the key.
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r})"
