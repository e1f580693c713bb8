"""Tools as LangChain users call them (issue 14): tool calls in, ToolMessages out, pydantic
argument schemas, StructuredTool, and the round trip through a tool-calling chat model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import pydantic
import pytest

from aiochain import (
    AIMessage,
    BaseMessage,
    ChatOpenAI,
    HumanMessage,
    StructuredTool,
    ToolMessage,
    tool,
)
from aiochain.runnables import RunnableConfig, RunnableLambda
from aiochain.sim import SimServer
from aiochain.tools import ToolArgumentsError

StartSim = Callable[..., Awaitable[SimServer]]


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers.

    Args:
        a: the first factor.
        b: the second factor.
    """
    return a * b


class SearchArgs(pydantic.BaseModel):
    query: str = pydantic.Field(description="what to look for")
    limit: int = 3


async def search(query: str, limit: int) -> list[str]:
    return [f"{query} #{i}" for i in range(limit)]


async def test_args_return_the_value_and_tool_calls_return_a_tool_message() -> None:
    """ainvoke(args) returns the value; ainvoke(tool_call) returns a ToolMessage answering it."""
    assert await multiply.ainvoke({"a": 6, "b": 7}) == 42
    message = await multiply.ainvoke(
        {"name": "multiply", "args": {"a": 2, "b": 3}, "id": "call_1", "type": "tool_call"}
    )
    assert isinstance(message, ToolMessage)
    assert (message.content, message.tool_call_id, message.name) == ("6", "call_1", "multiply")
    with pytest.raises(ToolArgumentsError, match="missing b"):
        await multiply.ainvoke({"a": 1})


async def test_structured_tool_with_an_args_schema() -> None:
    """StructuredTool.from_function takes a coroutine and a pydantic args_schema, which checks
    and fills the arguments; non-text results become JSON text in a ToolMessage."""
    searcher = StructuredTool.from_function(
        coroutine=search, name="search", description="Search.", args_schema=SearchArgs
    )
    assert searcher.parameters["properties"]["query"]["description"] == "what to look for"
    assert searcher.parameters["required"] == ["query"]
    assert searcher.args["limit"]["default"] == 3
    assert await searcher.ainvoke({"query": "tides"}) == ["tides #0", "tides #1", "tides #2"]
    message = await searcher.ainvoke(
        {"name": "search", "args": {"query": "q", "limit": 1}, "id": "c2", "type": "tool_call"}
    )
    assert message.content == '["q #0"]'
    with pytest.raises(ToolArgumentsError, match="limit"):
        await searcher.ainvoke({"query": "q", "limit": "many"})

    @tool("lookup", args_schema=SearchArgs)
    def lookup(query: str, limit: int) -> str:
        """Look something up."""
        return f"{query}:{limit}"

    assert lookup.name == "lookup" and await lookup.ainvoke({"query": "x"}) == "x:3"


async def test_one_argument_tools_take_a_plain_value() -> None:
    """A tool of one parameter accepts the value itself, as LangChain's do."""

    @tool
    def shout(text: str) -> str:
        """Shout."""
        return text.upper()

    assert await shout.ainvoke("hey") == "HEY"


async def test_tool_messages_round_trip_through_a_chat_model(start_sim: StartSim) -> None:
    """The LangChain loop: the model asks for a tool, tool.ainvoke(call) answers with a
    ToolMessage, and the model's next answer uses the result."""
    server = await start_sim()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        model = chat.bind_tools([multiply])
        messages: list[BaseMessage] = [HumanMessage("Please multiply a=6 b=7")]
        reply = await model.ainvoke(messages)
        assert isinstance(reply, AIMessage) and reply.tool_calls[0]["name"] == "multiply"
        usage = reply.usage_metadata
        assert (
            usage is not None
            and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
        )
        messages.append(reply)
        for call in reply.tool_calls:
            answer = await multiply.ainvoke(call)
            assert answer.tool_call_id == call["id"]
            messages.append(answer)
        final = await model.ainvoke(messages)
    assert final.content == "Based on the tools: multiply: 42."


def test_sync_invoke() -> None:
    """tool.invoke works from sync code, like every runnable."""
    assert multiply.invoke({"a": 1, "b": 1}) == 1


def test_langchain_style_ai_message_tool_calls_serialize() -> None:
    """An AIMessage built with LangChain-style tool calls (args only) is sent with JSON text."""
    message = AIMessage("", tool_calls=[{"name": "multiply", "args": {"a": 1}, "id": "c"}])
    sent = message.to_openai()["tool_calls"][0]
    assert sent["function"] == {"name": "multiply", "arguments": '{"a": 1}'}


