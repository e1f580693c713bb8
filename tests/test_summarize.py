"""Summarize chains against the simulation server: requests sent, their order, caps, collapse."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from aiochain import ChatOpenAI, ConfigurationError, OpenAI, PromptTemplate
from aiochain.chains import (
    LLMChain,
    MapReduceDocumentsChain,
    ReduceDocumentsChain,
    StuffDocumentsChain,
    create_stuff_documents_chain,
    load_summarize_chain,
)
from aiochain.documents import Document
from aiochain.sim import SimServer

StartSim = Callable[..., Awaitable[SimServer]]
SUMMARY = 'Write a concise summary of the following:\n\n\n"{text}"\n\n\nCONCISE SUMMARY:'


def words(text: str) -> int:
    return len(text.split())


def documents(count: int) -> list[Document]:
    return [
        Document(
            f"Part {i} opens the topic. Part {i} adds a detail. Part {i} closes it.",
            metadata={"source": "book.txt", "part": i},
        )
        for i in range(count)
    ]


@dataclass
class Recorder:
    """A pass-through in front of the simulation server that keeps every request's JSON."""

    base_url: str
    sim: SimServer
    bodies: list[dict[str, Any]] = field(default_factory=list)

    def prompts(self) -> list[str]:
        """The prompt text of every request, in the order they arrived."""
        return [
            body["messages"][-1]["content"] if "messages" in body else body["prompt"]
            for body in self.bodies
        ]


@pytest.fixture
async def recorder(start_sim: StartSim) -> AsyncIterator[Callable[..., Awaitable[Recorder]]]:
    """Starts recorders, each in front of its own simulation server."""
    runners: list[web.AppRunner] = []
    session = aiohttp.ClientSession()

    async def start(**options: Any) -> Recorder:
        sim = await start_sim(**options)
        state = Recorder(base_url="", sim=sim)

        async def forward(request: web.Request) -> web.Response:
            raw = await request.read()
            state.bodies.append(json.loads(raw))
            target = sim.base_url + request.path.removeprefix("/v1")
            headers = {"Content-Type": "application/json"}
            async with session.post(target, data=raw, headers=headers) as answer:
                return web.Response(
                    status=answer.status,
                    body=await answer.read(),
                    content_type="application/json",
                )

        app = web.Application()
        app.router.add_post("/v1/{tail:.*}", forward)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        state.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
        return state

    yield start
    for runner in runners:
        await runner.cleanup()
    await session.close()


MODELS = [pytest.param(OpenAI, id="completion"), pytest.param(ChatOpenAI, id="chat")]


@pytest.mark.parametrize("model", MODELS)
async def test_stuff_sends_one_request_with_every_document(
    recorder: Callable[..., Awaitable[Recorder]], model: Any
) -> None:
    """Stuff puts every document, in order, into LangChain's prompt, in one request."""
    server = await recorder()
    docs = documents(3)
    async with model(base_url=server.base_url) as llm:
        chain = load_summarize_chain(llm, chain_type="stuff")
        result = await chain.ainvoke({"input_documents": docs})
    joined = "\n\n".join(d.page_content for d in docs)
    assert server.prompts() == [SUMMARY.format(text=joined)]
    # The simulation server answers with the first third of the sentences.
    assert result["output_text"] == (
        '"Part 0 opens the topic. Part 0 adds a detail. Part 0 closes it.'
    )
    assert result["input_documents"] is docs


@pytest.mark.parametrize("model", MODELS)
async def test_map_reduce_maps_each_then_combines_in_input_order(
    recorder: Callable[..., Awaitable[Recorder]], model: Any
) -> None:
    """N documents make N map requests and one combine request whose summaries keep the
    documents' order, though the map answers finish out of order."""
    server = await recorder(latency=0.02, latency_jitter=0.02, seed=5)
    docs = documents(12)
    async with model(base_url=server.base_url) as llm:
        chain = load_summarize_chain(llm, chain_type="map_reduce", return_intermediate_steps=True)
        result = await chain.ainvoke({"input_documents": docs}, return_only_outputs=True)
    prompts = server.prompts()
    assert len(prompts) == 13
    assert sorted(prompts[:12]) == sorted(SUMMARY.format(text=d.page_content) for d in docs)
    steps = result["intermediate_steps"]
    assert steps == [f'"Part {i} opens the topic.' for i in range(12)]
    assert prompts[12] == SUMMARY.format(text="\n\n".join(steps))
    assert set(result) == {"output_text", "intermediate_steps"}


