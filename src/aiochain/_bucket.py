"""A continuously refilling allowance, the building block of the rate limiter's per-minute
limits (see `_limiter.py` for how it is used)."""

from __future__ import annotations

from ._types import Clock


class Bucket:
    """A continuously refilling allowance that may go into debt by reservation."""

    __slots__ = ("_clock", "_stamp", "capacity", "level", "per_minute", "rate")

    def __init__(self, per_minute: float, burst: float, clock: Clock) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst)
        self.level = self.capacity
        self._clock = clock
        self._stamp = clock()

    def reserve(self, amount: float) -> float:
        """Spend `amount` now, possibly into debt; return seconds until it is paid for."""
        now = self._clock()
        level = self.level + (now - self._stamp) * self.rate
        if level > self.capacity:
            level = self.capacity
        self._stamp = now
        # A request larger than the bucket passes when the bucket is full, as on the server.
        needed = amount if amount < self.capacity else self.capacity
        wait = (needed - level) / self.rate if level < needed else 0.0
        self.level = level - amount
        return wait

    def refund(self, amount: float) -> None:
        """Give back units reserved but not used (negative: charge more)."""
        self.level = min(self.capacity, self.level + amount)

    def at_most(self, left: float) -> None:
        """The server says only `left` units remain: never believe in more than that."""
        now = self._clock()
        level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now
        self.level = min(level, left)

    def in_use(self) -> float:
        """The share of the burst capacity spent now (0 idle, 1 exhausted, above 1 in debt)."""
        now = self._clock()
        level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        return (self.capacity - level) / self.capacity
