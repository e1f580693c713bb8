"""OpenAI's Batch API: half the price of live calls, answers within 24 hours.

The flow, for any number of requests:

1. `BatchRequest.make(key, body)` gives each request a `custom_id` derived from the caller's
   key and the whole body, so a rerun makes the same ids and the same input files;
2. the requests are cut into input files within OpenAI's limits (50,000 requests, 200 MB);
3. each file is uploaded (`POST /files`, purpose `batch`) and a batch created on it
   (`POST /batches`, `completion_window: "24h"`); every file and batch id is handed to the
   caller's `record(kind, id)` hook *before* polling starts, so a process killed while it
   waits can resume the same batches instead of paying again (`resume=`: they are collected
   first, and only the requests they did not answer are sent);
4. each batch is polled with backoff (`on_progress` sees every state); a batch that stays in
   `finalizing` longer than `stuck_after` is reported as stuck instead of waited on for ever;
5. as soon as a batch reaches any terminal state (completed, failed, expired, cancelled) its
   output and error files are read line by line from disk and merged by `custom_id` (a line
   that is not a result is only its request's error): expired and cancelled batches keep what
   they finished, and every request without an answer gets a `BatchRequestError` saying why
   and whether sending it again may help (`retryable`).

    async with OpenAIBatchClient() as client:
        requests = [BatchRequest.make(str(i), body) for i, body in enumerate(bodies)]
        outcome = await client.run(requests, record=journal.add)
    outcome.results[request.custom_id]     # the answer body, or
    outcome.errors[request.custom_id]      # why there is none

`ChatOpenAI.abatch_api(inputs)` runs the same flow for a chat model's inputs;
`AnthropicBatchClient` runs it on Anthropic's Message Batches (no upload; results JSONL).
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
    "OpenAIBatchClient",
    "run_model_batch",
]
