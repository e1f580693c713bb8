"""Gemini's batch mode (`models/{model}:batchGenerateContent`) on the shared batch flow.

A batch is created in one request with its GenerateContentRequests inline (`{"request": ...,
"metadata": {"key": custom_id}}` each; the file variant through the Files API is not used
yet), so a batch is kept small: at most `max_requests` requests and `max_batch_bytes` bytes
(Google's inline limit is 20 MB). The batch is a long-running operation `batches/{id}`; its
`metadata.state` (`BATCH_STATE_*`, or `JOB_STATE_*` as the SDKs name them) reads as the flow's
vocabulary: PENDING -> validating, RUNNING -> in_progress (finalizing once nothing is pending,
so one that never ends is reported stuck), SUCCEEDED -> completed, FAILED, CANCELLED, EXPIRED.
Results are the done operation's `response.inlinedResponses.inlinedResponses`, each matched to
its request by its metadata key. The shard key is the batch's `display_name`, so a batch a
killed run made is recognised on resume.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from .. import _json
from .._exceptions import (
    APIConnectionError,
    BadResponseError,
    BatchRequestError,
    ConfigurationError,
    ServerUnreachableError,
)
from .._http.endpoint import gemini_endpoint
from .._pipeline.retry import RetryPolicy
from .._providers.gemini_wire import read_gemini_usage
from .._types import Clock, JSONDict, Sleep
from ._flow import BaseBatchClient, Record, check_ident, maybe_await
from ._openai_files import BatchRequest, ResultLine, Shard, malformed_line, shard_requests
from ._spool import SpooledShard
from ._status import BatchStatus, epoch_seconds

if TYPE_CHECKING:
    import aiohttp

MAX_BATCH_REQUESTS = 10_000
MAX_BATCH_BYTES = 18 * 1024 * 1024  # under the 20 MB inline limit, room for the envelope
_VERSION = "/v1beta"
_STATES = {
    "PENDING": "validating",
    "RUNNING": "in_progress",
    "SUCCEEDED": "completed",
    "FAILED": "failed",
    "CANCELLED": "cancelled",
    "EXPIRED": "expired",
}
_RETRYABLE = frozenset({429, 500, 503, 504})


class GeminiBatchClient(BaseBatchClient):
    """Runs generateContent requests through Gemini's batch mode (or our simulator).

    Args:
        model: the model every request of the batch goes to (`gemini-2.5-flash`); None for
            a client that only reads, lists and cancels batches.
        base_url: the API root without the version; default `$GOOGLE_GEMINI_BASE_URL`, else
            Google's.
        api_key: default `$GOOGLE_API_KEY`, else `$GEMINI_API_KEY`; sent as `x-goog-api-key`.
        timeout, retry, session, poll_interval, max_poll_interval, stuck_after, clock, sleep:
            as `OpenAIBatchClient`'s.
        max_requests, max_batch_bytes: the limits of one (inline) batch.

    Resuming: `run(requests, resume=ids)` collects the recorded batches first and sends only
    the requests they did not answer; `submit(..., resume=ids)` recognises them by the shard
    key in their display name.
    """

    def __init__(
        self,
        model: str | None,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | None = 120.0,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        max_requests: int = MAX_BATCH_REQUESTS,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        stuck_after: float = 3600.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        endpoint = gemini_endpoint(base_url, api_key)  # the models' own endpoint setup
        if endpoint.auth.key_error is not None:
            raise ConfigurationError(endpoint.auth.key_error)
        if model is not None:
            model = model.removeprefix("models/")
            if not model or "/" in model or "?" in model or ":" in model:
                raise ConfigurationError(f"not a Gemini model name: {model[:80]!r}")
        transport = endpoint.transport(timeout=timeout, session=session)
        super().__init__(
            transport,
            owns_transport=True,
            retry=retry,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            stuck_after=stuck_after,
            clock=clock,
            sleep=sleep,
        )
        self.model = model
        self.max_requests, self.max_batch_bytes = max_requests, max_batch_bytes

    # --- single calls ----------------------------------------------------------------------

    async def create(self, shard: Shard | SpooledShard, *, key: str | None = None) -> BatchStatus:
        """Create a batch of `shard`'s requests, named `key` (default the shard's key).

        Retried only when the server surely did not make it (an error status, no
        connection): after a timeout or a broken connection it may have, and a second batch
        would be paid twice, so the error is raised.
        """
        if self.model is None:
            raise ConfigurationError("GeminiBatchClient(model=None) cannot create batches")
        lines = shard.lines() if isinstance(shard, SpooledShard) else shard.lines
        name = key if key is not None else shard.key if isinstance(shard, Shard) else ""
        head = _json.dumps({"display_name": name})[:-1]
        content = (
            b'{"batch":' + head + b',"input_config":{"requests":{"requests":['
            + b",".join(lines) + b"]}}}}"
        )  # fmt: skip
        path = f"{_VERSION}/models/{self.model}:batchGenerateContent"

        async def attempt() -> JSONDict | APIConnectionError:
            try:
                return await self.transport.request_json("POST", path, content=content)
            except APIConnectionError as exc:
                if isinstance(exc, ServerUnreachableError):
                    raise
                return exc

        answer = await self._call(attempt, path)
        if isinstance(answer, APIConnectionError):
            raise answer
        return _status(answer)

    async def operation(self, batch_id: str) -> JSONDict:
        """The batch's operation as the server sends it."""
        return await self._json("GET", _path(batch_id))

    async def retrieve(self, batch_id: str) -> BatchStatus:
        """The batch's state now."""
        return _status(await self.operation(batch_id))

    async def cancel(self, batch_id: str) -> BatchStatus:
        """Ask the server to cancel a batch; what it finished stays in its results."""
        await self._json("POST", _path(batch_id) + ":cancel", payload={})
        return await self.retrieve(batch_id)

    async def list_batches(self, *, limit: int = 20, after: str | None = None) -> list[BatchStatus]:
        """One page of batches, newest first (`after` is not supported: Gemini pages by
        token)."""
        if not 1 <= limit <= 100:
            raise ConfigurationError(f"limit must be from 1 to 100, got {limit}")
        if after is not None:
            raise ConfigurationError("Gemini pages batches by token: `after` is not supported")
        data = await self._json("GET", f"{_VERSION}/batches?pageSize={int(limit)}")
        rows = data.get("operations", data.get("batches", []))
        if not isinstance(rows, list):
            raise BadResponseError(f"a batch list without operations: {str(data)[:200]}")
        return [_status(row) for row in rows if isinstance(row, dict)]

    def result_paths(self, status: BatchStatus) -> list[str]:
        """The operation holds the results inline: there is no file to download."""
        return []

    async def result_lines(self, batch: BatchStatus | str) -> AsyncIterator[ResultLine]:
        """An ended batch's results, read from its operation's inline responses."""
        ident = batch.id if isinstance(batch, BatchStatus) else batch
        data = await self.operation(ident)
        response = data.get("response")
        if not isinstance(response, dict):  # the batch's own output, as the SDK reads it
            meta = data.get("metadata")
            response = meta.get("output") if isinstance(meta, dict) else None
        holder = response.get("inlinedResponses") if isinstance(response, dict) else None
        rows = holder.get("inlinedResponses") if isinstance(holder, dict) else None
        for number, row in enumerate(rows if isinstance(rows, list) else [], start=1):
            line = _read_row(row, number, ident)
            if line is not None:
                yield line

    def read_line(self, text: bytes, *, batch_id: str, number: int) -> ResultLine | None:
        """One inlined response (or one line of a results file) as JSON."""
        if not text.strip():
            return None
        try:
            row: Any = _json.loads(text)
        except ValueError:
            return malformed_line(text, batch_id=batch_id, number=number)
        return _read_row(row, number, batch_id)

    async def start_spooled(self, shard: SpooledShard, *, key: str) -> BatchStatus:
        """Create a batch of the requests in `shard`'s file, named `key`."""
        return await self.create(shard, key=key)

    # --- the provider's part of the flow ---------------------------------------------------

    def shards(self, requests: Sequence[BatchRequest]) -> list[Shard]:
        """`requests` cut into batches of at most `max_requests` and `max_batch_bytes`."""
        return shard_requests(
            requests,
            encode=encode_request,
            max_requests=self.max_requests,
            max_bytes=self.max_batch_bytes,
        )

    async def _start(self, shard: Shard, record: Record | None) -> BatchStatus:
        status = await self.create(shard)
        if record is not None:
            await maybe_await(record("batch", status.id))
        return status

    def _covered(self, shards: list[Shard], resumed: list[BatchStatus]) -> dict[str, BatchStatus]:
        return {s.metadata.get("aiochain_shard", ""): s for s in reversed(resumed)}


