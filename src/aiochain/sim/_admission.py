"""Whether a request gets an answer: auth (401), rate limits (429) and injected faults.

Every simulated answer passes `Admission` in the same order: `api_key` -> `admit` (the per-key
request and token buckets) -> `fault` (fail, drop, hang). The settings are read live from the
server (a test may change `fail_rate` while it runs); the draws follow its seed.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from typing import Protocol

from ._malformed import KINDS
from ._ratelimit import Bucket, Limit, format_duration
from ._request import Reject, fault_reject
from ._stats import Stats


class Settings(Protocol):
    """The server options admission reads (`SimServer` has them all)."""

    api_key: str | None
    rpm: float | None
    tpm: float | None
    rate_window: float
    latency: float
    latency_jitter: float
    fail_rate: float
    fail_status: int
    drop_rate: float
    hang_rate: float
    overload_rate: float
    stream_cut_rate: float
    malformed_rate: float
    slow_body_rate: float
    retry_after_max: float | None


class Dropped(Exception):
    """The connection is to be cut without an answer; `outcome` names why in the stats."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class Admission:
    """Auth, buckets and fault draws for one server."""

    def __init__(
        self, settings: Settings, stats: Stats, *, seed: int, clock: Callable[[], float]
    ) -> None:
        self._settings = settings
        self._stats = stats
        self.clock = clock
        self.fault_rng = random.Random(seed)
        self._jitter_rng = random.Random(seed + 1)
        # The hostile faults draw apart, so adding them leaves the older draws of a seed alone.
        self._hostile_rng = random.Random(seed + 2)
        self._buckets: dict[str, tuple[Bucket | None, Bucket | None]] = {}
        self.closing = asyncio.Event()

    def bearer(self, header: str) -> str:
        """The caller's key from an `Authorization` header; 401 unless it is the required one."""
        required = self._settings.api_key
        if required is not None and header != f"Bearer {required}":
            given = header.removeprefix("Bearer ").strip()
            shown = f"{given[:3]}...{given[-4:]}" if len(given) > 8 else "(none)"
            raise Reject(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        return header or "anonymous"

    def anthropic_key(self, api_key: str | None, authorization: str) -> str:
        """The caller's key from Anthropic's `x-api-key` header, which is required (newer
        `anthropic` clients send the key as a bearer token, which the API accepts too); 401
        unless it is the required one."""
        given = api_key or _bearer(authorization)
        if not given:
            raise Reject(401, "x-api-key header is required")
        required = self._settings.api_key
        if required is not None and given != required:
            raise Reject(401, "invalid x-api-key")
        return f"x-api-key {given}"

    def azure_key(self, api_key: str | None, authorization: str) -> str:
        """The caller's key from Azure's `api-key` header (or an Entra ID bearer token), which
        is required; 401 unless it is the required one."""
        given = api_key or _bearer(authorization)
        required = self._settings.api_key
        if not given or (required is not None and given != required):
            raise Reject(
                401,
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure "
                "to provide a valid key for an active subscription and use a correct regional "
                "API endpoint for your resource.",
                code="401",
            )
        return f"api-key {given}"

    def admit(self, key: str, model: str, tokens: int) -> tuple[Limit, ...]:
        """Spend the request's rate-limit allowance, or raise a 429; returns the buckets' state."""
        settings = self._settings
        rpm, tpm = settings.rpm, settings.tpm
        if rpm is None and tpm is None:
            return ()
        buckets = self._buckets.get(key)
        if buckets is None:
            window, clock = settings.rate_window, self.clock
            buckets = (
                Bucket(rpm, window=window, clock=clock) if rpm else None,
                Bucket(tpm, window=window, clock=clock) if tpm else None,
            )
            self._buckets[key] = buckets
        requests, token_bucket = buckets
        wait_requests = requests.wait_for(1) if requests else 0.0
        wait_tokens = token_bucket.wait_for(tokens) if token_bucket else 0.0
        if wait_tokens is None:
            self._stats.rate_limited += 1
            raise Reject(
                429,
                f"Request too large for {model}: Limit {tpm:g} tokens per minute, "
                f"Requested {tokens}.",
                type="tokens",
                code="rate_limit_exceeded",
                limits=_limits(buckets),
            )
        if wait_requests or wait_tokens:
            assert wait_requests is not None
            self._stats.rate_limited += 1
            wait = max(wait_requests, wait_tokens)
            which = "requests" if wait_requests >= wait_tokens else "tokens"
            limit = rpm if which == "requests" else tpm
            raise Reject(
                429,
                f"Rate limit reached for {which} on {model}: Limit {limit:g} per minute. "
                f"Please try again in {format_duration(wait)}.",
                type=which,
                code="rate_limit_exceeded",
                limits=_limits(buckets),
                retry_after=self._stretch(wait),
            )
        if requests:
            requests.take(1)
        if token_bucket:
            token_bucket.take(tokens)
        return _limits(buckets)

    async def fault(self, overloaded: Callable[[], Reject]) -> None:
        """Draw this request's injected fault: raise a failure, cut it, hang until closing, or
        raise the API's `overloaded` refusal (529 on Anthropic's API, 503 on OpenAI's)."""
        settings = self._settings
        fail_rate, drop_rate, hang_rate = settings.fail_rate, settings.drop_rate, settings.hang_rate
        overload_rate = settings.overload_rate
        if not (fail_rate or drop_rate or hang_rate or overload_rate):
            return
        draw = self.fault_rng.random()
        if draw < fail_rate:
            self._stats.faults["fail"] += 1
            reject = fault_reject(settings.fail_status)
            if reject.retry_after is not None:
                reject.retry_after = self._stretch(reject.retry_after)
            raise reject
        draw -= fail_rate
        if draw < drop_rate:
            self._stats.faults["drop"] += 1
            raise Dropped("dropped")
        draw -= drop_rate
        if draw < hang_rate:
            self._stats.faults["hang"] += 1
            await self.closing.wait()
            raise Dropped("hung")
        draw -= hang_rate
        if draw < overload_rate:
            self._stats.faults["overload"] += 1
            raise overloaded()

    def cut_stream(self) -> bool:
        """Whether this stream is to be cut halfway (`stream_cut_rate`)."""
        rate = self._settings.stream_cut_rate
        return rate > 0 and self.fault_rng.random() < rate

    def malformed(self) -> str | None:
        """The kind of malformed answer to send instead of this one (`malformed_rate`), if any."""
        rate = self._settings.malformed_rate
        if rate <= 0 or self._hostile_rng.random() >= rate:
            return None
        self._stats.faults["malformed"] += 1
        return self._hostile_rng.choice(KINDS)

    def slow_body(self) -> bool:
        """Whether this answer's body is to trickle a byte at a time (`slow_body_rate`)."""
        rate = self._settings.slow_body_rate
        if rate <= 0 or self._hostile_rng.random() >= rate:
            return False
        self._stats.faults["slow_body"] += 1
        return True

    def _stretch(self, wait: float) -> float:
        """With `retry_after_max`, a 429's wait made extreme: half the time the maximum itself,
        else drawn log-uniformly between the honest wait and the maximum."""
        top = self._settings.retry_after_max
        if top is None:
            return wait
        self._stats.faults["extreme_retry_after"] += 1
        low = max(1.0, wait)
        if low >= top or self._hostile_rng.random() < 0.5:
            return top
        return math.exp(self._hostile_rng.uniform(math.log(low), math.log(top)))

    def latency(self) -> float:
        """Seconds before this answer's first token, jittered."""
        settings = self._settings
        if not settings.latency_jitter:
            return settings.latency
        jitter = self._jitter_rng.uniform(-settings.latency_jitter, settings.latency_jitter)
        return max(0.0, settings.latency + jitter)


def _limits(buckets: tuple[Bucket | None, Bucket | None]) -> tuple[Limit, ...]:
    return tuple(
        Limit(kind, bucket.per_minute, bucket.remaining(), bucket.reset_seconds())
        for kind, bucket in zip(("requests", "tokens"), buckets, strict=True)
        if bucket is not None
    )


def _bearer(authorization: str) -> str:
    """The token of an `Authorization: Bearer` header, or ""."""
    return authorization[7:].strip() if authorization.startswith("Bearer ") else ""