def test_annotated_parameters_and_langchain_options() -> None:
    """Annotated[type, "text"] describes a parameter; parse_docstring / return_direct are
    accepted as LangChain spells them."""

    @tool(parse_docstring=True, return_direct=True)
    def add(a: Annotated[int, "First integer"], b: int) -> int:
        """Add two integers.

        Args:
            b: the second one.
        """
        return a + b

    assert add.parameters["properties"] == {
        "a": {"type": "integer", "description": "First integer"},
        "b": {"type": "integer", "description": "the second one."},
    }
    assert add.return_direct and add.description == "Add two integers."


class Multiply(pydantic.BaseModel):
    """Multiply two integers."""

    a: int
    b: int


async def test_bind_tools_takes_schema_classes(start_sim: StartSim) -> None:
    """bind_tools accepts a pydantic class (a described call, as in LangChain); the model's
    call comes back with arguments that fit it."""
    server = await start_sim()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        reply = await chat.bind_tools([Multiply], tool_choice="Multiply").ainvoke("a=3 b=4")
    call = reply.tool_calls[0]
    assert call["name"] == "Multiply" and Multiply(**call["args"]) == Multiply(a=3, b=4)
    with pytest.raises(ToolArgumentsError, match="no function"):
        await chat.bind_tools([Multiply]).tools["Multiply"].ainvoke({"a": 1, "b": 2})


async def test_callbacks_and_config_parameters_are_filled_not_asked_for() -> None:
    """A tool function's `callbacks` / `run_manager` parameters and a parameter annotated
    RunnableConfig are left out of its schema and filled by the call: the callbacks of the
    tool's run, so the runs it starts report under it (LangChain's streaming guide)."""
    reverse = RunnableLambda(lambda word: word[::-1], name="reverse_word")
    seen: list[Any] = []

    @tool
    def correct_tool(word: str, callbacks: Any, config: RunnableConfig) -> str:
        """Reverse a word."""
        seen.append(config.get("tags"))
        return reverse.invoke(word, {"callbacks": callbacks})

    assert list(correct_tool.parameters["properties"]) == ["word"]
    assert await correct_tool.ainvoke({"word": "abc"}) == "cba"
    events = [
        (e["event"], e["name"])
        async for e in correct_tool.astream_events("hello", {"tags": ["t"]}, version="v2")
    ]
    assert events == [
        ("on_tool_start", "correct_tool"),
        ("on_chain_start", "reverse_word"),
        ("on_chain_end", "reverse_word"),
        ("on_tool_end", "correct_tool"),
    ]
    assert seen[-1] == ["t"]


async def test_base_tool_subclass() -> None:
    """A BaseTool subclass (LangChain's custom tools guide): class fields set by keyword,
    `_arun` preferred with its run manager filled (`get_sync()` for `_run`), `run_manager`
    left out of the schema, and an unknown keyword refused."""
    from aiochain import ConfigurationError
    from aiochain.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
    from aiochain.tools import BaseTool

    class Scale(BaseTool):
        name: str = "scale"
        description: str = "Scale a number."
        factor: int = 2

        def _run(self, x: int, run_manager: CallbackManagerForToolRun | None = None) -> int:
            assert isinstance(run_manager, CallbackManagerForToolRun)
            return x * self.factor

        async def _arun(
            self, x: int, run_manager: AsyncCallbackManagerForToolRun | None = None
        ) -> int:
            assert run_manager is not None
            return self._run(x, run_manager=run_manager.get_sync()) + 1

    tool_ = Scale(factor=3)
    assert list(tool_.parameters["properties"]) == ["x"]
    assert await tool_.ainvoke({"x": 2}) == 7
    with pytest.raises(ConfigurationError, match="no field colour"):
        Scale(colour="red")


async def test_content_and_artifact_tools() -> None:
    """A tool with response_format="content_and_artifact" answers arguments with the content
    and a tool call with a ToolMessage holding the artifact; a result that is no pair, or an
    unknown response format, is refused."""
    from aiochain import ConfigurationError, UsageError

    @tool(response_format="content_and_artifact")
    def numbers(size: int) -> tuple[str, list[int]]:
        """Make numbers."""
        return f"made {size}", list(range(size))

    assert await numbers.ainvoke({"size": 3}) == "made 3"
    call = {"name": "numbers", "args": {"size": 2}, "id": "7", "type": "tool_call"}
    message = await numbers.ainvoke(call)
    assert (message.content, message.artifact, message.tool_call_id) == ("made 2", [0, 1], "7")

    @tool(response_format="content_and_artifact")
    def wrong(size: int) -> str:
        """Forget the artifact."""
        return "just text"

    with pytest.raises(UsageError, match="content, artifact"):
        await wrong.ainvoke({"size": 1})
    with pytest.raises(ConfigurationError, match="response_format"):
        tool(response_format="both")(numbers.func)
