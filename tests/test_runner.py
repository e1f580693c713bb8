"""The runner and limiter: order, caps, laziness, cancellation, rate limits, learning, progress."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from aiochain import (
    ChatOpenAI,
    ConfigurationError,
    DeadlineExceededError,
    LLMChain,
    OpenAI,
    PromptTemplate,
    RateLimiter,
    RetryPolicy,
    RunnableLambda,
    RunStats,
    ServerError,
)
from aiochain.sim import SimServer

from .conftest import until

StartSim = Callable[..., Awaitable[SimServer]]
StartThreaded = Callable[..., SimServer]
SUMMARIZE = PromptTemplate.from_template("Summarize the following text:\n\n{text}")


def documents(count: int) -> list[dict[str, str]]:
    return [{"text": f"Document {i} opens here. It goes on."} for i in range(count)]


def other_tasks() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


# --- order, caps, laziness -------------------------------------------------------------------


async def test_amap_keeps_input_order_under_jitter(start_sim: StartSim) -> None:
    """Results come back in input order although answers finish in another order."""
    server = await start_sim(latency=0.05, latency_jitter=0.05, seed=3)
    async with OpenAI(base_url=server.base_url) as llm:
        chain = LLMChain(llm=llm, prompt=SUMMARIZE)
        results = await chain.amap(documents(60), concurrency=20)
    assert [r["text"] for r in results] == [f"Document {i} opens here." for i in range(60)]


async def test_concurrency_is_never_exceeded(start_threaded_sim: StartThreaded) -> None:
    """The server never sees more requests at once than `concurrency`, and the runner never
    has more worker tasks than that."""
    server = start_threaded_sim(latency=0.05)
    peak_tasks = 0

    def watch(stats: RunStats) -> None:
        nonlocal peak_tasks
        peak_tasks = max(peak_tasks, len(other_tasks()))

    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = SUMMARIZE | chat
        await chain.amap(documents(100), concurrency=7, progress=watch)
    assert server.stats()["max_in_flight"] == 7
    assert server.stats()["requests_total"] == 100
    assert peak_tasks <= 7


async def test_inputs_are_read_lazily() -> None:
    """A generator is read as workers free up, not all at once."""
    produced = 0
    finished = 0
    high_water = 0

    def inputs() -> Iterator[int]:
        nonlocal produced, high_water
        for i in range(10_000):
            produced += 1
            high_water = max(high_water, produced - finished)
            yield i

    async def work(x: int) -> int:
        nonlocal finished
        await asyncio.sleep(0)
        finished += 1
        return x * 2

    results = await RunnableLambda(work).amap(inputs(), concurrency=16)
    assert results == [2 * i for i in range(10_000)]
    assert high_water <= 17  # the in-flight ones, plus the one being read


async def test_async_iterable_inputs() -> None:
    """Async iterables work as inputs too."""

    async def numbers() -> AsyncIterator[int]:
        for i in range(50):
            await asyncio.sleep(0)
            yield i

    async def square(x: int) -> int:
        return x * x

    assert await RunnableLambda(square).amap(numbers(), concurrency=4) == [i * i for i in range(50)]


async def test_bad_concurrency_is_refused() -> None:
    """concurrency must be a positive integer."""

    async def same(x: int) -> int:
        return x

    with pytest.raises(ConfigurationError):
        await RunnableLambda(same).amap([1], concurrency=0)


# --- as_completed ----------------------------------------------------------------------------


async def test_as_completed_yields_as_they_finish() -> None:
    """Results arrive in finishing order with their input index."""

    async def delayed(x: int) -> int:
        await asyncio.sleep(0.01 * (5 - x))
        return x

    seen = [pair async for pair in RunnableLambda(delayed).as_completed(range(6), concurrency=6)]
    assert sorted(seen) == [(i, i) for i in range(6)]
    assert seen[0] == (5, 5) and seen[-1] == (0, 0)


async def test_as_completed_break_cancels_the_rest(start_threaded_sim: StartThreaded) -> None:
    """Leaving the loop early cancels the work in flight and leaves no task behind."""
    server = start_threaded_sim(latency=0.05, latency_jitter=0.04)
    async with OpenAI(base_url=server.base_url) as llm:
        chain = LLMChain(llm=llm, prompt=SUMMARIZE)
        got = []
        async with contextlib.aclosing(chain.as_completed(documents(200), concurrency=10)) as it:
            async for index, _result in it:
                got.append(index)
                if len(got) == 5:
                    break
        assert other_tasks() == set()
    await until(lambda: server.stats()["in_flight"] == 0)
    assert server.stats()["requests_total"] < 40


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("source", ["generator", "async generator"])
async def test_as_completed_reads_no_further_than_its_consumer(
    streaming: bool, source: str
) -> None:
    """A busy consumer taking 10 results out of 200,000 inputs lets the workers read about
    what is in flight plus a backlog of `concurrency` results, not the whole input (issue 23,
    item 7: every input was read, every result kept)."""
    concurrency, total = 8, 200_000
    read = 0

    def inputs() -> Iterator[int]:
        nonlocal read
        for i in range(total):
            read += 1
            yield i

    async def async_inputs() -> AsyncIterator[int]:
        for i in inputs():
            yield i

    async def double(x: int) -> int:
        return 2 * x  # finishes without suspending: nothing else slows the workers down

    async def pieces(x: int) -> AsyncIterator[int]:
        yield x
        yield -x

    from aiochain.runnables._runner import as_completed

    given: Any = inputs() if source == "generator" else async_inputs()
    func: Any = pieces if streaming else double
    taken = 0
    runs = as_completed(func, given, concurrency=concurrency, streaming=streaming)
    async with contextlib.aclosing(runs) as results:
        async for _pair in results:
            taken += 1
            for _ in range(50):  # the consumer is busy; the event loop runs meanwhile
                await asyncio.sleep(0)
            if taken == 10:
                break
    assert taken == 10
    assert read <= taken + 3 * concurrency, read


async def test_as_completed_with_a_backlog_still_yields_every_result() -> None:
    """Workers waiting for the consumer lose nothing: every input's result, once, also with
    failures returned in their slots."""

    async def maybe_fail(x: int) -> int:
        if x % 7 == 0:
            raise ValueError(x)
        return x

    got = {}
    async for index, result in RunnableLambda(maybe_fail).as_completed(
        range(500), concurrency=3, return_exceptions=True
    ):
        got[index] = result
        await asyncio.sleep(0)
    assert sorted(got) == list(range(500))
    assert all(isinstance(got[i], ValueError) == (i % 7 == 0) for i in range(500))


# --- failures and cancellation ---------------------------------------------------------------


async def test_return_exceptions_puts_failures_in_their_slots() -> None:
    """With return_exceptions=True each failure takes its input's slot."""

    async def odd_fails(x: int) -> int:
        if x % 2:
            raise ValueError(f"odd {x}")
        return x

    results = await RunnableLambda(odd_fails).amap(range(6), return_exceptions=True)
    assert results[0::2] == [0, 2, 4]
    assert [str(e) for e in results[1::2]] == ["odd 1", "odd 3", "odd 5"]


