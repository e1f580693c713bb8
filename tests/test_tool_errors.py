"""ToolException and handle_tool_error / handle_validation_error, from LangChain's docs."""

from __future__ import annotations

import pytest

from aiochain import AiochainError, ChatOpenAI, ConfigurationError, ToolArgumentsError
from aiochain.agents import AgentExecutor, create_tool_calling_agent
from aiochain.messages import ToolMessage
from aiochain.prompts import ChatPromptTemplate
from aiochain.sim import SimServer
from aiochain.tools import StructuredTool, ToolException, tool


def get_weather(city: str) -> int:
    """Get weather for a given city."""
    raise ToolException(f"Error: There is no city by the name of {city}.")


async def test_an_unhandled_tool_exception_raises() -> None:
    """Without handle_tool_error, a ToolException propagates (an AiochainError)."""
    weather = StructuredTool.from_function(func=get_weather)
    with pytest.raises(ToolException, match="foobar") as caught:
        await weather.ainvoke({"city": "foobar"})
    assert isinstance(caught.value, AiochainError)


async def test_handle_tool_error_true_returns_the_message() -> None:
    """handle_tool_error=True answers with the exception's message."""
    weather = StructuredTool.from_function(func=get_weather, handle_tool_error=True)
    assert await weather.ainvoke({"city": "foobar"}) == (
        "Error: There is no city by the name of foobar."
    )


async def test_handle_tool_error_string_and_function() -> None:
    """A string answers with itself; a function answers with what it returns; the attribute
    can be set after construction, as LangChain's users do."""
    weather = StructuredTool.from_function(
        func=get_weather,
        handle_tool_error="There is no such city, but it's probably above 0K there!",
    )
    assert await weather.ainvoke({"city": "foobar"}) == (
        "There is no such city, but it's probably above 0K there!"
    )

    def explain(error: Exception) -> str:
        return f"The following errors occurred during tool execution: `{error.args[0]}`"

    weather.handle_tool_error = explain
    assert await weather.ainvoke({"city": "foobar"}) == (
        "The following errors occurred during tool execution: "
        "`Error: There is no city by the name of foobar.`"
    )


async def test_a_handled_error_answers_a_tool_call_with_a_tool_message() -> None:
    """Invoked with a model's tool call, the handled error is the ToolMessage's content."""

    @tool
    def lookup(term: str) -> str:
        """Look a term up."""
        raise ToolException("no such term")

    lookup.handle_tool_error = True
    call = {"name": "lookup", "args": {"term": "x"}, "id": "call_1", "type": "tool_call"}
    message = await lookup.ainvoke(call)
    assert isinstance(message, ToolMessage)
    assert (message.content, message.tool_call_id) == ("no such term", "call_1")


async def test_only_tool_exceptions_are_handled() -> None:
    """Other exceptions still raise; bad arguments raise unless handle_validation_error."""

    @tool
    def broken(n: int) -> int:
        """Always fails."""
        raise RuntimeError("bug")

    broken.handle_tool_error = True
    with pytest.raises(RuntimeError):
        await broken.ainvoke({"n": 1})
    with pytest.raises(ToolArgumentsError):
        await broken.ainvoke({"n": "one"})
    broken.handle_validation_error = True
    assert await broken.ainvoke({"n": "one"}) == "Tool input validation error"
    with pytest.raises(ConfigurationError):
        StructuredTool.from_function(func=get_weather, handle_tool_error=3)


async def test_the_model_hears_the_handled_error_as_the_tools_answer(sim: SimServer) -> None:
    """In an agent, a handled ToolException reaches the model as the tool's answer and the run
    finishes instead of raising."""
    weather = StructuredTool.from_function(func=get_weather, handle_tool_error=True)
    prompt = ChatPromptTemplate.from_messages(
        [("human", "{input}"), ("placeholder", "{agent_scratchpad}")]
    )
    async with ChatOpenAI(base_url=sim.base_url) as chat:
        agent = create_tool_calling_agent(chat, [weather], prompt)
        executor = AgentExecutor(agent=agent, tools=[weather])
        result = await executor.ainvoke({"input": "get_weather city=foobar"})
    assert result["output"] == (
        "Based on the tools: get_weather: Error: There is no city by the name of foobar.."
    )
    assert sim.stats()["requests_total"] == 2
