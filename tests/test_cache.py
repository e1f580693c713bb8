"""The answer cache: hits across clients, dedupe of identical requests in flight, cancellation,
and the file kept off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from aiochain import BadResponseError, ChatOpenAI
from aiochain.cache import SQLiteCache
from aiochain.sim import SimServer

from .conftest import until

StartSim = Callable[..., Awaitable[SimServer]]


async def test_a_second_client_is_answered_from_the_file(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """An identical request from another client is a hit: no second request, 0 requests used."""
    server = await start_sim()
    with SQLiteCache(tmp_path / "cache.sqlite") as cache:
        async with ChatOpenAI(base_url=server.base_url, cache=cache) as first:
            sent = await first.ainvoke("hello")
        async with ChatOpenAI(base_url=server.base_url, cache=cache) as second:
            again = await second.ainvoke("hello")
        assert again.content == sent.content
        assert again.usage is not None and again.usage.requests == 0
        assert second.usage.requests == 0
        assert (cache.hits, cache.misses, len(cache)) == (1, 1, 1)
    assert server.stats()["requests_total"] == 1


async def test_cancelling_the_sender_does_not_cancel_the_waiters(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """When the caller whose request the others wait on is cancelled, a waiter sends it itself
    and gets its answer; the waiters do not end as cancelled."""
    server = await start_sim(latency=0.3)
    with SQLiteCache(tmp_path / "cache.sqlite") as cache:
        async with ChatOpenAI(base_url=server.base_url, cache=cache) as llm:
            sender = asyncio.create_task(llm.ainvoke("the same question"))
            await until(lambda: server.stats()["in_flight"] == 1)
            waiters = [asyncio.create_task(llm.ainvoke("the same question")) for _ in range(3)]
            await asyncio.sleep(0)
            sender.cancel()
            answers = await asyncio.gather(*waiters)
            assert sender.cancelled()
        assert len({a.content for a in answers}) == 1 and answers[0].content
        assert len(cache) == 1
    # The cancelled request, then one sent by a waiter for all three.
    assert server.stats()["requests_total"] == 2


async def test_identical_inputs_in_amap_share_one_request(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """Identical inputs in one amap share a request; every slot holds an answer."""
    server = await start_sim(latency=0.05)
    with SQLiteCache(tmp_path / "cache.sqlite") as cache:
        async with ChatOpenAI(base_url=server.base_url, cache=cache) as llm:
            results = await llm.amap(["same"] * 10 + ["other"] * 10, concurrency=20)
    assert all(r is not None and r.content for r in results)
    assert server.stats()["requests_total"] == 2


async def test_the_file_is_used_off_the_event_loop(start_sim: StartSim, tmp_path: Path) -> None:
    """Reads and writes of the cache file happen on the cache's own thread."""
    server = await start_sim()
    threads: list[str] = []
    with SQLiteCache(tmp_path / "cache.sqlite") as cache:
        get, put = cache.get, cache.put

        def spy_get(key: str) -> object:
            threads.append(threading.current_thread().name)
            return get(key)

        def spy_put(key: str, answer: dict[str, object]) -> None:
            threads.append(threading.current_thread().name)
            put(key, answer)

        cache.get, cache.put = spy_get, spy_put  # type: ignore[method-assign]
        async with ChatOpenAI(base_url=server.base_url, cache=cache) as llm:
            await llm.ainvoke("hello")
    assert len(threads) == 2
    assert all(name.startswith("aiochain-cache") for name in threads)


async def test_a_malformed_answer_is_not_kept(scripted: Any, tmp_path: Path) -> None:
    """An answer the model cannot read fails its call and is not cached: the next identical
    call asks the server again (and gets the good answer)."""
    from .conftest import Reply, completion_json

    server = await scripted(
        [Reply(200, {"choices": []}), Reply(200, completion_json("ok", chat=True))]
    )
    with SQLiteCache(tmp_path / "cache.sqlite") as cache:
        async with ChatOpenAI(base_url=server.base_url, cache=cache, max_retries=0) as llm:
            with pytest.raises(BadResponseError):
                await llm.ainvoke("same")
            assert (await llm.ainvoke("same")).content == "ok"
        assert len(cache) == 1
    assert len(server.requests) == 2