async def test_first_failure_cancels_the_rest(start_threaded_sim: StartThreaded) -> None:
    """Without return_exceptions the first failure is raised and every other call cancelled."""
    server = start_threaded_sim(latency=0.5)
    async with OpenAI(base_url=server.base_url) as llm:
        chain = LLMChain(llm=llm, prompt=SUMMARIZE)

        async def one(item: dict[str, str]) -> Any:
            if item["text"].startswith("Document 3 "):
                await asyncio.sleep(0.05)
                raise ServerError("boom", status_code=500)
            return await chain.ainvoke(item)

        with pytest.raises(ServerError):
            await RunnableLambda(one).amap(documents(50), concurrency=10)
        assert other_tasks() == set()
    await until(lambda: server.stats()["in_flight"] == 0)
    assert server.stats()["requests"]["completions"].get("200", 0) == 0


async def test_cancelling_the_caller_leaves_nothing_behind(
    start_threaded_sim: StartThreaded,
) -> None:
    """Cancelling amap's caller cancels every request; no task, no open request remains."""
    server = start_threaded_sim(latency=5.0)
    async with OpenAI(base_url=server.base_url) as llm:
        chain = LLMChain(llm=llm, prompt=SUMMARIZE)
        run = asyncio.create_task(chain.amap(documents(500), concurrency=50))
        # The server runs on another thread: its counters can only be polled.
        await until(lambda: server.stats()["in_flight"] >= 50)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        assert other_tasks() == set()
    await until(lambda: server.stats()["in_flight"] == 0)
    assert server.stats()["requests_total"] == 50


async def test_deadline(start_threaded_sim: StartThreaded) -> None:
    """Inputs unfinished at the deadline, started or not, fail with DeadlineExceededError: one
    result per input, so zip(inputs, results) stays right; as_completed yields them all too."""
    server = start_threaded_sim(latency=5.0)
    async with OpenAI(base_url=server.base_url) as llm:
        chain = LLMChain(llm=llm, prompt=SUMMARIZE)
        stats = RunStats()
        results = await chain.amap(
            documents(6), concurrency=3, deadline=0.2, return_exceptions=True, progress=stats
        )
        assert [type(r) for r in results] == [DeadlineExceededError] * 6
        assert (stats.failed, stats.done) == (6, 0)
        seen = [
            (index, type(result))
            async for index, result in chain.as_completed(
                documents(5), concurrency=2, deadline=0.2, return_exceptions=True
            )
        ]
        assert sorted(seen) == [(i, DeadlineExceededError) for i in range(5)]
        with pytest.raises(DeadlineExceededError):
            await chain.amap(documents(6), concurrency=3, deadline=0.2)
        assert other_tasks() == set()


