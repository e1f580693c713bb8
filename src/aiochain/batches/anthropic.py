"""Anthropic's Message Batches (`/v1/messages/batches`) on the shared batch flow.

A batch holds up to 100,000 requests or 256 MB (`custom_id` and Messages `params` each) and is
created in one request: there is no file to upload. Its `processing_status` is only
`in_progress`, `canceling` or `ended`; to share the flow's vocabulary, an `in_progress` batch
whose requests are all processed reads as `finalizing` (so one that never ends is reported as
stuck), and an `ended` one as `cancelled`, `expired` or `completed` by its counts. Results are
read from our own base URL, never from the `results_url` the server names, so the key goes to
no other host.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import _json
from .._exceptions import (
    APIConnectionError,
    BadResponseError,
    BatchRequestError,
    ConfigurationError,
    ServerUnreachableError,
)
from .._http.endpoint import anthropic_endpoint
from .._pipeline.retry import RetryPolicy
from .._types import Clock, JSONDict, Sleep
from ._flow import BaseBatchClient, Record, check_ident, maybe_await
from ._openai_files import BatchRequest, ResultLine, Shard, malformed_line, shard_requests
from ._spool import SpooledShard
from ._status import BatchStatus, epoch_seconds

if TYPE_CHECKING:
    import aiohttp

MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 256 * 1024 * 1024
_PATH = "/v1/messages/batches"
_COUNTS = ("processing", "succeeded", "errored", "canceled", "expired")
# Errors worth sending again: the server's trouble, not the request's.
_RETRYABLE = frozenset({"api_error", "overloaded_error", "rate_limit_error", "timeout_error"})
_KINDS = frozenset({"succeeded", "errored", "canceled", "expired"})


class AnthropicBatchClient(BaseBatchClient):
    """Runs Messages requests through Anthropic's Message Batches (or our simulator).

    Args:
        base_url: the API root without `/v1`; default `$ANTHROPIC_BASE_URL`, else Anthropic's.
        api_key: default `$ANTHROPIC_API_KEY`; sent as `x-api-key`, never printed or logged.
        timeout, retry, session: as `OpenAIBatchClient`'s.
        max_requests, max_batch_bytes: the limits of one batch.
        max_download_bytes: the largest results file read.
        poll_interval, max_poll_interval, stuck_after, clock, sleep: as `OpenAIBatchClient`'s.

    Resuming: `run(requests, resume=ids)` collects the recorded batches first, in any order,
    and sends only the requests they did not answer. `submit(requests, resume=ids)` (no
    results read) takes them as covering the shards in the order they were recorded (Message
    Batches carry no metadata to say which).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | None = 120.0,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        max_requests: int = MAX_BATCH_REQUESTS,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        max_download_bytes: int = 2 * 1024**3,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        stuck_after: float = 3600.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        endpoint = anthropic_endpoint(base_url, api_key)  # the models' own endpoint setup
        if endpoint.auth.key_error is not None:
            raise ConfigurationError("no API key: set ANTHROPIC_API_KEY or pass api_key")
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
        self.max_requests, self.max_batch_bytes = max_requests, max_batch_bytes
        self.max_download_bytes = max_download_bytes

    # --- single calls ----------------------------------------------------------------------

    async def create(self, shard: Shard | SpooledShard) -> BatchStatus:
        """Create a batch of `shard`'s requests (a spooled shard's are read from its file:
        one batch's body is held, never a job's).

        Retried only when the server surely did not make it (an error status, no
        connection): after a timeout or a broken connection it may have, and a second batch
        would be paid twice, so the error is raised.
        """
        lines = shard.lines() if isinstance(shard, SpooledShard) else shard.lines
        content = b'{"requests":[' + b",".join(lines) + b"]}"

        async def attempt() -> JSONDict | APIConnectionError:
            try:
                return await self.transport.request_json("POST", _PATH, content=content)
            except APIConnectionError as exc:
                if isinstance(exc, ServerUnreachableError):
                    raise
                return exc

        answer = await self._call(attempt, _PATH)
        if isinstance(answer, APIConnectionError):
            raise answer
        return _status(answer)

    async def retrieve(self, batch_id: str) -> BatchStatus:
        """The batch's state now."""
        return _status(await self._json("GET", f"{_PATH}/{check_ident(batch_id)}"))

    async def cancel(self, batch_id: str) -> BatchStatus:
        """Ask the server to cancel a batch; what it finished stays in its results."""
        path = f"{_PATH}/{check_ident(batch_id)}/cancel"
        return _status(await self._json("POST", path, payload={}))

    async def list_batches(self, *, limit: int = 20, after: str | None = None) -> list[BatchStatus]:
        """One page of batches, newest first; `after` is the last id of the previous page."""
        if not 1 <= limit <= 100:
            raise ConfigurationError(f"limit must be from 1 to 100, got {limit}")
        query = f"?limit={int(limit)}" + (f"&after_id={check_ident(after)}" if after else "")
        data = await self._json("GET", _PATH + query)
        rows = data.get("data")
        if not isinstance(rows, list):
            raise BadResponseError(f"a batch list without data: {str(data)[:200]}")
        return [_status(row) for row in rows if isinstance(row, dict)]

    def result_paths(self, status: BatchStatus) -> list[str]:
        """The batch's results, from our own base URL (never the `results_url` it names)."""
        return [f"{_PATH}/{check_ident(status.id)}/results"]

    def read_line(self, text: bytes, *, batch_id: str, number: int) -> ResultLine | None:
        """One results line: a Message for `succeeded`, an error for `errored`, `expired`
        and `canceled`, and for a line that is not a result (`malformed_line`)."""
        return _read_result(text, number, batch_id)

    async def start_spooled(self, shard: SpooledShard, *, key: str) -> BatchStatus:
        """Create a batch of the requests in `shard`'s file (Message Batches keep no
        metadata: `key` is not sent)."""
        return await self.create(shard)

    # --- the provider's part of the flow ---------------------------------------------------

    def shards(self, requests: Sequence[BatchRequest]) -> list[Shard]:
        """`requests` cut into batches of at most `max_requests` and `max_batch_bytes`."""
        return shard_requests(
            requests,
            encode=lambda r: _json.dumps({"custom_id": r.custom_id, "params": r.body}),
            max_requests=self.max_requests,
            max_bytes=self.max_batch_bytes,
        )

    async def _start(self, shard: Shard, record: Record | None) -> BatchStatus:
        status = await self.create(shard)
        if record is not None:
            await maybe_await(record("batch", status.id))
        return status

    def _covered(self, shards: list[Shard], resumed: list[BatchStatus]) -> dict[str, BatchStatus]:
        if len(resumed) > len(shards):
            raise ConfigurationError(
                f"{len(resumed)} batches to resume, but these requests make {len(shards)}"
            )
        for shard, status in zip(shards, resumed, strict=False):
            if status.total != len(shard.custom_ids):
                raise ConfigurationError(
                    f"batch {status.id} holds {status.total} requests, not the "
                    f"{len(shard.custom_ids)} of this job's shard: not this job's batch"
                )
        return {shard.key: status for shard, status in zip(shards, resumed, strict=False)}


