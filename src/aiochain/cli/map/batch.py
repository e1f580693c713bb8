"""`aiochain map --batch`: the job's requests through the provider's Batch API, at half price.

Flow: batches remembered in the journal that are not collected yet are resumed (announced on
standard error) -> every pending record no remembered batch covers is written to shard files
as its request is built (the same body a live call sends; `custom_id` the record's id where
the provider allows it), each line noted in the journal under its shard -> `--max-cost` is
checked against what the new batches may cost at most, before anything is uploaded -> each
shard becomes a batch, which takes over the shard's lines in the journal -> every batch is
polled (one line each time its state or counts change), and as each ends its result lines are
read from disk one by one and committed `COMMIT_ROWS` at a time -> with `--batch-retry`, what
the batches left that may be retried goes into one more batch -> the rest is sent live (by
the job, with the usual limits). A rerun after a kill in any phase pays no batch twice: it
collects the batches it knows, and sends no record a batch covers to another batch. Every
output row says `"via": "batch"` or `"via": "live"`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..._exceptions import (
    AiochainError,
    ConfigurationError,
)
from ..._pipeline.estimates import DEFAULT_COMPLETION_TOKENS
from ...batches import AnthropicBatchClient, GeminiBatchClient, OpenAIBatchClient
from ...batches._spool import temporary_folder
from ...chat_models import ChatAnthropic, ChatGoogleGenerativeAI
from ...pricing import cost_for, price_of
from . import batch_cover as cover
from .batch_run import AnswerRow, BatchableJob, BatchRun, FailedRow, RequestOf, chat_request
from .journal import JournalRow
from .journal_rows import RecordTake, journal_row
from .record_prompts import json_output
from .records import Record

__all__ = ["BatchKind", "BatchableJob", "run_batch"]

BatchClient = OpenAIBatchClient | AnthropicBatchClient | GeminiBatchClient


@dataclass(frozen=True)
class BatchKind:
    """What a kind of job puts in its batches and makes of their lines: a chat job's
    requests and rows by default; `map --embed` gives its own (`embed_batch.py`)."""

    answer_row: AnswerRow
    failed_row: FailedRow
    request_of: RequestOf = chat_request
    client: Callable[[BatchableJob], Any] | None = None  # default: on the job's model
    answers: bool = True  # answers have completion tokens (priced, estimated)


async def run_batch(
    job: BatchableJob, kind: BatchKind | None = None
) -> tuple[list[JournalRow], Iterator[Record]]:
    """Run the job's pending records through the Batch API, committing each answer (and each
    failure for good) as its batch's results are read; returns no rows left to commit and
    the records to send live (read lazily). Runs before the job's group commit starts: the
    journal's thread is free for the batch's own commits."""
    options = job.options
    if not options.resume:
        await job.journal.call(cover.forget_all, job.journal)
    provider = "openai"
    if isinstance(job.llm, ChatAnthropic):
        provider = "anthropic"
    elif isinstance(job.llm, ChatGoogleGenerativeAI):
        provider = "gemini"
    kind = kind or BatchKind(_answer_row, _failed_row)
    with temporary_folder("aiochain-batch-") as folder:
        run = await _run(job, provider, folder, kind)
    finished = run.finished
    return [], (r for r in job.pending_records() if not finished[r.index])


async def _run(job: BatchableJob, provider: str, folder: str, kind: BatchKind) -> BatchRun:
    options = job.options
    async with (kind.client or _client)(job) as client:
        run = BatchRun(
            job,
            client,
            provider=provider,
            price=price_of(options.model, batch=True),
            answer_row=kind.answer_row,
            failed_row=kind.failed_row,
            folder=folder,
            request_of=kind.request_of,
            answers=kind.answers,
        )
        resumed = await _resume(run)
        covered = await run.call(cover.covered)
        shards, estimate = await run.spool(lambda r: r.id not in covered, _limits(client), "batch")
        covered.clear()
        _check_cost(job, estimate, len(shards))
        made = [await run.start(key, shard, "batch") for key, shard in shards]
        await _collect_all(run, resumed + made)
        if options.batch_retry and any(run.again):
            # What the batches left (expired, cancelled, failed for a reason worth retrying)
            # goes into one more batch, unless one already holds it; what that one leaves is
            # sent live.
            retried = await run.call(cover.covered, "retry")
            shards, estimate = await run.spool(
                lambda r: bool(run.again[r.index]) and r.id not in retried,
                _limits(client),
                "retry",
            )
            retried.clear()
            _check_cost(job, estimate, len(shards))
            made = [await run.start(key, shard, "retry") for key, shard in shards]
            await _collect_all(run, made)
    return run


async def _resume(run: BatchRun) -> list[Any]:
    """The batches an earlier run made and did not finish collecting, announced; shards it
    wrote but made no batch of are dropped (found by their key first, where the provider
    keeps metadata: a run killed between creating a batch and noting it)."""
    client = run.client
    orphans = await run.call(cover.provisional)
    if orphans:
        listed = await client.list_batches(limit=100)
        taken = await run.call(cover.known)
        for key, round_name, written, lines in orphans:
            by_size = isinstance(client, AnthropicBatchClient)
            batch = _made_from(listed, taken, key, written, lines, by_size=by_size)
            if batch is None:
                await run.call(cover.drop_shard, key)
            else:
                taken.add(batch.id)
                await run.call(cover.made, key, batch.id, round_name)
    statuses = [await client.retrieve(b) for b, _ in await run.call(cover.open_batches)]
    if statuses and run.job.options.batch_progress:
        names = ", ".join(s.describe() for s in statuses[:10])
        more = f" and {len(statuses) - 10} more" if len(statuses) > 10 else ""
        print(
            f"aiochain map: resuming {len(statuses)} batch(es) from the journal: {names}{more}",
            file=sys.stderr,
            flush=True,
        )
    for status in statuses:
        run.show(status)
    return statuses


def _made_from(
    listed: list[Any], taken: set[str], key: str, written: float, lines: int, *, by_size: bool
) -> Any | None:
    """The batch a killed run made of the shard `key` but had not noted, if it can be told:
    by the key in its metadata (OpenAI), else the one batch unknown to the journal with as
    many requests made since the shard was written (Message Batches keep no metadata)."""
    for batch in listed:
        if batch.metadata.get("aiochain_shard") == key:
            return batch
    if not by_size:
        return None
    candidates = [
        b
        for b in listed
        if b.id not in taken
        and not b.metadata
        and b.total == lines
        and b.created_at >= written - 60
    ]
    return candidates[0] if len(candidates) == 1 else None


async def _collect_all(run: BatchRun, statuses: list[Any]) -> None:
    """Poll every batch at once, committing each one's results as it ends."""
    import asyncio

    tasks = [asyncio.ensure_future(run.collect(status)) for status in statuses]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _limits(client: BatchClient) -> tuple[int, int]:
    if isinstance(client, AnthropicBatchClient | GeminiBatchClient):
        return client.max_requests, client.max_batch_bytes
    return client.max_requests, client.max_file_bytes