async def test_retry_budget_limits_retries_against_a_dead_server(start_sim: StartSim) -> None:
    """When everything fails, retries stay within the budget instead of multiplying traffic."""
    server = await start_sim(fail_rate=1.0)
    retry = RetryPolicy(max_retries=5, initial_wait=0.001, max_wait=0.001)
    async with OpenAI(base_url=server.base_url, retry=retry) as llm:
        results = await llm.amap([f"x{i}." for i in range(50)], return_exceptions=True)
    assert all(isinstance(r, ServerError) for r in results)
    # 50 first attempts, 10 retries up front and 0.2 per request: 70, not 300.
    assert server.stats()["requests_total"] <= 70


# --- limits ------------------------------------------------------------------------------------


class FakeTime:
    """A clock and a sleep that advances it, for limiter arithmetic without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_rpm_spreads_requests_evenly() -> None:
    """At rpm=600 (10 a second, half a second of burst) 5 go at once, then one every 0.1 s."""
    fake = FakeTime()
    limiter = RateLimiter(rpm=600, clock=fake.clock, sleep=fake.sleep)
    times = []
    for _ in range(25):
        await limiter.acquire()
        times.append(round(fake.now, 6))
        limiter.release()
    assert times[:5] == [0.0] * 5
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(times[5:])]
    assert gaps == [0.1] * 19
    # Requests in any one-second window never exceed rpm/60 plus the burst.
    for start in range(3):
        assert sum(start <= t < start + 1 for t in times) <= 10 + 5


async def test_tpm_reserves_estimates_and_corrects_from_usage() -> None:
    """tpm charges the estimate, then refunds what the answer did not use."""
    fake = FakeTime()
    limiter = RateLimiter(tpm=6000, clock=fake.clock, sleep=fake.sleep)  # 100/s, holds 50
    await limiter.acquire(50)
    limiter.release(50, used_tokens=10)  # 40 come back
    await limiter.acquire(40)
    assert fake.now == 0.0
    await limiter.acquire(30)  # 30 short: 0.3 s
    assert fake.now == pytest.approx(0.3)


async def test_a_429_pauses_every_caller() -> None:
    """After a 429 with retry-after, every caller waits out one shared pause."""
    fake = FakeTime()
    waits: list[tuple[float, str]] = []
    limiter = RateLimiter(
        clock=fake.clock, sleep=fake.sleep, on_wait=lambda s, r: waits.append((s, r))
    )
    limiter.note_rate_limited(2.0)

    async def acquired_at() -> float:
        await limiter.acquire()
        return fake.now

    assert min(await asyncio.gather(acquired_at(), acquired_at())) >= 2.0
    assert waits[0] == (2.0, "pause")


async def test_concurrency_cap_shared_by_two_clients(start_sim: StartSim) -> None:
    """One RateLimiter shared by two LLM objects caps their requests together."""
    server = await start_sim(latency=0.05)
    shared = RateLimiter(max_concurrency=3)
    async with (
        OpenAI(base_url=server.base_url, rate_limiter=shared) as one,
        ChatOpenAI(base_url=server.base_url, rate_limiter=shared) as two,
    ):
        await asyncio.gather(
            one.amap([f"a{i}." for i in range(15)], concurrency=10),
            two.amap([f"b{i}." for i in range(15)], concurrency=10),
        )
    assert server.stats()["max_in_flight"] == 3


async def test_max_concurrency_applies_to_agenerate(start_sim: StartSim) -> None:
    """agenerate goes through the same machinery and respects max_concurrency."""
    server = await start_sim(latency=0.05)
    async with OpenAI(base_url=server.base_url, max_concurrency=4) as llm:
        result = await llm.agenerate([f"p{i}." for i in range(20)])
    assert len(result.generations) == 20
    assert server.stats()["max_in_flight"] == 4


async def test_client_rpm_matches_server_without_429(start_sim: StartSim) -> None:
    """With rpm set to the server's limit, no request is refused."""
    server = await start_sim(rpm=1200)
    async with ChatOpenAI(base_url=server.base_url, rpm=1200) as chat:
        results = await chat.amap([f"Call {i}." for i in range(40)], concurrency=40)
    assert len(results) == 40
    assert server.stats()["rate_limited"] == 0


