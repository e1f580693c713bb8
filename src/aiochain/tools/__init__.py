"""Tools a model can call: `@tool` turns a typed function into one.

This package's `__init__` only re-exports, lazily: the names live in its modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .._config import RunnableConfig as RunnableConfig
    from .._exceptions import ConfigurationError as ConfigurationError
    from .._exceptions import ToolArgumentsError as ToolArgumentsError
    from ..messages.base import ToolMessage as ToolMessage
    from ..runnables.base import Runnable as Runnable
    from ._errors import TOOL_ERROR_DEFAULT as TOOL_ERROR_DEFAULT
    from ._errors import VALIDATION_ERROR_DEFAULT as VALIDATION_ERROR_DEFAULT
    from ._errors import ErrorHandler as ErrorHandler
    from ._errors import ToolException as ToolException
    from ._schema import JSONSchema as JSONSchema
    from .base import SchemaTool as SchemaTool
    from .base import StructuredTool as StructuredTool
    from .base import Tool as Tool
    from .base import as_tool as as_tool
    from .base import tool as tool
    from .base import tool_content as tool_content
    from .base_tool import BaseTool as BaseTool

_EXPORTS = {
    "as_tool": ".base",
    "BaseTool": ".base_tool",
    "ConfigurationError": ".._exceptions",
    "ErrorHandler": "._errors",
    "JSONSchema": "._schema",
    "Runnable": "..runnables.base",
    "RunnableConfig": ".._config",
    "SchemaTool": ".base",
    "StructuredTool": ".base",
    "Tool": ".base",
    "tool": ".base",
    "tool_content": ".base",
    "TOOL_ERROR_DEFAULT": "._errors",
    "ToolArgumentsError": ".._exceptions",
    "ToolException": "._errors",
    "ToolMessage": "..messages.base",
    "VALIDATION_ERROR_DEFAULT": "._errors",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "BaseTool",
    "SchemaTool",
    "StructuredTool",
    "Tool",
    "ToolException",
    "tool",
    "tool_content",
]