def _check_cost(job: BatchableJob, estimate: float, batches: int) -> None:
    """Refuse new batches that could take the job past `--max-cost`, before any upload: a
    batch cannot be stopped halfway, so the check is against the most it may cost."""
    options = job.options
    if options.max_cost is None or not batches:
        return
    spent = job.journal.spent
    if spent + estimate <= options.max_cost:
        return
    answer = int(options.max_tokens or DEFAULT_COMPLETION_TOKENS)
    assumption = (
        f"every answer taking all {answer} tokens of --max-tokens"
        if options.max_tokens
        else f"every answer taking {answer} tokens (no --max-tokens given)"
    )
    raise ConfigurationError(
        f"the new batches could cost up to ${estimate:.4f} at batch prices (assuming "
        f"{assumption}); with ${spent:.4f} spent that could pass --max-cost "
        f"${options.max_cost}; raise --max-cost, lower --max-tokens, or run fewer records"
    )


def _answer_row(
    job: BatchableJob, record: Record, body: dict[str, Any], price: tuple[float, float] | None
) -> JournalRow:
    """The row of a record the batch answered, at batch price."""
    try:
        usage = job.llm.read_usage(body)
        generation = job.llm.read_generations(body)[0]
    except AiochainError as exc:
        return _failed_row(job, record, f"{type(exc).__name__}: {exc}", type(exc).__name__)
    cost = cost_for(price, usage.prompt_tokens, usage.completion_tokens) if price else 0.0
    job.stats.answered(usage, cost)  # the progress display counts the batch too
    job.budget.spent += cost
    take = RecordTake.batch_line(started=job.batch_started, usage=usage, cost=cost)
    output: Any = generation.text
    if job.options.json_mode:
        output, not_json = json_output(generation.text)
        if not_json is not None:
            take.fail(f"the answer is not valid JSON: {not_json}", type(not_json).__name__)
    return journal_row(record, take, output=output, tell_via=True)


def _failed_row(job: BatchableJob, record: Record, error: str, kind: str) -> JournalRow:
    """The row of a record that failed for good: a batch line's error (one request), or a
    record missing a template variable, which was never sent."""
    take = RecordTake.batch_line(started=job.batch_started, usage=None, cost=0.0)
    take.requests = 0 if kind == "MissingVariablesError" else 1
    take.fail(error, kind)
    return journal_row(record, take, tell_via=True)


def _client(job: BatchableJob) -> BatchClient:
    every = job.options.batch_poll
    poll = {"poll_interval": every, "max_poll_interval": max(60.0, every)}
    if isinstance(job.llm, ChatAnthropic):
        return AnthropicBatchClient(job.llm.base_url, job.options.api_key, **poll)
    if isinstance(job.llm, ChatGoogleGenerativeAI):
        llm = job.llm
        return GeminiBatchClient(llm.model, llm.base_url, job.options.api_key, **poll)
    if job.options.provider != "openai":
        raise ConfigurationError("--batch works with --provider openai, anthropic or gemini")
    return OpenAIBatchClient.for_model(job.llm, **poll)
