"""A continuously refilling allowance, the building block of the rate limiter's per-minute
limits (see `_limiter.py` for how it is used)."""

from __future__ import annotations

from .._types import Clock


class Bucket:
    """A continuously refilling allowance that may go into debt.

    Time refills it up to `capacity` (`burst` seconds of the per-minute budget), and so do
    refunds (a settled request's unused reservation). A request larger than the bucket
    passes when the bucket is full, leaving it in debt, as on the server.
    """

    __slots__ = ("_clock", "_stamp", "capacity", "level", "per_minute", "rate")

    def __init__(self, per_minute: float, burst: float, clock: Clock) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst)
        self.level = self.capacity
        self._clock = clock
        self._stamp = clock()

    def _refill(self) -> float:
        now = self._clock()
        level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now
        self.level = level
        return level

    def shortfall(self, amount: float) -> float:
        """Seconds until `amount` may be spent (0: now), without spending it."""
        level = self._refill()
        needed = amount if amount < self.capacity else self.capacity
        # A shortfall within rounding error is none: waiting for it would never end.
        return (needed - level) / self.rate if level < needed - 1e-9 * needed else 0.0

    def take(self, amount: float) -> None:
        """Spend `amount` (possibly into debt)."""
        self._refill()
        self.level -= amount

    def reserve(self, amount: float) -> float:
        """Spend `amount` now, possibly into debt; return seconds until it is paid for."""
        wait = self.shortfall(amount)
        self.level -= amount
        return wait

    def refund(self, amount: float) -> None:
        """Give back units reserved but not used (negative: charge more), up to `capacity`."""
        self.level = min(self.capacity, self._refill() + amount)

    def at_most(self, left: float) -> None:
        """The server says only `left` units remain: never believe in more than that."""
        self.level = min(self._refill(), left)

    def in_use(self) -> float:
        """The share of the burst capacity spent now (0 idle, 1 exhausted, above 1 in debt)."""
        return (self.capacity - self._refill()) / self.capacity
