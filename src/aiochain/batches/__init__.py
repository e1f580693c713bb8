"""The providers' batch APIs (OpenAI's Batch API, Anthropic's Message Batches, Gemini's batch
mode): half the price of live calls, answers within 24 hours; one flow (submit, poll, merge,
resume) for all.

This package's `__init__` only re-exports, lazily: the names live in its modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .._exceptions import APIStatusError as APIStatusError
    from .._exceptions import BadResponseError as BadResponseError
    from .._exceptions import BatchRequestError as BatchRequestError
    from .._exceptions import ConfigurationError as ConfigurationError
    from .._http.transport import HTTPTransport as HTTPTransport
    from .._pipeline.retry import RetryPolicy as RetryPolicy
    from .._types import Clock as Clock
    from .._types import JSONDict as JSONDict
    from .._types import Sleep as Sleep
    from ._flow import BaseBatchClient as BaseBatchClient
    from ._flow import OnProgress as OnProgress
    from ._flow import Record as Record
    from ._openai_files import MAX_FILE_BYTES as MAX_FILE_BYTES
    from ._openai_files import MAX_REQUESTS as MAX_REQUESTS
    from ._openai_files import BatchRequest as BatchRequest
    from ._openai_files import ResultLine as ResultLine
    from ._openai_files import Shard as Shard
    from ._spool import SpooledShard as SpooledShard
    from ._status import TERMINAL as TERMINAL
    from ._status import BatchOutcome as BatchOutcome
    from ._status import BatchStatus as BatchStatus
    from .anthropic import AnthropicBatchClient as AnthropicBatchClient
    from .gemini import GeminiBatchClient as GeminiBatchClient
    from .openai import CHAT_ENDPOINT as CHAT_ENDPOINT
    from .openai import BatchableModel as BatchableModel
    from .openai import OpenAIBatchClient as OpenAIBatchClient
    from .openai import T as T
    from .openai import run_model_batch as run_model_batch

_EXPORTS = {
    "AnthropicBatchClient": ".anthropic",
    "APIStatusError": ".._exceptions",
    "BadResponseError": ".._exceptions",
    "BaseBatchClient": "._flow",
    "BatchableModel": ".openai",
    "BatchOutcome": "._status",
    "BatchRequest": "._openai_files",
    "BatchRequestError": ".._exceptions",
    "BatchStatus": "._status",
    "CHAT_ENDPOINT": ".openai",
    "Clock": ".._types",
    "ConfigurationError": ".._exceptions",
    "GeminiBatchClient": ".gemini",
    "HTTPTransport": ".._http.transport",
    "JSONDict": ".._types",
    "MAX_FILE_BYTES": "._openai_files",
    "MAX_REQUESTS": "._openai_files",
    "OnProgress": "._flow",
    "OpenAIBatchClient": ".openai",
    "Record": "._flow",
    "ResultLine": "._openai_files",
    "RetryPolicy": ".._pipeline.retry",
    "run_model_batch": ".openai",
    "Shard": "._openai_files",
    "Sleep": ".._types",
    "SpooledShard": "._spool",
    "T": ".openai",
    "TERMINAL": "._status",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "CHAT_ENDPOINT",
    "MAX_FILE_BYTES",
    "MAX_REQUESTS",
    "TERMINAL",
    "AnthropicBatchClient",
    "BatchOutcome",
    "BatchRequest",
    "BatchStatus",
    "BatchableModel",
    "GeminiBatchClient",
    "OpenAIBatchClient",
    "run_model_batch",
]
