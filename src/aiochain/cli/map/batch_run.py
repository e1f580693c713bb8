"""One `map --batch` run: remembered batches collected, uncovered records spooled into new
batches, and every batch's result lines committed to the journal as they are read.

Memory stays bounded by a shard, not the job: request lines go to shard files as they are
built (their coverage to the journal in chunks), result files are downloaded to disk and read
line by line, rows are committed `COMMIT_ROWS` at a time. What this run has finished is one
byte per record (`finished`), what is worth another try one more (`again`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from ... import _json
from ..._exceptions import APIStatusError, AuthenticationError, BatchRequestError, NotFoundError
from ..._pipeline.estimates import CHARS_PER_TOKEN, DEFAULT_COMPLETION_TOKENS
from ...batches._openai_files import BatchRequest, ResultLine, openai_line
from ...batches._spool import ShardSpool, SpooledShard
from ...batches._status import BatchStatus, unanswered_errors
from ...batches.gemini import encode_request
from ...messages import HumanMessage
from ...pricing import cost_for
from . import batch_cover as cover
from .journal import JournalRow
from .record_prompts import missing_variables, prompt_values
from .records import Record

COMMIT_ROWS = 1000
"""Rows committed in one transaction while a batch's results are read."""
_ANTHROPIC_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_OPENAI_ID_LENGTH = 512  # OpenAI documents no limit; its metadata values stop at 512
# Test hooks, for kills at the worst moments: SIGKILL the process after this many commits of
# batch rows (mid-commit), or as soon as the server has made a batch (before it is journaled).
_KILL_AFTER = int(os.environ.get("AIOCHAIN_TEST_KILL_AFTER_BATCH_COMMITS") or 0)
_KILL_WHEN_MADE = bool(os.environ.get("AIOCHAIN_TEST_KILL_WHEN_BATCH_MADE"))
_STOPS: dict[int, type[APIStatusError]] = {
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
}


class BatchableJob(Protocol):
    """What of the map job a batch run uses (`_map_job._Job`)."""

    options: Any
    llm: Any
    journal: Any
    budget: Any
    summary: Any
    stats: Any
    template: Any
    system: Any
    index: Any
    via: str | None
    batch_started: float | None

    def pending_records(self) -> Iterator[Record]: ...

    def _committed(self, rows: list[JournalRow]) -> None: ...


AnswerRow = Callable[[BatchableJob, Record, dict[str, Any], Any], JournalRow]
FailedRow = Callable[[BatchableJob, Record, str, str], JournalRow]
RequestOf = Callable[[BatchableJob, Record], "tuple[dict[str, Any], str] | tuple[str, str] | None"]
"""A record's request line body and the text it sends; or, for a record that cannot be
sent (it fails alone, unsent), (the error, its kind) with no body; or None for a record
that is not for a batch (it is sent live with what the batches leave)."""


def chat_request(job: BatchableJob, record: Record) -> tuple[dict[str, Any], str] | tuple[str, str]:
    """A chat job's request: the template filled (with the system message), as sent live."""
    missing = missing_variables(job.template, record)
    if missing is not None:  # fails alone, unsent, as on the live path
        return missing, "MissingVariablesError"
    prompt = job.template.format(**prompt_values(job.template, record))
    messages: Any = [job.system, HumanMessage(prompt)] if job.system else prompt
    return job.llm.request_body(messages), prompt


