"""A tool's errors as answers to the model: LangChain's `ToolException`, `handle_tool_error`
and `handle_validation_error`.

A tool raises `ToolException` for a failure the model should hear about ("the city is not
known"); with `handle_tool_error` set, the tool returns a text in place of raising, and an agent
sends that text to the model as the tool's answer. `handle_validation_error` does the same for
arguments that do not fit the tool's schema (`ToolArgumentsError`). Either takes:

- True: the error's message (for a `ToolException` without one, "Tool execution error"; for
  bad arguments, "Tool input validation error", as LangChain words them);
- a string: that string;
- a function of the error: what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from .._exceptions import AiochainError, ConfigurationError

ErrorHandler: TypeAlias = "bool | str | Callable[[Exception], str] | None"
"""How a tool answers an error of one kind instead of raising it."""


class ToolException(AiochainError):
    """Raised by a tool's own code for a failure the model should be told about; the tool's
    `handle_tool_error` decides whether it becomes the tool's answer."""


def check_handler(name: str, handler: Any) -> None:
    """Raise `ConfigurationError` unless `handler` is None, a bool, a string or a function."""
    if not (handler is None or isinstance(handler, bool | str) or callable(handler)):
        raise ConfigurationError(
            f"{name} must be True/False, a string or a function of the error, got {handler!r}"
        )


def error_answer(handler: ErrorHandler, exc: Exception, default: str) -> str | None:
    """The text a tool returns for `exc` under `handler`, or None when it should raise."""
    if handler is None or handler is False:
        return None
    if handler is True:
        if isinstance(exc, ToolException):
            return str(exc.args[0]) if exc.args else default
        return default
    if isinstance(handler, str):
        return handler
    return str(handler(exc))


TOOL_ERROR_DEFAULT = "Tool execution error"
VALIDATION_ERROR_DEFAULT = "Tool input validation error"

__all__ = [
    "TOOL_ERROR_DEFAULT",
    "VALIDATION_ERROR_DEFAULT",
    "ErrorHandler",
    "ToolException",
    "check_handler",
    "error_answer",
]