async def test_map_reduce_collapses_while_summaries_exceed_token_max(
    recorder: Callable[..., Awaitable[Recorder]],
) -> None:
    """Summaries over token_max are combined in consecutive groups that fit, level by level,
    until the final prompt fits."""
    server = await recorder()
    docs = [
        Document(" ".join(f"Fact {i}.{j} is stated here." for j in range(9))) for i in range(20)
    ]
    async with ChatOpenAI(base_url=server.base_url) as llm:
        chain = load_summarize_chain(
            llm,
            chain_type="map_reduce",
            token_max=60,
            token_counter=words,
            return_intermediate_steps=True,
        )
        result = await chain.ainvoke({"input_documents": docs})
    steps = result["intermediate_steps"]
    reduces = server.prompts()[20:]
    # Each map answer has 15 words and the prompt adds 9: three answers fit in 60 words. So
    # 20 answers collapse into 7 groups, those into 3, and 3 fit the final prompt.
    assert all(words(step) == 15 for step in steps)
    assert len(reduces) == 7 + 3 + 1
    assert all(words(prompt) <= 60 for prompt in reduces)
    first_level = [SUMMARY.format(text="\n\n".join(steps[k : k + 3])) for k in range(0, 20, 3)]
    assert sorted(reduces[:7]) == sorted(first_level)
    assert "Fact 0.0 is stated here." in result["output_text"]


async def test_collapse_groups_of_one_level_are_sent_together(start_sim: StartSim) -> None:
    """The groups of one collapse level are in flight together (LangChain sends them one by
    one)."""
    sim = await start_sim(latency=0.05)
    summaries = [Document(f"Fact {i}.0 here. Fact {i}.1 here. Fact {i}.2 here.") for i in range(12)]
    async with ChatOpenAI(base_url=sim.base_url) as llm:
        chain = load_summarize_chain(
            llm, chain_type="map_reduce", token_max=40, token_counter=words
        )
        assert isinstance(chain, MapReduceDocumentsChain)
        collapsed = await chain.reduce_documents_chain.acollapse(summaries)
    assert 1 < len(collapsed) < 12
    assert sim.stats()["max_in_flight"] > 1


@pytest.mark.parametrize("model", MODELS)
async def test_refine_is_one_request_after_another(
    recorder: Callable[..., Awaitable[Recorder]], model: Any
) -> None:
    """Refine asks for the first summary, then refines it with each next document, in order,
    each prompt carrying the previous answer."""
    server = await recorder(latency=0.01)
    docs = documents(4)
    async with model(base_url=server.base_url) as llm:
        chain = load_summarize_chain(llm, chain_type="refine", return_intermediate_steps=True)
        result = await chain.ainvoke({"input_documents": docs})
    prompts = server.prompts()
    steps = result["intermediate_steps"]
    assert len(prompts) == 4 and len(steps) == 4
    assert prompts[0] == SUMMARY.format(text=docs[0].page_content)
    for i in range(1, 4):
        assert f"up to a certain point: {steps[i - 1]}\n" in prompts[i]
        assert f"------------\n{docs[i].page_content}\n------------" in prompts[i]
    assert result["output_text"] == steps[-1]
    assert server.sim.stats()["max_in_flight"] == 1


@pytest.mark.parametrize("cap", ["chain", "model"])
async def test_hundred_chunk_map_never_exceeds_the_cap(start_sim: StartSim, cap: str) -> None:
    """A 100-document map step has at most the cap in flight (the chain's `concurrency` or the
    model's `max_concurrency`), and reaches it."""
    sim = await start_sim(latency=0.02)
    docs = documents(100)
    options = {"max_concurrency": 8} if cap == "model" else {}
    async with ChatOpenAI(base_url=sim.base_url, **options) as llm:
        chain = load_summarize_chain(
            llm, chain_type="map_reduce", concurrency=8 if cap == "chain" else None
        )
        await chain.ainvoke({"input_documents": docs})
    stats = sim.stats()
    assert stats["requests_total"] == 101
    assert stats["max_in_flight"] == 8


