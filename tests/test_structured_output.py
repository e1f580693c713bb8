"""chat.with_structured_output (issue 14): what each method sends, and what comes back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypedDict

import pydantic
import pytest

from aiochain import AIMessage, ChatOpenAI, ConfigurationError, OutputParserError, PromptTemplate
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer, completion_json

StartSim = Callable[..., Awaitable[SimServer]]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]

TEXT = "Structured answers help. They parse cleanly. Tests like them."


class Summary(pydantic.BaseModel):
    """A short summary."""

    summary: str


class SummaryDict(TypedDict):
    summary: str


class Weather(pydantic.BaseModel):
    """The weather to look up."""

    city: str
    days: int


async def test_json_schema_with_a_pydantic_class(start_sim: StartSim, scripted: Scripted) -> None:
    """The default method sends response_format json_schema with the model's schema and
    returns an instance."""
    server = await start_sim()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = PromptTemplate.from_template("{text}") | chat.with_structured_output(Summary)
        result = await chain.ainvoke({"text": TEXT})
    assert result == Summary(summary="Structured answers help.")

    recorder = await scripted([Reply(json=completion_json('{"summary": "x"}', chat=True))])
    async with ChatOpenAI(base_url=recorder.base_url) as chat:
        await chat.with_structured_output(Summary, strict=True).ainvoke("hi")
    sent = recorder.requests[0]["response_format"]
    assert sent["type"] == "json_schema"
    spec = sent["json_schema"]
    assert spec["name"] == "Summary" and spec["description"] == "A short summary."
    assert spec["strict"] is True
    assert spec["schema"]["properties"] == {"summary": {"title": "Summary", "type": "string"}}
    assert spec["schema"]["additionalProperties"] is False
    assert spec["schema"]["required"] == ["summary"]


async def test_typed_dict_and_json_schema_dict(start_sim: StartSim) -> None:
    """TypedDicts and JSON-schema dicts give dicts back."""
    server = await start_sim()
    schema = {
        "title": "summary_tool",
        "description": "Summarize.",
        "type": "object",
        "properties": {"summary": {"type": "string"}},
        "required": ["summary"],
    }
    async with ChatOpenAI(base_url=server.base_url) as chat:
        typed = await chat.with_structured_output(SummaryDict).ainvoke(TEXT)
        plain = await chat.with_structured_output(schema).ainvoke(TEXT)
        batch = await chat.with_structured_output(Summary).abatch([TEXT, "One. Two."])
    assert typed == plain == {"summary": "Structured answers help."}
    assert batch == [Summary(summary="Structured answers help."), Summary(summary="One.")]


async def test_function_calling_forces_the_schema_as_a_tool(
    start_sim: StartSim, scripted: Scripted
) -> None:
    """function_calling offers one tool, forces it, and parses its arguments."""
    server = await start_sim()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        weather = await chat.with_structured_output(Weather, method="function_calling").ainvoke(
            "Weather please, city=Lima days=3"
        )
    assert weather == Weather(city="Lima", days=3)

    call = {
        "id": "c9",
        "type": "function",
        "function": {"name": "Weather", "arguments": '{"city": "Oslo", "days": 2}'},
    }
    answer = completion_json("", chat=True)
    answer["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": [call]}
    recorder = await scripted([Reply(json=answer)])
    async with ChatOpenAI(base_url=recorder.base_url) as chat:
        out = await chat.with_structured_output(
            Weather, method="function_calling", include_raw=True
        ).ainvoke("x")
    assert out["parsed"] == Weather(city="Oslo", days=2) and out["parsing_error"] is None
    assert isinstance(out["raw"], AIMessage) and out["raw"].tool_calls[0]["id"] == "c9"
    sent = recorder.requests[0]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}
    assert sent["tools"][0]["function"]["name"] == "Weather"
    assert sent["tools"][0]["function"]["parameters"]["required"] == ["city", "days"]
    assert sent["parallel_tool_calls"] is False


async def test_json_mode_and_parse_failures(scripted: Scripted) -> None:
    """json_mode sends json_object; a bad answer raises OutputParserError with the raw text,
    or lands in parsing_error with include_raw."""
    server = await scripted(
        [
            Reply(json=completion_json('{"summary": 3}', chat=True)),
            Reply(json=completion_json("not json", chat=True)),
            Reply(json=completion_json('{"summary": 3}', chat=True)),
        ]
    )
    async with ChatOpenAI(base_url=server.base_url) as chat:
        with pytest.raises(OutputParserError) as info:
            await chat.with_structured_output(Summary, method="json_mode").ainvoke("a")
        assert info.value.llm_output == '{"summary": 3}'
        with pytest.raises(OutputParserError, match="not valid JSON"):
            await chat.with_structured_output(Summary).ainvoke("b")
        raw = await chat.with_structured_output(Summary, include_raw=True).ainvoke("c")
    assert server.requests[0]["response_format"] == {"type": "json_object"}
    assert raw["parsed"] is None and isinstance(raw["parsing_error"], OutputParserError)
    assert raw["raw"].content == '{"summary": 3}'


def test_bad_arguments_are_refused() -> None:
    """An unknown method, option or schema kind is a ConfigurationError."""
    chat = ChatOpenAI(base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigurationError, match="method"):
        chat.with_structured_output(Summary, method="xml")
    with pytest.raises(ConfigurationError, match="schema"):
        chat.with_structured_output(42)
    with pytest.raises(ConfigurationError, match="option"):
        chat.with_structured_output(Summary, tools=[])
