"""JSON schemas of tool arguments: made from a function's signature and docstring, and checked
against the arguments a model sends.

Types with a schema: str, int, float, bool, lists, dicts, Optional / unions, Literal, Enum, and
`Annotated[type, "description"]`. Descriptions come from the Google-style docstring's `Args:`.
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import types
import typing
from collections.abc import Callable
from typing import Any

from ._exceptions import ConfigurationError

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


def schema_of_function(func: Callable[..., Any], docs: dict[str, str]) -> JSONSchema:
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except (NameError, TypeError) as exc:
        raise ConfigurationError(f"cannot read the type hints of {func.__name__}: {exc}") from exc
    properties: dict[str, JSONSchema] = {}
    required: list[str] = []
    for name, parameter in inspect.signature(func).parameters.items():
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
