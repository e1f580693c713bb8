"""JSON schemas of tool arguments: made from a function's signature and docstring, and checked
against the arguments a model sends.

Types with a schema: str, int, float, bool, lists, dicts, Optional / unions, Literal, Enum, and
`Annotated[type, "description"]`. Descriptions come from the Google-style docstring's `Args:`.
"""

from __future__ import annotations

import copy
import enum
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from .._exceptions import ConfigurationError

JSONSchema = dict[str, Any]


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    summary = doc.split("\n\n", 1)[0].strip().replace("\n", " ")
    args: dict[str, str] = {}
    match = re.search(r"^(?:Args|Arguments|Parameters):\s*\n((?:[ \t]+.*\n?)+)", doc, re.M)
    if match:
        current = None
        for line in match.group(1).splitlines():
            entry = re.match(r"\s+(\w+)(?:\s*\([^)]*\))?:\s*(.*)", line)
            if entry and (current is None or len(line) - len(line.lstrip()) <= 8):
                current = entry.group(1)
                args[current] = entry.group(2).strip()
            elif current is not None and line.strip():
                args[current] += " " + line.strip()
    return summary, args


# Parameters LangChain fills itself and leaves out of a tool's schema: the callbacks for the runs
# the tool starts, its run manager, and a parameter annotated RunnableConfig (the call's config).
_INJECTED_NAMES = ("callbacks", "run_manager")


def injected_parameters(func: Callable[..., Any]) -> dict[str, str]:
    """The parameters of `func` that the tool call fills, by name: `callbacks`, `run_manager`
    or `config` (a parameter annotated `RunnableConfig`, whatever its name)."""
    found: dict[str, str] = {}
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return found
    for name, parameter in parameters.items():
        annotation = parameter.annotation
        if name in _INJECTED_NAMES:
            found[name] = name
        elif annotation is not parameter.empty and "RunnableConfig" in str(
            getattr(annotation, "__name__", annotation)
        ):
            found[name] = "config"
    return found


def _hints_one_by_one(
    func: Callable[..., Any], *, skip: Mapping[str, str]
) -> dict[str, Any] | None:
    """The type hints of `func`'s parameters but `skip`, or None when one cannot be read."""
    hints: dict[str, Any] = {}
    for name, parameter in inspect.signature(func).parameters.items():
        if name in skip or parameter.annotation is parameter.empty:
            continue

        def holder() -> None: ...

        holder.__annotations__ = {"value": parameter.annotation}
        try:
            hints[name] = typing.get_type_hints(
                holder, globalns=getattr(func, "__globals__", None), include_extras=True
            )["value"]
        except (NameError, TypeError):
            return None
    return hints


def schema_of_function(func: Callable[..., Any], docs: dict[str, str]) -> JSONSchema:
    injected = injected_parameters(func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except (NameError, TypeError) as exc:
        # A hint the schema does not need (an injected run manager's) may name something
        # only imported where the function is defined: read the others one by one.
        readable = _hints_one_by_one(func, skip=injected)
        if readable is None:
            raise ConfigurationError(
                f"cannot read the type hints of {func.__name__}: {exc}"
            ) from exc
        hints = readable
    properties: dict[str, JSONSchema] = {}
    required: list[str] = []
    for name, parameter in inspect.signature(func).parameters.items():
        if name in injected:
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise ConfigurationError(f"tool {func.__name__} cannot take *args or **kwargs")
        if name not in hints:
            raise ConfigurationError(
                f"tool {func.__name__}: parameter {name!r} needs a type hint for its schema"
            )
        hint, notes = hints[name], []
        if typing.get_origin(hint) is typing.Annotated:
            # LangChain reads `Annotated[int, "what it is"]` as the parameter's description.
            hint, *extras = typing.get_args(hint)
            notes = [extra for extra in extras if isinstance(extra, str)]
        schema = _type_schema(hint, func.__name__, name)
        if name in docs or notes:
            schema["description"] = docs.get(name) or notes[0]
        if parameter.default is parameter.empty:
            required.append(name)
        elif parameter.default is not None:
            default = parameter.default
            schema["default"] = default.value if isinstance(default, enum.Enum) else default
        properties[name] = schema
    return {"type": "object", "properties": properties, "required": required}


_SIMPLE: dict[Any, JSONSchema] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
}


