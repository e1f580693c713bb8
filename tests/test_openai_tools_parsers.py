"""PydanticToolsParser, JsonOutputToolsParser and JsonOutputKeyToolsParser, from LangChain's
documented examples, against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pydantic
import pytest

from aiochain import ChatOpenAI, OutputParserError
from aiochain.messages import AIMessage, AIMessageChunk
from aiochain.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputToolsParser,
    PydanticToolsParser,
)
from aiochain.sim import SimServer


class add(pydantic.BaseModel):
    """Add two integers."""

    a: int = pydantic.Field(..., description="First integer")
    b: int = pydantic.Field(..., description="Second integer")


class multiply(pydantic.BaseModel):
    """Multiply two integers."""

    a: int = pydantic.Field(..., description="First integer")
    b: int = pydantic.Field(..., description="Second integer")


QUESTION = "Use multiply and add with a=3 b=12"


async def test_pydantic_tools_parser(sim: SimServer) -> None:
    """bind_tools | PydanticToolsParser gives one object per call, of the tool's class."""
    async with ChatOpenAI(base_url=sim.base_url) as chat:
        chain = chat.bind_tools([add, multiply]) | PydanticToolsParser(tools=[add, multiply])
        objects = await chain.ainvoke(QUESTION)
        first = await (
            chat.bind_tools([add, multiply])
            | PydanticToolsParser(tools=[add, multiply], first_tool_only=True)
        ).ainvoke(QUESTION)
    assert objects == [add(a=3, b=12), multiply(a=3, b=12)]
    assert first == add(a=3, b=12)


async def test_json_output_tools_parsers(sim: SimServer) -> None:
    """JsonOutputToolsParser gives {"args", "type"} (and "id" on request); the key parser
    gives one tool's arguments."""
    async with ChatOpenAI(base_url=sim.base_url) as chat:
        bound = chat.bind_tools([add, multiply])
        calls = await (bound | JsonOutputToolsParser()).ainvoke(QUESTION)
        with_ids = await (bound | JsonOutputToolsParser(return_id=True)).ainvoke(QUESTION)
        args = await (bound | JsonOutputKeyToolsParser(key_name="multiply")).ainvoke(QUESTION)
        one = await (
            bound | JsonOutputKeyToolsParser(key_name="multiply", first_tool_only=True)
        ).ainvoke(QUESTION)
        streamed = [c async for c in (bound | JsonOutputToolsParser()).astream(QUESTION)]
    assert calls == [
        {"args": {"a": 3, "b": 12}, "type": "add"},
        {"args": {"a": 3, "b": 12}, "type": "multiply"},
    ]
    assert all(call["id"] for call in with_ids)
    assert args == [{"a": 3, "b": 12}]
    assert one == {"a": 3, "b": 12}
    assert streamed[-1] == calls


async def test_streamed_partial_calls_grow() -> None:
    """Fed chunks of a streamed call, the parser yields the arguments parsed so far."""
    pieces = ['{"a": 1', ', "b"', ": 22}"]
    names = ["add", None, None]
    chunks = [
        AIMessageChunk(
            tool_call_chunks=[{"name": name, "id": name and "c1", "args": piece, "index": 0}]
        )
        for name, piece in zip(names, pieces, strict=True)
    ]

    async def source() -> AsyncIterator[AIMessageChunk]:
        for chunk in chunks:
            yield chunk

    seen = [x async for x in JsonOutputToolsParser().atransform(source())]
    assert seen[0] == [{"args": {"a": 1}, "type": "add"}]
    assert seen[-1] == [{"args": {"a": 1, "b": 22}, "type": "add"}]


def test_bad_calls_raise_output_parser_errors() -> None:
    """Undecodable arguments, unknown tools and arguments that do not fit raise
    OutputParserError."""
    bad_json = AIMessage(
        "", tool_calls=[{"id": "1", "name": "add", "args": None, "arguments": "{", "error": "x"}]
    )
    with pytest.raises(OutputParserError):
        JsonOutputToolsParser().invoke(bad_json)
    unknown = AIMessage("", tool_calls=[{"id": "1", "name": "sub", "args": {"a": 1}}])
    with pytest.raises(OutputParserError):
        PydanticToolsParser(tools=[add]).invoke(unknown)
    unfit = AIMessage("", tool_calls=[{"id": "1", "name": "add", "args": {"a": "x"}}])
    with pytest.raises(OutputParserError):
        PydanticToolsParser(tools=[add]).invoke(unfit)
    assert PydanticToolsParser(tools=[add], first_tool_only=True).invoke(AIMessage("hi")) is None


def test_langchains_import_path_works_in_a_fresh_interpreter() -> None:
    """`from aiochain.output_parsers.openai_tools import ...` works as the first import."""
    import subprocess
    import sys

    code = (
        "from aiochain.output_parsers.openai_tools import PydanticToolsParser, "
        "JsonOutputToolsParser, JsonOutputKeyToolsParser; print(PydanticToolsParser.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "PydanticToolsParser"
