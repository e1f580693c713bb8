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

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .._exceptions import APIStatusError, BadResponseError, BatchRequestError, ConfigurationError
from .._http.endpoint import openai_endpoint
from .._http.transport import HTTPTransport
from .._pipeline.retry import RetryPolicy
from .._types import Clock, JSONDict, Sleep
from ._flow import BaseBatchClient, OnProgress, Record, check_ident, maybe_await
from ._openai_files import (
    MAX_FILE_BYTES,
    MAX_REQUESTS,
    BatchRequest,
    ResultLine,
    Shard,
    openai_line,
    read_openai_line,
    shard_requests,
)
from ._spool import SpooledShard
from ._status import BatchStatus

if TYPE_CHECKING:
    import aiohttp

T = TypeVar("T")


class BatchableModel(Protocol):
    """What the Batch API needs of a model (`ChatOpenAI`, `OpenAI`): its typed surface, so the
    batch flow knows no model class."""

    @property
    def transport(self) -> HTTPTransport: ...

    @property
    def retry_policy(self) -> RetryPolicy: ...

    @property
    def endpoint_path(self) -> str: ...

    def check_key(self) -> None: ...

    def request_body(self, input: Any, **fields: Any) -> JSONDict: ...


CHAT_ENDPOINT = "/v1/chat/completions"


