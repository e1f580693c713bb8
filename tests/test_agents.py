"""Tools and the agent loop, against the simulation server and scripted real servers."""

from __future__ import annotations

import asyncio
import enum
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import openai
import pytest

from aiochain import (
    AgentChain,
    ChatOpenAI,
    ConfigurationError,
    MaxStepsError,
    RetryPolicy,
    Tool,
    ToolArgumentsError,
    tool,
)
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer

StartSim = Callable[..., Awaitable[SimServer]]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


@tool
async def get_weather(city: str, days: int = 1, unit: Unit = Unit.C) -> str:
    """Weather forecast for a city.

    Args:
        city: the city's name.
        days: how many days ahead,
            counting today.
        unit: the temperature unit.
    """
    return f"{city}: sunny for {days} day(s) in {unit.value if isinstance(unit, Unit) else unit}"


# --- tools --------------------------------------------------------------------------------------


def test_schema_from_signature_and_docstring() -> None:
    """The JSON schema comes from type hints; descriptions from the docstring."""
    assert get_weather.name == "get_weather"
    assert get_weather.description == "Weather forecast for a city."
    assert get_weather.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "the city's name."},
            "days": {
                "type": "integer",
                "description": "how many days ahead, counting today.",
                "default": 1,
            },
            "unit": {
                "enum": ["celsius", "fahrenheit"],
                "description": "the temperature unit.",
                "default": "celsius",
            },
        },
        "required": ["city"],
    }

    @tool(name="lookup", description="Look things up.")
    def search(
        terms: list[str], mode: Literal["fast", "deep"] = "fast", limit: int | None = None
    ) -> list[str]:
        return terms

    assert search.name == "lookup"
    assert search.parameters["properties"]["terms"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    assert search.parameters["properties"]["mode"] == {"enum": ["fast", "deep"], "default": "fast"}
    assert search.parameters["properties"]["limit"] == {"type": "integer"}
    assert search.to_openai()["function"]["name"] == "lookup"


def test_tools_refuse_what_has_no_schema() -> None:
    """Missing type hints, *args and unsupported types are refused at decoration."""

    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(ConfigurationError, match="type hint"):
        tool(untyped)
    with pytest.raises(ConfigurationError, match="tool name"):
        tool(lambda x: x)
    with pytest.raises(ConfigurationError, match=r"\*args"):

        @tool
        def many(*values: int) -> int:
            return 0

    with pytest.raises(ConfigurationError, match="no JSON schema"):

        @tool
        def odd(value: complex) -> None:
            return None


async def test_arguments_are_checked() -> None:
    """Missing, unknown and mistyped arguments are reported by name."""
    with pytest.raises(ToolArgumentsError) as info:
        await get_weather.ainvoke({"days": "three", "planet": "Mars"})
    message = str(info.value)
    assert "missing city" in message and "unknown planet" in message and "days should be" in message
    assert await get_weather.ainvoke({"city": "Oslo"}) == "Oslo: sunny for 1 day(s) in celsius"


async def test_bind_tools_sends_tools_and_choice(scripted: Scripted) -> None:
    """bind_tools puts the tool schemas and tool_choice in the request."""
    answer = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                        }
                    ],
                },
            }
        ]
    }
    server = await scripted([Reply(json=answer)])
    async with ChatOpenAI(base_url=server.base_url) as chat:
        reply = await chat.bind_tools([get_weather], tool_choice="get_weather").ainvoke("Rome?")
    assert reply.tool_calls == [
        {
            "id": "c1",
            "name": "get_weather",
            "arguments": '{"city": "Rome"}',
            "args": {"city": "Rome"},
            "type": "tool_call",
        }
    ]
    sent = server.requests[0]
    assert sent["tools"] == [get_weather.to_openai()]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


# --- the agent loop -----------------------------------------------------------------------------


async def test_three_tools_of_a_step_run_at_once(start_sim: StartSim) -> None:
    """A step asking for three tools that each take 1 s runs them together, not one by one."""
    server = await start_sim()

    def slow(name: str) -> Tool:
        async def run(topic: str) -> str:
            await asyncio.sleep(1.0)
            return f"{name} knows {topic}"

        return Tool(run, name=name, description=f"Ask {name}.")

    async with ChatOpenAI(base_url=server.base_url) as chat:
        agent = AgentChain(llm=chat, tools=[slow("alpha"), slow("beta"), slow("gamma")])
        result = await agent.ainvoke({"input": "Ask alpha, beta and gamma about topic=tides."})
    transcript = result["transcript"]
    calls = transcript.steps[0].tool_calls
    assert [c.name for c in calls] == ["alpha", "beta", "gamma"]
    # All three were running at once: each started before any finished.
    assert max(c.started for c in calls) < min(c.finished for c in calls)
    assert result["output"] == (
        "Based on the tools: alpha: alpha knows tides; beta: beta knows tides; "
        "gamma: gamma knows tides."
    )
    assert len(transcript.steps) == 2
    assert transcript.usage.requests == 2
    assert server.stats()["requests_total"] == 2


