"""Per-key request and token buckets that refill continuously, as OpenAI's limits behave.

A bucket holds `window` seconds of the per-minute budget (one second's worth by default):
real servers enforce a per-minute limit over much shorter windows, so a client that sends a
minute's budget in its first second is refused. A single request larger than the bucket but
within the minute's budget passes when the bucket is full and leaves it in debt, so that large
requests are slow but possible; one larger than the whole minute's budget is always refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple


class Limit(NamedTuple):
    """One bucket's state when a request was admitted or refused, for the rate-limit headers."""

    kind: str  # "requests" or "tokens"
    per_minute: float
    remaining: int
    reset_seconds: float


class Bucket:
    """A continuously refilling allowance of `per_minute` units."""

    __slots__ = ("_clock", "_stamp", "capacity", "level", "per_minute", "rate")

    def __init__(
        self, per_minute: float, *, window: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * window)
        self.level = self.capacity
        self._clock = clock
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_for(self, amount: float) -> float | None:
        """Seconds until `amount` may pass (0 now), or None if it can never pass."""
        if amount > self.per_minute:
            return None
        self._refill()
        needed = min(amount, self.capacity)
        if self.level >= needed:
            return 0.0
        return (needed - self.level) / self.rate

    def take(self, amount: float) -> None:
        """Spend `amount` (after `wait_for` said 0)."""
        self._refill()
        self.level -= amount

    def remaining(self) -> int:
        """Whole units available now."""
        self._refill()
        return max(0, int(self.level))

    def reset_seconds(self) -> float:
        """Seconds until the bucket is full again."""
        self._refill()
        return max(0.0, (self.capacity - self.level) / self.rate)


def format_duration(seconds: float) -> str:
    """A duration as OpenAI writes it in `x-ratelimit-reset-*`: `20ms`, `1.5s`, `6m0s`."""
    if seconds < 1.0:
        return f"{round(seconds * 1000)}ms"
    if seconds < 60.0:
        return f"{seconds:.3g}s"
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}m{rest:.0f}s"