def encode_request(request: BatchRequest) -> bytes:
    """One inline request: the GenerateContentRequest and its `custom_id` as metadata key."""
    return _json.dumps({"request": request.body, "metadata": {"key": request.custom_id}})


def _path(batch_id: str) -> str:
    return f"{_VERSION}/batches/{check_ident(batch_id.removeprefix('batches/'))}"


def _count(stats: Any, name: str) -> Any:
    value: Any = stats.get(name, 0) if isinstance(stats, dict) else None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 10**9 else None


def _status(data: JSONDict) -> BatchStatus:
    """A batch operation as a `BatchStatus` (see the module docstring), or BadResponseError."""
    meta = data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = data.get("name", meta.get("name"))
    state = str(meta.get("state", "")).removeprefix("BATCH_STATE_").removeprefix("JOB_STATE_")
    stats = meta.get("batchStats", {})
    numbers = [_count(stats, k) for k in ("requestCount", "successfulRequestCount",
               "failedRequestCount", "pendingRequestCount")]  # fmt: skip
    if not isinstance(name, str) or state not in _STATES or None in numbers:
        raise BadResponseError(f"a malformed batch operation: {str(data)[:200]}", body=str(data))
    total, succeeded, failed, pending = numbers
    status = _STATES[state]
    if status == "in_progress" and total and not pending:
        status = "finalizing"
    error = data.get("error")
    errors = (error,) if isinstance(error, dict) else ()
    display = meta.get("displayName", meta.get("display_name"))
    return BatchStatus(
        name.removeprefix("batches/")[:200],
        status,
        total=total,
        completed=succeeded,
        failed=failed,
        errors=errors,
        metadata={"aiochain_shard": display[:200]} if isinstance(display, str) and display else {},
        created_at=epoch_seconds(meta.get("createTime")),
    )


