"""`astream_events(version="v2")`: LangChain's event sequences and shapes, on the simulator."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from aiochain import UsageError
from aiochain.callbacks import (
    BaseCallbackHandler,
    adispatch_custom_event,
    dispatch_custom_event,
)
from aiochain.chat_models import ChatOpenAI
from aiochain.messages import AIMessage, AIMessageChunk
from aiochain.output_parsers import JsonOutputParser, StrOutputParser
from aiochain.prompts import ChatPromptTemplate
from aiochain.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough
from aiochain.sim import SimServer
from aiochain.tools import tool

from .event_scenarios import scenarios, sequence

StartSim = Callable[..., Awaitable[SimServer]]
RECORDED = json.loads((Path(__file__).parent / "data" / "langchain_events.json").read_text())
LIB = SimpleNamespace(
    ChatOpenAI=ChatOpenAI,
    ChatPromptTemplate=ChatPromptTemplate,
    RunnableLambda=RunnableLambda,
    StrOutputParser=StrOutputParser,
    adispatch_custom_event=adispatch_custom_event,
    tool=tool,
)


async def _events(runnable: Any, value: Any, **options: Any) -> list[dict[str, Any]]:
    return [e async for e in runnable.astream_events(value, version="v2", **options)]


@pytest.mark.parametrize("name", sorted(RECORDED))
async def test_event_sequence_equals_langchains(start_sim: StartSim, name: str) -> None:
    """Each scenario's events (type and name, in order) are those LangChain gave for the same
    code (tests/data/langchain_events.json, recorded by tools/record_langchain_events.py)."""
    server = await start_sim()
    events = await scenarios(LIB, server.base_url)[name]()
    assert sequence(events) == RECORDED[name]


async def test_event_shapes_ids_and_parents(start_sim: StartSim) -> None:
    """Every event has LangChain's keys; children name the root run in parent_ids; the first
    event carries the input, the model's end event the whole message with exact usage, and the
    parser's end event its input and output."""
    server = await start_sim()
    model = ChatOpenAI(model="gpt-4o-mini", base_url=server.base_url, api_key="sk-test")
    chain = ChatPromptTemplate.from_template("Tell me a joke about {topic}") | model
    chain = (chain | StrOutputParser()).with_config(tags=["jokes"], metadata={"user": "ann"})
    events = await _events(chain, {"topic": "bears"})
    keys = {"event", "name", "run_id", "parent_ids", "tags", "metadata", "data"}
    assert all(set(e) == keys for e in events)
    root = events[0]
    assert root["event"] == "on_chain_start" and root["parent_ids"] == []
    assert root["data"] == {"input": {"topic": "bears"}} and "jokes" in root["tags"]
    children = [e for e in events if e["run_id"] != root["run_id"]]
    assert children and all(e["parent_ids"] == [root["run_id"]] for e in children)
    assert all(e["metadata"].get("user") == "ann" for e in events)
    model_events = [e for e in events if e["event"].startswith("on_chat_model")]
    assert {e["run_id"] for e in model_events} == {model_events[0]["run_id"]}
    assert "seq:step:2" in model_events[0]["tags"]
    chunks = [e["data"]["chunk"] for e in model_events if e["event"] == "on_chat_model_stream"]
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    end = model_events[-1]["data"]["output"]
    assert isinstance(end, AIMessage) and end.content == "".join(c.content for c in chunks)
    usage = end.usage_metadata
    assert usage is not None and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage == chunks[-1].usage_metadata  # the server's counts, as the last chunk says
    parser_end = next(e for e in events if e["event"] == "on_parser_end")
    assert parser_end["data"]["output"] == end.content
    assert parser_end["data"]["input"].content == end.content
    assert events[-1]["event"] == "on_chain_end" and "input" not in events[-1]["data"]
    assert events[-1]["data"]["output"] == end.content


