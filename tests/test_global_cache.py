"""InMemoryCache, SQLiteCache and set_llm_cache / get_llm_cache: the second identical call of
any model is answered from the global cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aiochain import AzureChatOpenAI, ChatAnthropic, ChatOpenAI, ConfigurationError, OpenAI
from aiochain.cache import InMemoryCache, SQLiteCache
from aiochain.globals import get_llm_cache, set_llm_cache
from aiochain.sim import SimServer


@pytest.fixture(autouse=True)
def no_global_cache() -> Iterator[None]:
    """Each test starts and ends without a global cache."""
    set_llm_cache(None)
    yield
    set_llm_cache(None)


async def test_chat_and_completion_models_answer_from_the_global_cache(sim: SimServer) -> None:
    """With set_llm_cache(InMemoryCache()), a repeated call of ChatOpenAI and of OpenAI is
    not sent again, and gets the same answer."""
    cache = InMemoryCache()
    set_llm_cache(cache)
    assert get_llm_cache() is cache
    async with ChatOpenAI(base_url=sim.base_url) as chat, OpenAI(base_url=sim.base_url) as llm:
        first = await chat.ainvoke("Tell me a joke")
        second = await chat.ainvoke("Tell me a joke")
        text = await llm.ainvoke("Tell me a joke")
        again = await llm.ainvoke("Tell me a joke")
        other = await chat.ainvoke("Tell me another joke")
    assert first.content == second.content and text == again
    assert other.content != first.content
    assert sim.stats()["requests_total"] == 3
    assert (cache.hits, cache.misses, len(cache)) == (2, 3, 3)


async def test_anthropic_and_azure_answer_from_the_global_cache(sim: SimServer) -> None:
    """ChatAnthropic and AzureChatOpenAI use the global cache too."""
    set_llm_cache(InMemoryCache())
    async with ChatAnthropic(base_url=sim.root_url, api_key="k") as chat:
        first = await chat.ainvoke("Tell me a joke")
        second = await chat.ainvoke("Tell me a joke")
    assert first.content == second.content
    assert sim.stats()["requests_total"] == 1
    async with AzureChatOpenAI(
        azure_endpoint=sim.root_url,
        azure_deployment="gpt-4o-mini",
        api_version="2024-10-21",
        api_key="k",
    ) as azure:
        first = await azure.ainvoke("Tell me a joke")
        second = await azure.ainvoke("Tell me a joke")
    assert first.content == second.content
    assert sim.stats()["requests_total"] == 2


async def test_sqlite_cache_as_the_global_cache(sim: SimServer, tmp_path: Path) -> None:
    """SQLiteCache(database_path=...) works as the global cache, across model objects; clear
    forgets its answers."""
    cache = SQLiteCache(database_path=tmp_path / ".langchain.db")
    set_llm_cache(cache)
    try:
        async with ChatOpenAI(base_url=sim.base_url) as chat:
            await chat.ainvoke("Tell me a joke")
        async with ChatOpenAI(base_url=sim.base_url) as chat:
            await chat.ainvoke("Tell me a joke")
        assert sim.stats()["requests_total"] == 1
        cache.clear()
        assert len(cache) == 0
    finally:
        cache.close()


async def test_a_models_own_cache_wins_and_false_opts_out(sim: SimServer) -> None:
    """cache=False keeps a model out of the global cache; a model's own cache is used instead
    of the global one; cache=True without a global cache is refused."""
    global_cache, own = InMemoryCache(), InMemoryCache()
    set_llm_cache(global_cache)
    async with ChatOpenAI(base_url=sim.base_url, cache=False) as chat:
        await chat.ainvoke("hi")
        await chat.ainvoke("hi")
    assert sim.stats()["requests_total"] == 2
    async with ChatOpenAI(base_url=sim.base_url, cache=own) as chat:
        await chat.ainvoke("hi")
        await chat.ainvoke("hi")
    assert (len(own), len(global_cache), own.hits) == (1, 0, 1)
    set_llm_cache(None)
    async with ChatOpenAI(base_url=sim.base_url, cache=True) as chat:
        with pytest.raises(ConfigurationError, match="set_llm_cache"):
            await chat.ainvoke("hi")


def test_in_memory_cache_has_langchains_methods() -> None:
    """lookup / update / clear, and maxsize drops the oldest entry."""
    cache = InMemoryCache(maxsize=2)
    cache.update("a", "llm", ["A"])
    cache.update("b", "llm", ["B"])
    cache.update("c", "llm", ["C"])
    assert cache.lookup("a", "llm") is None
    assert cache.lookup("c", "llm") == ["C"]
    cache.clear()
    assert cache.lookup("c", "llm") is None
    with pytest.raises(ConfigurationError):
        InMemoryCache(maxsize=0)
    with pytest.raises(ConfigurationError):
        set_llm_cache("not a cache")  # type: ignore[arg-type]
