"""The rest of LangChain's runnable protocol: listeners, `.map()`, generator steps,
configurable fields and alternatives, and `with_config(max_concurrency=...)` in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from aiochain import ConfigurationError
from aiochain.chat_models import ChatOpenAI
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import PromptTemplate
from aiochain.runnables import (
    ConfigurableField,
    Run,
    RunnableEach,
    RunnableGenerator,
    RunnableLambda,
)
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer, completion_json

StartSim = Callable[..., Awaitable[SimServer]]


async def test_with_listeners_get_the_run() -> None:
    """on_start and on_end get LangChain's Run: id, name, dict inputs and outputs, UTC times."""
    seen: list[tuple[str, Run]] = []

    def add_one(x: int) -> int:
        return x + 1

    step = RunnableLambda(add_one).with_listeners(
        on_start=lambda run: seen.append(("start", run)),
        on_end=lambda run: seen.append(("end", run)),
    )
    assert await step.ainvoke(2) == 3
    assert [kind for kind, _ in seen] == ["start", "end"]
    run = seen[1][1]
    assert seen[0][1] is run and run.name == "add_one" and run.error is None
    assert run.inputs == {"input": 2} and run.outputs == {"output": 3}
    assert isinstance(run.start_time, datetime) and run.end_time is not None
    assert run.start_time.tzinfo is not None and run.end_time >= run.start_time


async def test_with_listeners_on_error_and_config_argument() -> None:
    """on_error gets the run with the traceback text in `error`; a listener taking two
    arguments also gets the call's config."""
    errors: list[Run] = []
    configs: list[Any] = []

    def fail(x: dict[str, int]) -> int:
        raise ValueError("no good")

    step = RunnableLambda(fail).with_listeners(
        on_start=lambda run, config: configs.append(config), on_error=errors.append
    )
    with pytest.raises(ValueError):
        await step.ainvoke({"a": 1}, config={"tags": ["t"]})
    assert errors[0].inputs == {"a": 1} and errors[0].outputs is None
    assert errors[0].error is not None and "ValueError: no good" in errors[0].error
    assert configs[0]["tags"] == ["t"]


async def test_with_alisteners_awaits_async_listeners_also_when_streaming() -> None:
    """with_alisteners awaits async listeners; a stream's outputs are its joined pieces."""
    ends: list[Run] = []

    async def on_end(run: Run) -> None:
        ends.append(run)

    async def words(chunks: AsyncIterator[str]) -> AsyncIterator[str]:
        async for text in chunks:
            for word in text.split():
                yield word + " "

    step = RunnableGenerator(words).with_alisteners(on_end=on_end)
    assert [c async for c in step.astream("a b c")] == ["a ", "b ", "c "]
    assert ends[0].outputs == {"output": "a b c "}


async def test_map_runs_on_each_item_in_order() -> None:
    """`.map()` (RunnableEach) runs the runnable on every item of a list, in order."""
    each = RunnableLambda(lambda x: x * 2).map()
    assert isinstance(each, RunnableEach)
    assert await each.ainvoke([1, 2, 3]) == [2, 4, 6]
    assert await each.ainvoke([]) == []
    chain = RunnableLambda(lambda n: list(range(n))) | RunnableLambda(str).map()
    assert await chain.ainvoke(3) == ["0", "1", "2"]


async def test_map_of_a_model_calls_it_per_item(start_sim: StartSim) -> None:
    """A model's `.map()` sends one request per item."""
    server = await start_sim()
    model = ChatOpenAI(base_url=server.base_url, api_key="sk-test")
    answers = await (model | StrOutputParser()).map().ainvoke(["say one", "say two"])
    assert len(answers) == 2 and all(isinstance(a, str) and a for a in answers)
    assert server.stats()["requests_total"] == 2


async def test_async_generator_function_streams_through_a_chain(start_sim: StartSim) -> None:
    """`model | parser | my_async_gen` streams piece by piece through the generator, as in
    LangChain's how-to (a generator function in a chain becomes a RunnableGenerator)."""
    server = await start_sim(tokens_per_second=1000)
    model = ChatOpenAI(base_url=server.base_url, api_key="sk-test")

    async def shout(chunks: AsyncIterator[str]) -> AsyncIterator[str]:
        async for chunk in chunks:
            yield chunk.upper()

    chain = model | StrOutputParser() | shout
    pieces = [piece async for piece in chain.astream("Tell me a story about a lighthouse")]
    whole = await (model | StrOutputParser()).ainvoke("Tell me a story about a lighthouse")
    assert len([p for p in pieces if p]) > 1
    assert "".join(pieces) == whole.upper()
    assert await chain.ainvoke("Tell me a story about a lighthouse") == whole.upper()


