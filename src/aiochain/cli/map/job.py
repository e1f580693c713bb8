"""The `aiochain map` job: a prompt over every record, resumable, cached, within a budget.

Flow: check the paths -> open the journal (refusing one from another job) -> read the whole
input once, checking it and noting its records in the journal -> write what earlier runs
finished to the output -> read the input again, sending what is not done through `amap` ->
group commit: each finished row goes to a writer that commits every row waiting in one
transaction on the journal's thread, then writes them to the output; a worker's slot is held
until its row is committed, so a kill (SIGKILL included) loses at most the requests in flight.
Records missing a template variable fail alone, without a request; an unknown model, a refused
key or a bad option stops the whole job at once instead of failing every record.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from ..._exceptions import (
    AiochainError,
    AuthenticationError,
    ConfigurationError,
    InputError,
    MissingVariablesError,
    NotFoundError,
    QuotaExhaustedError,
    ServerUnreachableError,
)
from ..._pipeline.run_stats import CallCounts, RunStats, current_call
from ..._providers.model_client import ModelClient
from ...cache import SQLiteCache
from ...messages import HumanMessage, SystemMessage
from ...pricing import price_of
from ...prompts import PromptTemplate
from ...runnables._runner import amap
from .batch import run_batch
from .budget import Budget
from .group_commit import GroupCommit
from .job_files import JobFiles
from .journal import InputIndex, Journal, JournalRow
from .journal_rows import RecordTake, journal_row
from .options import MapOptions, MapSummary, default_journal, job_description, run_settings
from .outputs import Output, check_paths
from .providers import make_model
from .record_prompts import json_output, missing_variables, prompt_values
from .records import Record, Source
from .split import RecordSplitter

# Answers a job's to-do records instead of the local runner (the Ray backend).
Backend = Callable[["_Job"], Awaitable[None]]
_DECLINED: Any = object()  # what `_Job._answer` returns for a record over budget


async def run_map(
    options: MapOptions,
    *,
    on_start: Callable[[MapSummary, RunStats, Any], None] | None = None,
    backend: Backend | None = None,
) -> MapSummary:
    """Run the job; returns its summary. Raises `UsageError` for bad input before any request."""
    if options.embed:  # vectors instead of answers: its own job, on the same journal
        from .embed_job import run_embed_map

        return await run_embed_map(options, on_start=on_start)
    source = Source(
        options.input, options.input_format, include=options.include, exclude=options.exclude
    )
    template = PromptTemplate.from_template(options.template)
    price = price_of(options.model)
    if options.max_cost is not None and options.split:
        # A split record's chunk and reduce requests are not reserved one by one yet: the
        # budget could be passed by a whole document's requests.
        raise ConfigurationError("--max-cost does not work with --split yet; use one or the other")
    if options.max_cost is not None and price is None:
        raise ConfigurationError(
            f"--max-cost needs a known price, and {options.model!r} has none (see aiochain.pricing)"
        )
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(source.close)
        base_url = options.base_url
        if options.simulate is not None:
            from ...sim import SimServer

            base_url = await stack.enter_async_context(SimServer(latency=options.simulate))
        cache = None
        if options.cache:
            cache = SQLiteCache(options.cache_path)
            stack.callback(cache.close)
        llm = make_model(options, base_url, cache)
        await stack.enter_async_context(llm)
        endpoint = "simulated" if options.simulate is not None else llm.base_url
        job = job_description(options, endpoint)
        journal_path = options.journal or default_journal(options, job, source)
        check_paths(options.input, options.output, journal_path, options.report)
        files = await asyncio.to_thread(JobFiles.check, options, journal_path)
        stack.push(files.on_exit)  # after a failed run, removes the files it made, if empty
        journal = await asyncio.to_thread(
            Journal, journal_path, job, resume=options.resume, settings=run_settings(options)
        )
        stack.callback(journal.close)
        indexing = time.monotonic()
        index = await _index(journal, source, template)
        indexing = time.monotonic() - indexing
        if index.total == 0:
            raise InputError(f"{options.input}: no records to run (the input is empty)")
        output = Output(options.output, ordered=options.ordered)
        stack.callback(output.close)
        budget = Budget(options.max_cost, price, spent=journal.spent, max_tokens=options.max_tokens)
        splitter = None
        if options.split:
            # Chunk answers live in the journal's own file: a rerun resends no finished chunk.
            chunks = SQLiteCache(journal.path)
            stack.callback(chunks.close)
            splitter = RecordSplitter(
                llm,
                chunks,
                template,
                tokens=options.split,
                overlap=options.overlap,
                field=options.split_field,
                reduce_template=options.reduce_template,
                system=options.system,
            )
        runner = _Job(options, source, index, template, llm, journal, output, budget, backend)
        runner.splitter = splitter
        runner.summary.journal = str(journal.path)
        runner.summary.indexing = indexing
        if on_start is not None:
            on_start(runner.summary, runner.stats, llm.rate_limiter)
        started = time.monotonic()  # the wall time is the run's, after checking the input
        try:
            await runner.run()
        finally:
            runner.summary.wall = time.monotonic() - started
        return runner.summary


async def _index(journal: Journal, source: Source, template: PromptTemplate) -> InputIndex:
    """Check and index the input on the journal's thread; Ctrl-C stops it at the next record
    (the thread cannot be cancelled, and closing the journal waits for it).

    Raises:
        InputError: also when no record has every template variable: every record would
            fail, so the job is refused before anything is sent, naming the fields there are.
    """
    stop = threading.Event()
    complete = 0  # records with every template variable
    fields: set[str] = set()

    def records() -> Iterator[Record]:
        nonlocal complete
        for record in source.records():
            if stop.is_set():
                raise InputError("interrupted while checking the input")
            if missing_variables(template, record) is None:
                complete += 1
            elif len(fields) < 50:
                fields.update(list(record.fields)[:50])
            yield record

    try:
        index = await journal.call(journal.index, records())
    except asyncio.CancelledError:
        stop.set()
        raise
    if index.total and not complete:
        needed = ", ".join(template.input_variables)
        there = ", ".join(sorted(fields)) or "none"
        raise InputError(
            f"{source.name}: no record has every template variable ({needed}); the records "
            f"have: {there}"
        )
    return index


class _Job:
    def __init__(
        self,
        options: MapOptions,
        source: Source,
        index: InputIndex,
        template: PromptTemplate,
        llm: ModelClient[Any],
        journal: Journal,
        output: Output,
        budget: Budget,
        backend: Backend | None = None,
    ) -> None:
        self.options = options
        self.backend = backend
        self.source = source
        self.index = index
        self.template = template
        self.llm = llm
        self.journal = journal
        self.output = output
        self.budget = budget
        self.stats = RunStats(total=index.total - index.done)
        self.summary = MapSummary(items=index.total, stats=self.stats)
        self.summary.output = options.output or "<stdout>"
        self.system = SystemMessage(options.system) if options.system else None
        self.splitter: RecordSplitter | None = None
        self.via: str | None = None  # with --batch, rows say how they were answered
        self.answered_via = "live"  # the journal's `via` of what this job answers itself
        self.spent = 0.0  # dollars of the rows committed in this run
        self.batch_started: float | None = None  # when this run's batches were submitted

    async def run(self) -> None:
        self.summary.resumed = self.summary.ok = self.index.done
        if self.index.done and not self.options.ordered:
            await self.journal.call(lambda: self.output.write(self.journal.lines(only_ok=True)))
        self.batch_started = time.time()
        answered, live = await run_batch(self) if self.options.batch else ([], [])
        self.writer = GroupCommit(self.journal, self._committed)
        try:
            if self.options.batch:
                await asyncio.gather(*(self._commit(row) for row in answered))
                self.via = "live"  # what the batch left unanswered, sent live
                before = self.summary.ok
                await amap(
                    self._process, live, concurrency=self.options.concurrency, progress=self.stats
                )
                self.summary.via_live += self.summary.ok - before
            elif self.backend is not None:  # --ray: the cluster answers the records to do
                await self.backend(self)
            else:
                await amap(
                    self._process,
                    self._feed(),
                    concurrency=self.options.concurrency,
                    progress=self.stats,
                )
        finally:
            await self.writer.aclose()
            self._finish_summary()
        if self.options.ordered:
            await self.journal.call(lambda: self.output.write_all(self.journal.lines()))

    def _feed(self) -> Iterator[Record]:
        for record in self.source.records():
            if self.budget.reached:
                return
            if self.index.pending(record):
                yield record

    def pending_records(self) -> Iterator[Record]:
        """Every record still to do, read lazily (a batch job reads them more than once)."""
        return self._feed()

    async def _process(self, record: Record) -> None:
        self.summary.in_flight += 1
        try:
            row = await self.take(record)
        finally:
            self.summary.in_flight -= 1
        if row is not None:
            await self._commit(row)

    async def take(self, record: Record) -> JournalRow | None:
        """Answer `record` and build its row from what it took (None: over budget, unsent).

        The request path counts the record's requests, 429s and answers in a `CallCounts`
        of its own (split requests included: they run in tasks copied from this context).
        Errors that stop the whole job propagate.
        """
        take = RecordTake(self.answered_via, time.time())
        call = CallCounts()
        reset = current_call.set(call)
        try:
            output = await self._answer(record, take)
        finally:
            current_call.reset(reset)
        if output is _DECLINED:
            return None
        take.ended = time.time()
        take.count(call)
        return journal_row(record, take, output=output, tell_via=self.via is not None)

    async def _commit(self, row: JournalRow) -> None:
        """Hand `row` to the group commit; return once it is committed. The worker's slot is
        held until then, so answers not yet committed and requests in flight together never
        pass `concurrency`: a kill loses at most that many."""
        await self.writer.commit(row)

    def _committed(self, rows: list[JournalRow]) -> None:
        """After each group commit, on the event loop: write the rows out and count them (the
        summary's tokens and cost are the committed rows', as the report's are)."""
        self.output.write(row.line for row in rows)
        s = self.summary
        for row in rows:
            if row.ok:
                s.ok += 1
                s.cached += row.cached
            else:
                s.failed += 1
            s.prompt_tokens += row.prompt_tokens
            s.completion_tokens += row.completion_tokens
            self.spent += row.cost

    async def _answer(self, record: Record, take: RecordTake) -> Any:
        """The record's output, with what it took noted in `take` (`_DECLINED` when the budget
        declined to send it)."""
        missing = missing_variables(self.template, record)
        if missing is not None:  # fails alone, nothing sent
            take.fail(missing, MissingVariablesError.__name__)
            return None
        values = prompt_values(self.template, record)
        prompt = self.template.format(**values)
        chunks = self.splitter.chunks_of(values) if self.splitter is not None else None
        estimate = await self.budget.reserve(prompt)
        if estimate is None:
            return _DECLINED  # over budget: _finish_summary counts what was not sent
        try:
            if chunks is None:
                # Without a system message the prompt goes as a plain string: the cheapest.
                messages: Any = [self.system, HumanMessage(prompt)] if self.system else prompt
                message = await self.llm.ainvoke(messages)
                text, usage = str(message.text), message.usage
            else:
                assert self.splitter is not None
                take.via = "split"
                split = await self.splitter.answer(values, chunks)
                text, usage = split.text, split.usage
                self.summary.chunks += split.chunks
            take.cached = usage is not None and usage.requests == 0
            if usage is not None and not take.cached:
                take.use(usage)
                take.cost = self.budget.actual(usage.prompt_tokens, usage.completion_tokens)
        except (
            AuthenticationError,
            NotFoundError,
            ConfigurationError,
            ServerUnreachableError,
            QuotaExhaustedError,
        ):
            # The whole job would fail the same way (a refused key, an unknown model, a server
            # down for longer than --max-wait, a per-day quota used up): stop now; the rerun
            # resumes.
            raise
        except AiochainError as exc:
            take.fail(f"{type(exc).__name__}: {exc}", type(exc).__name__)
            return None
        finally:
            self.budget.settle(estimate, take.cost)
        if not self.options.json_mode:
            return text
        output, not_json = json_output(text)
        if not_json is not None:  # spent all the same: the row keeps its tokens and cost
            take.fail(f"the answer is not valid JSON: {not_json}", type(not_json).__name__)
        return output

    def _finish_summary(self) -> None:
        s = self.summary
        if self.budget.price is not None:
            s.cost = self.spent
            s.job_cost = self.budget.spent_before + self.spent
        # Request latency, from being sent: time queued behind the limiter is not the server's.
        s.p50 = self.stats.percentile(0.5, requests=True)
        s.p95 = self.stats.percentile(0.95, requests=True)
        s.rate_limited = self.stats.rate_limited
        if self.budget.reached:
            s.skipped_for_budget = s.items - s.ok - s.failed


__all__ = ["Backend", "MapOptions", "MapSummary", "run_map"]
