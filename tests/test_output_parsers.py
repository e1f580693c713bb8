"""Output parsers: text, JSON with fences, lists and pydantic models."""

from __future__ import annotations

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
