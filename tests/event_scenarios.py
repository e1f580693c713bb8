"""Chains whose `astream_events` we compare with LangChain's: the same code runs on either
library (only the names passed in differ), as a LangChain program runs on aiochain with only
its imports changed. `tools/record_langchain_events.py` runs them on LangChain once and writes
tests/data/langchain_events.json; tests/test_event_stream.py runs them on aiochain.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any


def scenarios(lib: SimpleNamespace, base_url: str) -> dict[str, Callable[[], Any]]:
    """name -> a coroutine function returning that scenario's events (dicts)."""

    def model() -> Any:
        return lib.ChatOpenAI(model="gpt-4o-mini", base_url=base_url, api_key="sk-test")

    async def events(runnable: Any, value: Any, **options: Any) -> list[dict[str, Any]]:
        return [e async for e in runnable.astream_events(value, version="v2", **options)]

    @lib.tool
    def multiply(a: int, b: int) -> int:
        """Multiply two integers.

        Args:
            a: the first factor.
            b: the second factor.
        """
        return a * b

    async def prompt_model_parser() -> list[dict[str, Any]]:
        prompt = lib.ChatPromptTemplate.from_template("Tell me a joke about {topic}")
        chain = prompt | model() | lib.StrOutputParser()
        return await events(chain, {"topic": "bears"})

    async def tool_alone() -> list[dict[str, Any]]:
        return await events(multiply, {"a": 6, "b": 7})

    async def tool_call() -> list[dict[str, Any]]:
        async def run_tools(message: Any) -> list[Any]:
            return [await multiply.ainvoke(call) for call in message.tool_calls]

        chain = model().bind_tools([multiply]) | lib.RunnableLambda(run_tools)
        return await events(chain, "Please multiply a=6 b=7")

    async def custom_event() -> list[dict[str, Any]]:
        async def reindex(value: str, config: Any) -> str:
            await lib.adispatch_custom_event("progress", {"done": 1}, config=config)
            return value.upper()

        chain = lib.RunnableLambda(reindex) | lib.RunnableLambda(lambda value: value + "!")
        return await events(chain, "ok")

    async def filtered() -> list[dict[str, Any]]:
        prompt = lib.ChatPromptTemplate.from_template("Tell me a joke about {topic}")
        chain = prompt | model().with_config(tags=["joke"]) | lib.StrOutputParser()
        return await events(chain, {"topic": "cats"}, include_tags=["joke"])

    return {
        "prompt_model_parser": prompt_model_parser,
        "tool_alone": tool_alone,
        "tool_call": tool_call,
        "custom_event": custom_event,
        "filtered_by_tag": filtered,
    }


def sequence(events: list[dict[str, Any]]) -> list[list[str]]:
    """The events as [type, name] pairs, each kind of stream event kept the first time only:
    how many pieces an answer streams in is the server's and the client's choice (OpenAI's
    last chunks, usage, ...), not a difference in the event protocol."""
    pairs: list[list[str]] = []
    streamed: list[list[str]] = []
    for event in events:
        pair = [event["event"], event["name"]]
        if event["event"].endswith("_stream"):
            if pair in streamed:
                continue
            streamed.append(pair)
        pairs.append(pair)
    return pairs
