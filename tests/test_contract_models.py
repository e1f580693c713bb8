"""The model contract, as a matrix: every model class (ours on each provider, and a user's own
`BaseChatModel`) times every entry point (invoke, ainvoke, generate, agenerate, batch, abatch,
stream, astream, LLMChain.arun / apply), plain and with `streaming=True`, against one shared
simulation server.

For every cell: the callbacks fire in LangChain's order for every model run
(`on_chat_model_start` / `on_llm_start`, then tokens when streaming, then `on_llm_end`), one
run per prompt; and `get_openai_callback`'s totals and a `RunStats` equal what the server
counted in `/stats` (requests, prompt and completion tokens). The map live / --batch / --ray
columns are in their own file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aiochain import RunStats
from aiochain.callbacks import BaseCallbackHandler, get_openai_callback
from aiochain.chains import LLMChain
from aiochain.chat_models import (
    AzureChatOpenAI,
    ChatAnthropic,
    ChatGoogleGenerativeAI,
    ChatOpenAI,
)
from aiochain.language_models import BaseChatModel
from aiochain.llms import OpenAI
from aiochain.messages import AIMessage, BaseMessage, HumanMessage
from aiochain.prompts import PromptTemplate
from aiochain.runnables._runner import amap
from aiochain.sim import SimServer

TOPICS = ["asyncio", "rate limits"]
PROMPTS = [f"Say something about {topic}." for topic in TOPICS]


class EventLog(BaseCallbackHandler):
    """Every model-run event, in order, with its run id."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def on_llm_start(self, serialized: Any, prompts: Any, **kw: Any) -> None:
        self.events.append(("on_llm_start", kw["run_id"]))

    def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
        self.events.append(("on_chat_model_start", kw["run_id"]))

    def on_llm_new_token(self, token: str, **kw: Any) -> None:
        self.events.append(("on_llm_new_token", kw["run_id"]))

    def on_llm_end(self, response: Any, **kw: Any) -> None:
        self.events.append(("on_llm_end", kw["run_id"]))

    def on_llm_error(self, error: BaseException, **kw: Any) -> None:
        self.events.append(("on_llm_error", kw["run_id"]))

    def runs(self) -> dict[Any, list[str]]:
        out: dict[Any, list[str]] = {}
        for name, run_id in self.events:
            out.setdefault(run_id, []).append(name)
        return out


class Wrapped(BaseChatModel):
    """A user's own chat model: it adds a system message and asks one of our models."""

    def __init__(self, inner: ChatOpenAI, callbacks: Any = None) -> None:
        self.inner = inner
        self.callbacks = callbacks

    async def _agenerate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> AIMessage:
        return await self.inner.ainvoke(messages, stop=stop)


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    """One simulation server on its own thread for the whole matrix."""
    sim = SimServer()
    with sim.serve_in_thread():
        yield sim


def make_model(kind: str, sim: SimServer, streaming: bool, handler: EventLog) -> Any:
    options: dict[str, Any] = {"streaming": streaming, "callbacks": [handler]}
    if kind == "ChatOpenAI":
        return ChatOpenAI(base_url=sim.base_url, **options)
    if kind == "ChatOpenAI(responses)":
        return ChatOpenAI(base_url=sim.base_url, use_responses_api=True, **options)
    if kind == "OpenAI":
        return OpenAI(base_url=sim.base_url, **options)
    if kind == "AzureChatOpenAI":
        return AzureChatOpenAI(
            azure_endpoint=sim.root_url,
            azure_deployment="gpt-4o-mini",
            api_version="2024-10-21",
            api_key="azure-test-key",
            **options,
        )
    if kind == "ChatAnthropic":
        return ChatAnthropic(
            base_url=sim.root_url, model="claude-haiku-4-5", api_key="anthropic-test-key", **options
        )
    if kind == "ChatGoogleGenerativeAI":
        return ChatGoogleGenerativeAI(
            base_url=sim.root_url, model="gemini-2.5-flash", google_api_key="gemini-key", **options
        )
    assert kind == "BaseChatModel"
    return Wrapped(ChatOpenAI(base_url=sim.base_url, streaming=streaming), callbacks=[handler])


