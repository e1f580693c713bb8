"""Tools a model can call: `@tool` turns a typed function into one.

The JSON schema comes from the signature (str, int, float, bool, lists, dicts, Optional,
Literal and Enum) and the descriptions from the Google-style docstring (its first paragraph
describes the tool, its `Args:` section the parameters). Sync functions run in a worker
thread, so a slow tool never blocks the event loop.

    @tool
    async def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
        '''Current weather in a city.

        Args:
            city: the city's name.
            unit: the temperature unit.
        '''
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import json
import re
import types
import typing
from collections.abc import Callable
from typing import Any, overload

from ._exceptions import ConfigurationError, ToolArgumentsError

JSONSchema = dict[str, Any]


class Tool:
    """A function a model may call.

    Attributes:
        name: the name the model uses.
        description: what the tool does, for the model.
        parameters: the JSON schema of its arguments.
        func: the function.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        self.func = func
        self.name = name or func.__name__
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.name):
            raise ConfigurationError(
                f"tool name {self.name!r} must be 1-64 letters, digits, _ or -"
            )
        summary, arg_docs = _parse_docstring(inspect.getdoc(func) or "")
        self.description = description or summary or self.name
        self.parameters = _schema_of(func, arg_docs)
        self.is_async = inspect.iscoroutinefunction(func)

    def to_openai(self) -> JSONSchema:
        """The tool as OpenAI's `tools` request field lists it."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def check_arguments(self, arguments: Any) -> dict[str, Any]:
        """The arguments as a dict, checked against the schema.

        Raises:
            ToolArgumentsError: naming what is missing, unknown or of the wrong type.
        """
        if not isinstance(arguments, dict):
            raise ToolArgumentsError(f"arguments must be a JSON object, got {arguments!r}")
        properties = self.parameters["properties"]
        missing = [n for n in self.parameters.get("required", []) if n not in arguments]
        unknown = [n for n in arguments if n not in properties]
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if unknown:
            problems.append("unknown " + ", ".join(unknown))
        for name, value in arguments.items():
            if name in properties and not _fits(value, properties[name]):
                problems.append(f"{name} should be {_describe(properties[name])}, got {value!r}")
        if problems:
            raise ToolArgumentsError(f"bad arguments for {self.name}: {'; '.join(problems)}")
        return arguments

    async def ainvoke(self, arguments: dict[str, Any]) -> Any:
        """Call the tool (a sync one in a worker thread) with checked arguments."""
        arguments = self.check_arguments(arguments)
        if self.is_async:
            return await self.func(**arguments)
        return await asyncio.to_thread(self.func, **arguments)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly."""
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r})"


@overload
def tool(func: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *, name: str | None = None, description: str | None = None
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a typed function (async or sync) into a `Tool`; usable as `@tool` or `@tool(...)`."""
    if func is not None:
        return Tool(func, name=name, description=description)
    return lambda f: Tool(f, name=name, description=description)


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
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


def _schema_of(func: Callable[..., Any], docs: dict[str, str]) -> JSONSchema:
    try:
        hints = typing.get_type_hints(func)
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
        schema = _type_schema(hints[name], func.__name__, name)
        if name in docs:
            schema["description"] = docs[name]
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


def _fits(value: Any, schema: JSONSchema) -> bool:
    if "anyOf" in schema:
        return any(_fits(value, option) for option in schema["anyOf"])
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
        return isinstance(value, list) and (items is None or all(_fits(v, items) for v in value))
    if kind == "object":
        return isinstance(value, dict)
    if kind == "null":
        return value is None
    return True


def _describe(schema: JSONSchema) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_describe(option) for option in schema["anyOf"])
    return f"a JSON {schema.get('type', 'value')}"


__all__ = [
    "Tool",
    "tool",
]