async def test_agent_amap_respects_the_concurrency_cap(start_sim: StartSim) -> None:
    """amap of an agent over 50 inputs never has more model calls in flight than the cap."""
    server = await start_sim(latency=0.02)
    async with ChatOpenAI(base_url=server.base_url, max_concurrency=4) as chat:
        agent = AgentChain(llm=chat, tools=[get_weather])
        results = await agent.amap(
            [{"input": f"get_weather city=Town{i}"} for i in range(50)], concurrency=20
        )
    assert [r["output"] for r in results][7] == (
        "Based on the tools: get_weather: Town7: sunny for 1 day(s) in celsius."
    )
    stats = server.stats()
    assert stats["requests_total"] == 100
    assert stats["max_in_flight"] == 4


async def test_failing_and_hanging_tools_become_model_visible_errors(start_sim: StartSim) -> None:
    """A tool that raises and one that hangs past tool_timeout end in error messages the model
    sees; the run still finishes."""
    server = await start_sim()

    @tool
    async def broken(x: str) -> str:
        """Always fails."""
        raise ValueError("the database is down")

    @tool
    async def stuck(x: str) -> str:
        """Never answers."""
        await asyncio.sleep(3600)
        return "never"

    async with ChatOpenAI(base_url=server.base_url) as chat:
        agent = AgentChain(llm=chat, tools=[broken, stuck], tool_timeout=0.2)
        output = await agent.arun("Use broken and stuck.")
    assert output == (
        "Based on the tools: broken: error: ValueError: the database is down; "
        "stuck: error: the tool timed out after 0.2 s."
    )
    calls = agent.last_transcript.tool_calls  # type: ignore[union-attr]
    assert [c.ok for c in calls] == [False, False]


def tool_call_answer(name: str, arguments: str) -> dict[str, Any]:
    return {
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                },
            }
        ]
    }


@pytest.mark.parametrize(
    ("name", "arguments", "error"),
    [
        ("teleport", '{"city": "Oslo"}', "error: unknown tool 'teleport'; available: get_weather"),
        ("get_weather", '{"city": "Os', "error: arguments are not valid JSON"),
        ("get_weather", '{"town": "Oslo"}', "error: bad arguments for get_weather: missing city"),
    ],
)
async def test_unknown_tools_and_malformed_arguments(
    scripted: Scripted, name: str, arguments: str, error: str
) -> None:
    """Unknown tool names and malformed or mismatched arguments go back to the model as errors."""
    final = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Sorry."},
            }
        ]
    }
    server = await scripted([Reply(json=tool_call_answer(name, arguments)), Reply(json=final)])
    async with ChatOpenAI(base_url=server.base_url) as chat:
        agent = AgentChain(llm=chat, tools=[get_weather])
        assert await agent.arun("Weather in Oslo?") == "Sorry."
    tool_message = server.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert tool_message["content"].startswith(error)
    assistant = server.requests[1]["messages"][-2]
    assert assistant["tool_calls"][0]["function"] == {"name": name, "arguments": arguments}


async def test_a_sleeping_sync_tool_does_not_stall_the_loop(start_sim: StartSim) -> None:
    """A sync tool that sleeps runs in a thread: a concurrent task keeps its pace."""
    server = await start_sim()

    @tool
    def sleepy(x: str) -> str:
        """Blocks for half a second."""
        time.sleep(0.5)
        return "rested"

    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            before = time.monotonic()
            await asyncio.sleep(0.01)
            lags.append(time.monotonic() - before - 0.01)

    async with ChatOpenAI(base_url=server.base_url) as chat:
        agent = AgentChain(llm=chat, tools=[sleepy])
        ticking = asyncio.create_task(ticker())
        output = await agent.arun("Call sleepy now.")
        stop.set()
        await ticking
    assert output == "Based on the tools: sleepy: rested."
    assert len(lags) > 10
    assert max(lags) < 0.25  # a blocking tool would have stalled it for 0.5 s


