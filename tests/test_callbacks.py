"""Callbacks with real handlers against the simulation server: event order, run ids, tokens,
`get_openai_callback` totals, and LangChain's documented custom chain."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from aiochain import ChatOpenAI, LLMChain, OpenAI, PromptTemplate, tool
from aiochain.agents import AgentChain
from aiochain.callbacks import (
    AsyncCallbackHandler,
    AsyncCallbackManagerForChainRun,
    BaseCallbackHandler,
    CallbackManagerForChainRun,
    StdOutCallbackHandler,
    get_openai_callback,
)
from aiochain.chains import Chain
from aiochain.language_models import BaseLanguageModel
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import BasePromptTemplate
from aiochain.sim import SimServer

StartSim = Callable[..., Awaitable[SimServer]]


class Recorder(AsyncCallbackHandler):
    """Records (event, run_id, parent_run_id) for every event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, UUID, UUID | None]] = []
        self.tokens: list[str] = []
        self.ends: list[Any] = []
        self.texts: list[str] = []

    def _add(self, name: str, kwargs: dict[str, Any]) -> None:
        self.events.append((name, kwargs["run_id"], kwargs.get("parent_run_id")))

    async def on_chain_start(self, serialized: Any, inputs: Any, **kw: Any) -> None:
        self._add("chain_start", kw)

    async def on_chain_end(self, outputs: Any, **kw: Any) -> None:
        self._add("chain_end", kw)

    async def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
        self._add("chat_model_start", kw)

    async def on_llm_start(self, serialized: Any, prompts: Any, **kw: Any) -> None:
        self._add("llm_start", kw)

    async def on_llm_new_token(self, token: str, **kw: Any) -> None:
        self.tokens.append(token)

    async def on_llm_end(self, response: Any, **kw: Any) -> None:
        self._add("llm_end", kw)
        self.ends.append(response)

    async def on_tool_start(self, serialized: Any, input_str: str, **kw: Any) -> None:
        self._add("tool_start", kw)

    async def on_tool_end(self, output: Any, **kw: Any) -> None:
        self._add("tool_end", kw)

    async def on_text(self, text: str, **kw: Any) -> None:
        self.texts.append(text)


@tool
async def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"{city}: sunny"


