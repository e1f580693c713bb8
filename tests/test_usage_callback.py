"""`get_usage_metadata_callback()` / `UsageMetadataCallbackHandler`, message ids on answers and
chunks, and `ChatOpenAI(stream_usage=True)`, against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiochain.callbacks import UsageMetadataCallbackHandler, get_usage_metadata_callback
from aiochain.callbacks.usage import get_usage_metadata_callback as from_usage_module
from aiochain.chat_models import ChatOpenAI
from aiochain.messages import AIMessageChunk
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import ChatPromptTemplate
from aiochain.sim import SimServer

StartSim = Callable[..., Awaitable[SimServer]]


async def test_usage_is_added_up_per_model_name(start_sim: StartSim) -> None:
    """Inside `get_usage_metadata_callback()`, every model call (plain, streamed, in a chain,
    in gathered tasks) adds its exact usage under its model's name."""
    server = await start_sim()
    mini = ChatOpenAI(base_url=server.base_url, api_key="sk-test", model="gpt-4o-mini")
    big = ChatOpenAI(base_url=server.base_url, api_key="sk-test", model="gpt-4o")
    chain = ChatPromptTemplate.from_template("Say {word}") | mini | StrOutputParser()
    with get_usage_metadata_callback() as cb:
        one = await mini.ainvoke("hello")
        two = await big.ainvoke("hello there")
        streamed = [c async for c in mini.astream("stream this")]
        await asyncio.gather(chain.ainvoke({"word": "a"}), chain.ainvoke({"word": "b"}))
    assert isinstance(cb, UsageMetadataCallbackHandler)
    assert set(cb.usage_metadata) == {"gpt-4o-mini", "gpt-4o"}
    assert cb.usage_metadata["gpt-4o"] == two.usage_metadata
    mini_usage = cb.usage_metadata["gpt-4o-mini"]
    assert one.usage_metadata is not None and streamed[-1].usage_metadata is not None
    floor = one.usage_metadata["input_tokens"] + streamed[-1].usage_metadata["input_tokens"]
    assert mini_usage["input_tokens"] > floor  # and the two chain calls
    assert mini_usage["total_tokens"] == mini_usage["input_tokens"] + mini_usage["output_tokens"]
    tokens = server.stats()
    assert tokens["tokens_in"] == sum(u["input_tokens"] for u in cb.usage_metadata.values())
    with from_usage_module() as later:
        pass
    assert later.usage_metadata == {}


async def test_answers_and_chunks_carry_the_answer_id(start_sim: StartSim) -> None:
    """An answer's `id` is the provider's (chatcmpl-...); every chunk of a stream has its
    answer's id and chunk addition keeps it, with the usage of the last chunk."""
    server = await start_sim()
    model = ChatOpenAI(base_url=server.base_url, api_key="sk-test", stream_usage=True)
    answer = await model.ainvoke("hello")
    assert isinstance(answer.id, str) and answer.id
    chunks = [c async for c in model.astream("hello there")]
    assert all(isinstance(c, AIMessageChunk) and c.id == chunks[0].id for c in chunks)
    assert chunks[0].id and chunks[0].id != answer.id
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole = whole + chunk
    assert whole.id == chunks[0].id and whole.usage_metadata == chunks[-1].usage_metadata
    assert "id" not in chunks[-1].response_metadata


def test_chunk_addition_keeps_ids_and_adds_usage() -> None:
    """AIMessageChunk(id=...) + chunk keeps the first id given and adds usage key by key."""
    first = AIMessageChunk("Hel", id="run-1")
    second = AIMessageChunk(
        "lo", usage_metadata={"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
    )
    third = AIMessageChunk(
        "", id="run-2", usage_metadata={"input_tokens": 0, "output_tokens": 1, "total_tokens": 1}
    )
    whole = first + second + third
    assert (whole.content, whole.id) == ("Hello", "run-1")
    assert whole.usage_metadata == {"input_tokens": 3, "output_tokens": 3, "total_tokens": 6}
    assert (AIMessageChunk("a") + AIMessageChunk("b", id="x")).id == "x"
