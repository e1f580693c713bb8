"""Retries with exponential backoff and full jitter, honouring the server's retry-after.

Shaped after stamina: only listed failures are retried (connection errors, timeouts, 429, 5xx),
the wait grows exponentially with full jitter, a server's `retry-after` wins over the computed
wait, attempts and total time are capped, and the real last exception is re-raised.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    BadResponseError,
    ConfigurationError,
    ConnectionDroppedError,
    IncompleteStreamError,
    RateLimitError,
    RedirectError,
    ServerError,
    ServerUnreachableError,
    StreamError,
)
from .._types import Clock, Sleep

if TYPE_CHECKING:
    from .run_stats import RunStats

T = TypeVar("T")
logger = logging.getLogger("aiochain")

# Statuses retried besides 429 and 5xx, as openai-python does: 408 (the server timed the request
# out) and 409 (a lock conflict that a moment later may not be there).
_RETRIED_STATUSES = frozenset({408, 409})

MIN_RATE_LIMIT_WAIT = 0.25
"""The least wait after a 429, whatever its `retry-after` (or the jitter) says: a server that
asks to come back at once would otherwise be asked again thousands of times a second."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How failed calls are retried.

    Attributes:
        max_retries: retries after the first attempt (0 turns retrying off).
        initial_wait: the backoff ceiling of the first retry, in seconds; it doubles each retry.
        max_wait: the largest backoff ceiling.
        max_retry_after: the longest `retry-after` we wait for; a call asked to wait longer
            fails at once (with `RateLimitError` saying when to come back), and the limiter
            does not pause for it.
        max_total: give up once this many seconds have passed since the first attempt, or None.
        budget_ratio: retries allowed per first attempt across a client (see `RetryBudget`),
            or None for no budget.
        budget_initial: retries in the budget from the start.
        max_service_wait: when set, waiting for the service is not failing: 429s the limiter
            paces and a server that cannot be reached spend neither `max_retries` nor the
            budget; the call waits (the limiter holds every caller meanwhile) until this many
            seconds pass without an answer, then raises the last error. For batch jobs, where
            an outage or a rate limit must not fail records. None: they count as retries.
    """

    max_retries: int = 2
    initial_wait: float = 0.5
    max_wait: float = 8.0
    max_retry_after: float = 60.0
    max_total: float | None = None
    budget_ratio: float | None = 0.2
    budget_initial: float = 10.0
    max_service_wait: float | None = None

    def new_budget(self) -> RetryBudget | None:
        """A fresh retry budget for one client, or None when the policy has none."""
        if self.budget_ratio is None:
            return None
        return RetryBudget(ratio=self.budget_ratio, initial=self.budget_initial)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.initial_wait < 0 or self.max_wait < 0:
            raise ConfigurationError("retry waits must be >= 0")

    def waits_for_service(self, exc: BaseException) -> bool:
        """Whether `exc` is the service saying "not now" (a 429 we wait for, or no connection),
        which `max_service_wait` lets a call wait out."""
        if self.max_service_wait is None:
            return False
        if isinstance(exc, RateLimitError):
            return exc.retry_after is None or exc.retry_after <= self.max_retry_after
        # A connection cut mid-request (before the answer, or in its body) is the same outage
        # seen a moment earlier. A stream is retried only until its first content, so a cut
        # stream waits only while nothing of it reached the caller.
        return isinstance(
            exc, ServerUnreachableError | ConnectionDroppedError | IncompleteStreamError
        )

    def service_wait(self, exc: BaseException, attempt: int, rand: Callable[[], float]) -> float:
        """Seconds before asking again after the service said "not now"."""
        retry_after: float | None = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return max(MIN_RATE_LIMIT_WAIT, retry_after) * (1.0 + 0.1 * rand())
        if isinstance(exc, ServerUnreachableError | ConnectionDroppedError | IncompleteStreamError):
            return 0.05 + 0.2 * rand()  # the limiter's shared pause does the backing off
        wait = rand() * min(self.max_wait, self.initial_wait * (2.0 ** min(attempt, 16)))
        return max(MIN_RATE_LIMIT_WAIT, wait) if isinstance(exc, RateLimitError) else wait

    def wait_for(self, exc: BaseException, retry: int, rand: Callable[[], float]) -> float | None:
        """Seconds to wait before retry number `retry` (0-based) after `exc`, or None to give up."""
        if retry >= self.max_retries or not is_retryable(exc):
            return None
        retry_after: float | None = getattr(exc, "retry_after", None)
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None  # longer than we wait: fail now, saying when to come back
            # Never earlier than the server asked; a little later at random, so that calls
            # which got the same retry-after do not all return in the same instant.
            return max(MIN_RATE_LIMIT_WAIT, retry_after) * (1.0 + 0.1 * rand())
        wait = rand() * min(self.max_wait, self.initial_wait * (2.0**retry))
        return max(MIN_RATE_LIMIT_WAIT, wait) if isinstance(exc, RateLimitError) else wait


class RetryBudget:
    """Caps retries at a share of requests, so that a failing server is not hammered.

    Every first attempt deposits `ratio` of a retry (up to `cap`), every retry withdraws one;
    `initial` retries are there from the start. When a server fails every request, retries add
    at most `ratio` of extra traffic instead of multiplying it by the retry count (Finagle's
    retry budget, simplified).
    """

    __slots__ = ("balance", "cap", "ratio")

    def __init__(self, *, ratio: float = 0.2, initial: float = 10.0, cap: float = 1000.0) -> None:
        if ratio < 0 or initial < 0:
            raise ConfigurationError("a retry budget's ratio and initial must be >= 0")
        self.ratio = ratio
        self.cap = max(cap, initial)
        self.balance = initial

    def deposit(self) -> None:
        """Count a first attempt."""
        balance = self.balance + self.ratio
        self.balance = balance if balance < self.cap else self.cap

    def withdraw(self) -> bool:
        """Take one retry from the budget; False when it is spent."""
        if self.balance >= 1.0:
            self.balance -= 1.0
            return True
        return False


def take_from_budget(budget: RetryBudget | None, exc: BaseException) -> bool:
    """Whether the budget allows retrying after `exc` (and take the retry from it).

    429s do not spend the budget: the limiter's shared pause already paces them.
    """
    if budget is None or isinstance(exc, RateLimitError):
        return True
    return budget.withdraw()


def is_retryable(exc: BaseException) -> bool:
    """Whether a failure is worth retrying: connection trouble, timeouts, 429 and 5xx (also
    as an error event of a stream), an empty or cut answer; not a redirect we refused."""
    if isinstance(exc, APIStatusError):
        return isinstance(exc, RateLimitError | ServerError) or exc.status_code in _RETRIED_STATUSES
    if isinstance(exc, APIConnectionError):
        return not isinstance(exc, RedirectError)
    return isinstance(exc, BadResponseError | StreamError) and exc.retryable


async def call_with_retry(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
    rand: Callable[[], float] = random.random,
    budget: RetryBudget | None = None,
    first_error: Exception | None = None,
    stats: RunStats | None = None,
    what: str = "request",
    started: float | None = None,
) -> T:
    """Await `attempt()` until it succeeds or the policy gives up, then re-raise the last error.

    This is the package's one retry loop: plain requests and the opening of streams both come
    through it, so both obey the same policy, budget and statistics.

    Args:
        attempt: makes one attempt; called afresh for every try.
        policy: when and how long to wait.
        sleep: the awaitable sleep, injectable for tests.
        clock: the monotonic clock used for `policy.max_total`.
        rand: a source of uniform [0, 1) numbers for the jitter.
        budget: a shared retry budget; when it is spent, the error is raised at once.
        first_error: the failure of a first attempt already made by the caller (which then
            has deposited in the budget itself); retrying starts from it.
        stats: the run's statistics, told of each retry (`retry_scheduled` / `retry_started`).
        what: names the request in debug log lines (a URL; never a key).
        started: the `clock()` instant of a first attempt made by the caller (with
            `first_error`), from which `policy.max_total` counts; default: now.
    """
    if budget is not None and first_error is None:
        budget.deposit()
    retry = 0
    if started is None:
        started = clock() if policy.max_total is not None else 0.0
    error = first_error
    waiting_since: float | None = None  # the first "not now" from the service in a row
    waits = 0
    while True:
        if error is None:
            try:
                return await attempt()
            except Exception as exc:
                error = exc
        if policy.waits_for_service(error):
            now = clock()
            waiting_since = now if waiting_since is None else waiting_since
            assert policy.max_service_wait is not None
            if now - waiting_since > policy.max_service_wait:
                logger.debug("giving up on %s: no answer for %.0f s", what, now - waiting_since)
                error.args = (
                    f"{error.args[0]} (no answer for {now - waiting_since:.0f} s, "
                    f"the most this call waits)",
                )
                raise error
            wait = policy.service_wait(error, waits, rand)
            waits += 1
        else:
            waiting_since = None
            backoff = policy.wait_for(error, retry, rand)
            if backoff is None:
                raise error
            wait = backoff
        if policy.max_total is not None and clock() - started + wait > policy.max_total:
            logger.debug("giving up on %s: a retry would pass max_total", what)
            raise error
        if waiting_since is None and not take_from_budget(budget, error):
            logger.debug("giving up on %s: the retry budget is spent", what)
            raise error
        if waiting_since is None:
            logger.debug(
                "retry %d of %d for %s in %.2f s after %s: %s",
                retry + 1,
                policy.max_retries,
                what,
                wait,
                type(error).__name__,
                error,
            )
            retry += 1
        else:
            logger.debug(
                "asking %s again in %.2f s after %s: %s", what, wait, type(error).__name__, error
            )
        error = None
        if stats is not None:
            stats.retry_scheduled()
        try:
            await sleep(wait)
        finally:
            if stats is not None:
                stats.retry_started()
