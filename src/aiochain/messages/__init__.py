"""Chat messages, named as LangChain names them, sent to chat models in OpenAI's wire format.

This package's `__init__` only re-exports, lazily: the names live in its modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .._exceptions import BadResponseError as BadResponseError
    from .._exceptions import UsageError as UsageError
    from .._types import Usage as Usage
    from ._buffer_string import get_buffer_string as get_buffer_string
    from ._message_lists import filter_messages as filter_messages
    from ._message_lists import merge_message_runs as merge_message_runs
    from ._trimming import count_tokens_approximately as count_tokens_approximately
    from ._trimming import trim_messages as trim_messages
    from ._usage import usage_metadata_of as usage_metadata_of
    from .base import AIMessage as AIMessage
    from .base import AIMessageChunk as AIMessageChunk
    from .base import BaseMessage as BaseMessage
    from .base import HumanMessage as HumanMessage
    from .base import SystemMessage as SystemMessage
    from .base import ToolMessage as ToolMessage
    from .content import MessageContent as MessageContent
    from .content import TextAccessor as TextAccessor
    from .convert import MessageLike as MessageLike
    from .convert import convert_to_messages as convert_to_messages
    from .convert import message_chunk_to_message as message_chunk_to_message
    from .convert import message_class as message_class
    from .convert import to_message as to_message
    from .convert import to_messages as to_messages
    from .tool_calls import parse_tool_calls as parse_tool_calls

_EXPORTS = {
    "AIMessage": ".base",
    "AIMessageChunk": ".base",
    "BadResponseError": ".._exceptions",
    "BaseMessage": ".base",
    "convert_to_messages": ".convert",
    "message_chunk_to_message": ".convert",
    "count_tokens_approximately": "._trimming",
    "MessageContent": ".content",
    "TextAccessor": ".content",
    "filter_messages": "._message_lists",
    "get_buffer_string": "._buffer_string",
    "HumanMessage": ".base",
    "merge_message_runs": "._message_lists",
    "message_class": ".convert",
    "MessageLike": ".convert",
    "parse_tool_calls": ".tool_calls",
    "SystemMessage": ".base",
    "to_message": ".convert",
    "to_messages": ".convert",
    "ToolMessage": ".base",
    "trim_messages": "._trimming",
    "Usage": ".._types",
    "usage_metadata_of": "._usage",
    "UsageError": ".._exceptions",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "AIMessage",
    "BaseMessage",
    "HumanMessage",
    "MessageContent",
    "MessageLike",
    "SystemMessage",
    "TextAccessor",
    "ToolMessage",
    "convert_to_messages",
    "count_tokens_approximately",
    "filter_messages",
    "merge_message_runs",
    "message_chunk_to_message",
    "message_class",
    "parse_tool_calls",
    "to_message",
    "to_messages",
    "trim_messages",
]
