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
import inspect
import json
import re
from collections.abc import Callable
from typing import Any, overload

from .._config import RunnableConfig, current_config, filled_config
from .._exceptions import ConfigurationError, ToolArgumentsError
from ..callbacks._managers import AsyncCallbackManagerForToolRun
from ..callbacks._step_runs import current_tool_run, traced_tool
from ..messages import ToolMessage
from ..runnables.base import Runnable
from ._artifacts import check_response_format, split_artifact
from ._errors import (
    TOOL_ERROR_DEFAULT,
    VALIDATION_ERROR_DEFAULT,
    ErrorHandler,
    ToolException,
    check_handler,
    error_answer,
)
from ._schema import (
    FunctionArgsSchema,
    JSONSchema,
    describe,
    fits,
    injected_parameters,
    is_typed_dict,
    parse_docstring,
    schema_of,
    schema_of_function,
)


class Tool(Runnable[Any, Any]):
    """A function a model may call; a runnable, as LangChain's tools are.

    `await tool.ainvoke({"city": "Oslo"})` returns the function's value;
    `await tool.ainvoke(tool_call)` with one of `AIMessage.tool_calls` returns a `ToolMessage`
    answering that call (its `tool_call_id` set), ready to append to the conversation.

    Attributes:
        name: the name the model uses.
        description: what the tool does, for the model.
        parameters: the JSON schema of its arguments.
        args_schema: the pydantic model that checks the arguments, when one was given.
        func: the function.
        handle_tool_error: when set (True, a text, or a function of the error), a
            `ToolException` raised by the function becomes the tool's answer instead of
            propagating (see `aiochain.tools._errors`); settable after construction, as in
            LangChain (`my_tool.handle_tool_error = True`).
        handle_validation_error: the same for arguments that do not fit the schema.
    """

    reports_own_runs = True  # a tool run (`on_tool_start`), see _run_trace.py

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        args_schema: type[Any] | None = None,
        return_direct: bool = False,
        response_format: str = "content",
        handle_tool_error: ErrorHandler = False,
        handle_validation_error: ErrorHandler = False,
    ) -> None:
        check_handler("handle_tool_error", handle_tool_error)
        check_handler("handle_validation_error", handle_validation_error)
        self.handle_tool_error = handle_tool_error
        self.handle_validation_error = handle_validation_error
        self.func = func
        self.name = name or func.__name__
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.name):
            raise ConfigurationError(
                f"tool name {self.name!r} must be 1-64 letters, digits, _ or -"
            )
        summary, arg_docs = parse_docstring(inspect.getdoc(func) or "")
        self.description = description or summary or self.name
        self._args_model = args_schema
        if args_schema is not None:
            if not hasattr(args_schema, "model_json_schema"):
                raise ConfigurationError(
                    f"args_schema must be a pydantic v2 model class, got {args_schema!r}"
                )
            self.parameters = _pydantic_parameters(args_schema)
        else:
            self.parameters = schema_of_function(func, arg_docs)
        self._injected = injected_parameters(func)
        self.return_direct = return_direct
        check_response_format(response_format)
        self.response_format = response_format
        self.is_async = inspect.iscoroutinefunction(func)

    @property
    def args_schema(self) -> Any:
        """The pydantic model given, else the function's own schema with pydantic's reading
        methods (`model_json_schema()`, `schema()`), as LangChain programs inspect it."""
        if self._args_model is not None:
            return self._args_model
        return FunctionArgsSchema(self.name, self.description, self.parameters)

    @property
    def args(self) -> dict[str, Any]:
        """The JSON schemas of the parameters, by name (LangChain's `tool.args`)."""
        properties: dict[str, Any] = self.parameters.get("properties", {})
        return properties

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
        if self._args_model is not None:
            return _validate_with(self._args_model, self.name, arguments)
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
            if name in properties and not fits(value, properties[name]):
                problems.append(f"{name} should be {describe(properties[name])}, got {value!r}")
        if problems:
            raise ToolArgumentsError(f"bad arguments for {self.name}: {'; '.join(problems)}")
        return arguments

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Call the tool (a sync one in a worker thread) with checked arguments.

        Args:
            input: the arguments as a dict (or one plain value for a one-parameter tool), or
                a model's tool call (`{"name", "args", "id", ...}`), which returns a
                `ToolMessage` with the call's id.
            config: the call's config; its callbacks hear the tool run.
        """
        if (config is not None or current_config.get() is not None) and (
            traced := traced_tool(self, input, config)
        ) is not None:  # callbacks
            return await traced
        call_id = None
        if _is_tool_call(input):
            call = input
            call_id = str(call.get("id") or "")
            input = call.get("args")
            if input is None:
                raise ToolArgumentsError(
                    f"the call of {self.name} has arguments that did not decode: "
                    f"{call.get('error', 'no arguments')}"
                )
        elif not isinstance(input, dict) and len(self.parameters.get("properties", {})) == 1:
            input = {next(iter(self.parameters["properties"])): input}
        try:
            arguments = self.check_arguments(input)
            if self._injected:
                arguments = {**arguments, **self._injections()}
            if self.is_async:
                result = await self.func(**arguments)
            else:
                result = await asyncio.to_thread(self.func, **arguments)
        except ToolArgumentsError as exc:
            result = error_answer(self.handle_validation_error, exc, VALIDATION_ERROR_DEFAULT)
            if result is None:
                raise
        except ToolException as exc:
            result = error_answer(self.handle_tool_error, exc, TOOL_ERROR_DEFAULT)
            if result is None:
                raise
        content, artifact = split_artifact(self.response_format, result, self.name)
        if call_id is None:
            return content
        return ToolMessage(
            tool_content(content), tool_call_id=call_id, name=self.name, artifact=artifact
        )

    def _injections(self) -> dict[str, Any]:
        """What the function's injected parameters get: the callbacks of the tool's run (for
        the runs it starts), its run manager (sync for a sync function), the call's config."""
        config = current_config.get()
        values = {"callbacks": (config or {}).get("callbacks"), "config": filled_config(config)}
        if "run_manager" in self._injected.values():
            run = current_tool_run.get() or AsyncCallbackManagerForToolRun.get_noop_manager()
            values["run_manager"] = run if self.is_async else run.get_sync()
        return {name: values[kind] for name, kind in self._injected.items()}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly."""
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r})"


def _no_function() -> Any:
    raise ToolArgumentsError("this tool only describes a schema; there is no function to run")


class SchemaTool(Tool):
    """A tool made from a pydantic class, a TypedDict or a JSON schema: it tells the model
    what to call with, and has no function of its own (LangChain's `bind_tools([Model])`)."""

    def __init__(self, schema: Any) -> None:
        name, description, parameters = schema_of(schema)
        super().__init__(_no_function, name=name, description=description or name)
        self.parameters = parameters

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Refuse: the schema describes a call, it does not run one."""
        return _no_function()


def as_tool(obj: Any) -> Tool:
    """A `Tool` for a tool, a function, a pydantic class, a TypedDict or a JSON-schema dict."""
    if isinstance(obj, Tool):
        return obj
    is_schema_class = isinstance(obj, type) and (
        hasattr(obj, "model_json_schema") or is_typed_dict(obj)
    )
    if isinstance(obj, dict) or is_schema_class:
        return SchemaTool(obj)
    return Tool(obj)


class StructuredTool(Tool):
    """LangChain's name for a tool of several typed arguments; `from_function` builds one."""

    @classmethod
    def from_function(
        cls,
        func: Callable[..., Any] | None = None,
        coroutine: Callable[..., Any] | None = None,
        name: str | None = None,
        description: str | None = None,
        return_direct: bool = False,
        args_schema: type[Any] | None = None,
        **kwargs: Any,
    ) -> StructuredTool:
        """A tool from a function (or an async `coroutine`, used in preference).

        Raises:
            ConfigurationError: when neither function is given, or for unknown options.
        """
        handlers = {
            key: kwargs.pop(key)
            for key in ("handle_tool_error", "handle_validation_error", "response_format")
            if key in kwargs
        }
        unknown = set(kwargs) - {"infer_schema", "parse_docstring", "error_on_invalid_docstring"}
        if unknown:
            raise ConfigurationError(f"unknown StructuredTool option(s) {sorted(unknown)}")
        chosen = coroutine or func
        if chosen is None:
            raise ConfigurationError("StructuredTool.from_function needs func or coroutine")
        return cls(
            chosen,
            name=name,
            description=description,
            args_schema=args_schema,
            return_direct=return_direct,
            **handlers,
        )


@overload
def tool(func: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    name_or_func: str,
    /,
    *,
    description: str | None = None,
    args_schema: type[Any] | None = None,
    return_direct: bool = False,
    parse_docstring: bool = True,
    response_format: str = "content",
) -> Callable[[Callable[..., Any]], Tool]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    args_schema: type[Any] | None = None,
    return_direct: bool = False,
    parse_docstring: bool = True,
    response_format: str = "content",
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    func: Callable[..., Any] | str | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    args_schema: type[Any] | None = None,
    return_direct: bool = False,
    parse_docstring: bool = True,
    response_format: str = "content",
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a typed function (async or sync) into a `Tool`; usable as `@tool`, `@tool(...)`
    or `@tool("name", args_schema=Model)`.

    The docstring's `Args:` section always describes the parameters (`parse_docstring` is
    accepted as LangChain spells it); `Annotated[int, "text"]` describes one too.
    """
    del parse_docstring
    if isinstance(func, str):
        name, func = func, None

    def make(f: Callable[..., Any]) -> Tool:
        return Tool(
            f,
            name=name,
            description=description,
            args_schema=args_schema,
            return_direct=return_direct,
            response_format=response_format,
        )

    return make(func) if func is not None else make


def _is_tool_call(input: Any) -> bool:
    """Whether `input` is a model's tool call rather than arguments (LangChain's test, plus our
    own calls, which carry both `args` and the raw `arguments`)."""
    if not isinstance(input, dict):
        return False
    if input.get("type") == "tool_call":
        return True
    return {"id", "name", "args", "arguments"} <= input.keys()


def tool_content(result: Any) -> str:
    """A tool's value as the text of a tool message: text as it is, else JSON, else `str`."""
    if isinstance(result, str):
        return result
    try:
        return json.dumps(result, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(result)


def _pydantic_parameters(model: type[Any]) -> JSONSchema:
    schema = dict(model.model_json_schema())
    schema.pop("title", None)
    schema.pop("description", None)
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


def _validate_with(model: type[Any], name: str, arguments: Any) -> dict[str, Any]:
    import pydantic

    try:
        checked = model.model_validate(arguments)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise ToolArgumentsError(f"bad arguments for {name}: {problems}") from exc
    return {field: getattr(checked, field) for field in type(checked).model_fields}


__all__ = [
    "SchemaTool",
    "StructuredTool",
    "Tool",
    "tool",
    "tool_content",
]
