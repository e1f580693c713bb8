"""LangChain's `langchain_core.messages.utils`, where its programs import the message helpers
from: trimming, filtering and merging lists of messages, counting their tokens, reading any
input as messages and writing them as one text. The names live in this package's modules."""

from __future__ import annotations

from ._buffer_string import get_buffer_string
from ._message_lists import filter_messages, merge_message_runs
from ._trimming import count_tokens_approximately, trim_messages
from .convert import MessageLike, convert_to_messages, message_chunk_to_message

__all__ = [
    "MessageLike",
    "convert_to_messages",
    "count_tokens_approximately",
    "filter_messages",
    "get_buffer_string",
    "merge_message_runs",
    "message_chunk_to_message",
    "trim_messages",
]
