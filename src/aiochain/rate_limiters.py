"""LangChain's request rate limiters (`langchain_core.rate_limiters`): `InMemoryRateLimiter`,
a token bucket that a chat model waits on before each request it sends.

    rate_limiter = InMemoryRateLimiter(requests_per_second=0.5, check_every_n_seconds=0.1)
    chat = ChatOpenAI(rate_limiter=rate_limiter, max_concurrency=8)

It works beside aiochain's own limits (`max_concurrency`, `rpm`, `tpm`, or a shared
`aiochain.RateLimiter` given as `rate_limiter=`): a model tells the two kinds apart by class.
As in LangChain, it is asked once per call (not per retry), and answers from a cache skip it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from ._exceptions import ConfigurationError
from ._pipeline.limiter import RateLimiter


class BaseRateLimiter:
    """A limiter of request rate; `acquire` / `aacquire` wait for (or, not blocking, try to
    take) the right to send one request."""

    def acquire(self, *, blocking: bool = True) -> bool:
        """Take the right to send one request, waiting when `blocking`; whether it was taken."""
        raise NotImplementedError

    async def aacquire(self, *, blocking: bool = True) -> bool:
        """`acquire` without blocking the event loop."""
        raise NotImplementedError


class InMemoryRateLimiter(BaseRateLimiter):
    """A token bucket: `requests_per_second` tokens flow in, up to `max_bucket_size`; each
    request takes one. The bucket starts empty, so the first request waits one interval
    (as LangChain's does).

    Args:
        requests_per_second: the rate.
        check_every_n_seconds: how often a waiting request looks at the bucket again.
        max_bucket_size: the most requests sent in a burst after a quiet time.
        clock: the monotonic clock (injectable for tests).
        sleep: the async sleep used while waiting (injectable for tests).

    Safe to share between models, tasks and threads.
    """

    def __init__(
        self,
        *,
        requests_per_second: float = 1,
        check_every_n_seconds: float = 0.1,
        max_bucket_size: float = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        for name, value in (
            ("requests_per_second", requests_per_second),
            ("check_every_n_seconds", check_every_n_seconds),
            ("max_bucket_size", max_bucket_size),
        ):
            if not isinstance(value, int | float) or not value > 0:
                raise ConfigurationError(f"{name} must be a number > 0, got {value!r}")
        self.requests_per_second = requests_per_second
        self.check_every_n_seconds = check_every_n_seconds
        self.max_bucket_size = max_bucket_size
        self.available_tokens = 0.0
        self.last: float | None = None
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def _consume(self) -> bool:
        with self._lock:
            now = self._clock()
            if self.last is None:
                self.last = now
            elapsed = now - self.last
            if elapsed * self.requests_per_second >= 1:
                self.available_tokens += elapsed * self.requests_per_second
                self.last = now
            self.available_tokens = min(self.available_tokens, self.max_bucket_size)
            if self.available_tokens >= 1:
                self.available_tokens -= 1
                return True
            return False

    def acquire(self, *, blocking: bool = True) -> bool:
        if not blocking:
            return self._consume()
        while not self._consume():
            time.sleep(self.check_every_n_seconds)
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        if not blocking:
            return self._consume()
        while not self._consume():
            await self._sleep(self.check_every_n_seconds)
        return True

    def __repr__(self) -> str:
        return (
            f"InMemoryRateLimiter(requests_per_second={self.requests_per_second}, "
            f"max_bucket_size={self.max_bucket_size})"
        )


def split_rate_limiter(
    rate_limiter: RateLimiter | BaseRateLimiter | None,
) -> tuple[RateLimiter | None, BaseRateLimiter | None]:
    """A model's `rate_limiter=` as (aiochain's `RateLimiter`, LangChain's limiter): one of
    them is None.

    Raises:
        ConfigurationError: for anything else.
    """
    if rate_limiter is None or isinstance(rate_limiter, RateLimiter):
        return rate_limiter, None
    if not callable(getattr(rate_limiter, "aacquire", None)):
        raise ConfigurationError(
            "rate_limiter must be an aiochain.RateLimiter or a LangChain-style limiter with "
            f"aacquire() (InMemoryRateLimiter), got {type(rate_limiter).__name__}"
        )
    return None, rate_limiter


__all__ = [
    "BaseRateLimiter",
    "InMemoryRateLimiter",
    "split_rate_limiter",
]
