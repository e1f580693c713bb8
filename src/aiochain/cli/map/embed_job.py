"""`aiochain map --embed`: the embedding of every record's text, journaled and resumable as a
chat job is (the same journal, group commit, limits, retries, progress and `--report`).

Flow: check the options and paths -> open the journal (refusing one from another job) -> index
the input -> read it again, packing the records still to do into requests (up to 2,048 texts
and 300,000 tokens each, as `OpenAIEmbeddings` packs them) -> send the requests concurrently
(`--concurrency` at once, under the limiter) -> each answered request's rows are committed in
one group commit, each row holding its record's vector (base64 float32) and its share of the
request's tokens and cost -> at the end the output is rebuilt from the journal (see
`_embed_outputs`), so a run killed at any moment (SIGKILL included) loses at most the requests
in flight, and its rerun sends each record once.

With `--batch` the records go through OpenAI's Batch API first (`embed_batch.py`, the chat
`--batch` flow with embedding lines), and what the batches leave is sent live as above.

A request refused as bad (400) is split in halves until the record at fault fails alone; a
record without the text (a missing field, an empty text) fails alone, unsent.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from binascii import b2a_base64
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from ... import _json
from ..._exceptions import (
    AiochainError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InputError,
    NotFoundError,
    ServerUnreachableError,
    UsageError,
)
from ..._pipeline.limiter import RateLimiter
from ..._pipeline.retry import RetryPolicy
from ..._pipeline.run_stats import RunStats, current_stats
from ..._providers.embedding_requests import MAX_INPUTS_PER_REQUEST, pack_stream
from ...embeddings import AzureOpenAIEmbeddings, OpenAIEmbeddings
from ...pricing import price_of
from ...prompts import PromptTemplate
from ...runnables._runner import amap
from .batch import run_batch
from .embed_batch import EMBED_BATCH
from .embed_outputs import check_extra, ids_path, output_kind, write_embeddings
from .group_commit import GroupCommit
from .input_index import index_input
from .job_files import JobFiles
from .journal import InputIndex, Journal, JournalRow
from .journal_rows import RecordTake, journal_row
from .options import MapOptions, MapSummary, default_journal, run_settings
from .outputs import check_paths
from .providers import SIMULATED_AZURE_VERSION
from .record_prompts import field_text, missing_variables, prompt_values
from .records import Record, Source

T = TypeVar("T")
_REFUSED = {
    "split": "--split",
    "system": "--system",
    "json_mode": "--json",
    "max_tokens": "--max-tokens",
    "temperature": "--temperature",
    "max_cost": "--max-cost",
    "ray": "--ray",
    "cache": "--cache",
}
_FATAL = (AuthenticationError, NotFoundError, ConfigurationError, ServerUnreachableError)


def embed_job(options: MapOptions, endpoint: str) -> dict[str, Any]:
    """What identifies an embedding job for its journal (a change is another job)."""
    return {
        "embed": {"field": options.field} if options.field else {"template": options.template},
        "model": options.model,
        "dimensions": options.dimensions,
        **({"provider": options.provider} if options.provider != "openai" else {}),
        "endpoint": endpoint,
    }


def make_embeddings(options: MapOptions, base_url: str | None) -> OpenAIEmbeddings:
    """The job's embeddings client: it waits out 429s and outages (up to --max-wait) instead
    of failing records, and learns a real server's limits before the first wave."""
    simulated = options.simulate is not None
    common: dict[str, Any] = {
        "api_key": options.api_key or ("sim" if simulated else None),
        "dimensions": options.dimensions,
        "chunk_size": options.chunk_size or MAX_INPUTS_PER_REQUEST,
        "retry": RetryPolicy(max_retries=options.retries, max_service_wait=options.max_wait),
        "timeout": options.timeout,
        "rate_limiter": RateLimiter(rpm=options.rpm, tpm=options.tpm, slow_start=not simulated),
    }
    if options.provider == "azure":
        root = base_url.removesuffix("/").removesuffix("/v1") if base_url else None
        return AzureOpenAIEmbeddings(
            azure_endpoint=root,
            azure_deployment=options.model,
            api_version=options.api_version or (SIMULATED_AZURE_VERSION if simulated else None),
            **common,
        )
    return OpenAIEmbeddings(model=options.model, base_url=base_url, **common)


def _check(options: MapOptions) -> None:
    if options.provider == "anthropic":
        raise UsageError("--embed needs --provider openai or azure: Anthropic has no embeddings")
    for name, flag in _REFUSED.items():
        if getattr(options, name):
            raise UsageError(f"--embed does not work with {flag}")
    if options.batch and options.provider != "openai":
        raise UsageError("--embed --batch needs --provider openai")