def prompts_for(model: Any) -> list[Any]:
    """LangChain's shapes: message lists for chat models' generate, strings for LLMs."""
    if isinstance(model, OpenAI):
        return list(PROMPTS)
    return [[HumanMessage(p)] for p in PROMPTS]


async def drain(iterator: Any) -> list[Any]:
    return [piece async for piece in iterator]


def chain_of(model: Any) -> LLMChain:
    return LLMChain(llm=model, prompt=PromptTemplate.from_template("Say something about {topic}."))


async def settled_stats(server: SimServer) -> dict[str, Any]:
    """The server's counters once its handlers are done (a stream's handler counts it a
    moment after the client has read its last event)."""
    for _ in range(500):
        stats = server.stats()
        if stats["in_flight"] == 0:
            return stats
        await asyncio.sleep(0.01)
    raise AssertionError(f"the server still has requests in flight: {server.stats()}")


# entry point -> (how to call it, how many model runs it makes)
ENTRIES: dict[str, tuple[Callable[[Any], Any], int]] = {
    "invoke": (lambda m: asyncio.to_thread(m.invoke, PROMPTS[0]), 1),
    "ainvoke": (lambda m: m.ainvoke(PROMPTS[0]), 1),
    "generate": (lambda m: asyncio.to_thread(m.generate, prompts_for(m)), 2),
    "agenerate": (lambda m: m.agenerate(prompts_for(m)), 2),
    "batch": (lambda m: asyncio.to_thread(m.batch, PROMPTS), 2),
    "abatch": (lambda m: m.abatch(PROMPTS), 2),
    "stream": (lambda m: asyncio.to_thread(lambda: list(m.stream(PROMPTS[0]))), 1),
    "astream": (lambda m: drain(m.astream(PROMPTS[0])), 1),
    "LLMChain.arun": (lambda m: chain_of(m).arun(topic=TOPICS[0]), 1),
    "LLMChain.apply": (
        lambda m: asyncio.to_thread(chain_of(m).apply, [{"topic": t} for t in TOPICS]),
        2,
    ),
}
MODELS = [
    "ChatOpenAI",
    "ChatOpenAI(responses)",
    "OpenAI",
    "AzureChatOpenAI",
    "ChatAnthropic",
    "ChatGoogleGenerativeAI",
    "BaseChatModel",
]
CHAT = set(MODELS) - {"OpenAI"}


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streaming"])
@pytest.mark.parametrize("entry", list(ENTRIES))
@pytest.mark.parametrize("kind", MODELS)
async def test_model_contract(server: SimServer, kind: str, entry: str, streaming: bool) -> None:
    """Callbacks fire in LangChain's order, one run per prompt, and get_openai_callback and a
    RunStats count exactly the requests and tokens the server counted."""
    handler = EventLog()
    model = make_model(kind, server, streaming, handler)
    call, runs = ENTRIES[entry]
    server.reset_stats()
    stats = RunStats()
    with get_openai_callback() as cb:
        await amap(lambda _: call(model), [0], concurrency=1, progress=stats)
    seen = await settled_stats(server)

    # Callbacks: one run per prompt, each start -> (tokens) -> end.
    start = "on_chat_model_start" if kind in CHAT else "on_llm_start"
    by_run = handler.runs()
    assert len(by_run) == runs, handler.events
    # Our models stream to the handlers when asked to (`streaming=True`) or when streamed;
    # a user's model without `_astream` answers whole, as in LangChain.
    tokens = kind != "BaseChatModel" and (streaming or entry in ("stream", "astream"))
    for events in by_run.values():
        assert events[0] == start and events[-1] == "on_llm_end", events
        middle = set(events[1:-1])
        assert middle == ({"on_llm_new_token"} if tokens else set()), events

    # Counts: the server's, exactly, in both the callback's totals and the run's stats.
    assert seen["requests_total"] == runs
    assert cb.successful_requests == runs == stats.requests
    assert cb.prompt_tokens == seen["tokens_in"] == stats.prompt_tokens > 0
    assert cb.completion_tokens == seen["tokens_out"] == stats.completion_tokens > 0
    assert cb.total_tokens == seen["tokens_in"] + seen["tokens_out"]