def _status(data: JSONDict) -> BatchStatus:
    """A Message Batch as a `BatchStatus` (see the module docstring), or BadResponseError."""
    ident, state = data.get("id"), data.get("processing_status")
    counts = data.get("request_counts")
    numbers: list[Any] = [counts.get(k, 0) if isinstance(counts, dict) else None for k in _COUNTS]
    if (
        not isinstance(ident, str)
        or state not in ("in_progress", "canceling", "ended")
        or not all(type(n) is int and 0 <= n <= 10**9 for n in numbers)
    ):
        raise BadResponseError(f"a malformed message batch: {str(data)[:200]}", body=str(data))
    processing, succeeded, errored, canceled, expired = numbers
    if state == "ended":
        status = "cancelled" if canceled else "expired" if expired else "completed"
    elif state == "canceling":
        status = "cancelling"
    else:
        status = "in_progress" if processing else "finalizing"
    url = data.get("results_url")
    created = data.get("created_at")
    return BatchStatus(
        ident[:200],
        status,
        total=sum(numbers),
        completed=succeeded,
        failed=errored,
        results_url=url[:2000] if isinstance(url, str) else None,
        created_at=epoch_seconds(created),
    )


def _read_result(text: bytes, number: int, batch_id: str) -> ResultLine | None:
    """One line of a results file (see `read_line`)."""
    if not text.strip():
        return None
    try:
        row: Any = _json.loads(text)
    except ValueError:
        row = None
    custom_id = row.get("custom_id") if isinstance(row, dict) else None
    result = row.get("result") if isinstance(row, dict) else None
    kind = result.get("type") if isinstance(result, dict) else None
    if not isinstance(custom_id, str) or not custom_id or not isinstance(kind, str):
        return malformed_line(text, batch_id=batch_id, number=number)
    assert isinstance(result, dict)
    message = result.get("message")
    if kind == "succeeded" and isinstance(message, dict):
        return ResultLine(custom_id, body=message)
    if kind not in _KINDS:
        return malformed_line(text, batch_id=batch_id, number=number)
    error = result.get("error")
    inner = error.get("error") if isinstance(error, dict) else None
    detail = inner if isinstance(inner, dict) else error if isinstance(error, dict) else {}
    code = str(detail.get("type") or kind)[:80]
    text_of = str(detail.get("message") or kind)[:500]
    failure = BatchRequestError(
        f"{custom_id}: {text_of}",
        custom_id=custom_id,
        code=code if kind == "errored" else f"batch_{kind}",
        body=error if error is not None else result,
        batch_id=batch_id,
        retryable=kind != "errored" or code in _RETRYABLE,
    )
    return ResultLine(custom_id, error=failure)