async def run_embed_map(
    options: MapOptions, *, on_start: Callable[[MapSummary, RunStats, Any], None] | None = None
) -> MapSummary:
    """Run the embedding job; returns its summary. Raises `UsageError` for bad input before
    any request."""
    _check(options)
    kind = output_kind(options.output)
    if kind != "jsonl" and options.output is not None:
        check_extra(kind, options.output)
    source = Source(
        options.input, options.input_format, include=options.include, exclude=options.exclude
    )
    text_of = _text_reader(options)
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(source.close)
        base_url = options.base_url
        if options.simulate is not None:
            from ...sim import SimServer

            base_url = await stack.enter_async_context(SimServer(latency=options.simulate))
        embeddings = make_embeddings(options, base_url)
        await stack.enter_async_context(embeddings)
        endpoint = "simulated" if options.simulate is not None else embeddings.base_url
        job = embed_job(options, endpoint)
        journal_path = options.journal or default_journal(options, job, source)
        check_paths(options.input, options.output, journal_path, options.report)
        if kind == "npy" and options.output is not None:
            check_paths(options.input, ids_path(options.output), journal_path)
        # As a prompt job: an output no journal says this job wrote is refused, and a run
        # that fails before answering anything leaves no journal behind.
        files = await asyncio.to_thread(JobFiles.check, options, journal_path)
        stack.push(files.on_exit)
        journal = await asyncio.to_thread(
            Journal, journal_path, job, resume=options.resume, settings=run_settings(options)
        )
        stack.callback(journal.close)
        indexing = time.monotonic()
        if options.field is not None:
            needed, what = [options.field], "the --field"
        else:
            needed = PromptTemplate.from_template(options.template).input_variables
            what = "every template variable"
        index = await index_input(journal, source, needed, what=what)
        indexing = time.monotonic() - indexing
        if index.total == 0:
            raise InputError(f"{options.input}: no records to run (the input is empty)")
        runner = _EmbedJob(options, source, index, text_of, embeddings, journal)
        runner.summary.journal = str(journal.path)
        runner.summary.indexing = indexing
        if on_start is not None:
            on_start(runner.summary, runner.stats, embeddings.rate_limiter)
        started = time.monotonic()  # the wall time is the run's and its output's
        try:
            await runner.run()
        finally:
            runner.summary.wall = time.monotonic() - started

        await journal.call(lambda: write_embeddings(options.output, journal.lines()))
        runner.summary.wall = time.monotonic() - started
        return runner.summary


def _text_reader(options: MapOptions) -> Callable[[Record], str | AiochainError]:
    """The text of a record (its `--field`, or the `--template` filled), or the error that
    fails it unsent."""
    field = options.field
    if field is not None:

        def from_field(record: Record) -> str | AiochainError:
            if field not in record.fields:
                return InputError(f"record {record.id}: no field {field!r}")
            return field_text(record.fields[field])

        return from_field
    template = PromptTemplate.from_template(options.template)

    def from_template(record: Record) -> str | AiochainError:
        missing = missing_variables(template, record)
        if missing is not None:
            return InputError(missing)
        return template.format(**prompt_values(template, record))

    return from_template