async def test_custom_prompts_and_llm_chain_construction(
    recorder: Callable[..., Awaitable[Recorder]],
) -> None:
    """map_prompt and combine_prompt are used as given; the classic classes build from
    LLMChains as in LangChain."""
    server = await recorder()
    docs = documents(2)
    async with OpenAI(base_url=server.base_url) as llm:
        map_prompt = PromptTemplate.from_template("Key points:\n\n{text}")
        combine_prompt = PromptTemplate.from_template("Merge these:\n\n{text}")
        chain = load_summarize_chain(
            llm, chain_type="map_reduce", map_prompt=map_prompt, combine_prompt=combine_prompt
        )
        await chain.arun(docs)
        manual = MapReduceDocumentsChain(
            llm_chain=LLMChain(llm=llm, prompt=map_prompt),
            reduce_documents_chain=ReduceDocumentsChain(
                combine_documents_chain=StuffDocumentsChain(
                    llm_chain=LLMChain(llm=llm, prompt=combine_prompt),
                    document_variable_name="text",
                )
            ),
            document_variable_name="text",
        )
        await manual.arun(input_documents=docs)
    prompts = server.prompts()
    assert prompts[:2] == [f"Key points:\n\n{d.page_content}" for d in docs]
    assert prompts[2].startswith("Merge these:\n\nPart 0 opens the topic.\n\nPart 1")
    assert prompts[3:] == prompts[:3]


async def test_create_stuff_documents_chain(recorder: Callable[..., Awaitable[Recorder]]) -> None:
    """The current constructor formats each document, joins them, and returns a string."""
    server = await recorder()
    prompt = PromptTemplate.from_template("Answer {question} from:\n\n{context}")
    async with ChatOpenAI(base_url=server.base_url) as llm:
        chain = create_stuff_documents_chain(
            llm, prompt, document_prompt=PromptTemplate.from_template("[{part}] {page_content}")
        )
        answer = await chain.ainvoke({"context": documents(2), "question": "what"})
    assert isinstance(answer, str)
    assert server.prompts() == [
        "Answer what from:\n\n[0] Part 0 opens the topic. Part 0 adds a detail. Part 0 closes "
        "it.\n\n[1] Part 1 opens the topic. Part 1 adds a detail. Part 1 closes it."
    ]


def test_sync_run_from_plain_code(sim_in_thread: str) -> None:
    """`chain.run(docs)` and `chain(...)` work from sync code, as in LangChain."""
    llm = OpenAI(base_url=sim_in_thread)
    chain = load_summarize_chain(llm, chain_type="map_reduce")
    assert chain.run(documents(3)) == '""Part 0 opens the topic.'
    single = chain({"input_documents": documents(1)})["output_text"]
    assert single.startswith('""Part 0 opens the topic.')


def test_bad_arguments_are_configuration_errors() -> None:
    """Unknown chain types, prompts without the documents' variable, and a single document
    over token_max are ConfigurationErrors."""
    llm = ChatOpenAI(base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigurationError, match="unknown chain_type 'mapreduce'"):
        load_summarize_chain(llm, chain_type="mapreduce")
    with pytest.raises(ConfigurationError, match="'text' is not a variable"):
        load_summarize_chain(llm, prompt=PromptTemplate.from_template("{doc}"))
    with pytest.raises(ConfigurationError, match="'context' variable"):
        create_stuff_documents_chain(llm, PromptTemplate.from_template("{text}"))
    with pytest.raises(ConfigurationError, match="concurrency"):
        load_summarize_chain(llm, chain_type="map_reduce", concurrency=0)


async def test_one_summary_over_token_max_is_refused(start_sim: StartSim) -> None:
    """A single summary whose prompt alone exceeds token_max cannot be collapsed: a clear
    error instead of an endless loop."""
    sim = await start_sim()
    async with ChatOpenAI(base_url=sim.base_url) as llm:
        chain = load_summarize_chain(
            llm, chain_type="map_reduce", token_max=10, token_counter=words
        )
        with pytest.raises(ConfigurationError, match="exceeds token_max=10"):
            await chain.ainvoke({"input_documents": documents(3)})
