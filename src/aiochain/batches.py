"""OpenAI's Batch API: half the price of live calls, answers within 24 hours.

The flow, for any number of requests:

1. `BatchRequest.make(key, body)` gives each request a `custom_id` derived from the caller's
   key and the whole body, so a rerun makes the same ids and the same input files;
2. the requests are cut into input files within OpenAI's limits (50,000 requests, 200 MB);
3. each file is uploaded (`POST /files`, purpose `batch`) and a batch created on it
   (`POST /batches`, `completion_window: "24h"`); every file and batch id is handed to the
   caller's `record(kind, id)` hook *before* polling starts, so a process killed while it
   waits can resume polling the same batches instead of paying again (`resume=`);
4. each batch is polled with backoff (`on_progress` sees every state); a batch that stays in
   `finalizing` longer than `stuck_after` is reported as stuck instead of waited on for ever;
5. as soon as a batch reaches any terminal state (completed, failed, expired, cancelled) its
   output and error files are merged by `custom_id`: expired and cancelled batches keep what
   they finished, and every request without an answer gets a `BatchRequestError` saying why
   and whether sending it again may help (`retryable`).

    async with OpenAIBatchClient() as client:
        requests = [BatchRequest.make(str(i), body) for i, body in enumerate(bodies)]
        outcome = await client.run(requests, record=journal.add)
    outcome.results[request.custom_id]     # the answer body, or
    outcome.errors[request.custom_id]      # why there is none

`ChatOpenAI.abatch_api(inputs)` runs the same flow for a chat model's inputs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ._batch_files import (
    MAX_FILE_BYTES,
    MAX_REQUESTS,
    BatchRequest,
    Shard,
    read_result_file,
    shard_requests,
)
from ._batch_status import TERMINAL, BatchOutcome, BatchStatus, unanswered_errors
from ._exceptions import APIStatusError, BadResponseError, BatchRequestError, ConfigurationError
from ._http import HTTPTransport, Multipart
from ._openai import DEFAULT_BASE_URL
from ._retry import RetryPolicy, call_with_retry
from ._types import Clock, JSONDict, Sleep

if TYPE_CHECKING:
    import aiohttp

    from ._openai import BaseOpenAI

T = TypeVar("T")

CHAT_ENDPOINT = "/v1/chat/completions"

Record = Callable[[str, str], Any]
"""`record(kind, id)`, told of each file (`"file"`) and batch (`"batch"`) as soon as it
exists; it may be a coroutine function. Store the batch ids and pass them back as `resume=`."""
OnProgress = Callable[[BatchStatus], Any]
"""Called with every state a poll returns."""


class OpenAIBatchClient:
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
        if poll_interval <= 0 or max_poll_interval < poll_interval or stuck_after <= 0:
            raise ConfigurationError("poll intervals and stuck_after must be > 0")
        self._owns_transport = transport is None
        if transport is None:
            url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
            key = api_key or os.environ.get("OPENAI_API_KEY") or None
            if key is None and url.rstrip("/") == DEFAULT_BASE_URL:
                raise ConfigurationError("no API key: set OPENAI_API_KEY or pass api_key")
            headers = {"User-Agent": "aiochain/0.1", "Content-Type": "application/json"}
            if key:
                headers["Authorization"] = f"Bearer {key}"
            secrets = (key,) if key else ()
            transport = HTTPTransport(
                url, headers=headers, timeout=timeout, session=session, secrets=secrets
            )
        self.transport = transport
        self.endpoint = endpoint
        self.retry = retry or RetryPolicy(max_retries=5, max_wait=30.0)
        self.max_requests, self.max_file_bytes = max_requests, max_file_bytes
        self.max_download_bytes = max_download_bytes
        self.poll_interval, self.max_poll_interval = poll_interval, max_poll_interval
        self.stuck_after = stuck_after
        self._clock, self._sleep = clock, sleep

    @classmethod
    def for_model(cls, llm: BaseOpenAI[Any], **options: Any) -> OpenAIBatchClient:
        """A client on `llm`'s endpoint, key, connections and retry policy."""
        pipeline = llm._pipeline
        pipeline._check_key()
        options.setdefault("retry", pipeline.retry)
        return cls(transport=pipeline.transport, endpoint="/v1" + llm._path, **options)

    async def aclose(self) -> None:
        """Close the transport's session of the running loop, if this client made it."""
        if self._owns_transport:
            await self.transport.aclose()

    async def __aenter__(self) -> OpenAIBatchClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- single calls ----------------------------------------------------------------------

    async def _call(self, attempt: Callable[[], Any], what: str) -> Any:
        return await call_with_retry(
            attempt, self.retry, what=self.transport.base_url + what, sleep=self._sleep
        )

    async def _json(self, method: str, path: str, **kwargs: Any) -> JSONDict:
        data: JSONDict = await self._call(
            lambda: self.transport.request_json(method, path, **kwargs), path
        )
        return data

    async def upload(self, content: bytes, *, filename: str = "batch.jsonl") -> str:
        """Upload a batch input file; returns its file id."""
        form = Multipart.encode(
            {"purpose": "batch"}, name="file", filename=filename, content=content
        )
        data = await self._json("POST", "/files", form=form)
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
        return BatchStatus.from_json(await self._json("GET", f"/batches/{_ident(batch_id)}"))

    async def cancel(self, batch_id: str) -> BatchStatus:
        """Ask the server to cancel a batch (it goes through `cancelling`; what it finished
        stays in its output file)."""
        path = f"/batches/{_ident(batch_id)}/cancel"

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
        query = f"?limit={int(limit)}" + (f"&after={_ident(after)}" if after else "")
        data = await self._json("GET", "/batches" + query)
        rows = data.get("data")
        if not isinstance(rows, list):
            raise BadResponseError(f"a batch list without data: {str(data)[:200]}")
        return [BatchStatus.from_json(row) for row in rows if isinstance(row, dict)]

    async def file_content(self, file_id: str) -> bytes:
        """The content of a file (at most `max_download_bytes`)."""
        path = f"/files/{_ident(file_id)}/content"
        raw: bytes = await self._call(
            lambda: self.transport.request("GET", path, max_bytes=self.max_download_bytes), path
        )
        return raw

    # --- polling and collecting ------------------------------------------------------------

    async def watch(self, batch_id: str) -> AsyncIterator[BatchStatus]:
        """Poll a batch with backoff, yielding each state, until it ends or is stuck in
        `finalizing` for `stuck_after` seconds (the last state then has `stuck=True`)."""
        wait = self.poll_interval
        finalizing_since: float | None = None
        while True:
            status = await self.retrieve(batch_id)
            if status.status == "finalizing":
                now = self._clock()
                finalizing_since = now if finalizing_since is None else finalizing_since
                if now - finalizing_since >= self.stuck_after:
                    yield dataclasses.replace(status, stuck=True)
                    return
            yield status
            if status.terminal:
                return
            await self._sleep(wait)
            wait = min(self.max_poll_interval, wait * 1.5)

    async def wait(self, batch_id: str, *, on_progress: OnProgress | None = None) -> BatchStatus:
        """Poll until the batch ends (or is stuck); returns its last state."""
        last: BatchStatus | None = None
        async for last in self.watch(batch_id):
            if on_progress is not None:
                await _maybe_await(on_progress(last))
        assert last is not None
        return last

    async def collect(self, batch: BatchStatus | str) -> BatchOutcome:
        """Merge the output and error files of an ended batch by `custom_id`."""
        status = batch if isinstance(batch, BatchStatus) else await self.retrieve(batch)
        outcome = BatchOutcome(batches=[status])
        for file_id in (status.output_file_id, status.error_file_id):
            if file_id:
                raw = await self.file_content(file_id)
                read_result_file(
                    raw, batch_id=status.id, results=outcome.results, errors=outcome.errors
                )
        return outcome

    # --- the whole flow --------------------------------------------------------------------

    async def submit(
        self,
        requests: Sequence[BatchRequest],
        *,
        record: Record | None = None,
        resume: Iterable[str] = (),
    ) -> list[tuple[Shard, BatchStatus]]:
        """Upload and create a batch for each input file the requests need, except those
        already covered by a batch in `resume` (recognised by the `aiochain_shard` metadata);
        each file and batch id goes to `record` as soon as it exists."""
        shards = shard_requests(
            requests,
            url=self.endpoint,
            max_requests=self.max_requests,
            max_bytes=self.max_file_bytes,
        )
        known: dict[str, BatchStatus] = {}
        for batch_id in resume:
            status = await self.retrieve(batch_id)
            known.setdefault(status.metadata.get("aiochain_shard", ""), status)
        made: list[tuple[Shard, BatchStatus]] = []
        for shard in shards:
            status_or_none = known.get(shard.key)
            if status_or_none is None:
                file_id = await self.upload(shard.content, filename=f"batch-{shard.key}.jsonl")
                if record is not None:
                    await _maybe_await(record("file", file_id))
                status_or_none = await self.create(file_id, metadata={"aiochain_shard": shard.key})
                if record is not None:
                    await _maybe_await(record("batch", status_or_none.id))
            made.append((shard, status_or_none))
        return made

    async def run(
        self,
        requests: Sequence[BatchRequest],
        *,
        record: Record | None = None,
        resume: Iterable[str] = (),
        on_progress: OnProgress | None = None,
    ) -> BatchOutcome:
        """Submit (or resume), poll every batch at once, and merge each as it ends.

        Every request ends up in `results` or in `errors`: a failed batch's requests are
        `batch_failed` (retryable when the server refused it for its token limit), a stuck
        batch's `batch_stuck`, rows in no result file `missing`.
        """
        submitted = await self.submit(requests, record=record, resume=resume)
        outcome = BatchOutcome()

        async def finish(shard: Shard, status: BatchStatus) -> None:
            if not status.terminal:
                status = await self.wait(status.id, on_progress=on_progress)
            part = await self.collect(status) if status.terminal else BatchOutcome(batches=[status])
            outcome.batches.append(status)
            outcome.results.update(part.results)
            outcome.errors.update(part.errors)
            unanswered = [
                c for c in shard.custom_ids if c not in part.results and c not in part.errors
            ]
            outcome.errors.update(unanswered_errors(status, unanswered))

        # gather, not a TaskGroup: the first failure is raised as it is (not in an
        # ExceptionGroup), and the other polls are cancelled.
        tasks = [asyncio.ensure_future(finish(shard, status)) for shard, status in submitted]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return outcome


def _ident(value: str) -> str:
    """An id put in a URL path: refused unless it is a plain token."""
    if not value or len(value) > 200 or not value.replace("-", "").replace("_", "").isalnum():
        raise ConfigurationError(f"not a batch or file id: {value[:80]!r}")
    return value


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


async def run_model_batch(
    llm: BaseOpenAI[Any],
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
    requests = [BatchRequest.make(str(i), llm._payload(x)) for i, x in enumerate(inputs)]
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
    "MAX_FILE_BYTES",
    "MAX_REQUESTS",
    "TERMINAL",
    "BatchOutcome",
    "BatchRequest",
    "BatchStatus",
    "OpenAIBatchClient",
    "run_model_batch",
]
