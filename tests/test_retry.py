"""Retry policy: which errors retry, backoff with jitter, retry-after, caps (no real sleeping)."""

from __future__ import annotations

import logging

import pytest

from aiochain import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from aiochain._pipeline.retry import call_with_retry


class Failing:
    """Raises the given errors in turn, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def server_error() -> ServerError:
    return ServerError("boom", status_code=500)


async def test_retries_until_success_with_growing_capped_backoff() -> None:
    """Waits are rand * min(max_wait, initial * 2**n): exponential, capped, fully jittered."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    attempt = Failing(server_error(), server_error(), server_error(), server_error())
    policy = RetryPolicy(max_retries=5, initial_wait=1.0, max_wait=4.0)
    result = await call_with_retry(attempt, policy, sleep=sleep, rand=lambda: 0.5)
    assert result == "done"
    assert attempt.calls == 5
    assert waits == [0.5, 1.0, 2.0, 2.0]


async def test_gives_up_and_reraises_the_last_error() -> None:
    """After max_retries the real last exception is raised."""
    last = ServerError("third", status_code=503)
    attempt = Failing(server_error(), server_error(), last)

    async def sleep(seconds: float) -> None:
        pass

    with pytest.raises(ServerError) as info:
        await call_with_retry(attempt, RetryPolicy(max_retries=2), sleep=sleep)
    assert info.value is last
    assert attempt.calls == 3


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError("bad", status_code=400),
        AuthenticationError("no", status_code=401),
        ValueError("a bug"),
    ],
)
async def test_client_errors_are_never_retried(error: Exception) -> None:
    """4xx other than 429, and programming errors, fail at once."""
    attempt = Failing(error)
    with pytest.raises(type(error)):
        await call_with_retry(attempt, RetryPolicy(max_retries=5))
    assert attempt.calls == 1


async def test_retry_after_wins_over_backoff() -> None:
    """A server's retry-after is honoured (never less), not the computed backoff."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    attempt = Failing(RateLimitError("slow down", status_code=429, retry_after=3.0))
    await call_with_retry(attempt, RetryPolicy(initial_wait=0.01), sleep=sleep, rand=lambda: 0.0)
    assert waits == [3.0]


async def test_total_time_cap() -> None:
    """max_total stops retrying when the next wait would pass it."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    attempt = Failing(*(APIConnectionError("down") for _ in range(10)))
    policy = RetryPolicy(max_retries=10, initial_wait=1.0, max_wait=1.0, max_total=2.5)
    with pytest.raises(APIConnectionError):
        await call_with_retry(attempt, policy, sleep=sleep, clock=lambda: now[0], rand=lambda: 1.0)
    assert attempt.calls == 3  # waits of 1 s and 1 s fit in 2.5 s; a third would not


async def test_retries_reach_the_stats_hooks_and_the_debug_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each retry is counted in the run's stats (retrying goes back to 0 once it is sent) and
    logged at debug on the `aiochain` logger with its reason and wait."""
    from aiochain import RunStats

    stats = RunStats()
    retrying_seen: list[int] = []

    async def sleep(seconds: float) -> None:
        retrying_seen.append(stats.retrying)

    with caplog.at_level(logging.DEBUG, logger="aiochain"):
        await call_with_retry(
            Failing(server_error(), APIConnectionError("x")),
            RetryPolicy(),
            sleep=sleep,
            stats=stats,
            what="http://127.0.0.1/v1/chat/completions",
        )
    assert (stats.retries, stats.retrying, retrying_seen) == (2, 0, [1, 1])
    lines = [r.getMessage() for r in caplog.records if r.name == "aiochain"]
    assert len(lines) == 2
    assert "retry 1 of 2" in lines[0] and "ServerError" in lines[0]
    assert "retry 2 of 2" in lines[1] and "APIConnectionError" in lines[1]
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "aiochain")


async def test_408_and_409_are_retried() -> None:
    """408 and 409 are retried, as openai-python does; other 4xx are not."""

    async def sleep(seconds: float) -> None:
        pass

    for status in (408, 409):
        attempt = Failing(BadRequestError("x", status_code=status))
        assert await call_with_retry(attempt, RetryPolicy(), sleep=sleep) == "done"
    attempt = Failing(BadRequestError("x", status_code=422))
    with pytest.raises(BadRequestError):
        await call_with_retry(attempt, RetryPolicy(), sleep=sleep)
    assert attempt.calls == 1


def test_policy_validates() -> None:
    """Negative retries are a configuration error."""
    with pytest.raises(ConfigurationError):
        RetryPolicy(max_retries=-1)
