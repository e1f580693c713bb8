"""Client-side limits of one endpoint: requests in flight, requests and tokens per minute.

Shaped like aiolimiter (validated arguments, `await limiter.acquire(amount)`, `async with`), with
what its users miss: token costs corrected after the fact, hooks, and learning.

Pacing. Each per-minute limit is a bucket that refills continuously and holds `burst` seconds of
budget (half a second by default). Real servers enforce a per-minute limit over much shorter
windows (OpenAI documents 60,000 rpm enforced as 1,000 a second), so a client that sends a
minute's budget in its first second is refused; holding less than the server does keeps a margin
for requests that bunch up in transit. Callers wait in line, first come first served: the first
in line polls the buckets and goes once they cover it (a request larger than a bucket goes when
it is full, leaving it in debt, as on the server); the others wait on a future each. So waiters
leave in order and evenly spaced.

Tokens are reserved before a request goes and settled when its answer arrives (`release` with
the tokens it really used): the difference comes back at once (or is charged), so the first in
line may go early. This is how the providers count (the prompt plus `max_tokens` at the start,
the real usage at the end); a request that can never fit the per-minute token limit fails at
once (`check_fits`).

Learning. With `slow_start` and no per-minute limit set, the first request goes alone: its
answer's `x-ratelimit-*` headers set the pace before the rest of the pool is let go, so a
server's limit is known before the first wave rather than learned from its 429s (`aiochain map`
does this; the library does not by default, since it costs one request's latency). After a
429 the limiter pauses every caller until the server's retry-after has passed (one shared
pause instead of each request retrying on its own), and the server's rate-limit headers (read
by `_ratelimit_headers`, OpenAI's and Anthropic's) give it the server's limits when none were
set, or tighter ones than were set, and what is left of them.

Outages. A server that cannot be reached pauses every caller too, with a backoff that grows
while it stays down (a shared circuit breaker): the requests waiting then find it up again
instead of each failing on its own. `unreachable_for` says how long it has been down.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from .._exceptions import ConfigurationError, RequestTooLargeError
from .._types import Clock, Sleep
from .bucket import Bucket
from .loops import BLOCKED_LOOP, wake
from .ratelimit_headers import stated_limit
from .slots import Slots

logger = logging.getLogger("aiochain")

_POLL = 0.05  # the longest the first in line sleeps before looking at the budgets again


class RateLimiter:
    """Limits for one endpoint, shared by every LLM object given it.

    Args:
        rpm: requests per minute, or None.
        tpm: tokens (prompt plus completion) per minute, or None.
        max_concurrency: requests in flight at once, or None.
        burst: seconds of the per-minute budget that may go at once (default 0.5).
        learn: adopt limits from `x-ratelimit-limit-*` headers and pause after 429s.
        slow_start: with no rpm / tpm set, send the first request alone and let the others go
            once its answer's rate-limit headers have set the pace (for batch jobs: it costs
            one request's latency, and saves the first wave's 429s).
        max_pause: the longest shared pause a 429 may cause, in seconds; a server cannot
            freeze every caller for longer (its `retry-after` may say a day).
        clock: a monotonic clock, injectable for tests.
        sleep: an awaitable sleep, injectable for tests.
        on_wait: called with (seconds, reason) whenever a caller has to wait; reason is
            "requests", "tokens", "concurrency", "pause" or "probe".

    Use `async with limiter:` around a request, or `await acquire(tokens)` / `release(...)`.
    """

    def __init__(
        self,
        *,
        rpm: float | None = None,
        tpm: float | None = None,
        max_concurrency: int | None = None,
        burst: float = 0.5,
        learn: bool = True,
        slow_start: bool = False,
        max_pause: float = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        for name, value in (("rpm", rpm), ("tpm", tpm)):
            if value is not None and (not isinstance(value, int | float) or value <= 0):
                raise ConfigurationError(f"{name} must be a number > 0 or None, got {value!r}")
        if max_concurrency is not None and (
            not isinstance(max_concurrency, int) or max_concurrency < 1
        ):
            raise ConfigurationError(
                f"max_concurrency must be an integer >= 1 or None, got {max_concurrency!r}"
            )
        if burst <= 0:
            raise ConfigurationError(f"burst must be > 0 seconds, got {burst!r}")
        self.rpm = rpm
        self.tpm = tpm
        self.max_concurrency = max_concurrency
        self.burst = burst
        self.learn = learn
        self.max_pause = max_pause
        self.on_wait = on_wait
        self._clock = clock
        self._sleep = sleep
        self._requests = Bucket(rpm, burst, clock) if rpm else None
        self._tokens = Bucket(tpm, burst, clock) if tpm else None
        # Counted across loops and threads: every sync call runs on a loop of its own.
        self._slots = Slots(max_concurrency) if max_concurrency is not None else None
        self._paused_until = 0.0
        # Callers waiting for budget, first come first served (see `_wait_for_budget`).
        self._queue: collections.deque[asyncio.Future[None]] = collections.deque()
        # Slow start: with nothing to pace by, the first request goes alone; the others wait
        # for its answer (futures, one per waiter, on whichever loop it runs).
        self._probing = slow_start and learn and rpm is None and tpm is None
        self._probe_sent = False
        self._probe_waiters: list[asyncio.Future[None]] = []
        self._unreachable_since: float | None = None
        self._outages = 0
        self.in_flight = 0
        self.rate_limited = 0
        """429s reported to this limiter."""
        self.learned: dict[str, float] = {}
        """Limits adopted from response headers, by "requests" / "tokens"."""

    # --- the request path -------------------------------------------------------------------

    def try_acquire_now(self) -> bool:
        """Take a slot at once when nothing limits (no limit set or learned, no pause).

        The common case costs no await; when this returns False, await `acquire`.
        """
        if (
            self.max_concurrency is None
            and self._requests is None
            and self._tokens is None
            and not self._probing
            and self._paused_until <= self._clock()
        ):
            self.in_flight += 1
            return True
        return False

    @property
    def counts_tokens(self) -> bool:
        """Whether a token limit is known, or may be learned before requests go (slow start):
        else there is nothing to count tokens against, and the hot path skips estimating."""
        return self.tpm is not None or self._probing

    async def acquire(self, tokens: float = 0.0) -> None:
        """Wait until a request costing `tokens` may be sent, and count it as in flight."""
        if self._probing and not BLOCKED_LOOP.get():
            # (A sync call that blocks a loop goes at once: the probe may be that loop's.)
            await self._wait_for_probe()
        slots = self._slots
        held = False
        try:
            if slots is not None:
                if slots.locked() and self.on_wait is not None:
                    self.on_wait(0.0, "concurrency")
                await slots.acquire()
                held = True
            await self._wait_for_budget(tokens)
        except BaseException:
            if held and slots is not None:
                slots.release()
            self._end_probe()  # a probe that never went must not hold the others
            raise
        self.in_flight += 1

    async def _wait_for_probe(self) -> None:
        """Slow start: the first caller goes (the probe); the others wait for its answer."""
        while self._probing:
            if not self._probe_sent:
                self._probe_sent = True
                return
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._probe_waiters.append(waiter)
            self._notify(0.0, "probe")
            await waiter

    def _end_probe(self) -> None:
        """The probe's answer arrived (or it failed): let every caller go from now on."""
        if not self._probing:
            return
        self._probing = False
        waiters, self._probe_waiters = self._probe_waiters, []
        for waiter in waiters:
            wake(waiter)

    def check_fits(self, tokens: float) -> None:
        """Raise `RequestTooLargeError` when a request counted at `tokens` (its prompt plus
        `max_tokens`, as the provider counts it) can never fit the per-minute token limit:
        retrying it would only wait for nothing."""
        if self.tpm is not None and tokens > self.tpm:
            raise RequestTooLargeError(
                f"this request needs about {tokens:,.0f} tokens, more than the limit of "
                f"{self.tpm:,.0f} tokens per minute: it can never be sent as it is; split the "
                "input into smaller pieces (`aiochain map --split TOKENS`) or lower max_tokens",
                tokens=tokens,
                limit=self.tpm,
            )

    async def _wait_for_budget(self, tokens: float) -> None:
        """Wait out a shared pause (every caller on its own: a pause is a barrier, and after
        it all may go), then in line (first come, first served) until the per-minute budgets
        cover one request and `tokens`, and spend them."""
        while True:
            pause = self._paused_until - self._clock()
            if pause > 0:
                self._notify(pause, "pause")
                await self._sleep(pause)
                continue
            if not self._queue and self._shortfall(tokens) <= 0.0:
                self._take(tokens)
                return
            if BLOCKED_LOOP.get():
                # A sync call that blocks a loop cannot wait behind that loop's callers (the
                # first in line may be one, and it cannot run): it polls on its own.
                wait = self._shortfall(tokens)
                if wait <= 0.0:
                    self._take(tokens)
                    return
                await self._sleep(min(wait, _POLL))
                continue
            if await self._wait_in_line(tokens):
                return

    async def _wait_in_line(self, tokens: float) -> bool:
        """True once the budgets were spent; False when a pause began (to be waited out by
        each caller on its own, outside the line).

        Only the first in line polls the clock (every `_POLL` seconds at most, so that budget
        given back by requests that used less than reserved lets it go early); the others
        wait on a future that the one before them completes when it leaves.
        """
        queue = self._queue
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(ticket)
        try:
            if queue[0] is not ticket:
                await ticket
            while self._paused_until <= self._clock():
                wait = self._shortfall(tokens)
                if wait <= 0.0:
                    self._take(tokens)
                    return True
                await self._sleep(min(wait, _POLL))
            return False
        finally:
            head = queue[0] is ticket
            queue.remove(ticket)
            if head and queue:
                wake(queue[0])  # (maybe a caller on another loop)

    def _shortfall(self, tokens: float) -> float:
        """Seconds until the per-minute budgets cover a request of `tokens`."""
        wait_requests = self._requests.shortfall(1.0) if self._requests else 0.0
        wait_tokens = self._tokens.shortfall(tokens) if self._tokens and tokens else 0.0
        wait = max(wait_requests, wait_tokens)
        if wait > 0:
            self._notify(wait, "requests" if wait_requests >= wait_tokens else "tokens")
        return wait

    def _take(self, tokens: float) -> None:
        if self._requests:
            self._requests.take(1.0)
        if self._tokens and tokens:
            self._tokens.take(tokens)

    def release(self, reserved_tokens: float = 0.0, used_tokens: float | None = None) -> None:
        """End a request; settle its token reservation with what it really used, when known
        (the difference is given back, or charged when it used more)."""
        self.in_flight -= 1
        if self._probing:
            self._end_probe()
        if self._slots is not None:
            self._slots.release()
        if self._tokens is not None and used_tokens is not None and reserved_tokens:
            self._tokens.refund(reserved_tokens - used_tokens)

    def rebate(self, tokens: float) -> None:
        """Give back `tokens` of a reservation made while waiting (negative: take more), when
        what the request needs was learned better meanwhile."""
        if self._tokens is not None:
            self._tokens.refund(tokens)

    async def __aenter__(self) -> RateLimiter:
        await self.acquire()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()

    # --- learning ---------------------------------------------------------------------------

    def note_rate_limited(self, retry_after: float | None) -> None:
        """A 429 came back: pause every caller until `retry_after` has passed, and count the
        server's budget as spent."""
        self.rate_limited += 1
        if not self.learn:
            return
        for bucket in (self._requests, self._tokens):
            if bucket is not None:
                bucket.at_most(0.0)
        pause = retry_after if retry_after is not None else 1.0
        pause = min(max(pause, 0.0), self.max_pause)
        until = self._clock() + pause
        if until > self._paused_until:
            self._paused_until = until
            logger.debug("429: every caller of this limiter pauses for %.2f s", pause)

    def note_unreachable(self) -> None:
        """The server could not be reached: pause every caller, longer each time in a row
        (0.25 s doubling to 10 s), until it answers again."""
        now = self._clock()
        if self._unreachable_since is None:
            self._unreachable_since = now
            logger.debug("the server is unreachable: every caller of this limiter waits")
        elif now < self._paused_until:
            return  # requests sent before the pause began: the same failure, counted once
        pause = min(10.0, 0.25 * 2.0 ** min(self._outages, 16))
        self._outages += 1
        if now + pause > self._paused_until:
            self._paused_until = now + pause

    def note_reachable(self) -> None:
        """The server answered (with any status): an outage, if there was one, is over."""
        if self._unreachable_since is not None:
            logger.debug(
                "the server answers again after %.1f s", self._clock() - self._unreachable_since
            )
            self._unreachable_since = None
            self._outages = 0

    @property
    def unreachable_for(self) -> float:
        """Seconds since the server became unreachable (0 while it answers)."""
        since = self._unreachable_since
        return 0.0 if since is None else self._clock() - since

    def heeds(self, headers: Mapping[str, str]) -> bool:
        """Whether an answer's headers teach this limiter anything (checked per answer, so
        cheaply: a few lookups): a stated limit, or the end of slow start."""
        return self.learn and (
            self._probing
            or "x-ratelimit-limit-requests" in headers
            or "x-ratelimit-limit-tokens" in headers
            or "anthropic-ratelimit-requests-limit" in headers
            or "anthropic-ratelimit-tokens-limit" in headers
            or "anthropic-ratelimit-input-tokens-limit" in headers
        )

    def note_headers(self, headers: Mapping[str, str]) -> None:
        """Adopt the server's stated limits (read by `stated_limit`) when tighter than what is
        set, and its remaining budgets.

        An adopted bucket starts at what the server says is left, less the requests still in
        flight (empty when it says nothing): the requests sent before the limit was known
        have spent the server's budget, and starting full would send a second burst into an
        empty bucket. After that, every answer's `remaining` caps what a bucket believes is
        left.
        """
        if not self.learn:
            return
        if self._probing:
            self._end_probe()  # the pace is known (or the server says none): let all go
        for kind in ("requests", "tokens"):
            stated = stated_limit(headers, kind)
            if stated is None:
                continue
            limit, left = stated.limit, stated.remaining
            bucket = self._requests if kind == "requests" else self._tokens
            current = self.rpm if kind == "requests" else self.tpm
            if self.learned.get(kind) != limit:
                self.learned[kind] = limit
                if current is None or limit < current:
                    logger.debug(
                        "learned the server's %s limit: %g per minute (%s left)", kind, limit, left
                    )
                    bucket = Bucket(limit, self.burst, self._clock)
                    available = (left or 0.0) - (self.in_flight if kind == "requests" else 0.0)
                    bucket.level = min(bucket.capacity, max(0.0, available))
                    if kind == "requests":
                        self.rpm, self._requests = limit, bucket
                    else:
                        self.tpm, self._tokens = limit, bucket
            if bucket is not None and left is not None:
                bucket.at_most(left)

    def usage(self) -> dict[str, Any]:
        """How much of each limit is in use now, for progress displays."""
        return {
            "in_flight": self.in_flight,
            "max_concurrency": self.max_concurrency,
            "rpm": self.rpm,
            "rpm_in_use": self._requests.in_use() if self._requests else None,
            "tpm": self.tpm,
            "tpm_in_use": self._tokens.in_use() if self._tokens else None,
            "paused_for": max(0.0, self._paused_until - self._clock()),
            "rate_limited": self.rate_limited,
            "unreachable_for": self.unreachable_for,
        }

    def _notify(self, seconds: float, reason: str) -> None:
        if self.on_wait is not None:
            self.on_wait(seconds, reason)

    def __repr__(self) -> str:
        return (
            f"RateLimiter(rpm={self.rpm!r}, tpm={self.tpm!r}, "
            f"max_concurrency={self.max_concurrency!r})"
        )