class _EmbedJob:
    def __init__(
        self,
        options: MapOptions,
        source: Source,
        index: InputIndex,
        text_of: Callable[[Record], str | AiochainError],
        embeddings: OpenAIEmbeddings,
        journal: Journal,
    ) -> None:
        self.options = options
        self.source = source
        self.index = index
        self.text_of = text_of
        self.embeddings = embeddings
        self.journal = journal
        self.price = price_of(options.model)
        self.stats = RunStats(total=index.total - index.done)
        self.summary = MapSummary(items=index.total, stats=self.stats)
        self.summary.output = options.output or "<stdout>"
        # What a `--batch` run uses of the job (`batch_run.BatchableJob`).
        self.llm, self.budget, self.template, self.system = embeddings, None, None, None
        self.via: str | None = None  # with --batch, rows say how they were answered
        self.batch_started: float | None = None

    def pending_records(self) -> Iterator[Record]:
        """The records still to do, read lazily."""
        return (r for r in self.source.records() if self.index.pending(r))

    async def run(self) -> None:
        self.summary.resumed = self.summary.ok = self.index.done
        records = self.pending_records()
        if self.options.batch:
            self.batch_started = time.time()
            _, records = await run_batch(self, EMBED_BATCH)
            self.via = "live"  # what the batches left is sent live
        before = self.summary.ok
        self.writer = GroupCommit(self.journal, self._committed)
        emb = self.embeddings
        groups = pack_stream(
            self._feed(records),
            lambda pair: pair[1],
            max_inputs=emb.chunk_size,
            max_tokens=emb.max_tokens_per_request,
        )
        counting = current_stats.set(self.stats)  # the requests count in the job's stats
        try:
            await amap(self._process, _paced(groups), concurrency=self.options.concurrency)
        finally:
            current_stats.reset(counting)
            await self.writer.aclose()
            if self.via is not None:
                self.summary.via_live += self.summary.ok - before
            self._finish_summary()

    def _feed(self, records: Iterator[Record]) -> Iterator[tuple[Record, str]]:
        """The records still to do with their texts; those without one fail at once."""
        for record in records:
            text = self.text_of(record)
            if isinstance(text, str) and not text:
                text = InputError(f"record {record.id}: the text is empty; nothing to embed")
            if isinstance(text, AiochainError):
                now = time.time()
                take = RecordTake("live", now, now)  # never sent
                take.fail(str(text), type(text).__name__)
                self.writer.commit(self._row(record, take))
                continue
            yield record, text

    async def _process(self, group: list[tuple[Record, str]]) -> None:
        self.summary.in_flight += len(group)
        started = time.time()
        try:
            rows = await self._rows(group, started)
        finally:
            self.summary.in_flight -= len(group)
        if rows:
            await self.writer.commit_many(rows)

    async def _rows(self, group: list[tuple[Record, str]], started: float) -> list[JournalRow]:
        """The rows of a group: its vectors, or (a bad request split until the record at
        fault is alone) its failures."""
        texts = [text for _, text in group]
        try:
            vectors, usage = await self.embeddings.aembed_with_usage(texts)
        except _FATAL:
            raise  # the whole job would fail the same way: stop now; the rerun resumes
        except BadRequestError as exc:
            if len(group) > 1:
                half = len(group) // 2
                first = await self._rows(group[:half], started)
                return first + await self._rows(group[half:], started)
            return [self._failed(group[0][0], exc, started)]
        except AiochainError as exc:
            return [self._failed(record, exc, started) for record, _ in group]
        ended = time.time()
        shares = _apportion(usage.prompt_tokens, [len(t) + 1 for t in texts])  # by length
        per_token = self.price[0] / 1_000_000 if self.price else 0.0
        rows = []
        for (record, _), vector, tokens in zip(group, vectors, shares, strict=True):
            take = RecordTake("live", started, ended, prompt_tokens=tokens, cost=tokens * per_token)
            vector_text = b2a_base64(vector, newline=False).decode()
            rows.append(self._row(record, take, vector_text))
        rows[0].attempts = usage.requests  # the group's requests, counted once
        return rows

    def _failed(self, record: Record, exc: AiochainError, started: float) -> JournalRow:
        take = RecordTake("live", started, time.time(), requests=1)
        take.fail(f"{type(exc).__name__}: {exc}", type(exc).__name__)
        return self._row(record, take)

    def _row(self, record: Record, take: RecordTake, vector: str | None = None) -> JournalRow:
        tell_via = self.via is not None
        return journal_row(record, take, output=vector, output_key="vector", tell_via=tell_via)

    def _committed(self, rows: list[JournalRow]) -> None:
        for row in rows:
            if row.ok:
                self.summary.ok += 1
                self.stats.done += 1
            else:
                self.summary.count_failed(row.error_class, row.line)
                self.stats.failed += 1

    def _finish_summary(self) -> None:
        s = self.summary
        s.prompt_tokens = self.stats.prompt_tokens
        if self.price is not None:
            s.cost = self.stats.cost
            s.job_cost = self.journal.spent
        s.p50 = self.stats.percentile(0.5, requests=True)
        s.p95 = self.stats.percentile(0.95, requests=True)
        s.rate_limited = self.stats.rate_limited


async def _paced(groups: Iterator[T]) -> AsyncIterator[T]:
    """`groups`, letting the loop run between two: reading a group of 2,048 records takes a
    while, and without a pause every worker would read its group before the first request
    left (they all start in one turn of the loop)."""
    for group in groups:
        yield group
        await asyncio.sleep(0)


_PLAIN = re.compile(r"[\w.:/@+=,-]*")


def _quoted(text: str) -> str:
    """`text` as a JSON string; ids of plain characters (nearly all) without an encoder."""
    return f'"{text}"' if _PLAIN.fullmatch(text) else _json.dumps(text).decode()


def _apportion(total: int, weights: list[int]) -> list[int]:
    """`total` split in whole numbers in proportion to `weights`, summing to `total`."""
    whole = sum(weights) or 1
    shares = [total * w // whole for w in weights]
    for i in range(total - sum(shares)):
        shares[i % len(shares)] += 1
    return shares
