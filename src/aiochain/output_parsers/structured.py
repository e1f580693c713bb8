"""`StructuredOutputParser` and `ResponseSchema`: LangChain's classic parser of a JSON answer
with named fields, described to the model as a ```json snippet.

    response_schemas = [
        ResponseSchema(name="answer", description="answer to the user's question"),
        ResponseSchema(name="source", description="source used to answer the question"),
    ]
    parser = StructuredOutputParser.from_response_schemas(response_schemas)
    prompt = PromptTemplate(template="...\\n{format_instructions}\\n{question}", ...,
                            partial_variables={"format_instructions":
                                               parser.get_format_instructions()})

The instructions are LangChain's words (`langchain.output_parsers.structured`), so a prompt
moved from LangChain asks the same; `parse` finds the JSON (fenced or not) and checks that
every named field is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._exceptions import OutputParserError
from .base import BaseOutputParser, parse_json_text

_FORMAT_INSTRUCTIONS = """The output should be a markdown code snippet formatted in the \
following schema, including the leading and trailing "```json" and "```":

```json
{
%s
}
```"""

_ONLY_JSON_INSTRUCTIONS = """The output should be formatted as a JSON instance that conforms \
to the JSON schema below.

```json
{
%s
}
```"""


@dataclass
class ResponseSchema:
    """One field of the answer: its name, what it holds, and its type as the model is told."""

    name: str
    description: str
    type: str = "string"


class StructuredOutputParser(BaseOutputParser[dict[str, Any]]):
    """Parses a JSON object with the fields of `response_schemas`.

    Args:
        response_schemas: the fields, in order.
    """

    def __init__(self, response_schemas: Sequence[ResponseSchema]) -> None:
        self.response_schemas = list(response_schemas)

    @classmethod
    def from_response_schemas(
        cls, response_schemas: Sequence[ResponseSchema]
    ) -> StructuredOutputParser:
        """LangChain's constructor."""
        return cls(response_schemas)

    def get_format_instructions(self, only_json: bool = False) -> str:
        """The ```json snippet the model is asked to answer with (LangChain's text)."""
        lines = "\n".join(
            f'\t"{schema.name}": {schema.type}  // {schema.description}'
            for schema in self.response_schemas
        )
        return (_ONLY_JSON_INSTRUCTIONS if only_json else _FORMAT_INSTRUCTIONS) % lines

    def parse(self, text: str) -> dict[str, Any]:
        """The answer's JSON object.

        Raises:
            OutputParserError: when there is no JSON object, or it lacks a named field.
        """
        value = parse_json_text(text)
        if not isinstance(value, dict):
            raise OutputParserError(
                f"the model's answer is not a JSON object: {text[:200]!r}", llm_output=text
            )
        missing = [s.name for s in self.response_schemas if s.name not in value]
        if missing:
            raise OutputParserError(f"the model's JSON lacks {', '.join(missing)}", llm_output=text)
        return value


__all__ = ["ResponseSchema", "StructuredOutputParser"]