async def test_sync_generator_function_as_a_step() -> None:
    """A sync generator function is a step too: it reads the whole input, its output streams."""

    def split_lines(chunks: Iterator[str]) -> Iterator[str]:
        for text in chunks:
            yield from text.splitlines(keepends=True)

    chain = RunnableLambda(lambda s: s + "\nthree") | split_lines
    assert [c async for c in chain.astream("one\ntwo")] == ["one\n", "two\n", "three"]
    assert await chain.ainvoke("a") == "a\nthree"
    assert await RunnableGenerator(split_lines).ainvoke("x\ny") == "x\ny"


def test_generators_from_sync_code() -> None:
    """invoke / stream work on generator steps from sync code."""

    def split_lines(chunks: Iterator[str]) -> Iterator[str]:
        for text in chunks:
            yield from text.splitlines(keepends=True)

    chain = RunnableLambda(lambda s: s + "\nthree") | split_lines
    assert chain.invoke("a") == "a\nthree"
    assert list(chain.stream("one")) == ["one\n", "three"]


async def test_configurable_fields_set_a_model_field_per_call(
    scripted: Callable[[list[Reply]], Awaitable[ScriptedServer]],
) -> None:
    """`configurable_fields(temperature=ConfigurableField(id=...))` sends the configured value
    in the request when chosen with with_config(configurable=...), the default otherwise."""
    server = await scripted([Reply(json=completion_json("7", chat=True))])
    model = ChatOpenAI(base_url=server.base_url, api_key="sk-test", temperature=0)
    configurable = model.configurable_fields(
        temperature=ConfigurableField(id="llm_temperature", name="LLM Temperature"),
        model_name=ConfigurableField(id="model"),
    )
    hot = configurable.with_config(configurable={"llm_temperature": 0.9, "model": "gpt-4o"})
    assert (await hot.ainvoke("pick a random number")).content == "7"
    assert (await configurable.ainvoke("pick a random number")).content == "7"
    specs = configurable.config_specs  # type: ignore[attr-defined]
    assert [(spec.id, spec.default) for spec in specs] == [
        ("llm_temperature", 0),
        ("model", "gpt-4o-mini"),
    ]
    sent = [(r["temperature"], r["model"]) for r in server.requests]
    assert sent == [(0.9, "gpt-4o"), (0, "gpt-4o-mini")]
    with pytest.raises(ConfigurationError, match="no attribute 'warmth'"):
        model.configurable_fields(warmth=ConfigurableField(id="w"))


async def test_configurable_alternatives_choose_a_runnable_per_call() -> None:
    """`configurable_alternatives` runs the default, or the alternative named in config."""
    prompt = PromptTemplate.from_template("Tell me a joke about {topic}").configurable_alternatives(
        ConfigurableField(id="prompt"),
        default_key="joke",
        poem=PromptTemplate.from_template("Write a short poem about {topic}"),
    )
    chain = prompt | RunnableLambda(lambda value: value.to_string())
    assert await chain.ainvoke({"topic": "bears"}) == "Tell me a joke about bears"
    poem = chain.with_config(configurable={"prompt": "poem"})
    assert await poem.ainvoke({"topic": "bears"}) == "Write a short poem about bears"
    assert (
        await chain.ainvoke({"topic": "cats"}, config={"configurable": {"prompt": "joke"}})
        == "Tell me a joke about cats"
    )
    with pytest.raises(ConfigurationError, match="unknown alternative 'song'"):
        await chain.ainvoke({"topic": "x"}, config={"configurable": {"prompt": "song"}})


async def test_with_config_max_concurrency_caps_a_batch(start_sim: StartSim) -> None:
    """`with_config(max_concurrency=2).abatch(...)` has at most 2 requests in flight (it
    started all at once before)."""
    server = await start_sim(latency=0.05)
    model = ChatOpenAI(base_url=server.base_url, api_key="sk-test")
    answers = await model.with_config(max_concurrency=2).abatch([f"say {i}" for i in range(6)])
    assert len(answers) == 6
    assert server.stats()["max_in_flight"] == 2
    server.reset_stats()
    chain = (model | StrOutputParser()).with_config(max_concurrency=3)
    assert len(await chain.abatch([f"x {i}" for i in range(6)])) == 6
    assert server.stats()["max_in_flight"] == 3
