"""The one request pipeline every model call goes through, plain or streamed:
cache -> limiter -> retry -> HTTP -> usage.

Model classes (`OpenAI`, `ChatOpenAI`) only build payloads and read answers; everything between
a payload and an answer happens here, once, for both kinds of call (openai-python keeps the same
split between `_base_client` and its resources). So a stream obeys the same retry policy, retry
budget, limiter accounting, header learning and statistics as a plain call:

- the limiter slot is taken before the request and given back when the answer (or the whole
  stream) ends, with the tokens it really used, or its estimate kept when the server said none;
- a 429 pauses the limiter and teaches it the server's limits; every answer's rate-limit headers
  cap what the limiter believes is left;
- failures go through `call_with_retry`, the package's one retry loop; a stream is retried only
  until its first piece of content, since after that the caller already holds part of it;
- counts reach the run's `RunStats` through its hook methods, looked up once per call; with no
  run around a call nothing is counted.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import (
    APIStatusError,
    ConfigurationError,
    RateLimitError,
    RequestTooLargeError,
    ServerUnreachableError,
)
from .._http.event_stream import AnswerEvents, EventStream
from .._http.transport import HTTPTransport
from .._types import JSONDict, Usage, latest_usage
from ..globals import resolve_cache
from ..pricing import cost_for
from .estimates import NOT_COUNTED, Reservation, TokenEstimator
from .limiter import RateLimiter
from .retry import RetryPolicy, call_with_retry, is_retryable
from .run_stats import RunStats, current_stats

if TYPE_CHECKING:
    from ..rate_limiters import BaseRateLimiter
    from .answer_cache import AnswerCache

UsageReader = Callable[[JSONDict], "Usage | None"]
"""Reads the usage a provider put in an answer or a stream event (None when there is none)."""


@dataclass(slots=True)
class StreamOutcome:
    """What a stream reported besides its events: its own usage, and (filled in by the model)
    its tool calls by index, its metadata (model, finish reason), the content blocks of its
    latest event when the provider streams content as blocks (OpenAI's Responses), and the
    provider's own bookkeeping of the stream (`state`)."""

    usage: Usage | None = None
    tool_calls: dict[int, JSONDict] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    blocks: list[JSONDict] | None = None
    state: Any = None


class RequestPipeline:
    """Sends one endpoint's requests through cache, limiter, retries and HTTP, and counts usage.

    Args:
        transport: the HTTP transport of the endpoint.
        limiter: the endpoint's rate limiter (possibly shared with other clients).
        retry: the retry policy.
        read_usage: the provider's usage reader for answers and stream events.
        cache: answers by request, or None.
        price: (prompt, completion) dollars per token, or None for an unpriced model.
        key_error: when set, every request fails at once with this `ConfigurationError`
            message (no API key where one is needed).
        check_answer: raises `BadResponseError` for an answer the provider cannot read; run
            before the cache keeps an answer.
        estimate: the tokens a request may use, for the tpm limit; default a completion's
            (its prompt plus the answer expected). Embeddings count their input only.

    Attributes:
        usage: the tokens of every answer this pipeline received, summed.
    """

    def __init__(
        self,
        transport: HTTPTransport,
        *,
        limiter: RateLimiter,
        retry: RetryPolicy,
        read_usage: UsageReader,
        cache: AnswerCache | bool | None = None,
        price: tuple[float, float] | None = None,
        key_error: str | None = None,
        check_answer: Callable[[JSONDict], object] | None = None,
        estimate: Callable[[JSONDict], float] | None = None,
    ) -> None:
        self.transport = transport
        self.limiter = limiter
        self.retry = retry
        self.budget = retry.new_budget()
        self.cache = cache
        self.price = price
        self.usage = Usage()
        self._read_usage = read_usage
        self._key_error = key_error
        # Run on a fresh answer before the cache keeps it: a malformed answer must fail this
        # call only, not be replayed to every identical call after it.
        self._check_answer = check_answer
        # A LangChain-style limiter (`aiochain.rate_limiters`), waited on once per call.
        self.request_limiter: BaseRateLimiter | None = None
        # Token reservations, following what the answers really used.
        self._estimator = TokenEstimator(estimate)

    # --- plain requests ---------------------------------------------------------------------

    async def send(self, path: str, payload: JSONDict) -> tuple[JSONDict, Usage]:
        """Send one request and return its answer and usage (from the cache when it has it).

        A cached answer reports the usage it was stored with, with `requests == 0`, and adds
        nothing to the totals: it cost nothing this time.
        """
        cache = resolve_cache(self.cache)  # its own, else the global one (`aiochain.globals`)
        if cache is None:
            return await self._send(path, payload)
        fresh: list[Usage] = []

        async def send() -> JSONDict:
            data, usage = await self._send(path, payload)
            if self._check_answer is not None:
                self._check_answer(data)
            fresh.append(usage)
            return data

        data, hit = await cache.fetch(cache.key_for(self.transport.base_url + path, payload), send)
        if not hit:
            return data, fresh[0]
        stats = current_stats.get()
        if stats is not None:
            stats.cache_hit()
        usage = self._read_usage(data) or Usage()
        usage.requests = 0
        return data, usage

    async def _send(self, path: str, payload: JSONDict) -> tuple[JSONDict, Usage]:
        self._check_key()
        if self.request_limiter is not None:
            await self.request_limiter.aacquire()
        stats = current_stats.get()
        tokens = self._estimator.estimate(payload) if self.limiter.counts_tokens else NOT_COUNTED
        budget = self.budget
        if budget is not None:
            budget.deposit()
        # The first attempt runs bare: the retry machinery costs nothing until something fails.
        started = time.monotonic() if self.retry.max_total is not None else None
        try:
            return await self._post_once(path, payload, tokens, stats)
        except Exception as exc:
            retry = self.retry
            if not is_retryable(exc) or (
                retry.max_retries == 0 and not retry.waits_for_service(exc)
            ):
                raise
            first_error = exc
        return await call_with_retry(
            lambda: self._post_once(path, payload, tokens, stats),
            self.retry,
            budget=budget,
            first_error=first_error,
            stats=stats,
            what=self.transport.shown(path),
            started=started,  # max_total counts the first attempt, as for streams
        )

    async def _post_once(
        self, path: str, payload: JSONDict, tokens: Reservation, stats: RunStats | None
    ) -> tuple[JSONDict, Usage]:
        limiter = self.limiter
        if not limiter.try_acquire_now():
            tokens = await self._acquire(payload, tokens)
        sent = time.monotonic() if stats is not None else 0.0
        try:
            data, headers = await self.transport.post_json(path, payload)
            used = self._read_usage(data)
        except APIStatusError as exc:
            limiter.release(tokens.reserved, 0)
            self._refused(exc, stats, tokens)
            raise
        except ServerUnreachableError:
            limiter.release(tokens.reserved, 0)
            limiter.note_unreachable()
            raise
        except BaseException:
            limiter.release(tokens.reserved, 0)
            raise
        if limiter.heeds(headers):
            limiter.note_headers(headers)
        return data, self._finished(used, tokens, stats, sent)

    # --- streams ----------------------------------------------------------------------------

    async def stream(
        self,
        path: str,
        payload: JSONDict,
        *,
        started: Callable[[JSONDict], bool],
        outcome: StreamOutcome | None = None,
        answer_events: AnswerEvents | None = None,
    ) -> AsyncGenerator[JSONDict, None]:
        """Send one streamed request and yield its events as they arrive.

        Args:
            path: the endpoint path.
            payload: the request body (already asking for a stream).
            started: whether an event carries content; until one does, a failure is retried
                like any request, after it the error is raised to the caller.
            outcome: receives the stream's usage when it ends.
            answer_events: turns a whole JSON answer (from a server that does not stream)
                into its stream's events.

        The limiter's slot is held until the stream ends; leaving the loop early closes the
        response (and its connection) at once.
        """
        self._check_key()
        if self.request_limiter is not None:
            await self.request_limiter.aacquire()
        stats = current_stats.get()
        tokens = self._estimator.estimate(payload) if self.limiter.counts_tokens else NOT_COUNTED
        opened: _OpenedStream = await call_with_retry(
            lambda: self._open_once(path, payload, tokens, stats, started, answer_events),
            self.retry,
            budget=self.budget,
            stats=stats,
            what=self.transport.shown(path),
        )
        usage = opened.usage
        tokens = opened.tokens
        read_usage = self._read_usage
        sent = opened.sent
        finished = False
        try:
            for event in opened.head:
                yield event
            async for event in opened.events:
                seen = read_usage(event)
                if seen is not None:
                    usage = latest_usage(usage, seen)
                yield event
            finished = True
        finally:
            try:
                await opened.events.aclose()
            finally:
                self._end_stream(finished, usage, tokens, stats, sent, outcome)

    def _end_stream(
        self,
        finished: bool,
        usage: Usage | None,
        tokens: Reservation,
        stats: RunStats | None,
        sent: float,
        outcome: StreamOutcome | None,
    ) -> None:
        """Account a stream that ended (whole, or cut short) and give back its slot."""
        if finished:
            counted = self._finished(usage, tokens, stats, sent)
            if outcome is not None:
                outcome.usage = counted
        else:
            # Cut short (by the server or the caller): the server may have spent the tokens,
            # so the estimate stays reserved unless usage arrived.
            self.limiter.release(tokens.reserved, usage.total_tokens if usage else None)

    async def _open_once(
        self,
        path: str,
        payload: JSONDict,
        tokens: Reservation,
        stats: RunStats | None,
        started: Callable[[JSONDict], bool],
        answer_events: AnswerEvents | None = None,
    ) -> _OpenedStream:
        """Take a slot, open the stream and read it up to its first content event."""
        limiter = self.limiter
        tokens = await self._acquire(payload, tokens)
        sent = time.monotonic()
        events: EventStream | None = None
        try:
            events = await self.transport.open_stream(path, payload, answer_events=answer_events)
            if limiter.heeds(events.headers):
                limiter.note_headers(events.headers)
            head: list[JSONDict] = []
            usage: Usage | None = None
            async for event in events:
                head.append(event)
                seen = self._read_usage(event)
                if seen is not None:
                    usage = latest_usage(usage, seen)
                if started(event):
                    break
            return _OpenedStream(events, head, usage, sent, tokens)
        except BaseException as exc:
            if events is not None:
                await events.aclose()
            limiter.release(tokens.reserved, 0)
            if isinstance(exc, APIStatusError):
                self._refused(exc, stats, tokens)
            elif isinstance(exc, ServerUnreachableError):
                limiter.note_unreachable()
            raise

    # --- accounting -------------------------------------------------------------------------

    async def _acquire(self, payload: JSONDict, tokens: Reservation) -> Reservation:
        """Wait for the limiter with `tokens` reserved (failing at once for a request that can
        never fit), then correct the reservation by what answers taught while it waited."""
        limiter = self.limiter
        limiter.check_fits(tokens.counted)
        await limiter.acquire(tokens.reserved)
        later = self._estimator.estimate(payload) if limiter.counts_tokens else NOT_COUNTED
        if later.reserved != tokens.reserved:
            limiter.rebate(tokens.reserved - later.reserved)
        return later

    def _finished(
        self, usage: Usage | None, tokens: Reservation, stats: RunStats | None, sent: float = 0.0
    ) -> Usage:
        """Account a complete answer: give back its slot with the tokens it used (keeping the
        estimate when the server said none), add to the totals and the run's stats."""
        if self.limiter.unreachable_for:
            self.limiter.note_reachable()
        if usage is None:
            self.limiter.release(tokens.reserved, None)
            usage = Usage(requests=1)
        else:
            self.limiter.release(tokens.reserved, usage.total_tokens or None)
            usage.requests = 1
            self._estimator.learn(usage, tokens)
        self.usage.add(usage)
        if stats is not None:
            price = self.price
            cost = cost_for(price, usage.prompt_tokens, usage.completion_tokens) if price else 0.0
            stats.answered(usage, cost, time.monotonic() - sent if sent else None)
        return usage

    def _refused(self, exc: APIStatusError, stats: RunStats | None, tokens: Reservation) -> None:
        """Account an error status: a 429 pauses the limiter and teaches it the limits; a
        429 saying the request is larger than the whole limit becomes `RequestTooLargeError`
        (raised from it: it can never pass, so it is not retried)."""
        self.limiter.note_reachable()
        rate_limited = isinstance(exc, RateLimitError)
        if rate_limited and _TOO_LARGE in str(exc.args[0]).lower():
            self.limiter.note_headers(exc.headers)
            if stats is not None:
                stats.refused(rate_limited=True)
            limit = self.limiter.tpm or 0.0
            raise RequestTooLargeError(
                f"the server refuses this request as larger than its per-minute token limit "
                f"({exc.args[0]}): it can never be sent as it is; split the input into smaller "
                "pieces (`aiochain map --split TOKENS`) or lower max_tokens",
                tokens=tokens.counted,
                limit=limit,
            ) from exc
        if rate_limited:
            wait = exc.retry_after
            if wait is not None and wait > self.retry.max_retry_after:
                # Far too long to wait: this call fails now; the others are not held up.
                exc.args = (f"{exc.args[0]}; the server asks to come back in {_duration(wait)}",)
            else:
                self.limiter.note_rate_limited(wait)
            self.limiter.note_headers(exc.headers)
        if stats is not None:
            stats.refused(rate_limited=rate_limited)

    def _check_key(self) -> None:
        if self._key_error is not None:
            raise ConfigurationError(self._key_error)


_TOO_LARGE = "request too large"
"""How OpenAI (and the simulator) begin a 429 for a request over the whole per-minute limit."""


@dataclass(slots=True)
class _OpenedStream:
    """A stream opened by one attempt: its response, the events read so far, their usage."""

    events: EventStream
    head: list[JSONDict]
    usage: Usage | None
    sent: float
    tokens: Reservation


def _duration(seconds: float) -> str:
    """A wait in words: "90 s", "2.5 h", "3.0 days"."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
