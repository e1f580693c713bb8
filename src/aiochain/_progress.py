"""What a run reports while it goes: counts, tokens, cost, rate; read by progress displays.

The runner and the models update one `RunStats` with plain integer additions (no callbacks on
the hot path); a display either polls it or passes a callback that the runner calls at most
`interval` seconds apart and once at the end.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

current_stats: contextvars.ContextVar[RunStats | None] = contextvars.ContextVar(
    "aiochain_run_stats", default=None
)
"""The stats of the run the current task belongs to; the models add tokens and retries."""


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
        latencies: seconds each successful input took, for percentiles.
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
    latencies: list[float] = field(default_factory=list)

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

    def percentile(self, share: float) -> float | None:
        """The latency below which `share` (0 to 1) of successful inputs finished."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
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
