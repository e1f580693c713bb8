"""Output parsers: text, JSON with fences, lists and pydantic models."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from aiochain import (
    AIMessage,
    CommaSeparatedListOutputParser,
    JsonOutputParser,
    OutputParserError,
    PydanticOutputParser,
    StrOutputParser,
)


def test_str_parser_passes_text_and_message_content() -> None:
    """StrOutputParser returns strings as they are and a message's content."""
    parser = StrOutputParser()
    assert parser.invoke("hello") == "hello"
    assert parser.invoke(AIMessage("from model")) == "from model"


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1}',
        '```json\n{"a": 1}\n```',
        '```\n{"a": 1}\n```',
        'Sure! Here it is:\n```json\n{"a": 1}\n```\nAnything else?',
        'The answer is {"a": 1}.',
    ],
)
def test_json_parser_tolerates_fences_and_chatter(text: str) -> None:
    """JSON is found inside fences and surrounding prose."""
    assert JsonOutputParser().parse(text) == {"a": 1}


def test_json_parser_error_keeps_raw_text() -> None:
    """A parse failure raises OutputParserError holding the raw text."""
    with pytest.raises(OutputParserError) as info:
        JsonOutputParser().parse("not json at all")
    assert info.value.llm_output == "not json at all"


def test_list_parser() -> None:
    """Comma-separated text becomes a list of stripped items."""
    parser = CommaSeparatedListOutputParser()
    assert parser.parse(" red, green ,blue,") == ["red", "green", "blue"]
    assert "comma separated" in parser.get_format_instructions()


class Summary(pydantic.BaseModel):
    title: str
    points: list[str]


def test_pydantic_parser_validates_and_instructs() -> None:
    """The pydantic parser returns a model instance and explains the schema in its instructions."""
    parser = PydanticOutputParser(pydantic_object=Summary)
    parsed = parser.parse('```json\n{"title": "T", "points": ["a", "b"]}\n```')
    assert parsed == Summary(title="T", points=["a", "b"])
    instructions = parser.get_format_instructions()
    assert '"points"' in instructions and "JSON schema" in instructions


def test_pydantic_parser_error_names_field() -> None:
    """A validation failure names the field and keeps the raw text."""
    parser = PydanticOutputParser(pydantic_object=Summary)
    with pytest.raises(OutputParserError) as info:
        parser.parse('{"title": "T", "points": "not a list"}')
    assert "points" in str(info.value)
    assert info.value.llm_output == '{"title": "T", "points": "not a list"}'


def test_parser_rejects_other_inputs() -> None:
    """Parsing something that is neither text nor a message is a parse error."""
    with pytest.raises(OutputParserError):
        StrOutputParser().invoke(42)


# --- issue 14 -----------------------------------------------------------------------------


def test_json_parser_with_pydantic_object_puts_the_schema_in_its_instructions() -> None:
    """JsonOutputParser(pydantic_object=...) shows the schema and still returns dicts."""
    parser = JsonOutputParser(pydantic_object=Summary)
    instructions = parser.get_format_instructions()
    assert "JSON schema" in instructions and '"points"' in instructions
    assert '"title"' in instructions
    assert parser.parse('{"title": "T", "points": []}') == {"title": "T", "points": []}
    assert "JSON" in JsonOutputParser().get_format_instructions()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"name": "Ad', {"name": "Ad"}),
        ('{"a": 1, "b', {"a": 1}),
        ('[{"x": [1, 2', [{"x": [1, 2]}]),
        ('```json\n{"ok": tr', {}),
        ('{"s": "line\nbreak', {"s": "line\nbreak"}),
        ("plain words", None),
        ('{"a": 1}}', None),
    ],
)
def test_partial_json(text: str, expected: object) -> None:
    """A prefix of a JSON document parses to what it would be if it ended there."""
    from aiochain.output_parsers._partial_json import parse_partial_json

    assert parse_partial_json(text) == expected


async def test_json_parser_streams_growing_dicts() -> None:
    """Fed a stream of text pieces, JsonOutputParser yields ever more complete dicts, and a
    final answer that is not JSON raises OutputParserError."""
    from aiochain import RunnableLambda

    pieces = ['{"title', '": "Str', 'eams", "points": ["a"', ', "b"]', "}"]

    async def stream() -> Any:
        for piece in pieces:
            yield piece

    parser = JsonOutputParser()
    out = [value async for value in parser.atransform(stream())]
    assert out == [
        {},
        {"title": "Str"},
        {"title": "Streams", "points": ["a"]},
        {"title": "Streams", "points": ["a", "b"]},
    ]

    async def broken() -> Any:
        yield "no json here"

    with pytest.raises(OutputParserError):
        _ = [value async for value in parser.atransform(broken())]
    assert await (RunnableLambda(lambda x: '{"a": [1]}') | parser).ainvoke(0) == {"a": [1]}


def test_xml_parser() -> None:
    """XMLOutputParser gives LangChain's nested shape; DOCTYPEs and junk are refused."""
    from aiochain import XMLOutputParser

    parser = XMLOutputParser(tags=["movies", "movie"])
    text = "Sure:\n```xml\n<movies><movie>Alien</movie><movie>Heat</movie></movies>\n```"
    assert parser.parse(text) == {"movies": [{"movie": "Alien"}, {"movie": "Heat"}]}
    assert "movies" in parser.get_format_instructions()
    with pytest.raises(OutputParserError, match="DOCTYPE"):
        parser.parse('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    with pytest.raises(OutputParserError):
        parser.parse("<open><never-closed></open>")
    with pytest.raises(OutputParserError, match="no XML"):
        parser.parse("none at all")


async def test_json_parser_streams_partial_json_after_a_sentence_before_the_fence() -> None:
    """A model that writes a sentence before its ```json fence still streams partial values
    (the fence's inside is parsed as it grows), and the closing fence and text after it are
    ignored."""
    pieces = [
        "Sure! Here is",
        " the data:\n```",
        'json\n{"name": "A',
        'da", "born": 18',
        "15}\n```\n",
        "Hope it helps.",
    ]

    async def stream() -> Any:
        for piece in pieces:
            yield piece

    out = [value async for value in JsonOutputParser().atransform(stream())]
    assert out == [{"name": "A"}, {"name": "Ada", "born": 18}, {"name": "Ada", "born": 1815}]


def test_structured_output_parser() -> None:
    """StructuredOutputParser (LangChain's classic): its instructions list each field as a
    ```json snippet line, and parsing needs every named field."""
    from aiochain.output_parsers import ResponseSchema, StructuredOutputParser

    parser = StructuredOutputParser.from_response_schemas(
        [
            ResponseSchema(name="answer", description="the answer"),
            ResponseSchema(name="n", description="a count", type="int"),
        ]
    )
    instructions = parser.get_format_instructions()
    assert '\t"answer": string  // the answer' in instructions
    assert '\t"n": int  // a count' in instructions and instructions.count("```") == 4
    assert parser.parse('```json\n{"answer": "x", "n": 2}\n```') == {"answer": "x", "n": 2}
    with pytest.raises(OutputParserError, match="lacks n"):
        parser.parse('{"answer": "x"}')