def _read_row(row: Any, number: int, batch_id: str) -> ResultLine | None:
    """One inlined response: its answer (whose usage must read), or its error."""
    meta = row.get("metadata") if isinstance(row, dict) else None
    key = meta.get("key") if isinstance(meta, dict) else None
    if not isinstance(key, str) or not key:
        return malformed_line(_json.dumps(row)[:4096], batch_id=batch_id, number=number)
    assert isinstance(row, dict)
    response = row.get("response")
    if isinstance(response, dict):
        try:
            read_gemini_usage(response)  # counts that cannot be read are its error
        except BadResponseError as exc:
            error = BatchRequestError(
                f"{key}: {exc}", custom_id=key, code="bad_usage", body=response,
                batch_id=batch_id, retryable=True,
            )  # fmt: skip
            return ResultLine(key, error=error)
        return ResultLine(key, body=response)
    detail = row.get("error")
    detail = detail if isinstance(detail, dict) else {}
    code = detail.get("code")
    failure = BatchRequestError(
        f"{key}: {str(detail.get('message') or 'no response')[:500]}",
        custom_id=key,
        code=str(detail.get("status") or code or "no_response")[:80],
        body=row,
        batch_id=batch_id,
        retryable=not detail or code in _RETRYABLE,
    )
    return ResultLine(key, error=failure)