async def test_event_order_of_an_agent_with_a_tool_step(start_sim: StartSim) -> None:
    """A chain whose model calls a tool reports chain, model, tool, model, chain in order,
    and every inner run names the chain's run as its parent."""
    server = await start_sim()
    handler = Recorder()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        agent = AgentChain(llm=chat, tools=[get_weather])
        await agent.ainvoke({"input": "get_weather city=Oslo"}, config={"callbacks": [handler]})
    names = [e[0] for e in handler.events]
    assert names == [
        "chain_start",
        "chat_model_start",
        "llm_end",
        "tool_start",
        "tool_end",
        "chat_model_start",
        "llm_end",
        "chain_end",
    ]
    chain_id = handler.events[0][1]
    assert handler.events[0][2] is None
    assert all(parent == chain_id for _, _, parent in handler.events[1:-1])
    assert handler.events[-1][1] == chain_id
    usage = handler.ends[0].llm_output["token_usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


async def test_nested_chains_have_parent_and_child_run_ids(start_sim: StartSim) -> None:
    """A chain inside a sequential chain is the child of the outer run, and its model call the
    child of the inner run; constructor callbacks hear only their own chain."""
    from aiochain.chains import SimpleSequentialChain

    server = await start_sim()
    handler, own = Recorder(), Recorder()
    async with OpenAI(base_url=server.base_url) as llm:
        inner = LLMChain(llm=llm, prompt=PromptTemplate.from_template("{x}"), callbacks=[own])
        outer = SimpleSequentialChain(chains=[inner])
        await outer.ainvoke({"input": "hello"}, callbacks=[handler])
    (outer_start, inner_start, llm_start, llm_end, inner_end, outer_end) = handler.events
    assert [outer_start[0], inner_start[0], llm_start[0]] == [
        "chain_start",
        "chain_start",
        "llm_start",
    ]
    assert outer_start[2] is None
    assert inner_start[2] == outer_start[1]
    assert llm_start[2] == inner_start[1] and llm_end[1] == llm_start[1]
    assert inner_end[1] == inner_start[1] and outer_end[1] == outer_start[1]
    assert [e[0] for e in own.events] == ["chain_start", "chain_end"]
    assert own.events[0][1] == inner_start[1]


async def test_tokens_reach_handlers_while_streaming(start_sim: StartSim) -> None:
    """astream of a chain with callbacks calls on_llm_new_token for every piece, in order,
    and on_llm_end with the stream's usage; ChatOpenAI(streaming=True) does it on ainvoke."""
    server = await start_sim()
    handler = Recorder()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = PromptTemplate.from_template("{t}") | chat | StrOutputParser()
        pieces = [
            p
            async for p in chain.astream(
                {"t": "one two three four five"}, config={"callbacks": [handler]}
            )
        ]
    assert len(handler.tokens) > 1
    assert "".join(handler.tokens) == "".join(pieces)
    assert handler.ends[-1].llm_output["token_usage"]["completion_tokens"] > 0
    streamed = Recorder()
    async with ChatOpenAI(base_url=server.base_url, streaming=True, callbacks=[streamed]) as chat:
        message = await chat.ainvoke("alpha beta gamma delta")
    assert len(streamed.tokens) > 1 and "".join(streamed.tokens) == message.content


async def test_openai_callback_totals_equal_the_server_stats(start_sim: StartSim) -> None:
    """get_openai_callback over 200 gathered calls, plain and streamed, counts exactly the
    tokens and requests the server saw, and a price for a known model."""
    server = await start_sim()
    async with ChatOpenAI(base_url=server.base_url) as chat:

        async def streamed(i: int) -> str:
            return "".join([c.content async for c in chat.astream(f"stream {i} words here")])

        with get_openai_callback() as cb:
            await asyncio.gather(
                *(chat.ainvoke(f"question {i} " * (i % 7 + 1)) for i in range(100))
            )
            await asyncio.gather(*(streamed(i) for i in range(100)))
    stats = server.stats()
    assert stats["requests_total"] == 200 == cb.successful_requests
    assert cb.prompt_tokens == stats["tokens_in"]
    assert cb.completion_tokens == stats["tokens_out"]
    assert cb.total_tokens == stats["tokens_in"] + stats["tokens_out"]
    expected = (cb.prompt_tokens * 0.15 + cb.completion_tokens * 0.60) / 1_000_000
    assert abs(cb.total_cost - expected) < 1e-12


async def test_openai_callback_async_and_cache_hits(start_sim: StartSim, tmp_path: Any) -> None:
    """`async with get_openai_callback()` works too; an answer from the cache adds nothing."""
    from aiochain.cache import SQLiteCache

    server = await start_sim()
    cache = SQLiteCache(str(tmp_path / "c.db"))
    async with (
        ChatOpenAI(base_url=server.base_url, cache=cache) as chat,
        get_openai_callback() as cb,
    ):
        await chat.ainvoke("same question")
        first = (cb.total_tokens, cb.total_cost, cb.successful_requests)
        await chat.ainvoke("same question")
    assert first[0] > 0 and first[2] == 1
    assert (cb.total_tokens, cb.total_cost, cb.successful_requests) == first
    assert server.stats()["requests_total"] == 1


class MyCustomChain(Chain):
    """LangChain's documented custom chain, unchanged but for the imports."""

    prompt: BasePromptTemplate
    llm: BaseLanguageModel
    output_key: str = "text"

    @property
    def input_keys(self) -> list[str]:
        return self.prompt.input_variables

    @property
    def output_keys(self) -> list[str]:
        return [self.output_key]

    def _call(
        self, inputs: dict[str, Any], run_manager: CallbackManagerForChainRun | None = None
    ) -> dict[str, str]:
        prompt_value = self.prompt.format_prompt(**inputs)
        response = self.llm.generate_prompt(
            [prompt_value], callbacks=run_manager.get_child() if run_manager else None
        )
        if run_manager:
            run_manager.on_text("Log something about this run")
        return {self.output_key: response.generations[0][0].text}

    async def _acall(
        self, inputs: dict[str, Any], run_manager: AsyncCallbackManagerForChainRun | None = None
    ) -> dict[str, str]:
        prompt_value = self.prompt.format_prompt(**inputs)
        response = await self.llm.agenerate_prompt(
            [prompt_value], callbacks=run_manager.get_child() if run_manager else None
        )
        if run_manager:
            await run_manager.on_text("Log something about this run")
        return {self.output_key: response.generations[0][0].text}

    @property
    def _chain_type(self) -> str:
        return "my_custom_chain"


async def test_langchains_documented_custom_chain_runs(start_sim: StartSim, capsys: Any) -> None:
    """The custom chain of LangChain's docs runs with its run-manager arguments: its text and
    its model call reach the handlers, the model call as its child."""
    server = await start_sim()
    handler = Recorder()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = MyCustomChain(
            prompt=PromptTemplate.from_template("tell us a joke about {topic}"), llm=chat
        )
        answer = await chain.arun(
            {"topic": "callbacks"}, callbacks=[handler, StdOutCallbackHandler()]
        )
        plain = await chain.arun({"topic": "callbacks"})
    assert answer == plain == "tell us a joke about callbacks"
    assert handler.texts == ["Log something about this run"]
    names = [e[0] for e in handler.events]
    assert names == ["chain_start", "chat_model_start", "llm_end", "chain_end"]
    assert handler.events[1][2] == handler.events[0][1]
    assert "> Entering new MyCustomChain chain..." in capsys.readouterr().out


def test_custom_chain_sync_call_with_run_manager(sim_in_thread: str) -> None:
    """A chain that only defines the sync `_call(inputs, run_manager)` gets a sync run manager
    whose events reach async handlers."""

    class SyncOnly(MyCustomChain):
        _acall = Chain._acall  # type: ignore[assignment]

    handler = Recorder()
    chat = ChatOpenAI(base_url=sim_in_thread)
    chain = SyncOnly(prompt=PromptTemplate.from_template("say {topic}"), llm=chat)
    assert chain.run(topic="hi", callbacks=[handler]) == "say hi"
    assert handler.texts == ["Log something about this run"]
    assert handler.events[0][0] == "chain_start"


async def test_sync_handlers_and_no_handler_costs_nothing(start_sim: StartSim) -> None:
    """A sync BaseCallbackHandler is called too; a handler that raises is logged, not fatal;
    without handlers a call reports nothing and starts no run."""
    server = await start_sim()
    seen: list[str] = []

    class Sync(BaseCallbackHandler):
        def on_llm_end(self, response: Any, **kw: Any) -> None:
            seen.append(response.generations[0][0].text)

    class Broken(BaseCallbackHandler):
        def on_llm_start(self, *args: Any, **kw: Any) -> None:
            raise RuntimeError("boom")

    async with OpenAI(base_url=server.base_url, callbacks=[Broken(), Sync()]) as llm:
        assert await llm.ainvoke("echo me") == seen[0]
    async with OpenAI(base_url=server.base_url) as llm:
        from aiochain.callbacks._model_runs import traced_call

        assert traced_call(llm, "x", None, {}) is None


async def test_retries_and_errors_reach_the_handlers(scripted: Any) -> None:
    """A 500 then an answer gives on_retry then on_llm_end; a chain whose model fails for good
    ends with on_llm_error and on_chain_error, the error raised as it was."""
    from aiochain import APIStatusError, RetryPolicy

    from .conftest import Reply, completion_json

    events: list[str] = []

    class Errors(AsyncCallbackHandler):
        async def on_retry(self, retry_state: Any, **kw: Any) -> None:
            events.append(f"retry {retry_state.attempt_number}")

        async def on_llm_end(self, response: Any, **kw: Any) -> None:
            events.append("llm_end")

        async def on_llm_error(self, error: BaseException, **kw: Any) -> None:
            events.append(f"llm_error {type(error).__name__}")

        async def on_chain_error(self, error: BaseException, **kw: Any) -> None:
            events.append(f"chain_error {type(error).__name__}")

    server = await scripted(
        [Reply(500, {"error": {"message": "x"}}), Reply(json=completion_json())]
    )
    retry = RetryPolicy(max_retries=1, initial_wait=0.001, max_wait=0.001)
    async with OpenAI(base_url=server.base_url, retry=retry, callbacks=[Errors()]) as llm:
        assert await llm.ainvoke("hi") == "ok"
    assert events == ["retry 1", "llm_end"]
    events.clear()
    broken = await scripted([Reply(400, {"error": {"message": "bad"}})])
    async with OpenAI(base_url=broken.base_url, max_retries=0) as llm:
        chain = LLMChain(llm=llm, prompt=PromptTemplate.from_template("{x}"))
        try:
            await chain.ainvoke({"x": "y"}, config={"callbacks": [Errors()]})
        except APIStatusError as exc:
            assert exc.status_code == 400
    assert events == ["llm_error BadRequestError", "chain_error BadRequestError"]


def test_openai_callback_counts_sync_calls(sim_in_thread: str) -> None:
    """`with get_openai_callback()` around blocking calls counts them too."""
    llm = OpenAI(base_url=sim_in_thread)
    chain = LLMChain(llm=llm, prompt=PromptTemplate.from_template("{x}"))
    with get_openai_callback() as cb:
        chain.invoke({"x": "one two"})
        llm.invoke("three four")
    assert cb.successful_requests == 2 and cb.completion_tokens > 0
    assert cb.total_cost > 0  # gpt-3.5-turbo-instruct has a price


async def test_models_of_your_own_report_their_runs() -> None:
    """A BaseChatModel subclass reports chat-model runs to the callbacks of a call, and its
    agenerate_prompt(callbacks=...) reports one run per prompt."""
    from aiochain.language_models import BaseChatModel
    from aiochain.messages import AIMessage, BaseMessage

    class Echo(BaseChatModel):
        async def _agenerate(
            self, messages: list[BaseMessage], stop: list[str] | None = None, **kw: Any
        ) -> AIMessage:
            return AIMessage(messages[-1].content.upper())

    handler = Recorder()
    assert (await Echo().ainvoke("hey", config={"callbacks": [handler]})).content == "HEY"
    result = await Echo().agenerate_prompt(["a", "b"], callbacks=[handler])
    assert [g[0].text for g in result.generations] == ["A", "B"]
    assert [e[0] for e in handler.events] == ["chat_model_start", "llm_end"] * 3


async def test_tags_and_metadata_reach_child_runs(start_sim: StartSim) -> None:
    """Config tags and metadata reach the chain run and its model run once each; a model's own
    tags stay its own."""
    server = await start_sim()
    seen: list[tuple[str, list[str], dict[str, Any]]] = []

    class Tags(AsyncCallbackHandler):
        async def on_chain_start(self, serialized: Any, inputs: Any, **kw: Any) -> None:
            seen.append(("chain", kw["tags"], kw["metadata"]))

        async def on_llm_start(self, serialized: Any, prompts: Any, **kw: Any) -> None:
            seen.append(("llm", kw["tags"], kw["metadata"]))

    async with OpenAI(base_url=server.base_url, tags=["model-tag"]) as llm:
        chain = LLMChain(llm=llm, prompt=PromptTemplate.from_template("{x}"))
        await chain.ainvoke(
            {"x": "y"}, config={"callbacks": [Tags()], "tags": ["t"], "metadata": {"user": "u1"}}
        )
    (chain_kind, chain_tags, chain_meta), (llm_kind, llm_tags, llm_meta) = seen
    assert (chain_kind, chain_tags, chain_meta) == ("chain", ["t"], {"user": "u1"})
    assert llm_kind == "llm" and llm_tags == ["t", "model-tag"]
    assert llm_meta["user"] == "u1" and llm_meta["ls_model_name"] == "gpt-3.5-turbo-instruct"


async def test_async_iterator_handler_streams_a_chains_tokens(start_sim: StartSim) -> None:
    """LangChain's web back-end pattern: the chain runs in a task while the handler's aiter()
    yields the streaming model's tokens, which join to the answer."""
    from aiochain.callbacks import AsyncIteratorCallbackHandler

    server = await start_sim()
    handler = AsyncIteratorCallbackHandler()
    async with ChatOpenAI(base_url=server.base_url, streaming=True, callbacks=[handler]) as chat:
        chain = LLMChain(llm=chat, prompt=PromptTemplate.from_template("{q}"))
        task = asyncio.create_task(chain.ainvoke({"q": "one two three four five six"}))
        tokens = [token async for token in handler.aiter()]
        result = await task
    assert len(tokens) > 1 and "".join(tokens) == result["text"]


async def test_on_token_models_report_tokens_too(start_sim: StartSim) -> None:
    """A model with on_token= and a handler feeds both, piece by piece, and returns the whole
    answer."""
    server = await start_sim()
    handler, pieces = Recorder(), []
    async with OpenAI(base_url=server.base_url, on_token=pieces.append) as llm:
        text = await llm.ainvoke("red green blue yellow", config={"callbacks": [handler]})
    assert len(pieces) > 1 and pieces == handler.tokens and "".join(pieces) == text
    assert handler.ends[0].llm_output["token_usage"]["completion_tokens"] > 0


async def test_a_lambda_called_with_callbacks_reports_its_run() -> None:
    """RunnableLambda(f).ainvoke(x, {"callbacks": [h]}) reports one chain run, as LangChain
    does; as a step of a sequence it is still reported once, under the sequence."""
    from aiochain.runnables import RunnableLambda

    class Names(AsyncCallbackHandler):
        def __init__(self) -> None:
            self.started: list[str] = []

        async def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
            self.started.append(kwargs.get("name") or "")

    handler = Names()
    reverse = RunnableLambda(lambda word: word[::-1], name="reverse_word")
    assert await reverse.ainvoke("abc", {"callbacks": [handler]}) == "cba"
    assert handler.started == ["reverse_word"]
    handler.started.clear()
    await (reverse | RunnableLambda(str.upper)).ainvoke("abc", {"callbacks": [handler]})
    assert handler.started.count("reverse_word") == 1
    assert await reverse.ainvoke("abc", {"callbacks": []}) == "cba"
