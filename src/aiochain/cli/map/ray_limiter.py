"""One rate limit for a whole Ray cluster: a budget actor, and the limiter each worker uses.

`ClusterBudget` runs as one named actor per `map --ray` run. It holds the job's requests and
tokens per minute (`--rpm` / `--tpm`, or what a server's `x-ratelimit-limit-*` headers say),
the slow start (the cluster's first request goes alone, so the server's limits are known before
the first wave) and the shared pause after a 429. Its buckets are the library's own `Bucket`s:
a reservation may go into debt and comes back with the seconds until it is paid for, so
workers leave in the order they asked and evenly spaced, whatever their number.

`ClusterRateLimiter` is the `RateLimiter` inside each worker: `acquire` draws from a local
allowance, refilled from the actor in chunks of about `CHUNK_SECONDS` of the cluster's budget
(a round trip to the actor costs about a millisecond, too much per request at thousands a
second, nothing per chunk). Token estimates are corrected from each answer's usage in the local
allowance. A 429 empties the allowance and pauses the whole cluster through the actor. The
limit therefore holds for the cluster: what all workers hold unspent at once is at most one
chunk each, well inside the half second of burst that the buckets allow anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from ..._pipeline.bucket import Bucket
from ..._pipeline.limiter import RateLimiter
from ..._pipeline.ratelimit_headers import stated_limit

CHUNK_SECONDS = 0.05  # of the cluster's budget reserved per round trip to the actor
UNLIMITED_CHUNK = 64  # requests per round trip when nothing limits
PROBE_TIMEOUT = 30.0  # a probe not answered by then (its worker died) lets the others go

# (requests granted, tokens granted, seconds to wait before using them, rpm, tpm, is probe)
Grant = tuple[float, float, float, float | None, float | None, bool]


class ClusterBudget:
    """The cluster's per-minute budgets and shared pause (a Ray actor: one call at a time).

    Args:
        rpm: requests per minute for the whole cluster, or None.
        tpm: tokens per minute for the whole cluster, or None.
        burst: seconds of budget that may go at once (as `RateLimiter`).
        slow_start: with neither limit set, grant one request first and the rest once its
            answer's headers have set the pace.
    """

    def __init__(
        self, rpm: float | None, tpm: float | None, *, burst: float = 0.5, slow_start: bool = True
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.burst = burst
        self._requests = Bucket(rpm, burst, time.monotonic) if rpm else None
        self._tokens = Bucket(tpm, burst, time.monotonic) if tpm else None
        self._paused_until = 0.0
        self._probing = slow_start and rpm is None and tpm is None
        self._probe_sent_at: float | None = None
        self.granted = 0.0
        self.pauses = 0

    def reserve(self, requests: float, tokens: float) -> Grant:
        """Reserve `requests` and `tokens`; the grant says how long to wait before using it."""
        now = time.monotonic()
        if self._probing:
            if self._probe_sent_at is None:
                self._probe_sent_at = now
                self.granted += 1
                return (1.0, tokens, 0.0, self.rpm, self.tpm, True)
            if now - self._probe_sent_at < PROBE_TIMEOUT:
                return (0.0, 0.0, 0.05, self.rpm, self.tpm, False)
            self._probing = False
        pause = self._paused_until - now
        if pause > 0:
            return (0.0, 0.0, pause, self.rpm, self.tpm, False)
        if self.rpm is not None:
            # A worker that has not heard of the limit yet asks for a chunk as if unlimited:
            # held to the chunk here, so no worker ever holds a burst of the cluster's budget.
            requests = min(requests, max(1.0, round(self.rpm / 60 * CHUNK_SECONDS)))
        wait_requests = self._requests.reserve(requests) if self._requests else 0.0
        wait_tokens = self._tokens.reserve(tokens) if self._tokens and tokens else 0.0
        self.granted += requests
        return (requests, tokens, max(wait_requests, wait_tokens), self.rpm, self.tpm, False)

    def pause(self, seconds: float) -> None:
        """A worker got a 429: the server's budget is spent; nobody sends for `seconds`."""
        self.pauses += 1
        for bucket in (self._requests, self._tokens):
            if bucket is not None:
                bucket.at_most(0.0)
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._probing = False

    def learn(self, rpm: float | None, tpm: float | None) -> None:
        """A server's `x-ratelimit-limit-*`: adopt each limit tighter than the one held. The
        new bucket starts empty: requests already sent have spent the server's budget."""
        if rpm is not None and (self.rpm is None or rpm < self.rpm):
            self.rpm, self._requests = rpm, Bucket(rpm, self.burst, time.monotonic)
            self._requests.level = 0.0
        if tpm is not None and (self.tpm is None or tpm < self.tpm):
            self.tpm, self._tokens = tpm, Bucket(tpm, self.burst, time.monotonic)
            self._tokens.level = 0.0
        self._probing = False

    def end_probe(self) -> None:
        """The probe's answer came (or it failed) without limits: let every worker go."""
        self._probing = False

    def usage(self) -> dict[str, Any]:
        """What was granted and the limits in force (for tests and the benchmark)."""
        return {"granted": self.granted, "pauses": self.pauses, "rpm": self.rpm, "tpm": self.tpm}