async def test_filters_by_name_type_and_tag(start_sim: StartSim) -> None:
    """include_/exclude_ names, types and tags keep and drop events as LangChain's do."""
    server = await start_sim()
    model = ChatOpenAI(base_url=server.base_url, api_key="sk-test")
    prompt = ChatPromptTemplate.from_template("Say {word}")
    chain = prompt | model.with_config(run_name="speaker", tags=["talk"]) | StrOutputParser()

    async def kinds(**options: Any) -> set[str]:
        return {e["event"] for e in await _events(chain, {"word": "hi"}, **options)}

    assert await kinds(include_types=["chat_model"]) == {
        "on_chat_model_start",
        "on_chat_model_stream",
        "on_chat_model_end",
    }
    assert await kinds(include_names=["speaker"]) == await kinds(include_tags=["talk"])
    assert await kinds(include_types=["parser", "prompt"]) == {
        "on_prompt_start",
        "on_prompt_end",
        "on_parser_start",
        "on_parser_stream",
        "on_parser_end",
    }
    everything_but = await kinds(exclude_types=["chain"], exclude_names=["StrOutputParser"])
    assert everything_but == {
        "on_prompt_start",
        "on_prompt_end",
        "on_chat_model_start",
        "on_chat_model_stream",
        "on_chat_model_end",
    }
    assert not await kinds(include_tags=["talk"], exclude_tags=["talk"])


async def test_a_model_called_with_ainvoke_inside_a_lambda_streams_its_tokens(
    start_sim: StartSim,
) -> None:
    """As LangChain's models do under astream_events, a model awaited inside a step streams,
    so its tokens arrive as on_chat_model_stream events under the step's run."""
    server = await start_sim()
    model = ChatOpenAI(base_url=server.base_url, api_key="sk-test")

    async def ask(question: str) -> str:
        return (await model.ainvoke(question)).content

    events = await _events(RunnableLambda(ask), "hello there")
    step = events[0]
    streamed = [e for e in events if e["event"] == "on_chat_model_stream"]
    assert step["name"] == "ask" and len(streamed) > 1
    assert all(e["parent_ids"] == [step["run_id"]] for e in streamed)
    assert events[-1]["data"]["output"] == "".join(e["data"]["chunk"].content for e in streamed)


async def test_parallel_passthrough_and_generator_steps_report_runs() -> None:
    """Parallel branches (tagged map:key:K), passthrough and generator steps are runs of their
    own; a sync function's dispatch_custom_event reaches the stream as on_custom_event."""

    def shout(value: str) -> str:
        dispatch_custom_event("shouting", {"value": value})
        return value.upper()

    async def exclaim(chunks: Any) -> Any:
        async for chunk in chunks:
            yield chunk + "!"

    chain = (
        RunnableParallel(loud=RunnableLambda(shout), same=RunnablePassthrough())
        | RunnableLambda(lambda d: d["loud"] + d["same"])
        | exclaim
    )
    events = await _events(chain, "hi")
    names = {(e["event"], e["name"]) for e in events}
    assert ("on_chain_start", "RunnableParallel<loud,same>") in names
    assert ("on_chain_end", "RunnablePassthrough") in names
    assert ("on_chain_stream", "exclaim") in names
    custom = next(e for e in events if e["event"] == "on_custom_event")
    shout_run = next(e for e in events if e["name"] == "shout")
    assert custom["data"] == {"value": "hi"} and custom["run_id"] == shout_run["run_id"]
    assert "map:key:loud" in shout_run["tags"]
    assert events[-1]["data"]["output"] == "HIhi!"


async def test_tool_events_and_errors_are_raised() -> None:
    """A tool reports on_tool_start/end with its arguments and output; a failing step's error
    is raised from the event loop, as LangChain raises it."""

    @tool
    def divide(a: int, b: int) -> float:
        """Divide a by b."""
        return a / b

    events = await _events(divide, {"a": 6, "b": 3})
    assert [e["event"] for e in events] == ["on_tool_start", "on_tool_end"]
    assert events[0]["data"] == {"input": {"a": 6, "b": 3}}
    assert events[1]["data"]["output"] == 2.0
    with pytest.raises(ZeroDivisionError):
        await _events(RunnableLambda(lambda x: x) | divide, {"a": 1, "b": 0})


async def test_json_parser_streams_partial_objects_in_events(start_sim: StartSim) -> None:
    """on_parser_stream events of a JsonOutputParser carry the growing object."""
    server = await start_sim()
    model = ChatOpenAI(base_url=server.base_url, api_key="sk-test")
    chain = model | JsonOutputParser()
    events = await _events(chain, 'Answer in JSON: {"name": "Ada", "born": 1815}')
    partials = [e["data"]["chunk"] for e in events if e["event"] == "on_parser_stream"]
    assert partials and all(isinstance(p, dict | list) for p in partials)


