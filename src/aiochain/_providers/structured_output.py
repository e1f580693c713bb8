"""`chat.with_structured_output(schema)`: answers as pydantic objects or dicts.

The schema is a pydantic model class (answers are its instances), a `TypedDict` class or a
JSON-schema dict (answers are dicts; a TypedDict's are validated when pydantic is installed).
Three ways to ask, as LangChain's `ChatOpenAI` has them:

- `json_schema` (the default): `response_format={"type": "json_schema", ...}`; the answer's
  content is the JSON.
- `function_calling`: the schema is offered as the one tool and the model is made to call it;
  the call's arguments are the JSON.
- `json_mode`: `response_format={"type": "json_object"}`; the prompt must describe the shape.

An answer that does not parse or fit raises `OutputParserError` with the raw text, unless
`include_raw=True`: then every answer is `{"raw": AIMessage, "parsed": ..., "parsing_error":
None | error}`.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from .._config import RunnableConfig
from .._exceptions import ConfigurationError, OutputParserError
from ..messages import AIMessage
from ..prompts.prompt import LanguageModelInput
from ..runnables.base import Runnable
from ..tools._schema import is_pydantic_model, is_typed_dict, schema_of, typed_dict_model

METHODS = ("json_schema", "function_calling", "json_mode")


class BindableModel(Protocol):
    """What this needs of a chat model: `bind(**request_fields)` and `ainvoke`."""

    def bind(self, **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]: ...


def strict_schema(schema: Any) -> Any:
    """OpenAI's strict mode: every object closed (`additionalProperties: false`), every
    property required."""
    if isinstance(schema, dict):
        schema = {key: strict_schema(value) for key, value in schema.items()}
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
            schema["required"] = list(schema["properties"])
    elif isinstance(schema, list):
        schema = [strict_schema(item) for item in schema]
    return schema


def request_fields(
    name: str, description: str, json_schema: dict[str, Any], method: str, strict: bool | None
) -> dict[str, Any]:
    """The request fields that ask for an answer in `json_schema` by `method`."""
    if strict:
        json_schema = strict_schema(json_schema)
    if method == "json_schema":
        spec: dict[str, Any] = {"name": name, "schema": json_schema}
        if description:
            spec["description"] = description
        if strict is not None:
            spec["strict"] = strict
        return {"response_format": {"type": "json_schema", "json_schema": spec}}
    if method == "function_calling":
        function: dict[str, Any] = {"name": name, "parameters": json_schema}
        if description:
            function["description"] = description
        if strict is not None:
            function["strict"] = strict
        return {
            "tools": [{"type": "function", "function": function}],
            "tool_choice": {"type": "function", "function": {"name": name}},
            "parallel_tool_calls": False,
        }
    return {"response_format": {"type": "json_object"}}


class StructuredOutput(Runnable[LanguageModelInput, Any]):
    """A chat model asked for `schema`, and the parsing of its answers.

    Attributes:
        model: the model, bound to the request fields that ask for the schema.
        schema: the schema as given.
        method: how the schema is asked for.
        include_raw: return the raw message and the error beside the parsed value.
    """

    def __init__(
        self,
        model: Runnable[LanguageModelInput, AIMessage],
        schema: Any,
        *,
        method: str,
        include_raw: bool,
        name: str,
    ) -> None:
        self.model = model
        self.schema = schema
        self.method = method
        self.include_raw = include_raw
        self.name = name

    def parse(self, message: AIMessage) -> Any:
        """The schema's value from the model's answer.

        Raises:
            OutputParserError: with the raw text, when it does not parse or fit.
        """
        if self.method == "function_calling":
            calls = [c for c in message.tool_calls if c.get("name") == self.name]
            if not calls:
                raise OutputParserError(
                    f"the model did not call {self.name}", llm_output=str(message.text)
                )
            text = str(calls[0].get("arguments") or "")
        else:
            text = str(message.text)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OutputParserError(
                f"the model's answer is not valid JSON ({exc.msg})", llm_output=text
            ) from exc
        return self._validate(data, text)

    def _validate(self, data: Any, text: str) -> Any:
        if is_pydantic_model(self.schema) or is_typed_dict(self.schema):
            import pydantic

            try:
                if is_pydantic_model(self.schema):
                    return self.schema.model_validate(data)
                checked = typed_dict_model(self.schema).model_validate(data)
                return checked.model_dump(exclude_unset=True)
            except pydantic.ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "(root)"
                raise OutputParserError(
                    f"the model's JSON does not fit {self.name}: {where}: {first['msg']} "
                    f"({exc.error_count()} error(s))",
                    llm_output=text,
                ) from exc
        if not isinstance(data, dict):
            raise OutputParserError(
                f"the model's JSON is a {type(data).__name__}, not an object", llm_output=text
            )
        return data

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Any:
        """Ask the model and return the parsed answer (or the include_raw dict)."""
        message = await self.model.ainvoke(input, config, **kwargs)
        if not self.include_raw:
            return self.parse(message)
        try:
            return {"raw": message, "parsed": self.parse(message), "parsing_error": None}
        except OutputParserError as exc:
            return {"raw": message, "parsed": None, "parsing_error": exc}

    def __repr__(self) -> str:
        return f"StructuredOutput({self.name}, method={self.method!r})"


def structured_output(
    model: BindableModel,
    schema: Any,
    *,
    method: str = "json_schema",
    include_raw: bool = False,
    strict: bool | None = None,
    **kwargs: Any,
) -> StructuredOutput:
    """`model.with_structured_output(schema, ...)`; see the module's docstring.

    Raises:
        ConfigurationError: for an unknown method or option, or a schema of another kind.
    """
    if kwargs:
        raise ConfigurationError(f"unknown with_structured_output option(s) {sorted(kwargs)}")
    if method not in METHODS:
        raise ConfigurationError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if schema is None:
        # LangChain's json_mode without a schema: the answer's JSON object, as a dict.
        if method != "json_mode":
            raise ConfigurationError(f"method {method!r} needs a schema; json_mode can go without")
        fields = {"response_format": {"type": "json_object"}}
        return StructuredOutput(
            model.bind(**fields), None, method=method, include_raw=include_raw, name="json"
        )
    name, description, json_schema = schema_of(schema)
    fields = request_fields(name, description, json_schema, method, strict)
    return StructuredOutput(
        model.bind(**fields), schema, method=method, include_raw=include_raw, name=name
    )