class ClusterRateLimiter(RateLimiter):
    """A worker's limiter: local pauses (429s, outages) as `RateLimiter`, and per-minute
    budgets drawn in chunks from the cluster's `ClusterBudget` actor.

    Args:
        budget: a handle to the `ClusterBudget` actor.
    """

    def __init__(self, budget: Any) -> None:
        super().__init__(learn=True)
        self._budget = budget
        self._requests_left = 0.0
        self._tokens_left = 0.0
        self._refill: asyncio.Lock | None = None
        self._holds_probe = False
        self._told: tuple[float | None, float | None] = (None, None)

    def try_acquire_now(self) -> bool:
        return False  # every request draws from the cluster's budget

    async def acquire(self, tokens: float = 0.0) -> None:
        await super().acquire(0.0)  # local pauses, the in-flight count
        try:
            await self._draw(tokens)
        except BaseException:
            self.in_flight -= 1
            raise

    async def _draw(self, tokens: float) -> None:
        if self._refill is None:
            self._refill = asyncio.Lock()  # made on the worker's loop, where it is used
        async with self._refill:  # one caller at a time: they leave in order
            while self._requests_left < 1 or (self.tpm and tokens > self._tokens_left):
                chunk = UNLIMITED_CHUNK if self.rpm is None else self.rpm / 60 * CHUNK_SECONDS
                want_tokens = 0.0
                if self.tpm:
                    want_tokens = max(0.0, tokens - self._tokens_left)
                    want_tokens += self.tpm / 60 * CHUNK_SECONDS
                ask = max(1.0, round(chunk) - self._requests_left)
                grant: Grant = await self._budget.reserve.remote(ask, want_tokens)
                requests, granted_tokens, wait, self.rpm, self.tpm, probe = grant
                self._holds_probe = self._holds_probe or probe
                self._requests_left += requests
                self._tokens_left += granted_tokens
                if wait > 0:
                    self._notify(wait, "requests")
                    await self._sleep(wait)
            self._requests_left -= 1
            self._tokens_left -= tokens

    def release(self, reserved_tokens: float = 0.0, used_tokens: float | None = None) -> None:
        super().release(reserved_tokens, used_tokens)
        if used_tokens is not None and reserved_tokens:
            # Correct the estimate from usage; never hoard more than a chunk of surplus.
            cap = (self.tpm or 0.0) / 60 * CHUNK_SECONDS
            self._tokens_left = min(cap, self._tokens_left + reserved_tokens - used_tokens)
        if self._holds_probe:
            self._holds_probe = False
            self._budget.end_probe.remote()

    def rebate(self, tokens: float) -> None:
        cap = (self.tpm or 0.0) / 60 * CHUNK_SECONDS
        self._tokens_left = min(max(cap, self._tokens_left), self._tokens_left + tokens)

    def note_rate_limited(self, retry_after: float | None) -> None:
        super().note_rate_limited(retry_after)
        self._requests_left = 0.0
        self._tokens_left = min(0.0, self._tokens_left)
        pause = retry_after if retry_after is not None else 1.0
        self._budget.pause.remote(min(max(pause, 0.0), self.max_pause))

    def note_headers(self, headers: Mapping[str, str]) -> None:
        """Tell the cluster's budget the server's limits, read by the library's one header
        reader (OpenAI's and Anthropic's headers, the same sanity ranges); no local buckets:
        the limits are the cluster's, not this worker's."""
        requests, tokens = stated_limit(headers, "requests"), stated_limit(headers, "tokens")
        rpm = requests.limit if requests is not None else None
        tpm = tokens.limit if tokens is not None else None
        if (rpm, tpm) != self._told and (rpm is not None or tpm is not None):
            self._told = (rpm, tpm)
            self._budget.learn.remote(rpm, tpm)
            self._holds_probe = False
