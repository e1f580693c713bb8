"""Output parsers: turn a model's text into a string, JSON, a list or a pydantic object.

This package's `__init__` only re-exports, lazily: the names live in its modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .._exceptions import ConfigurationError as ConfigurationError
    from .._exceptions import OutputParserError as OutputParserError
    from ..messages.base import BaseMessage as BaseMessage
    from ..runnables._many_inputs import Config as Config
    from ..runnables.base import PureRunnable as PureRunnable
    from .base import BaseOutputParser as BaseOutputParser
    from .base import CommaSeparatedListOutputParser as CommaSeparatedListOutputParser
    from .base import JsonOutputParser as JsonOutputParser
    from .base import PydanticOutputParser as PydanticOutputParser
    from .base import StrOutputParser as StrOutputParser
    from .base import T as T
    from .base import XMLOutputParser as XMLOutputParser
    from .base import parse_json_text as parse_json_text
    from .openai_tools import JsonOutputKeyToolsParser as JsonOutputKeyToolsParser
    from .openai_tools import JsonOutputToolsParser as JsonOutputToolsParser
    from .openai_tools import PydanticToolsParser as PydanticToolsParser
    from .structured import ResponseSchema as ResponseSchema
    from .structured import StructuredOutputParser as StructuredOutputParser

_EXPORTS = {
    "ResponseSchema": ".structured",
    "StructuredOutputParser": ".structured",
    "BaseMessage": "..messages.base",
    "BaseOutputParser": ".base",
    "CommaSeparatedListOutputParser": ".base",
    "Config": "..runnables._many_inputs",
    "ConfigurationError": ".._exceptions",
    "JsonOutputKeyToolsParser": ".openai_tools",
    "JsonOutputParser": ".base",
    "JsonOutputToolsParser": ".openai_tools",
    "OutputParserError": ".._exceptions",
    "parse_json_text": ".base",
    "PureRunnable": "..runnables.base",
    "PydanticOutputParser": ".base",
    "PydanticToolsParser": ".openai_tools",
    "StrOutputParser": ".base",
    "T": ".base",
    "XMLOutputParser": ".base",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "BaseOutputParser",
    "CommaSeparatedListOutputParser",
    "JsonOutputKeyToolsParser",
    "JsonOutputParser",
    "JsonOutputToolsParser",
    "PydanticOutputParser",
    "PydanticToolsParser",
    "ResponseSchema",
    "StrOutputParser",
    "StructuredOutputParser",
    "XMLOutputParser",
    "parse_json_text",
]