async def test_max_steps_stops_a_model_that_never_stops(start_sim: StartSim) -> None:
    """With tool_choice="required" the model calls tools forever; max_steps ends the run."""
    server = await start_sim()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        agent = AgentChain(llm=chat, tools=[get_weather], max_steps=3, tool_choice="required")
        with pytest.raises(MaxStepsError) as info:
            await agent.arun("Weather in city=Lima.")
    transcript = info.value.transcript
    assert len(transcript.steps) == 3
    assert transcript.output is None
    assert server.stats()["requests_total"] == 3


async def test_streamed_tool_calls_are_parsed(start_sim: StartSim) -> None:
    """Tool calls arriving as stream deltas are assembled (the on_token path)."""
    server = await start_sim()
    pieces: list[str] = []
    async with ChatOpenAI(base_url=server.base_url, on_token=pieces.append) as chat:
        bound = chat.bind_tools([get_weather])
        reply = await bound.ainvoke("get_weather city=Quito days=2")
        agent = AgentChain(llm=chat, tools=[get_weather])
        output = await agent.arun("get_weather city=Lima")
    assert reply.tool_calls[0]["name"] == "get_weather"
    assert reply.tool_calls[0]["args"] == {"city": "Quito", "days": 2, "unit": "celsius"}
    assert output == "Based on the tools: get_weather: Lima: sunny for 1 day(s) in celsius."
    assert "".join(pieces).endswith(output)


async def test_openai_package_parses_tool_calls(start_sim: StartSim) -> None:
    """The official client parses the server's tool-call answers, plain and streamed."""
    server = await start_sim()
    tools: Any = [get_weather.to_openai()]
    messages: Any = [{"role": "user", "content": "get_weather city=Paris"}]
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        reply = await c.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=tools)
        calls = reply.choices[0].message.tool_calls
        assert reply.choices[0].finish_reason == "tool_calls"
        assert calls is not None and calls[0].function.name == "get_weather"  # type: ignore[union-attr]
        assert json.loads(calls[0].function.arguments)["city"] == "Paris"  # type: ignore[union-attr]
        stream = await c.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=tools, stream=True
        )
        arguments = ""
        async for chunk in stream:
            for delta_call in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
                arguments += delta_call.function.arguments or ""  # type: ignore[union-attr]
        assert json.loads(arguments)["city"] == "Paris"
        follow_up = [
            *messages,
            reply.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": calls[0].id, "content": "Paris: rain"},
        ]
        final = await c.chat.completions.create(
            model="gpt-4o-mini", messages=follow_up, tools=tools
        )
    assert final.choices[0].message.content == "Based on the tools: get_weather: Paris: rain."


def test_agent_options_are_checked() -> None:
    """Bad agent options are configuration errors."""
    chat = ChatOpenAI(base_url="http://127.0.0.1:9/v1", retry=RetryPolicy(max_retries=0))
    with pytest.raises(ConfigurationError):
        AgentChain(llm=chat, tools=[get_weather], max_steps=0)
    with pytest.raises(ConfigurationError, match="unique"):
        AgentChain(llm=chat, tools=[get_weather, get_weather])


@pytest.mark.parametrize("tool_timeout", [None, 30.0])
async def test_a_tools_own_timeout_error_is_reported_as_its_error(
    start_sim: StartSim, tool_timeout: float | None
) -> None:
    """A tool that raises its own TimeoutError ends in that error's message, with or without a
    tool_timeout; it is not mistaken for the agent's timeout (nor crashes formatting None)."""
    server = await start_sim()

    @tool
    async def slow_database(x: str) -> str:
        """Queries a database that times out."""
        raise TimeoutError("the database did not answer")

    async with ChatOpenAI(base_url=server.base_url) as chat:
        agent = AgentChain(llm=chat, tools=[slow_database], tool_timeout=tool_timeout)
        output = await agent.arun("Use slow_database.")
    assert output == (
        "Based on the tools: slow_database: error: TimeoutError: the database did not answer."
    )


def test_a_misspelt_agent_option_is_refused() -> None:
    """An option AgentChain does not know (a typo) is a ConfigurationError naming it."""
    chat = ChatOpenAI(base_url="http://127.0.0.1:1/v1")
    with pytest.raises(ConfigurationError, match="max_step"):
        AgentChain(llm=chat, tools=[get_weather], max_step=3)
