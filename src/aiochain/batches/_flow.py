"""What every Batch API client does the same way, whatever the provider: collect the batches a
resumed run is given first and submit only what they did not answer, record each id before
polling, poll with backoff, report a batch stuck before its end, and read each batch's result
lines from disk as soon as it ends (a line that is not a result is its request's error).

A provider's client (`aiochain.batches.OpenAIBatchClient`, `AnthropicBatchClient`) says how
requests are cut into shards, how one shard becomes a batch, how a batch is read, which
recorded batches cover which shards, and how an ended batch's results are read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Self

from .._exceptions import ConfigurationError
from .._http.transport import HTTPTransport
from .._pipeline.retry import RetryPolicy, call_with_retry
from .._types import Clock, JSONDict, Sleep
from ._openai_files import BatchRequest, ResultLine, Shard, merge_line
from ._spool import SpooledShard, iter_lines, temporary_folder
from ._status import BatchOutcome, BatchStatus, unanswered_errors

Record = Callable[[str, str], Any]
"""`record(kind, id)`, told of each file (`"file"`) and batch (`"batch"`) as soon as it
exists; it may be a coroutine function. Store the batch ids and pass them back as `resume=`."""
OnProgress = Callable[[BatchStatus], Any]
"""Called with every state a poll returns."""


class BaseBatchClient:
    """The provider-independent flow; see the module docstring.

    Ownership: a transport the subclass makes is its own, closed by `aclose()` / `async with`;
    one passed in (a model's) is left open.
    """

    def __init__(
        self,
        transport: HTTPTransport,
        *,
        owns_transport: bool,
        retry: RetryPolicy | None,
        poll_interval: float,
        max_poll_interval: float,
        stuck_after: float,
        clock: Clock,
        sleep: Sleep,
    ) -> None:
        if poll_interval <= 0 or max_poll_interval < poll_interval or stuck_after <= 0:
            raise ConfigurationError("poll intervals and stuck_after must be > 0")
        self.transport = transport
        self._owns_transport = owns_transport
        self.retry = retry or RetryPolicy(max_retries=5, max_wait=30.0)
        self.poll_interval, self.max_poll_interval = poll_interval, max_poll_interval
        self.stuck_after = stuck_after
        self._clock, self._sleep = clock, sleep
        self.max_download_bytes = 2 * 1024**3

    async def aclose(self) -> None:
        """Close the transport's session of the running loop, if this client made it."""
        if self._owns_transport:
            await self.transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- what a provider supplies ----------------------------------------------------------

    def shards(self, requests: Sequence[BatchRequest]) -> list[Shard]:
        """`requests` cut into batches within the provider's limits."""
        raise NotImplementedError

    async def retrieve(self, batch_id: str) -> BatchStatus:
        """The batch's state now."""
        raise NotImplementedError

    def result_paths(self, status: BatchStatus) -> list[str]:
        """The paths of an ended batch's result files (output and error files, or results)."""
        raise NotImplementedError

    def read_line(self, text: bytes, *, batch_id: str, number: int) -> ResultLine | None:
        """One result line, read (a malformed one is its request's error; None: no request)."""
        raise NotImplementedError

    async def start_spooled(self, shard: SpooledShard, *, key: str) -> BatchStatus:
        """Make a batch of the requests in `shard`'s file (`key` goes into its metadata
        where the provider keeps metadata)."""
        raise NotImplementedError

    async def _start(self, shard: Shard, record: Record | None) -> BatchStatus:
        """Make a batch of `shard`, telling `record` of each id as it exists."""
        raise NotImplementedError

    def _covered(self, shards: list[Shard], resumed: list[BatchStatus]) -> dict[str, BatchStatus]:
        """Which shards (by key) the recorded batches already cover."""
        raise NotImplementedError

    # --- single calls ----------------------------------------------------------------------

    async def _call(self, attempt: Callable[[], Any], what: str) -> Any:
        return await call_with_retry(
            attempt, self.retry, what=self.transport.shown(what), sleep=self._sleep
        )

    async def _json(self, method: str, path: str, **kwargs: Any) -> JSONDict:
        data: JSONDict = await self._call(
            lambda: self.transport.request_json(method, path, **kwargs), path
        )
        return data

    async def download(self, path: str, target: Path, *, max_bytes: int) -> None:
        """Download `path` into the file `target`, retried from the start on failures."""

        async def attempt() -> None:
            with target.open("wb") as sink:
                await self.transport.download(path, sink, max_bytes=max_bytes)

        await self._call(attempt, path)

    async def result_lines(self, batch: BatchStatus | str) -> AsyncIterator[ResultLine]:
        """An ended batch's result lines, read one at a time from files downloaded to disk:
        memory stays bounded by one line, whatever the batch's size. A line that is not a
        result is its request's error (`malformed_line`); one that names no request is
        skipped (its request then has no row at all)."""
        status = batch if isinstance(batch, BatchStatus) else await self.retrieve(batch)
        with temporary_folder("aiochain-results-") as folder:
            for number, path in enumerate(self.result_paths(status)):
                target = Path(folder) / f"result-{number}.jsonl"
                await self.download(path, target, max_bytes=self.max_download_bytes)
                for line_number, text in enumerate(self._redacted(iter_lines(target)), start=1):
                    line = self.read_line(text, batch_id=status.id, number=line_number)
                    if line is not None:
                        yield line
                target.unlink()

    def _redacted(self, lines: Iterator[bytes]) -> Iterator[bytes]:
        redactor = self.transport.redactor
        for line in lines:
            yield redactor.raw(line) if redactor.active else line

    async def collect(self, batch: BatchStatus | str) -> BatchOutcome:
        """Merge an ended batch's result lines by `custom_id` (in memory: for a job of any
        size, read `result_lines` instead)."""
        status = batch if isinstance(batch, BatchStatus) else await self.retrieve(batch)
        outcome = BatchOutcome(batches=[status])
        async for line in self.result_lines(status):
            merge_line(line, outcome.results, outcome.errors)
        return outcome

    # --- polling ---------------------------------------------------------------------------

    async def watch(self, batch_id: str) -> AsyncIterator[BatchStatus]:
        """Poll a batch with backoff, yielding each state, until it ends or stays in
        `finalizing` (every request done, no results yet) for `stuck_after` seconds (the last
        state then has `stuck=True`)."""
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
                await maybe_await(on_progress(last))
        assert last is not None
        return last

    # --- the whole flow --------------------------------------------------------------------

    async def submit(
        self,
        requests: Sequence[BatchRequest],
        *,
        record: Record | None = None,
        resume: Iterable[str] = (),
    ) -> list[tuple[Shard, BatchStatus]]:
        """Make a batch for each shard the requests need, except those a batch in `resume`
        already covers; each id goes to `record` as soon as it exists, before any polling."""
        shards = self.shards(requests)
        resumed = [await self.retrieve(batch_id) for batch_id in resume]
        covered = self._covered(shards, resumed)
        made: list[tuple[Shard, BatchStatus]] = []
        for shard in shards:
            status = covered.get(shard.key)
            if status is None:
                status = await self._start(shard, record)
            made.append((shard, status))
        return made

    async def run(
        self,
        requests: Sequence[BatchRequest],
        *,
        record: Record | None = None,
        resume: Iterable[str] = (),
        on_progress: OnProgress | None = None,
    ) -> BatchOutcome:
        """Resume, submit, poll every batch at once, and merge each as it ends.

        The batches in `resume` are polled and collected first, whatever requests they hold
        and in whatever order they are given: a request one of them answered (or failed for
        good) is not sent again, and only the rest are cut into new batches. Every request
        ends up in `results` or in `errors`: a failed batch's requests are `batch_failed`
        (retryable when the server refused it for its token limit), a stuck batch's
        `batch_stuck`, rows in no result file `missing`, a line that is not a result
        `malformed_line`.
        """
        outcome = BatchOutcome()
        wanted = {request.custom_id for request in requests}
        resumed = [(None, await self.retrieve(batch_id)) for batch_id in resume]
        await self._finish_all(resumed, outcome, wanted, on_progress)
        held = set(outcome.results) | {c for c, e in outcome.errors.items() if not e.retryable}
        rest = [request for request in requests if request.custom_id not in held]
        submitted = [(s, await self._start(s, record)) for s in self.shards(rest)] if rest else []
        await self._finish_all(submitted, outcome, wanted, on_progress)
        return outcome

    async def _finish_all(
        self,
        batches: Sequence[tuple[Shard | None, BatchStatus]],
        outcome: BatchOutcome,
        wanted: set[str],
        on_progress: OnProgress | None,
    ) -> None:
        """Poll `batches` at once, merging each one's lines for `wanted` requests as it ends."""

        async def finish(shard: Shard | None, status: BatchStatus) -> None:
            if not status.terminal:
                status = await self.wait(status.id, on_progress=on_progress)
            outcome.batches.append(status)
            seen: set[str] = set()
            if status.terminal:
                async for line in self.result_lines(status):
                    if line.custom_id in wanted:
                        seen.add(line.custom_id)
                        merge_line(line, outcome.results, outcome.errors)
            if shard is not None:
                unanswered = [c for c in shard.custom_ids if c not in seen]
                for custom_id, error in unanswered_errors(status, unanswered).items():
                    if custom_id not in outcome.results:
                        outcome.errors[custom_id] = error

        # gather, not a TaskGroup: the first failure is raised as it is (not in an
        # ExceptionGroup), and the other polls are cancelled.
        tasks = [asyncio.ensure_future(finish(shard, status)) for shard, status in batches]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def check_ident(value: str) -> str:
    """An id put in a URL path: refused unless it is a plain token."""
    if not value or len(value) > 200 or not value.replace("-", "").replace("_", "").isalnum():
        raise ConfigurationError(f"not a batch or file id: {value[:80]!r}")
    return value


async def maybe_await(value: Any) -> None:
    """Await `value` when a callback returned an awaitable."""
    if inspect.isawaitable(value):
        await value