async def test_custom_event_outside_a_run_is_refused() -> None:
    """adispatch_custom_event with a handler but no run around it is a clear UsageError (as
    LangChain raises); with no handler at all it costs nothing and does nothing."""
    with pytest.raises(UsageError, match="inside a run"):
        await adispatch_custom_event("x", {}, config={"callbacks": [BaseCallbackHandler()]})
    await adispatch_custom_event("x", {})


async def test_unknown_version_is_refused() -> None:
    """Only version="v2" is built; "v1" is refused with a clear error."""
    with pytest.raises(UsageError, match="v2"):
        async for _ in RunnableLambda(lambda x: x).astream_events(1, version="v1"):
            pass


async def test_branches_fallbacks_assign_and_llm_chains_report_their_inner_runs(
    start_sim: StartSim,
) -> None:
    """A branch's conditions and chosen branch, each fallback tried, an assign's parallel
    step and an LLMChain's model call are runs inside their parent's, as in LangChain."""
    from aiochain.chains import LLMChain
    from aiochain.llms import OpenAI
    from aiochain.prompts import PromptTemplate
    from aiochain.runnables import RunnableBranch

    def starts(events: list[dict[str, Any]]) -> list[str]:
        return [e["name"] for e in events if e["event"].endswith("_start")]

    def positive(x: int) -> bool:
        return x > 0

    def double(x: int) -> int:
        return 2 * x

    def fail(x: int) -> int:
        raise ValueError(x)

    branch = RunnableBranch((positive, RunnableLambda(double)), RunnableLambda(lambda x: -x))
    events = await _events(branch, 3)
    assert starts(events) == ["RunnableBranch", "positive", "double"]
    assert events[-1]["data"]["output"] == 6
    assert "branch:1" in next(e for e in events if e["name"] == "double")["tags"]
    fallback = RunnableLambda(fail).with_fallbacks([RunnableLambda(double)])
    events = await _events(fallback, 2)
    assert starts(events) == ["RunnableWithFallbacks", "fail", "double"]
    assign = RunnablePassthrough.assign(twice=RunnableLambda(lambda d: double(d["n"])))
    events = await _events(assign, {"n": 4})
    assert starts(events) == ["RunnableAssign<twice>", "RunnableParallel<twice>", "RunnableLambda"]
    assert events[-1]["data"]["output"] == {"n": 4, "twice": 8}
    server = await start_sim()
    llm = OpenAI(base_url=server.base_url, api_key="sk-test")
    events = await _events(
        LLMChain(llm=llm, prompt=PromptTemplate.from_template("Say {x}")), {"x": "yo"}
    )
    assert [e["event"] for e in events if not e["event"].endswith("_stream")] == [
        "on_chain_start",
        "on_llm_start",
        "on_llm_end",
        "on_chain_end",
    ]
    assert events[2]["event"] == "on_llm_stream"
    llm_end = next(e for e in events if e["event"] == "on_llm_end")
    assert llm_end["data"]["output"]["llm_output"]["token_usage"]["total_tokens"] > 0


async def test_callbacks_given_in_config_hear_the_runs_too() -> None:
    """Handlers given in config= still hear the runs (the event stream is added beside them),
    and a manager given there is left as it was."""
    from aiochain.callbacks import AsyncCallbackManager

    class Starts(BaseCallbackHandler):
        def __init__(self) -> None:
            self.names: list[str] = []

        def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
            self.names.append(kwargs["name"])

    heard = Starts()
    chain = RunnableLambda(lambda x: x + 1) | RunnableLambda(lambda x: x * 2)
    events = await _events(chain, 1, config={"callbacks": [heard]})
    assert events[-1]["data"]["output"] == 4
    assert heard.names == ["RunnableSequence", "RunnableLambda", "RunnableLambda"]
    manager = AsyncCallbackManager([heard], [heard])
    await _events(chain, 1, config={"callbacks": manager})
    assert manager.handlers == manager.inheritable_handlers == [heard]
    assert len(heard.names) == 6
