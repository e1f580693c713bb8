"""Output parsers: turn a model's text into a string, JSON, a list or a pydantic object.

A parser is a step of `prompt | llm | parser`; it accepts the text or the chat message the model
returned. A failure raises `OutputParserError` holding the raw text.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any, Generic, TypeVar

from ._exceptions import ConfigurationError, OutputParserError
from ._runnable import Config, PureRunnable
from .messages import BaseMessage

T = TypeVar("T")


class BaseOutputParser(PureRunnable[Any, T], Generic[T]):
    """Parses one model answer; subclasses implement `parse`."""

    def parse(self, text: str) -> T:
        """Parse the model's text.

        Raises:
            OutputParserError: when the text does not have the expected form.
        """
        raise NotImplementedError

    def get_format_instructions(self) -> str:
        """Text to put in the prompt so the model answers in a form this parser reads."""
        return ""

    def invoke(self, input: Any, config: Config = None, **kwargs: Any) -> T:
        """Parse a model's output: a string or a message whose content is parsed."""
        if isinstance(input, BaseMessage):
            return self.parse(input.content)
        if isinstance(input, str):
            return self.parse(input)
        raise OutputParserError(
            f"{type(self).__name__} expects text or a message, got {type(input).__name__}",
            llm_output=repr(input),
        )


class StrOutputParser(BaseOutputParser[str]):
    """Returns the text as it is (the content, for a chat message); streams pass through."""

    def parse(self, text: str) -> str:
        return text

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[str]:
        """Pass each piece through as text, as it arrives."""
        async for chunk in chunks:
            yield chunk.content if isinstance(chunk, BaseMessage) else chunk


_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)


def parse_json_text(text: str) -> Any:
    """Decode JSON from model text, tolerating ```json fences and chatter around the value.

    Raises:
        OutputParserError: when no JSON value can be found.
    """
    candidates = [text.strip()]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.insert(0, fenced.group(1).strip())
    for open_char, close_char in (("{", "}"), ("[", "]")):
        start, end = text.find(open_char), text.rfind(close_char)
        if 0 <= start < end:
            candidates.append(text[start : end + 1])
    error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = error or exc
    raise OutputParserError(f"the model's answer is not valid JSON ({error})", llm_output=text)


class JsonOutputParser(BaseOutputParser[Any]):
    """Decodes a JSON value; ```json fences and text around the value are tolerated."""

    def parse(self, text: str) -> Any:
        return parse_json_text(text)

    def get_format_instructions(self) -> str:
        return "Answer with a single JSON value and nothing else."


class CommaSeparatedListOutputParser(BaseOutputParser[list[str]]):
    """Splits `a, b, c` into `["a", "b", "c"]`."""

    def parse(self, text: str) -> list[str]:
        return [item.strip() for item in text.strip().split(",") if item.strip()]

    def get_format_instructions(self) -> str:
        return "Your response should be a list of comma separated values, eg: `foo, bar, baz`"


class PydanticOutputParser(BaseOutputParser[T]):
    """Decodes JSON and validates it into a pydantic model (pydantic is needed only here).

    Args:
        pydantic_object: the pydantic model class.
    """

    def __init__(self, pydantic_object: type[T]) -> None:
        if not hasattr(pydantic_object, "model_validate"):
            raise ConfigurationError(
                f"PydanticOutputParser needs a pydantic v2 model class, got {pydantic_object!r}"
            )
        self.pydantic_object = pydantic_object

    def parse(self, text: str) -> T:
        import pydantic

        data = parse_json_text(text)
        try:
            return self.pydantic_object.model_validate(data)  # type: ignore[attr-defined, no-any-return]
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(root)"
            raise OutputParserError(
                f"the model's JSON does not fit {self.pydantic_object.__name__}: "
                f"{where}: {first['msg']} ({exc.error_count()} error(s))",
                llm_output=text,
            ) from exc

    def get_format_instructions(self) -> str:
        schema = self.pydantic_object.model_json_schema()  # type: ignore[attr-defined]
        schema.pop("title", None)
        return (
            "Answer with one JSON object that conforms to this JSON schema, and nothing else:\n"
            + json.dumps(schema, ensure_ascii=False)
        )