async def test_client_tpm_matches_server_without_429(start_sim: StartSim) -> None:
    """With tpm set to the server's limit, estimates keep every request under it."""
    server = await start_sim(tpm=6000)  # 100 tokens a second
    async with ChatOpenAI(base_url=server.base_url, tpm=6000, max_tokens=10) as chat:
        results = await chat.amap([f"Call {i} is a short one." for i in range(20)], concurrency=20)
    assert len(results) == 20
    assert server.stats()["rate_limited"] == 0


async def test_learns_limits_from_headers_and_429s(start_sim: StartSim) -> None:
    """With no limit set, the client adopts the server's limit and every call succeeds."""
    server = await start_sim(rpm=1200)
    async with ChatOpenAI(base_url=server.base_url, max_retries=10) as chat:
        results = await chat.amap([f"Call {i}." for i in range(60)], concurrency=60)
        assert chat.rate_limiter.learned == {"requests": 1200.0}
    assert len(results) == 60
    stats = server.stats()
    # Only the first wave, sent before any answer told the limit, is refused: all of it but
    # the 20 requests the server's one-second bucket holds. Nothing after learning.
    assert stats["rate_limited"] <= 60 - 20
    assert stats["requests"]["chat.completions"]["200"] == 60


# --- progress ----------------------------------------------------------------------------------


async def test_progress_counts_tokens_and_cost(start_sim: StartSim) -> None:
    """Progress reports done, requests, tokens matching the server, and cost for known models."""
    server = await start_sim(fail_rate=0.2, seed=1)
    updates: list[dict[str, Any]] = []
    stats = RunStats()
    retry = RetryPolicy(max_retries=10, initial_wait=0.001, max_wait=0.002)
    async with ChatOpenAI(base_url=server.base_url, model="gpt-4o-mini", retry=retry) as chat:
        await chat.amap([f"Item {i}. More." for i in range(30)], progress=stats)
        await chat.amap(["x."], progress=lambda s: updates.append(s.snapshot()))
    served = server.stats()
    assert (stats.total, stats.done, stats.failed, stats.in_flight) == (30, 30, 0, 0)
    assert stats.requests == served["requests_total"] - 1
    assert stats.retries == served["faults"]["fail"]
    assert stats.prompt_tokens + 1 == served["tokens_in"]
    assert stats.completion_tokens + 1 == served["tokens_out"]
    expected_cost = (stats.prompt_tokens * 0.15 + stats.completion_tokens * 0.60) / 1e6
    assert stats.cost == pytest.approx(expected_cost)
    assert updates[-1]["done"] == 1 and updates[-1]["total"] == 1
    assert stats.percentile(0.5) is not None


def test_limits_survive_several_event_loops(sim_in_thread: str) -> None:
    """A client with max_concurrency works across sync calls (each on its own event loop)."""
    llm = OpenAI(base_url=sim_in_thread, max_concurrency=2)
    for _ in range(3):
        result = llm.generate([f"Prompt {i}. More." for i in range(6)])
        assert [g[0].text for g in result.generations] == [f"Prompt {i}." for i in range(6)]


def test_learned_limit_starts_from_what_the_server_has_left() -> None:
    """A limit learned from headers starts at x-ratelimit-remaining, not full."""
    fake = FakeTime()
    limiter = RateLimiter(clock=fake.clock, sleep=fake.sleep)
    limiter.note_headers(
        {"x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "2"}
    )
    assert limiter.learned == {"requests": 600.0}
    times = []

    async def go() -> None:
        for _ in range(4):
            await limiter.acquire()
            times.append(round(fake.now, 6))
            limiter.release()

    asyncio.run(go())
    assert times == [0.0, 0.0, 0.1, 0.2]  # two left, then one every 0.1 s


async def test_request_latencies_leave_out_time_queued_behind_the_limiter(
    start_sim: StartSim,
) -> None:
    """With one request at a time, inputs wait their turn; the request latencies (what the
    server took) leave that wait out, the input latencies include it."""
    server = await start_sim(latency=0.05)
    stats = RunStats()
    async with ChatOpenAI(base_url=server.base_url, max_concurrency=1) as chat:
        await chat.amap([f"x{i}" for i in range(6)], concurrency=6, progress=stats)
    assert len(stats.request_latencies) == len(stats.latencies) == 6
    by_request, by_input = stats.percentile(0.95, requests=True), stats.percentile(0.95)
    assert by_request is not None and by_input is not None
    assert by_request < by_input


def test_run_stats_stay_small_and_print_short() -> None:
    """Latencies are a bounded sample however long the run, and repr leaves them out."""
    from aiochain._pipeline.run_stats import LATENCY_SAMPLES

    stats = RunStats()
    for i in range(LATENCY_SAMPLES * 3):
        stats.record_latency(float(i))
    assert len(stats.latencies) == LATENCY_SAMPLES
    assert max(stats.latencies) >= LATENCY_SAMPLES  # later values do get in
    assert "latencies" not in repr(stats) and len(repr(stats)) < 600
