"""InMemoryRateLimiter, alone and given to a chat model as rate_limiter=, with an injected
clock (no real waiting)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aiochain import ChatOpenAI, ConfigurationError, RateLimiter
from aiochain.cache import InMemoryCache
from aiochain.globals import set_llm_cache
from aiochain.rate_limiters import InMemoryRateLimiter
from aiochain.sim import SimServer


class FakeTime:
    """A clock that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds


@pytest.fixture(autouse=True)
def no_global_cache() -> Iterator[None]:
    """Each test starts and ends without a global cache."""
    set_llm_cache(None)
    yield
    set_llm_cache(None)


async def test_the_bucket_paces_requests() -> None:
    """The bucket starts empty: at 2 requests a second, three requests take 1.5 s of the
    injected clock; non-blocking acquire says no instead of waiting."""
    fake = FakeTime()
    limiter = InMemoryRateLimiter(
        requests_per_second=2, check_every_n_seconds=0.25, clock=fake.clock, sleep=fake.sleep
    )
    assert limiter.acquire(blocking=False) is False
    for _ in range(3):
        assert await limiter.aacquire()
    assert fake.now == pytest.approx(1.5)
    assert await limiter.aacquire(blocking=False) is False


async def test_a_full_bucket_allows_a_burst() -> None:
    """After a quiet time, max_bucket_size requests go at once."""
    fake = FakeTime()
    limiter = InMemoryRateLimiter(
        requests_per_second=1, max_bucket_size=3, clock=fake.clock, sleep=fake.sleep
    )
    limiter.acquire(blocking=False)  # starts the clock
    fake.now = 100.0
    assert [await limiter.aacquire(blocking=False) for _ in range(4)] == [True, True, True, False]


async def test_a_chat_model_waits_on_it_beside_its_own_limits(sim: SimServer) -> None:
    """Given as rate_limiter=, the limiter is waited on once per request sent, alongside
    max_concurrency; a cached answer does not wait."""
    fake = FakeTime()
    limiter = InMemoryRateLimiter(
        requests_per_second=4, check_every_n_seconds=0.25, clock=fake.clock, sleep=fake.sleep
    )
    set_llm_cache(InMemoryCache())
    async with ChatOpenAI(base_url=sim.base_url, rate_limiter=limiter, max_concurrency=2) as chat:
        assert isinstance(chat.rate_limiter, RateLimiter)
        assert chat.rate_limiter.max_concurrency == 2
        for question in ("one", "two", "three"):
            await chat.ainvoke(question)
        paced = fake.now
        await chat.ainvoke("one")  # from the cache
        chunks = [c async for c in chat.astream("four")]
    assert paced == pytest.approx(0.75)
    assert fake.now == pytest.approx(1.0)  # the stream waited its turn, the cache hit did not
    assert chunks
    assert sim.stats()["requests_total"] == 4


def test_bad_limiters_are_refused() -> None:
    """Bad limiter options and objects that are no limiter are refused."""
    with pytest.raises(ConfigurationError):
        InMemoryRateLimiter(requests_per_second=0)
    with pytest.raises(ConfigurationError, match="rate_limiter"):
        ChatOpenAI(base_url="http://127.0.0.1:9/v1", rate_limiter=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="not both"):
        ChatOpenAI(base_url="http://127.0.0.1:9/v1", rate_limiter=RateLimiter(rpm=1), rpm=2)