class OpenAIBatchClient(BaseBatchClient):
    """Runs requests through OpenAI's Batch API (or a compatible server, such as ours).

    Args:
        base_url: the API root; default `$OPENAI_BASE_URL`, else OpenAI's.
        api_key: the bearer key; default `$OPENAI_API_KEY`. Never printed or logged.
        endpoint: the URL of every request line (`/v1/chat/completions` or `/v1/completions`).
        timeout: seconds for one HTTP request.
        retry: the retry policy of each HTTP request (uploads, polls, downloads).
        session: an aiohttp session to use; it stays the caller's.
        transport: an `HTTPTransport` to use instead of making one (a model's; not closed).
        max_requests, max_file_bytes: the limits of one input file.
        max_download_bytes: the largest output or error file read.
        poll_interval, max_poll_interval: the first wait between polls, growing by half
            each poll up to the second.
        stuck_after: seconds in `finalizing` after which a batch is reported as stuck.
        clock, sleep: the monotonic clock and the sleep used while polling (for tests).

    Ownership: a transport it makes is its own, closed by `aclose()` / `async with`; one
    passed in (a model's) is left open.
    """

    endpoint: str

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        endpoint: str = CHAT_ENDPOINT,
        timeout: float | None = 120.0,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: HTTPTransport | None = None,
        max_requests: int = MAX_REQUESTS,
        max_file_bytes: int = MAX_FILE_BYTES,
        max_download_bytes: int = 2 * 1024**3,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        stuck_after: float = 3600.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        owns = transport is None
        if transport is None:
            api = openai_endpoint(base_url, api_key)  # the models' own endpoint setup
            if api.auth.key_error is not None:
                raise ConfigurationError("no API key: set OPENAI_API_KEY or pass api_key")
            transport = api.transport(timeout=timeout, session=session)
        super().__init__(
            transport,
            owns_transport=owns,
            retry=retry,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            stuck_after=stuck_after,
            clock=clock,
            sleep=sleep,
        )
        self.endpoint = endpoint
        self.max_requests, self.max_file_bytes = max_requests, max_file_bytes
        self.max_download_bytes = max_download_bytes

    @classmethod
    def for_model(cls, llm: BatchableModel, **options: Any) -> OpenAIBatchClient:
        """A client on `llm`'s endpoint, key, connections and retry policy."""
        llm.check_key()
        options.setdefault("retry", llm.retry_policy)
        return cls(transport=llm.transport, endpoint="/v1" + llm.endpoint_path, **options)

    # --- single calls ----------------------------------------------------------------------

    async def upload(self, content: bytes | Path, *, filename: str = "batch.jsonl") -> str:
        """Upload a batch input file (its bytes, or a path: streamed from disk); returns its
        file id."""
        import aiohttp

        async def attempt() -> JSONDict:
            with contextlib.ExitStack() as stack:
                source: Any = content
                if isinstance(content, Path):
                    source = stack.enter_context(content.open("rb"))
                form = aiohttp.FormData()  # one per attempt: aiohttp sends a form once
                form.add_field("purpose", "batch")
                form.add_field(
                    "file", source, filename=filename, content_type="application/octet-stream"
                )
                return await self.transport.request_json("POST", "/files", form=form)

        data: JSONDict = await self._call(attempt, "/files")
        ident = data.get("id")
        if not isinstance(ident, str) or not ident:
            raise BadResponseError(f"an upload answered without a file id: {str(data)[:200]}")
        return ident[:200]

    async def create(self, file_id: str, *, metadata: dict[str, str] | None = None) -> BatchStatus:
        """Create a batch on an uploaded file.

        Safe to retry: after a failed attempt (the request may have reached the server), the
        newest batches are searched for one on the same file before creating another.
        """
        payload: JSONDict = {
            "input_file_id": file_id,
            "endpoint": self.endpoint,
            "completion_window": "24h",
        }
        if metadata:
            payload["metadata"] = metadata
        attempts = 0

        async def attempt() -> BatchStatus:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                for batch in await self.list_batches(limit=100):
                    if batch.input_file_id == file_id:
                        return batch
            data = await self.transport.request_json("POST", "/batches", payload=payload)
            return BatchStatus.from_json(data)

        status: BatchStatus = await self._call(attempt, "/batches")
        return status

    async def retrieve(self, batch_id: str) -> BatchStatus:
        """The batch's state now."""
        return BatchStatus.from_json(await self._json("GET", f"/batches/{check_ident(batch_id)}"))

    async def cancel(self, batch_id: str) -> BatchStatus:
        """Ask the server to cancel a batch (it goes through `cancelling`; what it finished
        stays in its output file)."""
        path = f"/batches/{check_ident(batch_id)}/cancel"

        async def attempt() -> JSONDict | APIStatusError:
            try:
                return await self.transport.request_json("POST", path, payload={})
            except APIStatusError as exc:
                if exc.status_code == 409:  # the batch has ended: asking again will not help
                    return exc
                raise

        answer = await self._call(attempt, path)
        if isinstance(answer, APIStatusError):
            raise answer
        return BatchStatus.from_json(answer)

    async def list_batches(self, *, limit: int = 20, after: str | None = None) -> list[BatchStatus]:
        """One page of batches, newest first; `after` is the last id of the previous page."""
        if not 1 <= limit <= 100:
            raise ConfigurationError(f"limit must be from 1 to 100, got {limit}")
        query = f"?limit={int(limit)}" + (f"&after={check_ident(after)}" if after else "")
        data = await self._json("GET", "/batches" + query)
        rows = data.get("data")
        if not isinstance(rows, list):
            raise BadResponseError(f"a batch list without data: {str(data)[:200]}")
        return [BatchStatus.from_json(row) for row in rows if isinstance(row, dict)]

    async def delete_file(self, file_id: str) -> None:
        """Delete a file (an input file once its batch has ended, say)."""
        await self._json("DELETE", f"/files/{check_ident(file_id)}")

    async def file_content(self, file_id: str) -> bytes:
        """The content of a file (at most `max_download_bytes`)."""
        path = f"/files/{check_ident(file_id)}/content"
        raw: bytes = await self._call(
            lambda: self.transport.request("GET", path, max_bytes=self.max_download_bytes), path
        )
        return raw

    def result_paths(self, status: BatchStatus) -> list[str]:
        """The content paths of the batch's output and error files."""
        files = (status.output_file_id, status.error_file_id)
        return [f"/files/{check_ident(file_id)}/content" for file_id in files if file_id]

    def read_line(self, text: bytes, *, batch_id: str, number: int) -> ResultLine | None:
        """One line of an output or error file."""
        return read_openai_line(text, batch_id=batch_id, number=number)

    async def start_spooled(self, shard: SpooledShard, *, key: str) -> BatchStatus:
        """Upload `shard`'s file (streamed) and create a batch on it, `key` in its metadata."""
        file_id = await self.upload(shard.path, filename=f"batch-{key}.jsonl")
        return await self.create(file_id, metadata={"aiochain_shard": key})

    # --- the provider's part of the flow ---------------------------------------------------

    def shards(self, requests: Sequence[BatchRequest]) -> list[Shard]:
        """`requests` cut into input files of at most `max_requests` lines and
        `max_file_bytes` bytes."""
        return shard_requests(
            requests,
            encode=openai_line(self.endpoint),
            max_requests=self.max_requests,
            max_bytes=self.max_file_bytes,
        )

    async def _start(self, shard: Shard, record: Record | None) -> BatchStatus:
        file_id = await self.upload(shard.content, filename=f"batch-{shard.key}.jsonl")
        if record is not None:
            await maybe_await(record("file", file_id))
        status = await self.create(file_id, metadata={"aiochain_shard": shard.key})
        if record is not None:
            await maybe_await(record("batch", status.id))
        return status

    def _covered(self, shards: list[Shard], resumed: list[BatchStatus]) -> dict[str, BatchStatus]:
        # Recognised by the shard key in their metadata, whatever order they were given in.
        return {s.metadata.get("aiochain_shard", ""): s for s in reversed(resumed)}


async def run_model_batch(
    llm: BatchableModel,
    inputs: Sequence[Any],
    convert: Callable[[JSONDict], T],
    *,
    record: Record | None = None,
    resume: Iterable[str] = (),
    on_progress: OnProgress | None = None,
    **options: Any,
) -> list[T | BatchRequestError | BadResponseError]:
    """Send `llm`'s requests for `inputs` through the Batch API; one result per input, in
    input order: `convert(answer)`, or the error of a request without a usable answer."""
    requests = [BatchRequest.make(str(i), llm.request_body(x)) for i, x in enumerate(inputs)]
    async with OpenAIBatchClient.for_model(llm, **options) as client:
        outcome = await client.run(requests, record=record, resume=resume, on_progress=on_progress)
    out: list[T | BatchRequestError | BadResponseError] = []
    for request in requests:
        body = outcome.results.get(request.custom_id)
        if body is None:
            out.append(outcome.errors[request.custom_id])
            continue
        try:
            out.append(convert(body))
        except BadResponseError as exc:
            out.append(exc)
    return out


__all__ = [
    "CHAT_ENDPOINT",
    "BatchableModel",
    "OpenAIBatchClient",
    "run_model_batch",
]
