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

import copy
import json
import re
import typing
from collections.abc import Mapping
from typing import Any, Protocol

from ._config import RunnableConfig
from ._exceptions import ConfigurationError, OutputParserError
from ._runnable import Runnable
from ._string_prompt import LanguageModelInput
from .messages import AIMessage

METHODS = ("json_schema", "function_calling", "json_mode")


class BindableModel(Protocol):
    """What this needs of a chat model: `bind(**request_fields)` and `ainvoke`."""

    def bind(self, **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]: ...


def _is_pydantic_model(schema: Any) -> bool:
    return isinstance(schema, type) and hasattr(schema, "model_json_schema")


def is_typed_dict(schema: Any) -> bool:
    """Whether `schema` is a TypedDict class, of `typing` or of `typing_extensions` (on
    Python 3.11 `typing.is_typeddict` says no to the latter, the form LangChain's docs use)."""
    if not isinstance(schema, type):
        return False
    if typing.is_typeddict(schema):
        return True
    return issubclass(schema, dict) and all(
        hasattr(schema, key) for key in ("__required_keys__", "__optional_keys__", "__total__")
    )


def schema_of(schema: Any) -> tuple[str, str, dict[str, Any]]:
    """The name, description and JSON schema of a pydantic class, TypedDict or schema dict.

    Raises:
        ConfigurationError: for anything else, or a TypedDict without pydantic installed.
    """
    if _is_pydantic_model(schema):
        json_schema = schema.model_json_schema()
    elif is_typed_dict(schema):
        try:
            import pydantic  # noqa: F401 - only to say clearly that it is needed
        except ImportError:
            raise ConfigurationError(
                "a TypedDict schema needs pydantic (pip install 'aiochain[pydantic]')"
            ) from None
        json_schema = _typed_dict_model(schema).model_json_schema()
    elif isinstance(schema, Mapping):
        json_schema = copy.deepcopy(dict(schema))
        if json_schema.get("type") == "function" and "function" in json_schema:
            # OpenAI's tool form: {"type": "function", "function": {"name", "parameters"}}.
            function = json_schema["function"]
            json_schema = {**function.get("parameters", {}), "title": function.get("name")}
    else:
        raise ConfigurationError(
            "with_structured_output takes a pydantic model class, a TypedDict class or a JSON "
            f"schema dict, got {schema!r}"
        )
    title = str(json_schema.pop("title", None) or getattr(schema, "__name__", "") or "output")
    # OpenAI takes names of 1-64 letters, digits, _ and -.
    name = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64]
    description = str(
        json_schema.pop("description", None) or (getattr(schema, "__doc__", None) or "").strip()
    )
    return name, description, json_schema


def _typed_dict_model(schema: type[Any]) -> Any:
    """A pydantic model with a TypedDict's fields (pydantic refuses `typing.TypedDict` itself
    before Python 3.12); its docstring is the description.

    A field written as LangChain's docs write them, `Annotated[type, default, "description"]`
    (`...` as the default: required), gets that default and description; `Annotated[type,
    "description"]` a description only.
    """
    import pydantic

    hints = typing.get_type_hints(schema, include_extras=True)
    required = getattr(schema, "__required_keys__", frozenset(hints))
    fields: dict[str, Any] = {}
    for name, hint in hints.items():
        default: Any = ... if name in required else None
        description = None
        if typing.get_origin(hint) is typing.Annotated:
            hint, *extras = typing.get_args(hint)
            if len(extras) == 1 and isinstance(extras[0], str):
                description = extras[0]
            elif extras:
                default = extras[0]
                if len(extras) > 1 and isinstance(extras[1], str):
                    description = extras[1]
        fields[name] = (hint, pydantic.Field(default, description=description))
    model = pydantic.create_model(schema.__name__, __doc__=schema.__doc__, **fields)
    return model


def _strict_schema(schema: Any) -> Any:
    """OpenAI's strict mode: every object closed (`additionalProperties: false`), every
    property required."""
    if isinstance(schema, dict):
        schema = {key: _strict_schema(value) for key, value in schema.items()}
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
            schema["required"] = list(schema["properties"])
    elif isinstance(schema, list):
        schema = [_strict_schema(item) for item in schema]
    return schema


def request_fields(
    name: str, description: str, json_schema: dict[str, Any], method: str, strict: bool | None
) -> dict[str, Any]:
    """The request fields that ask for an answer in `json_schema` by `method`."""
    if strict:
        json_schema = _strict_schema(json_schema)
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
                    f"the model did not call {self.name}", llm_output=message.content
                )
            text = str(calls[0].get("arguments") or "")
        else:
            text = message.content
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OutputParserError(
                f"the model's answer is not valid JSON ({exc.msg})", llm_output=text
            ) from exc
        return self._validate(data, text)

    def _validate(self, data: Any, text: str) -> Any:
        if _is_pydantic_model(self.schema) or is_typed_dict(self.schema):
            import pydantic

            try:
                if _is_pydantic_model(self.schema):
                    return self.schema.model_validate(data)
                checked = _typed_dict_model(self.schema).model_validate(data)
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
    name, description, json_schema = schema_of(schema)
    fields = request_fields(name, description, json_schema, method, strict)
    return StructuredOutput(
        model.bind(**fields), schema, method=method, include_raw=include_raw, name=name
    )
