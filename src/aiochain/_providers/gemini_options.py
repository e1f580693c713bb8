"""The options of `ChatGoogleGenerativeAI` as Gemini's request fields: LangChain's names for
sampling and output options (`temperature`, `max_output_tokens`, `stop`, `response_schema`,
...) into `generationConfig`, and response schemas into Gemini's OpenAPI subset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._types import JSONDict
from .gemini_wire import gemini_schema

# A call's keyword arguments that go into `generationConfig`, by LangChain's name.
GENERATION_FIELDS = {
    "stop": "stopSequences",
    "temperature": "temperature",
    "max_output_tokens": "maxOutputTokens",
    "max_tokens": "maxOutputTokens",
    "top_p": "topP",
    "top_k": "topK",
    "n": "candidateCount",
    "response_mime_type": "responseMimeType",
    "response_schema": "responseSchema",
    "response_json_schema": "responseJsonSchema",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
}


def generation_config(options: Mapping[str, Any]) -> tuple[JSONDict, dict[str, Any]]:
    """Options by LangChain's names split into (`generationConfig` entries, the other
    request fields); options that are None are left out."""
    config: JSONDict = {}
    rest: dict[str, Any] = {}
    for name, value in options.items():
        if value is None:
            continue
        if name not in GENERATION_FIELDS:
            rest[name] = value
            continue
        if name == "response_schema":
            value = response_schema(value)
        config[GENERATION_FIELDS[name]] = value
    return config, rest


def thinking_config(budget: int | None, include_thoughts: bool | None) -> JSONDict:
    """`thinkingConfig`: the budget (-1 dynamic, 0 off) and whether to send thought summaries."""
    thinking: JSONDict = {}
    if budget is not None:
        thinking["thinkingBudget"] = budget
    if include_thoughts is not None:
        thinking["includeThoughts"] = include_thoughts
    return thinking


def response_schema(schema: Any) -> JSONDict:
    """A response schema given as a pydantic class, a TypedDict or a JSON schema, in Gemini's
    OpenAPI subset."""
    if (
        isinstance(schema, Mapping)
        and isinstance(schema.get("type"), str)
        and (schema["type"].isupper())
    ):
        return dict(schema)  # already in Gemini's form
    from ..tools._schema import schema_of

    return gemini_schema(schema_of(schema)[2] if not isinstance(schema, Mapping) else schema)