def custom_id_for(record_id: str, provider: str) -> str:
    """The record's id where the provider allows it as a `custom_id` (Anthropic:
    `[a-zA-Z0-9_-]{1,64}`; OpenAI: up to 512 characters), else `r-` and a digest of it (the
    journal maps it back: `aiochain batches collect --journal`)."""
    if provider == "anthropic":
        if _ANTHROPIC_ID.fullmatch(record_id):
            return record_id
    elif 0 < len(record_id) <= _OPENAI_ID_LENGTH:
        return record_id
    return "r-" + hashlib.sha256(record_id.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class BatchRun:
    """The batch part of one run of a `map --batch` job; see the module docstring."""

    def __init__(
        self,
        job: BatchableJob,
        client: Any,
        *,
        provider: str,
        price: tuple[float, float] | None,
        answer_row: AnswerRow,
        failed_row: FailedRow,
        folder: str,
        request_of: RequestOf = chat_request,
        answers: bool = True,
    ) -> None:
        self.job, self.client, self.provider, self.price = job, client, provider, price
        self.answer_row, self.failed_row, self.request_of = answer_row, failed_row, request_of
        self.answers = answers  # whether answers have completion tokens (not embeddings)
        self.folder = Path(folder)
        total = job.index.total
        self.finished = bytearray(total)  # committed by this run
        self.again = bytearray(total)  # left by a batch with an error worth another try
        self.rows: list[JournalRow] = []
        self.commits = 0
        self.states: dict[str, BatchStatus] = {}
        self._shown: dict[str, tuple[str, int, int]] = {}
        self.malformed: dict[str, int] = {}  # batch id -> result lines that were not results

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(journal, *args)` on the journal's thread."""
        journal = self.job.journal
        return await journal.call(function, journal, *args)

    # --- spooling ------------------------------------------------------------------------

    def _encode(self, custom_id: str, body: dict[str, Any]) -> bytes:
        if self.provider == "anthropic":
            return _json.dumps({"custom_id": custom_id, "params": body})
        if self.provider == "gemini":
            return encode_request(BatchRequest(custom_id, body))
        return openai_line(self.client.endpoint)(BatchRequest(custom_id, body))

    async def spool(
        self, wanted: Callable[[Record], bool], limits: tuple[int, int], round_name: str
    ) -> tuple[list[tuple[str, SpooledShard]], float]:
        """Write the request of every pending record `wanted` to shard files, noting each in
        the journal under its shard's key; returns (key, shard) pairs and the estimate of
        what they may cost at most. Records missing a variable fail alone, unsent."""
        job = self.job
        spool = ShardSpool(self.folder, max_requests=limits[0], max_bytes=limits[1])
        shards: list[tuple[str, SpooledShard]] = []
        key = secrets.token_hex(8)
        entries: list[tuple[str, str, str]] = []
        estimate = 0.0
        answer = (job.options.max_tokens or DEFAULT_COMPLETION_TOKENS) if self.answers else 0
        for count, record in enumerate(job.pending_records(), start=1):
            if count % 1000 == 0:
                await asyncio.sleep(0)  # let the progress display run
            if self.finished[record.index] or not wanted(record):
                continue
            built = self.request_of(job, record)
            if built is None:  # not for a batch: left to the live phase
                continue
            body, prompt = built
            if isinstance(body, str):  # fails alone, unsent, as on the live path
                await self.commit(self.failed_row(job, record, body, prompt), record.index)
                continue
            custom_id = custom_id_for(record.id, self.provider)
            closed = spool.add(custom_id, self._encode(custom_id, body))
            if closed is not None:
                await self._note(key, round_name, entries)
                shards.append((key, closed))
                key, entries = secrets.token_hex(8), []
            entries.append((custom_id, record.id, record.digest))
            if len(entries) >= COMMIT_ROWS * 5:
                await self._note(key, round_name, entries)
                entries = []
            if self.price is not None:
                estimate += cost_for(self.price, len(prompt) / CHARS_PER_TOKEN, answer)
        last = spool.finish()
        if last is not None:
            await self._note(key, round_name, entries)
            shards.append((key, last))
        await self.flush()
        return shards, estimate

    async def _note(self, key: str, round_name: str, entries: list[tuple[str, str, str]]) -> None:
        if entries:
            await self.call(cover.add_members, key, round_name, list(entries))

    async def start(self, key: str, shard: SpooledShard, round_name: str) -> BatchStatus:
        """Make the batch of a spooled shard, and journal it as covering the shard's records."""
        status: BatchStatus = await self.client.start_spooled(shard, key=key)
        if _KILL_WHEN_MADE:
            os.kill(os.getpid(), signal.SIGKILL)
        await self.call(cover.made, key, status.id, round_name)
        shard.remove()
        self.show(status)
        return status

    # --- collecting ----------------------------------------------------------------------

    async def collect(self, status: BatchStatus) -> None:
        """Poll a batch until it ends, then commit a row for each pending record it answered
        (or failed for good); the others are marked to try `again`. Failures are committed
        once the whole batch is read: a batch whose every request was refused as the live
        path would stop on stops the job instead, leaving nothing behind."""
        if not status.terminal:
            status = await self.client.wait(status.id, on_progress=self.show)
        self.show(status)
        answered, codes = 0, dict[Any, str]()
        seen: set[str] = set()
        failures: list[tuple[JournalRow, int]] = []
        if status.terminal:
            chunk: list[ResultLine] = []
            async for line in self.client.result_lines(status):
                chunk.append(line)
                if len(chunk) >= COMMIT_ROWS:
                    answered += await self._take(status, chunk, seen, codes, failures)
                    chunk = []
            answered += await self._take(status, chunk, seen, codes, failures)
        left = [m for m in await self.call(cover.members, status.id) if m[0] not in seen]
        errors = unanswered_errors(status, [m[0] for m in left])
        for custom_id, idx, ident, key in left:
            self._settle(Record(idx, ident, {}, key), errors[custom_id], failures)
        malformed = self.malformed.pop(status.id, 0)
        if malformed and self.job.options.batch_progress:
            print(
                f"aiochain map: {status.id}: {malformed} result line(s) were not results; "
                "their records are sent again",
                file=sys.stderr,
                flush=True,
            )
        if not answered and seen and len(codes) == 1 and (code := next(iter(codes))) in _STOPS:
            # Every request refused as the live path would stop on (an unknown model, a
            # refused key): stop the job, as it does, instead of failing every record.
            raise _STOPS[code](codes[code], status_code=code)
        for row, index in failures:
            await self.commit(row, index)
        await self.flush()
        if status.terminal and not status.stuck:
            await self.call(cover.collected, status.id)

    async def _take(
        self,
        status: BatchStatus,
        lines: list[ResultLine],
        seen: set[str],
        codes: dict[Any, str],
        failures: list[tuple[JournalRow, int]],
    ) -> int:
        """Settle the records of some result lines; returns how many were answered."""
        if not lines:
            return 0
        found = await self.call(cover.lookup, status.id, [line.custom_id for line in lines])
        answered = 0
        for line in lines:
            member = found.get(line.custom_id)
            if member is None or line.custom_id in seen:
                continue  # a line of no record of this input (or a repeat): nothing to keep
            seen.add(line.custom_id)
            _, idx, ident, key = member
            if line.body is not None:
                answered += 1
            elif line.error is not None and line.error.code == "malformed_line":
                self.malformed[status.id] = self.malformed.get(status.id, 0) + 1
            elif line.error is not None:
                # The line's error says "<custom_id>: <status>: <message>"; the error that
                # stops the job says "<status>: " itself, as the live path's does.
                error, code = line.error, line.error.status_code
                message = str(error).removeprefix(f"{error.custom_id}: ")
                codes.setdefault(code, message.removeprefix(f"{code}: "))
            record = Record(idx, ident, {}, key)
            if line.body is not None and self._pending(record):
                await self.commit(self.answer_row(self.job, record, line.body, self.price), idx)
            elif line.error is not None:
                self._settle(record, line.error, failures)
        return answered

    def _pending(self, record: Record) -> bool:
        """Whether `record` still needs a row: never a second one, whoever made the first
        (an earlier run, or this one)."""
        return bool(self.job.index.todo[record.index]) and not self.finished[record.index]

    def _settle(
        self, record: Record, error: BatchRequestError, failures: list[tuple[JournalRow, int]]
    ) -> None:
        """A request without an answer: to try `again`, or a failed row kept in `failures`."""
        if not self._pending(record):
            return
        if error.retryable:
            self.again[record.index] = 1
            return
        self.finished[record.index] = 1
        row = self.failed_row(
            self.job, record, f"{type(error).__name__}: {error}", type(error).__name__
        )
        failures.append((row, record.index))

    async def commit(self, row: JournalRow, index: int) -> None:
        """Queue a row; every `COMMIT_ROWS`, commit them in one transaction and write them."""
        self.finished[index] = 1
        self.again[index] = 0
        self.rows.append(row)
        if len(self.rows) >= COMMIT_ROWS:
            await self.flush()

    async def flush(self) -> None:
        """Commit the queued rows (the journal first, then the output)."""
        rows, self.rows = self.rows, []
        if not rows:
            return
        journal = self.job.journal
        await journal.call(journal.commit, rows)
        self.job._committed(rows)
        self.job.summary.via_batch += sum(row.ok for row in rows)
        self.commits += 1
        if _KILL_AFTER and self.commits >= _KILL_AFTER:
            os.kill(os.getpid(), signal.SIGKILL)

    # --- progress ------------------------------------------------------------------------

    def show(self, status: BatchStatus) -> None:
        """Keep each batch's last state for the progress line; print a line when it changes."""
        self.states[status.id] = status
        done = sum(s.completed for s in self.states.values())
        failed = sum(s.failed for s in self.states.values())
        total = sum(s.total for s in self.states.values())
        ended = sum(s.terminal for s in self.states.values())
        self.job.summary.batches = (
            f"batches {ended}/{len(self.states)} ended, {done + failed:,}/{total:,} requests "
            f"done by batches ({failed:,} failed)"
        )
        seen = (status.status, status.completed, status.failed)
        if self.job.options.batch_progress and self._shown.get(status.id) != seen:
            self._shown[status.id] = seen
            print(f"aiochain map: {status.describe()}", file=sys.stderr, flush=True)
