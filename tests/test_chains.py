"""Chains: LLMChain, custom chains, sequences, sync and async entry points, concurrency."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiochain import (
    Chain,
    ChatOpenAI,
    ConfigurationError,
    JsonOutputParser,
    LLMChain,
    MissingVariablesError,
    OpenAI,
    PromptTemplate,
    RunnableParallel,
    SequentialChain,
    SimpleSequentialChain,
    StrOutputParser,
    UsageError,
)
from aiochain.sim import SimServer

from .conftest import until

StartSim = Callable[..., Awaitable[SimServer]]
SUMMARIZE = PromptTemplate.from_template("Summarize the following text:\n\n{text}")


async def test_arun_with_gather_overlaps_calls(start_sim: StartSim) -> None:
    """Two arun() tasks gathered are in flight at the same time (the tutorial's point)."""
    server = await start_sim(latency=0.5)
    async with OpenAI(temperature=0.7, base_url=server.base_url) as llm:
        chain = LLMChain(llm=llm, prompt=SUMMARIZE)
        one = asyncio.create_task(chain.arun(text="Internet history. ARPANET came first."))
        two = asyncio.create_task(chain.arun("Quantum physics. Superposition is strange."))
        summaries = await asyncio.gather(one, two)
    assert summaries[0].startswith("Internet history.")
    assert summaries[1].startswith("Quantum physics.")
    assert server.stats()["max_in_flight"] == 2


async def test_wait_first_completed_over_three_chains(start_sim: StartSim) -> None:
    """asyncio.wait(FIRST_COMPLETED) returns the fast chain first; the others can be cancelled."""
    fast = await start_sim(latency=0.0)
    slow = await start_sim(latency=30.0)
    chains = {}
    llms = [
        OpenAI(base_url=fast.base_url),
        OpenAI(base_url=slow.base_url),
        OpenAI(base_url=slow.base_url),
    ]
    for name, llm in zip(("fast", "slow1", "slow2"), llms, strict=True):
        chains[name] = LLMChain(llm=llm, prompt=SUMMARIZE)
    tasks = {
        asyncio.create_task(chain.arun(text=f"From {name}. More."), name=name): name
        for name, chain in chains.items()
    }
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    assert [tasks[t] for t in done] == ["fast"]
    assert next(iter(done)).result() == "From fast."
    assert len(pending) == 2
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    assert all(t.cancelled() for t in pending)
    for llm in llms:
        await llm.aclose()
    await until(lambda: slow.stats()["in_flight"] == 0)  # the server notices closed connections


class WordCount(Chain):
    """A custom chain: counts words after asking the model to summarize."""

    llm: OpenAI
    suffix: str = "!"

    @property
    def input_keys(self) -> list[str]:
        return ["text"]

    @property
    def output_keys(self) -> list[str]:
        return ["summary", "words"]

    async def _acall(self, inputs: dict[str, Any]) -> dict[str, Any]:
        summary = await self.llm.ainvoke(inputs["text"])
        return {"summary": summary + self.suffix, "words": len(summary.split())}


async def test_custom_chain_runs_concurrently(start_sim: StartSim) -> None:
    """A small Chain subclass runs many times at once through gather and aapply."""
    server = await start_sim(latency=0.2)
    async with OpenAI(base_url=server.base_url) as llm:
        chain = WordCount(llm=llm)
        results = await asyncio.gather(
            *(chain.ainvoke({"text": f"Item {i} here. Tail."}) for i in range(10))
        )
        applied = await chain.aapply([{"text": "A b c. D."}, {"text": "E f. G."}])
    assert [r["summary"] for r in results] == [f"Item {i} here.!" for i in range(10)]
    assert results[3]["text"] == "Item 3 here. Tail."  # invoke returns inputs with outputs
    assert applied == [{"summary": "A b c.!", "words": 3}, {"summary": "E f.!", "words": 2}]
    assert server.stats()["max_in_flight"] == 10


def test_custom_chain_fields_are_checked() -> None:
    """Unknown or missing declared fields are refused with the field's name."""
    with pytest.raises(ConfigurationError, match="'lm'"):
        WordCount(lm=None)
    with pytest.raises(ConfigurationError, match="'llm'"):
        WordCount()


class SyncUpper(Chain):
    """A chain with only a sync _call, which must run off the event loop."""

    input_keys = ["text"]  # type: ignore[assignment]  # noqa: RUF012 - users write this
    output_keys = ["upper"]  # type: ignore[assignment]  # noqa: RUF012

    def _call(self, inputs: dict[str, Any]) -> dict[str, Any]:
        return {"upper": inputs["text"].upper(), "thread": threading.current_thread().name}


async def test_sync_call_chain_runs_in_a_thread() -> None:
    """A chain that only defines _call works from async code without blocking the loop."""
    out = await SyncUpper().ainvoke("abc", return_only_outputs=True)
    assert out["upper"] == "ABC"
    assert out["thread"] != threading.current_thread().name


async def test_sequential_chain_of_two_llm_chains(start_sim: StartSim) -> None:
    """SequentialChain feeds the first chain's output to the second, by name."""
    server = await start_sim()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        summarize = LLMChain(llm=chat, prompt=SUMMARIZE, output_key="summary")
        title = LLMChain(
            llm=chat,
            prompt=PromptTemplate.from_template("Title for {summary} in {style}"),
            output_key="title",
        )
        both = SequentialChain(
            chains=[summarize, title],
            input_variables=["text", "style"],
            output_variables=["summary", "title"],
        )
        result = await both.ainvoke({"text": "Cats sleep a lot. They purr.", "style": "caps"})
    assert result["summary"] in ("Cats sleep a lot.", "Cats sleep a lot. They purr.")
    assert result["title"].startswith(f"Title for {result['summary']}")
    assert result["style"] == "caps"
    assert server.stats()["requests_total"] == 2


def test_sequential_chain_validates_wiring() -> None:
    """A step needing a variable nobody provides is refused at construction, by name."""
    llm = OpenAI(base_url="http://127.0.0.1:9/v1")
    first = LLMChain(llm=llm, prompt=SUMMARIZE, output_key="summary")
    second = LLMChain(llm=llm, prompt=PromptTemplate.from_template("{summry}"), output_key="t")
    with pytest.raises(ConfigurationError, match="summry"):
        SequentialChain(chains=[first, second], input_variables=["text"])
    with pytest.raises(ConfigurationError, match="outputs text"):
        SequentialChain(chains=[LLMChain(llm=llm, prompt=SUMMARIZE)], input_variables=["text"])


async def test_simple_sequential_chain(start_sim: StartSim) -> None:
    """SimpleSequentialChain pipes each single output into the next single input."""
    server = await start_sim()
    async with OpenAI(base_url=server.base_url) as llm:
        first = LLMChain(llm=llm, prompt=PromptTemplate.from_template("{a}"))
        second = LLMChain(llm=llm, prompt=PromptTemplate.from_template("Again: {b}"))
        chain = SimpleSequentialChain(chains=[first, second], strip_outputs=True)
        assert await chain.arun("One two. Three.") in ("Again: One two.", "Again: One two. Three.")


def test_sync_run_after_asyncio_run(sim_in_thread: str) -> None:
    """Sync run() works after asyncio.run() in the same process, with no leaked session."""
    llm = OpenAI(base_url=sim_in_thread)
    chain = LLMChain(llm=llm, prompt=SUMMARIZE)
    first = asyncio.run(chain.arun(text="Async first. Then more."))
    second = chain.run(text="Sync second. Then more.")
    third = chain.run("Sync third. Then more.")
    assert (first, second, third) == ("Async first.", "Sync second.", "Sync third.")
    assert chain.invoke({"text": "Invoke. X."})["text"] == "Invoke."
    assert chain.predict(text="Predict. X.") == "Predict."
    assert chain.apply([{"text": "Apply. X."}]) == [{"text": "Apply."}]


async def test_sync_method_inside_a_loop_blocks_as_langchain(
    sim_in_thread: str, caplog: pytest.LogCaptureFixture
) -> None:
    """run() / invoke() inside a running loop (a notebook cell, a sync call in async code)
    answer, blocking the loop meanwhile as LangChain's do, and say once at INFO that awaiting
    would let other tasks run."""
    chain = LLMChain(llm=OpenAI(base_url=sim_in_thread), prompt=SUMMARIZE)
    with caplog.at_level(logging.INFO, logger="aiochain"):
        assert chain.run(text="Inside. A loop.") == "Inside."
        assert chain.invoke({"text": "Again. Here."})["text"] == "Again."
        assert chain.run(text="Third. Call.") == "Third."
    notes = [r.getMessage() for r in caplog.records if "blocks it until done" in r.getMessage()]
    assert len(notes) == 2 and "arun" in notes[0] and "ainvoke" in notes[1]


async def test_missing_and_misused_inputs() -> None:
    """Missing inputs are named; run() with both positional and keyword inputs is refused."""
    prompt = PromptTemplate.from_template("{a} {b}")
    chain = LLMChain(llm=OpenAI(base_url="http://127.0.0.1:9/v1"), prompt=prompt)
    with pytest.raises(MissingVariablesError, match="b"):
        await chain.arun(a="1")
    with pytest.raises(MissingVariablesError):
        await chain.arun("only one")
    with pytest.raises(UsageError):
        await chain.arun("x", a="1")


async def test_llm_chain_with_output_parser(start_sim: StartSim) -> None:
    """An output parser is applied to the model's text (JSON mode via model_kwargs)."""
    server = await start_sim()
    async with ChatOpenAI(
        base_url=server.base_url, model_kwargs={"response_format": {"type": "json_object"}}
    ) as chat:
        chain = LLMChain(llm=chat, prompt=SUMMARIZE, output_parser=JsonOutputParser())
        result = await chain.arun(text="Parsers work. Yes.")
    assert result["summary"].startswith("Parsers work.")


async def test_pipe_composition_with_parser_and_parallel(start_sim: StartSim) -> None:
    """prompt | llm | parser runs, and a dict step runs branches concurrently."""
    server = await start_sim(latency=0.2)
    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = SUMMARIZE | chat | StrOutputParser()
        assert await chain.ainvoke({"text": "Pipes compose. Nicely."}) == "Pipes compose."
        fan_out = RunnableParallel(
            {"a": chain, "b": chain, "upper": lambda d: d["text"].upper()}
        ) | (lambda d: (d["a"], d["b"], d["upper"]))
        a, b, upper = await fan_out.ainvoke({"text": "Both. Branches."})
        results = await chain.abatch([{"text": f"N{i}. x."} for i in range(6)], concurrency=3)
    assert a == b == "Both."
    assert upper == "BOTH. BRANCHES."
    assert results == [f"N{i}." for i in range(6)]
    assert server.stats()["max_in_flight"] == 3


async def test_llm_chain_agenerate(start_sim: StartSim) -> None:
    """LLMChain.agenerate formats every input and returns the model's batch result."""
    server = await start_sim()
    async with OpenAI(base_url=server.base_url) as llm:
        chain = LLMChain(llm=llm, prompt=SUMMARIZE)
        result = await chain.agenerate([{"text": "One. x."}, {"text": "Two. y."}])
    assert [g[0].text for g in result.generations] == ["One.", "Two."]
