"""What a run reports while it goes: counts, tokens, cost, rate; read by progress displays.

The runner and the request pipeline update one `RunStats` through a handful of small methods
(its hooks: `answered`, `refused`, `retry_scheduled`, `retry_started`, `cache_hit`), found once
per call in a context variable; with no run around a call, the pipeline finds None and does no
counting at all. A display either polls the stats or passes a callback that the runner calls at
most `interval` seconds apart and once at the end.
"""

from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._types import Usage

LATENCY_SAMPLES = 10_000
"""Latencies kept for percentiles: a uniform sample of this many, however long the run."""

current_stats: contextvars.ContextVar[RunStats | None] = contextvars.ContextVar(
    "aiochain_run_stats", default=None
)
"""The stats of the run the current task belongs to; the models add tokens and retries."""


@dataclass(slots=True)
class CallCounts:
    """What happened to one call (`aiochain map`'s journal keeps it per record): requests
    sent (answered or refused), retries scheduled, 429s seen, whether a cache answered, and
    each answered request's wall-clock send time, seconds and tokens (a split record makes
    many). Counted by the hooks below only when a run listens (stats set) and a caller set
    `current_call`."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    cached: bool = False
    answers: list[tuple[float, float, int, int]] = field(default_factory=list)


current_call: contextvars.ContextVar[CallCounts | None] = contextvars.ContextVar(
    "aiochain_call_counts", default=None
)
"""The counts of the call the current task is making, when its caller wants them."""


@dataclass(slots=True)
class RunStats:
    """Live counters of one `amap` / `as_completed` run.

    Attributes:
        total: the number of inputs, when known in advance.
        done: inputs finished successfully.
        failed: inputs that failed after their retries.
        in_flight: inputs being worked on now.
        retrying: requests waiting to be retried now.
        retries: retries made so far.
        requests: HTTP requests answered so far (including failures).
        rate_limited: 429s seen.
        cached: answers taken from a cache instead of the server.
        prompt_tokens: tokens sent, from the servers' usage.
        completion_tokens: tokens received, from the servers' usage.
        cost: estimated spend in US dollars for models with known prices.
        started: when the run started (monotonic seconds).
        finished: when it ended, or None while it runs.
        latencies: seconds successful inputs took, for percentiles: every one up to
            `LATENCY_SAMPLES`, then a uniform sample of that many (memory stays bounded).
        request_latencies: seconds answered requests took from being sent (time queued
            behind the rate limiter left out), sampled the same way.
    """

    total: int | None = None
    done: int = 0
    failed: int = 0
    in_flight: int = 0
    retrying: int = 0
    retries: int = 0
    requests: int = 0
    rate_limited: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    latencies: list[float] = field(default_factory=list, repr=False)
    request_latencies: list[float] = field(default_factory=list, repr=False)
    _latency_count: int = field(default=0, repr=False)
    _request_count: int = field(default=0, repr=False)

    # --- hooks: what the runner and the request pipeline report --------------------------

    def record_latency(self, seconds: float) -> None:
        """Count one successful input's latency (reservoir sampling past the cap)."""
        self._latency_count += 1
        _sample(self.latencies, self._latency_count, seconds)

    def answered(self, usage: Usage, cost: float, seconds: float | None = None) -> None:
        """A request got a complete answer that used `usage`, cost `cost` dollars and took
        `seconds` from being sent."""
        if seconds is not None:  # from the pipeline (a traced call's own copy passes none)
            self._request_count += 1
            _sample(self.request_latencies, self._request_count, seconds)
            if (call := current_call.get()) is not None:
                call.requests += 1
                call.answers.append(
                    (time.time() - seconds, seconds, usage.prompt_tokens, usage.completion_tokens)
                )
        self.requests += 1
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.cost += cost

    def refused(self, *, rate_limited: bool) -> None:
        """A request got an error status (a 429 when `rate_limited`)."""
        self.requests += 1
        if (call := current_call.get()) is not None:
            call.requests += 1
            call.rate_limited += rate_limited
        if rate_limited:
            self.rate_limited += 1

    def retry_scheduled(self) -> None:
        """A failed request will be retried after a wait."""
        self.retries += 1
        self.retrying += 1
        if (call := current_call.get()) is not None:
            call.retries += 1

    def retry_started(self) -> None:
        """The wait before a retry is over (or was cancelled)."""
        self.retrying -= 1

    def cache_hit(self) -> None:
        """A request was answered from a cache."""
        self.cached += 1
        if (call := current_call.get()) is not None:
            call.cached = True

    @property
    def elapsed(self) -> float:
        """Seconds since the start (to the end, once finished)."""
        return (self.finished or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        """Inputs finished per second so far."""
        elapsed = self.elapsed
        return (self.done + self.failed) / elapsed if elapsed > 0 else 0.0

    @property
    def tokens_per_second(self) -> float:
        """Prompt plus completion tokens per second so far."""
        elapsed = self.elapsed
        total = self.prompt_tokens + self.completion_tokens
        return total / elapsed if elapsed > 0 else 0.0

    def percentile(self, share: float, *, requests: bool = False) -> float | None:
        """The latency below which `share` (0 to 1) of successful inputs finished; of
        answered requests, from being sent, with `requests`."""
        samples = self.request_latencies if requests else self.latencies
        if not samples:
            return None
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def snapshot(self) -> dict[str, Any]:
        """The counters as a plain dict."""
        return {
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "in_flight": self.in_flight,
            "retrying": self.retrying,
            "retries": self.retries,
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "cached": self.cached,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": self.cost,
            "elapsed": self.elapsed,
            "rate": self.rate,
        }


ProgressCallback = Callable[[RunStats], None]


def _sample(samples: list[float], seen: int, value: float) -> None:
    """Keep a uniform sample of at most `LATENCY_SAMPLES` of the `seen` values so far."""
    if len(samples) < LATENCY_SAMPLES:
        samples.append(value)
    else:
        slot = random.randrange(seen)
        if slot < LATENCY_SAMPLES:
            samples[slot] = value
