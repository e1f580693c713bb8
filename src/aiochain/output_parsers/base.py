"""Output parsers: turn a model's text into a string, JSON, a list or a pydantic object.

A parser is a step of `prompt | llm | parser`; it accepts the text or the chat message the model
returned. A failure raises `OutputParserError` holding the raw text.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import AsyncIterator
from typing import Any, Generic, TypeVar

from .. import _json
from .._exceptions import ConfigurationError, OutputParserError
from ..messages import BaseMessage
from ..runnables.base import Config, PureRunnable
from ._partial_json import parse_partial_json

T = TypeVar("T")


class BaseOutputParser(PureRunnable[Any, T], Generic[T]):
    """Parses one model answer; subclasses implement `parse`."""

    transforms_streams = True

    run_type = "parser"  # reported as `on_parser_start` / `on_parser_end`

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
            return self.parse(input.text)
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
            yield chunk.text if isinstance(chunk, BaseMessage) else chunk


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
    # The outermost value first: in "[{...}]" the array, not the object inside it.
    spans = []
    for open_char, close_char in (("{", "}"), ("[", "]")):
        start, end = text.find(open_char), text.rfind(close_char)
        if 0 <= start < end:
            spans.append((start, -end))
    candidates.extend(text[start : 1 - end] for start, end in sorted(spans))
    error: ValueError | None = None
    for candidate in candidates:
        try:
            return _json.loads(candidate)
        except ValueError as exc:  # malformed, too deeply nested, or an absurd number
            error = error or exc
    raise OutputParserError(f"the model's answer is not valid JSON ({error})", llm_output=text)


_JSON_FORMAT_INSTRUCTIONS = """The output should be formatted as a JSON instance that \
conforms to the JSON schema below.

As an example, for the schema {"properties": {"foo": {"title": "Foo", "description": "a list \
of strings", "type": "array", "items": {"type": "string"}}}, "required": ["foo"]}
the object {"foo": ["bar", "baz"]} is a well-formatted instance of the schema. The object \
{"properties": {"foo": ["bar", "baz"]}} is not well-formatted.

Here is the output schema:
```
%s
```"""


class JsonOutputParser(BaseOutputParser[Any]):
    """Decodes a JSON value; ```json fences and text around the value are tolerated.

    In a streamed chain it yields the value parsed so far each time it grows (`{"a": "He"}`,
    `{"a": "Hello"}`, ...), as LangChain's does; the last value is the whole answer.

    Args:
        pydantic_object: a pydantic model class whose JSON schema goes into the format
            instructions; answers are still plain dicts, as in LangChain.
    """

    def __init__(self, pydantic_object: type[Any] | None = None) -> None:
        if pydantic_object is not None and not hasattr(pydantic_object, "model_json_schema"):
            raise ConfigurationError(
                f"pydantic_object must be a pydantic v2 model class, got {pydantic_object!r}"
            )
        self.pydantic_object = pydantic_object

    def parse(self, text: str) -> Any:
        return parse_json_text(text)

    def get_format_instructions(self) -> str:
        if self.pydantic_object is None:
            return "Return a JSON object."
        schema = dict(self.pydantic_object.model_json_schema())
        schema.pop("title", None)
        schema.pop("type", None)
        return _JSON_FORMAT_INSTRUCTIONS % json.dumps(schema, ensure_ascii=False)

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Yield the JSON parsed so far whenever it changes, then the whole answer's."""
        parts: list[str] = []
        last: Any = None
        async for chunk in chunks:
            parts.append(chunk.text if isinstance(chunk, BaseMessage) else str(chunk))
            partial = parse_partial_json("".join(parts))
            if partial is not None and partial != last:
                last = partial
                yield copy.deepcopy(partial)
        whole = self.parse("".join(parts))
        if whole != last:
            yield whole


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
        """LangChain's instructions, word for word (its PydanticOutputParser and
        JsonOutputParser share them), with the schema less its title and type."""
        schema = dict(self.pydantic_object.model_json_schema())  # type: ignore[attr-defined]
        schema.pop("title", None)
        schema.pop("type", None)
        return _JSON_FORMAT_INSTRUCTIONS % json.dumps(schema, ensure_ascii=False)


class XMLOutputParser(BaseOutputParser[dict[str, Any]]):
    """Decodes an XML answer into LangChain's shape: `{"tag": [children...]}` for an element
    with children, `{"tag": "text"}` for a leaf.

    Document type declarations are refused (no entity expansion from a model's text).

    Args:
        tags: tag names to mention in the format instructions.
    """

    def __init__(self, tags: list[str] | None = None) -> None:
        self.tags = tags

    def parse(self, text: str) -> dict[str, Any]:
        import xml.etree.ElementTree as ElementTree

        fenced = re.search(r"```(?:xml)?\s*(.*?)```", text, re.DOTALL)
        body = (fenced.group(1) if fenced else text).strip()
        start = body.find("<")
        if start < 0:
            raise OutputParserError("the model's answer holds no XML", llm_output=text)
        body = body[start:]
        if re.search(r"<!DOCTYPE|<!ENTITY", body, re.IGNORECASE):
            raise OutputParserError("XML with a DOCTYPE or ENTITY is refused", llm_output=text)
        if body.startswith("<?xml"):
            body = body[body.find("?>") + 2 :].strip()
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError as exc:
            raise OutputParserError(
                f"the model's XML does not parse ({exc})", llm_output=text
            ) from exc
        return _element_dict(root)

    def get_format_instructions(self) -> str:
        tags = ", ".join(self.tags or []) or "any tags you need"
        return (
            "The output should be formatted as a XML file. Use these tags: "
            f"{tags}. Answer with one root element and nothing else."
        )


def _element_dict(element: Any) -> dict[str, Any]:
    children = list(element)
    if not children:
        return {element.tag: (element.text or "").strip() or None}
    return {element.tag: [_element_dict(child) for child in children]}


__all__ = [
    "BaseOutputParser",
    "CommaSeparatedListOutputParser",
    "JsonOutputParser",
    "PydanticOutputParser",
    "StrOutputParser",
    "XMLOutputParser",
    "parse_json_text",
]
