"""Waiting for the service instead of failing: slow start learns a server's limits before the
first wave, 429s the limiter paces and an outage are waited out (`max_service_wait`), and a
server down for longer than that ends calls with `ServerUnreachableError`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from aiochain import (
    ChatOpenAI,
    RateLimiter,
    RetryPolicy,
    RunStats,
    ServerUnreachableError,
)
from aiochain.sim import SimServer

from .conftest import free_port, until

StartSim = Callable[..., Awaitable[SimServer]]


def batch_client(server_url: str, retries: int = 4, **limits: object) -> ChatOpenAI:
    """A client set up as `aiochain map` sets one up: slow start, waiting for the service."""
    return ChatOpenAI(
        base_url=server_url,
        retry=RetryPolicy(max_retries=retries, max_service_wait=30.0),
        rate_limiter=RateLimiter(slow_start=True, **limits),  # type: ignore[arg-type]
    )


@pytest.mark.slow  # seconds of wall time: CI runs it with -m slow
async def test_slow_start_learns_the_rpm_before_the_first_wave(start_sim: StartSim) -> None:
    """Against a 1,200 rpm server with no client limits, the first request goes alone, its
    headers set the pace, and under 2% of requests are refused; none fails."""
    server = await start_sim(rpm=1200)
    stats = RunStats()
    async with batch_client(server.base_url) as llm:
        results = await llm.amap(
            [f"Document {i}." for i in range(120)],
            concurrency=64,
            return_exceptions=True,
            progress=stats,
        )
        assert llm.rate_limiter.learned.get("requests") == 1200
    assert not [r for r in results if isinstance(r, BaseException)]
    refused = server.stats()["rate_limited"]
    assert refused <= 0.02 * server.stats()["requests_total"]


@pytest.mark.parametrize("retries", [4, 0])
async def test_a_tokens_per_minute_limit_fails_no_request(
    start_sim: StartSim, retries: int
) -> None:
    """Against a server allowing 30,000 tokens a minute, with no client limits, every request
    ends answered: 429s are waited out, not counted as failures (even with no retries)."""
    server = await start_sim(tpm=30_000)
    async with batch_client(server.base_url, retries) as llm:
        results = await llm.amap(
            [f"Summarize document number {i} in a few words." for i in range(60)],
            concurrency=32,
            return_exceptions=True,
        )
    assert not [r for r in results if isinstance(r, BaseException)]


async def test_an_outage_is_waited_out(start_sim: StartSim) -> None:
    """The server stops mid-run and comes back on the same port: no request fails, and the
    limiter shows the outage while it lasts."""
    port = free_port()
    server = await start_sim(port=port, latency=0.05)
    inputs = [f"Document {i}." for i in range(80)]
    seen_down: list[float] = []

    async with batch_client(server.base_url, max_concurrency=16) as llm:

        async def outage() -> SimServer:
            await until(lambda: server.stats()["requests_total"] >= 20)
            await server.aclose()
            await until(lambda: llm.rate_limiter.unreachable_for > 0)
            seen_down.append(llm.rate_limiter.unreachable_for)
            await asyncio.sleep(1.0)  # the outage itself: the server stays down a while
            return await start_sim(port=port, latency=0.05)

        restart = asyncio.create_task(outage())
        results = await llm.amap(inputs, concurrency=16, return_exceptions=True)
        revived = await restart
        assert llm.rate_limiter.unreachable_for == 0
    assert not [r for r in results if isinstance(r, BaseException)]
    assert seen_down and revived.stats()["requests_total"] > 0


async def test_a_server_down_too_long_ends_the_call(start_sim: StartSim) -> None:
    """Past max_service_wait with no answer, a call ends with ServerUnreachableError saying
    how long it waited."""
    url = f"http://127.0.0.1:{free_port()}/v1"
    policy = RetryPolicy(max_retries=2, max_service_wait=0.5)
    async with ChatOpenAI(base_url=url, retry=policy) as llm:
        async with asyncio.timeout(30):
            with pytest.raises(ServerUnreachableError, match="no answer for"):
                await llm.ainvoke("hello")


async def test_without_max_service_wait_an_outage_counts_as_retries() -> None:
    """The library's default: no connection is an ordinary retryable failure, bounded by
    max_retries (a call does not wait for a server that is gone)."""
    url = f"http://127.0.0.1:{free_port()}/v1"
    async with ChatOpenAI(base_url=url, retry=RetryPolicy(max_retries=1)) as llm:
        async with asyncio.timeout(30):
            with pytest.raises(ServerUnreachableError) as info:
                await llm.ainvoke("hello")
    assert "no answer for" not in str(info.value)