def _type_schema(hint: Any, func_name: str, name: str) -> JSONSchema:
    if hint in _SIMPLE:
        return dict(_SIMPLE[hint])
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in arguments if a is not type(None)]
        if len(options) == 1:
            return _type_schema(options[0], func_name, name)
        return {"anyOf": [_type_schema(a, func_name, name) for a in arguments]}
    if origin is typing.Literal:
        return {"enum": list(arguments)}
    if origin in (list, tuple, set, frozenset) or hint in (list, tuple, set):
        schema: JSONSchema = {"type": "array"}
        if arguments and arguments[0] is not Ellipsis:
            schema["items"] = _type_schema(arguments[0], func_name, name)
        return schema
    if origin is dict or hint is dict:
        return {"type": "object"}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"enum": [member.value for member in hint]}
    raise ConfigurationError(
        f"tool {func_name}: the type of {name!r} ({hint!r}) has no JSON schema here; use str, "
        "int, float, bool, list, dict, Literal, Enum or Optional"
    )


def fits(value: Any, schema: JSONSchema) -> bool:
    if "anyOf" in schema:
        return any(fits(value, option) for option in schema["anyOf"])
    if "enum" in schema:
        return value in schema["enum"]
    kind = schema.get("type")
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        items = schema.get("items")
        return isinstance(value, list) and (items is None or all(fits(v, items) for v in value))
    if kind == "object":
        return isinstance(value, dict)
    if kind == "null":
        return value is None
    return True


def describe(schema: JSONSchema) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(describe(option) for option in schema["anyOf"])
    return f"a JSON {schema.get('type', 'value')}"


def is_pydantic_model(schema: Any) -> bool:
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
    if is_pydantic_model(schema):
        json_schema = schema.model_json_schema()
    elif is_typed_dict(schema):
        try:
            import pydantic  # noqa: F401 - only to say clearly that it is needed
        except ImportError:
            raise ConfigurationError(
                "a TypedDict schema needs pydantic (pip install 'aiochain[pydantic]')"
            ) from None
        json_schema = typed_dict_model(schema).model_json_schema()
    elif isinstance(schema, Mapping):
        json_schema = copy.deepcopy(dict(schema))
        described = _described_tool(json_schema)
        if described is not None:
            json_schema = described
    else:
        raise ConfigurationError(
            "with_structured_output takes a pydantic model class, a TypedDict class or a JSON "
            f"schema dict, got {schema!r}"
        )
    title = str(json_schema.pop("title", None) or getattr(schema, "__name__", "") or "output")
    # OpenAI takes names of 1-64 letters, digits, _ and -.
    name = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64]
    # A class's docstring describes it; a dict's (dict's own) does not.
    doc = "" if isinstance(schema, Mapping) else (getattr(schema, "__doc__", None) or "")
    description = str(json_schema.pop("description", None) or doc.strip())
    return name, description, json_schema


def _described_tool(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema (titled with the tool's name, with its description) of a tool given
    in a provider's shape: OpenAI chat's `{"type": "function", "function": {...}}`, the
    Responses API's flat `{"type": "function", "name", "parameters"}`, or Anthropic's
    `{"name", "input_schema"}`; None for a plain JSON schema."""
    if spec.get("type") == "function" and isinstance(spec.get("function"), Mapping):
        spec = dict(spec["function"])
    elif spec.get("type") == "function" and isinstance(spec.get("name"), str):
        pass
    elif isinstance(spec.get("name"), str) and isinstance(spec.get("input_schema"), Mapping):
        spec = {**spec, "parameters": spec["input_schema"]}
    else:
        return None
    parameters = spec.get("parameters") or {"type": "object", "properties": {}}
    described = {**parameters, "title": spec.get("name")}
    if spec.get("description"):
        described["description"] = spec["description"]
    return described


def typed_dict_model(schema: type[Any]) -> Any:
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


class FunctionArgsSchema:
    """A tool's argument schema read from its function, shown the way pydantic shows a model.

    LangChain builds a pydantic model for every tool, and its guides print
    `tool.args_schema.model_json_schema()`; aiochain checks arguments without pydantic, and
    this answers those reads with the same JSON schema the model is sent.
    """

    def __init__(self, name: str, description: str, parameters: JSONSchema) -> None:
        self.__name__ = name
        self._schema: JSONSchema = {
            "description": description,
            **parameters,
            "title": name,
        }

    def model_json_schema(self) -> JSONSchema:
        """The arguments' JSON schema, titled with the tool's name (as pydantic titles it)."""
        return copy.deepcopy(self._schema)

    def schema(self) -> JSONSchema:
        """Pydantic v1's name for `model_json_schema()`."""
        return self.model_json_schema()

    @property
    def model_fields(self) -> dict[str, JSONSchema]:
        """The parameters' schemas by name (pydantic lists its fields here)."""
        properties: dict[str, JSONSchema] = self._schema.get("properties", {})
        return dict(properties)

    def __repr__(self) -> str:
        return f"<args schema of {self.__name__}>"
