"""What every model client shares, whatever its provider: the limits, retries and pipeline it
sends through, and the public API built on one request (`agenerate`, `apredict`, `astream`,
`cost`, `bind`, `aclose`, ...). A provider's class (`BaseOpenAI`, `ChatAnthropic`) only says
how to build its payloads and read its answers and stream events."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from ._body import ResponseLimits
from ._config import current_config
from ._exceptions import BadResponseError, ConfigurationError, IncompleteStreamError
from ._http import HTTPTransport
from ._limiter import RateLimiter
from ._model_options import bound_model, request_fields
from ._pipeline import RequestPipeline, StreamOutcome, UsageReader
from ._prompt_generation import PromptGeneration
from ._retry import RetryPolicy
from ._runnable import Runnable
from ._runner import amap, batch_concurrency
from ._sync import run_sync
from ._traced import traced_stream
from ._types import JSONDict
from ._usage import Usage
from .messages import AIMessageChunk, usage_metadata_of
from .outputs import Generation, LLMResult
from .pricing import cost_for, price_of
from .prompts import LanguageModelInput

if TYPE_CHECKING:
    import aiohttp

    from .cache import SQLiteCache

OutputT = TypeVar("OutputT")


@dataclass(frozen=True, slots=True)
class EndpointAuth:
    """How requests to an endpoint authenticate.

    Attributes:
        headers: headers sent with every request (the key's).
        secrets: values to remove from anything of the server's put into an error.
        key_error: when set, every request fails at once with this message (no key).
        header_provider: makes headers afresh for each request (expiring tokens), or None.
    """

    headers: Mapping[str, str]
    secrets: tuple[str, ...] = ()
    key_error: str | None = None
    header_provider: Callable[[], Awaitable[Mapping[str, str]]] | None = None


class ModelClient(PromptGeneration, Runnable[LanguageModelInput, OutputT], Generic[OutputT]):
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
    on_token: Callable[[str], Any] | None
    verbose: bool
    _base_payload: JSONDict
    _streams_chunks: ClassVar[bool] = False
    # Callback handlers that hear every call, and what they are told (`aiochain.callbacks`).
    callbacks: Any = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None

    def _connect(
        self,
        *,
        headers: Mapping[str, str],
        secrets: tuple[str, ...],
        key_error: str | None,
        read_usage: UsageReader,
        timeout: float | None,
        max_retries: int,
        retry: RetryPolicy | None,
        max_concurrency: int | None,
        rpm: float | None,
        tpm: float | None,
        rate_limiter: RateLimiter | None,
        cache: SQLiteCache | None,
        session: aiohttp.ClientSession | None,
        response_limits: ResponseLimits | None,
        header_provider: Callable[[], Awaitable[Mapping[str, str]]] | None = None,
    ) -> None:
        """Check the shared options and build the limiter, retry policy and pipeline."""
        if timeout is not None and timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds or None, got {timeout!r}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"base_url must start with http:// or https://, got {self.base_url!r}"
            )
        self.timeout = timeout
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
        self.cache = cache
        self._pipeline = RequestPipeline(
            HTTPTransport(
                self.base_url,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "aiochain/0.1",
                    **headers,
                },
                timeout=timeout,
                session=session,
                limits=response_limits,
                secrets=secrets,
                header_provider=header_provider,
            ),
            limiter=self.rate_limiter,
            retry=retry,
            read_usage=read_usage,
            cache=cache,
            price=self._price,
            key_error=key_error,
            check_answer=self._check_answer,
        )

    def bind(self, **kwargs: Any) -> Self:
        """A copy of this model whose requests carry `kwargs` as fields (`stop=[...]`); it
        shares this one's connections, limits and usage totals."""
        return bound_model(self, kwargs)

    def with_cache(self, cache: SQLiteCache | None) -> Self:
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

    async def _astream_payload(
        self, payload: JSONDict, outcome: StreamOutcome | None = None, *, pieces: bool = False
    ) -> AsyncIterator[tuple[str, list[JSONDict]]]:
        """Stream one request through the pipeline: `(text, tool-call pieces)` for each event
        that is part of the answer (text may be ""; the pieces, only with `pieces`, are
        LangChain's `tool_call_chunks` of that event).

        A failure before the first piece of content is retried like any request; after it,
        the error is raised with the text received so far (`IncompleteStreamError.partial`).
        `outcome`, when given, receives this stream's usage, tool calls and metadata.
        """
        if payload.get("n", 1) != 1:
            raise ConfigurationError("streaming supports n=1 only")
        if pieces and outcome is None:
            outcome = StreamOutcome()
        parts: list[str] = []
        answered = False  # whether any event carried part of an answer
        tool_calls = outcome.tool_calls if outcome is not None else None
        events = self._pipeline.stream(
            self._path, payload, started=self._event_started, outcome=outcome
        )
        event_text = self._event_text
        try:
            async for event in events:
                seen = _lengths(tool_calls) if pieces else None
                text = event_text(event, tool_calls)
                if text is None:
                    continue
                answered = True
                if outcome is not None:
                    self._event_metadata(event, outcome.metadata)
                if text:
                    parts.append(text)
                yield text, _new_pieces(tool_calls, seen) if seen is not None else []
            if not answered:
                raise BadResponseError(
                    f"{self.base_url}{self._path} streamed no answer at all: an empty answer"
                )
        except IncompleteStreamError as exc:
            exc.partial = "".join(parts)
            raise
        finally:
            await events.aclose()

    async def _astream_chunks(
        self, input: LanguageModelInput, kwargs: Mapping[str, Any]
    ) -> AsyncIterator[AIMessageChunk]:
        """A chat model's stream as LangChain's: `AIMessageChunk`s of text and tool-call
        pieces, then a last chunk carrying `usage_metadata` and `response_metadata` (model,
        finish reason). `chunk + chunk` joins them; `StrOutputParser` turns them into text."""
        payload = self._stream_request(input)
        payload.update(self._call_fields(kwargs))
        outcome = StreamOutcome()
        async for text, calls in self._astream_payload(payload, outcome, pieces=True):
            if text or calls:
                yield AIMessageChunk(text, tool_call_chunks=calls, id=outcome.metadata.get("id"))
        metadata = {"model_name": self.model, **outcome.metadata}
        answer_id = metadata.pop("id", None)  # the message's id, kept out of its metadata
        yield AIMessageChunk(
            "",
            usage_metadata=usage_metadata_of(outcome.usage),
            response_metadata=metadata,
            id=answer_id,
        )

    def _stream_request(self, input: LanguageModelInput) -> JSONDict:
        payload = self._payload(input)
        payload["stream"] = True
        return payload

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
        if (
            config is not None or self.callbacks is not None or current_config.get() is not None
        ) and (traced := traced_stream(self, input, config, kwargs)) is not None:  # callbacks
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

    # --- what subclasses provide ------------------------------------------------------------

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        raise NotImplementedError

    def _generations(self, data: JSONDict, usage: Usage) -> list[Generation]:
        raise NotImplementedError

    def _event_text(self, event: JSONDict, tool_calls: dict[int, JSONDict] | None) -> str | None:
        """The text of one stream event ("" for a part of the answer without text, None for
        an event that is no part of it), gathering tool-call pieces into `tool_calls`."""
        raise NotImplementedError

    def _event_started(self, event: JSONDict) -> bool:
        """Whether a stream event carries content (text or a tool call): from then on the
        caller holds part of the answer and the stream is no longer retried."""
        raise NotImplementedError

    def _check_answer(self, data: JSONDict) -> None:
        """Raise `BadResponseError` for an answer this provider cannot read (before a cache
        keeps it)."""

    def _event_metadata(self, event: JSONDict, metadata: dict[str, str]) -> None:
        """Note what a stream event says of the answer (model, finish reason)."""

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

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        # Never the key.
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r})"


def _lengths(calls: dict[int, JSONDict] | None) -> dict[int, int]:
    """How much of each tool call's arguments has arrived so far."""
    return {index: len(call.get("args", "")) for index, call in (calls or {}).items()}


def _new_pieces(calls: dict[int, JSONDict] | None, seen: dict[int, int]) -> list[JSONDict]:
    """The tool-call pieces one event added: new calls (with id and name), new argument text."""
    out = []
    for index, call in (calls or {}).items():
        args = call.get("args", "")
        start = seen.get(index)
        if start is None:
            out.append(
                {"name": call.get("name"), "args": args, "id": call.get("id"), "index": index}
            )
        elif len(args) > start:
            out.append({"name": None, "args": args[start:], "id": None, "index": index})
    return out


def check_range(name: str, value: float | None, low: float, high: float) -> None:
    """Raise `ConfigurationError` unless `value` is None or a number in [low, high]."""
    if value is None:
        return
    if not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low:g} and {high:g}, got {value!r}")


def check_max_tokens(max_tokens: int | None) -> None:
    """Raise `ConfigurationError` unless `max_tokens` is None or a positive integer."""
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise ConfigurationError(f"max_tokens must be a positive integer, got {max_tokens!r}")
