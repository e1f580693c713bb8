"""Sync calls inside a running loop (a notebook cell) while that loop's own tasks hold the
model's shared state: its concurrency slots, its place in the rate limiter's line, a cached
request in flight. The sync call blocks the loop, so it must never wait for those tasks: it
goes ahead, or (when it truly cannot) fails at once, never hangs. The server runs on its own
thread, as a real API's would."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from typing import Any

import pytest

from aiochain import RateLimiter, SyncInAsyncError
from aiochain.cache import InMemoryCache
from aiochain.chat_models import ChatOpenAI
from aiochain.sim import SimServer

from .conftest import until


@pytest.fixture
def slow_sim() -> Any:
    server = SimServer(latency=0.2, tokens_per_second=20.0)
    with server.serve_in_thread() as base_url:
        yield server, base_url


def _model(base_url: str, **options: Any) -> ChatOpenAI:
    return ChatOpenAI(base_url=base_url, api_key="sk-test", max_retries=0, **options)


def test_a_sync_call_takes_a_free_slot_beside_the_blocked_loops_requests(slow_sim: Any) -> None:
    _, url = slow_sim
    limiter = RateLimiter(max_concurrency=4)
    model = _model(url, rate_limiter=limiter)

    async def main() -> tuple[str, list[str]]:
        tasks = [asyncio.create_task(model.ainvoke(f"hi {i}")) for i in range(3)]
        await until(lambda: limiter.in_flight >= 3)
        answer = model.invoke("sync").content
        return str(answer), [str(m.content) for m in await asyncio.gather(*tasks)]

    sync_answer, outer = asyncio.run(main())
    assert sync_answer and len(outer) == 3 and all(outer)
    assert limiter.in_flight == 0
    # The cap held: the slots are counted across both loops, and all came back.
    assert not limiter._slots.locked()  # type: ignore[union-attr]


def test_a_sync_call_fails_at_once_when_the_blocked_loop_holds_every_slot(slow_sim: Any) -> None:
    _, url = slow_sim
    limiter = RateLimiter(max_concurrency=2)
    model = _model(url, rate_limiter=limiter)

    async def main() -> None:
        tasks = [asyncio.create_task(model.ainvoke(f"hi {i}")) for i in range(3)]
        await until(lambda: limiter.in_flight >= 2)
        with pytest.raises(SyncInAsyncError, match="await the async method"):
            model.invoke("sync")
        assert len(await asyncio.gather(*tasks)) == 3  # the loop's own calls still finish

    asyncio.run(main())
    assert limiter.in_flight == 0 and not limiter._slots.locked()  # type: ignore[union-attr]


def test_a_sync_call_does_not_wait_behind_the_blocked_loops_line(slow_sim: Any) -> None:
    _, url = slow_sim
    limiter = RateLimiter(rpm=120, burst=0.5)  # one request at once, then one per 0.5 s
    model = _model(url, rate_limiter=limiter)

    async def main() -> list[str]:
        tasks = [asyncio.create_task(model.ainvoke(f"hi {i}")) for i in range(3)]
        await asyncio.sleep(0.05)  # one went; two wait in line, the first polling the clock
        answer = str(model.invoke("sync").content)
        return [answer] + [str(m.content) for m in await asyncio.gather(*tasks)]

    answers = asyncio.run(main())
    assert len(answers) == 4 and all(answers)


def test_a_sync_call_sends_its_own_request_beside_an_identical_one_in_flight(
    slow_sim: Any,
) -> None:
    _, url = slow_sim
    cache = InMemoryCache()
    model = _model(url, cache=cache)

    async def main() -> tuple[str, str]:
        first = asyncio.create_task(model.ainvoke("same question"))
        await until(lambda: bool(cache._in_flight))
        return str(model.invoke("same question").content), str((await first).content)

    inner, outer = asyncio.run(main())
    assert inner and outer
    assert cache.misses == 2  # the loop's request could not be shared across loops
    assert str(model.invoke("same question").content) in (inner, outer)  # then cached
    assert cache.hits == 1


def test_threads_of_sync_calls_share_one_concurrency_cap(slow_sim: Any) -> None:
    _, url = slow_sim
    limiter = RateLimiter(max_concurrency=2)
    model = _model(url, rate_limiter=limiter)
    peak = 0

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, limiter.in_flight)
            time.sleep(0.002)

    done = threading.Event()
    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=model.invoke, args=(f"q{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    assert peak == 2 and limiter.in_flight == 0


def test_an_interrupt_stops_a_blocking_sync_call(slow_sim: Any) -> None:
    """Ctrl-C in a notebook cell: the helper thread's call is cancelled, and the interrupt
    reaches the caller."""
    _, url = slow_sim
    limiter_watch = RateLimiter()
    model = _model(url, rate_limiter=limiter_watch, max_tokens=400)
    model.invoke("warm up")

    def interrupt(*_: Any) -> None:
        raise KeyboardInterrupt

    def interrupt_once_sent() -> None:
        while limiter_watch.in_flight == 0:
            time.sleep(0.002)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGALRM)

    async def main() -> None:
        previous = signal.signal(signal.SIGALRM, interrupt)
        threading.Thread(target=interrupt_once_sent).start()
        try:
            with pytest.raises(KeyboardInterrupt):
                model.invoke("write a very long story about the sea " * 3)
        finally:
            signal.signal(signal.SIGALRM, previous)

    asyncio.run(main())
    assert limiter_watch.in_flight == 0  # the call was cancelled and its slot given back
    assert not [t for t in threading.enumerate() if t.name.startswith("aiochain-") and t.is_alive()]


def test_leaving_a_sync_stream_early_stops_it_at_once(slow_sim: Any) -> None:
    _, url = slow_sim
    limiter = RateLimiter()
    model = _model(url, rate_limiter=limiter, max_tokens=400)

    async def main() -> int:
        pieces = 0
        for _ in model.stream("write a very long story about the sea " * 3):
            pieces += 1
            if pieces == 3:
                break
        return pieces

    assert asyncio.run(main()) == 3
    assert limiter.in_flight == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("aiochain-") and t.is_alive()]


def test_a_nested_sync_call_fails_at_once_too(slow_sim: Any) -> None:
    """A sync step calling `invoke` inside a chain that the cell `invoke`d blocks both the
    cell's loop and the outer call's: when the cell's tasks hold every slot, it fails at
    once as the plain call does, not waits forever."""
    from aiochain.runnables import RunnableLambda

    _, url = slow_sim
    limiter = RateLimiter(max_concurrency=2)
    model = _model(url, rate_limiter=limiter)
    chain = RunnableLambda(lambda text: model.invoke(text).content)

    async def main() -> None:
        tasks = [asyncio.create_task(model.ainvoke(f"hi {i}")) for i in range(2)]
        await until(lambda: limiter.in_flight >= 2)
        with pytest.raises(SyncInAsyncError):
            chain.invoke("sync, nested")
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert limiter.in_flight == 0


async def test_a_waiter_cancelled_as_a_slot_comes_free_is_cancelled() -> None:
    """A caller waiting for a slot, cancelled in the same step as the slot is released (a
    timeout firing as a request ends), sees its cancellation, and the slot is not lost."""
    limiter = RateLimiter(max_concurrency=1)
    await limiter.acquire()
    waiting = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    waiting.cancel()
    limiter.release()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait_for(limiter.acquire(), 1)
    assert limiter.in_flight == 1
