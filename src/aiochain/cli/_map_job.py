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
import hashlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import (
    AiochainError,
    AuthenticationError,
    ConfigurationError,
    InputError,
    NotFoundError,
    ServerUnreachableError,
)
from .._limiter import RateLimiter
from .._progress import RunStats
from .._retry import RetryPolicy
from .._runner import amap
from ..chat_models import ChatOpenAI
from ..messages import HumanMessage, SystemMessage
from ..output_parsers import parse_json_text
from ..pricing import price_of
from ..prompts import PromptTemplate
from ._budget import Budget
from ._group_commit import GroupCommit
from ._journal import InputIndex, Journal, JournalRow
from ._outputs import Output, check_paths
from ._records import Record, Source


@dataclass
class MapOptions:
    """Everything `aiochain map` was asked to do."""

    template: str
    input: str
    input_format: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    system: str | None = None
    output: str | None = None
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key: str | None = None
    concurrency: int = 64
    rpm: float | None = None
    tpm: float | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    json_mode: bool = False
    journal: str | None = None
    resume: bool = True
    cache: bool = False
    cache_path: str | None = None
    max_cost: float | None = None
    retries: int = 4
    max_wait: float = 120.0
    timeout: float = 120.0
    simulate: float | None = None
    ordered: bool = False
    ray: str | None = None  # --ray: a cluster address, or "local"
    workers: int = 2


@dataclass
class MapSummary:
    """What a run did, for the progress display, the summary table and the exit status."""

    items: int = 0
    ok: int = 0
    failed: int = 0
    resumed: int = 0
    cached: int = 0
    in_flight: int = 0
    skipped_for_budget: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    job_cost: float | None = None
    wall: float = 0.0
    indexing: float = 0.0
    p50: float | None = None
    p95: float | None = None
    rate_limited: int = 0
    output: str = ""
    journal: str = ""
    stats: RunStats = field(default_factory=RunStats)

    @property
    def exit_status(self) -> int:
        return 0 if self.failed == 0 and self.skipped_for_budget == 0 else 1


def job_description(options: MapOptions, endpoint: str) -> dict[str, Any]:
    """What identifies the job for the journal: a change in any of these is another job."""
    return {
        "template": options.template,
        "system": options.system,
        "model": options.model,
        "max_tokens": options.max_tokens,
        "temperature": options.temperature,
        "json": options.json_mode,
        "endpoint": endpoint,
    }


def job_model(
    options: MapOptions, base_url: str | None, rate_limiter: RateLimiter, cache: Any
) -> ChatOpenAI:
    """The model a job sends its requests through (on the driver, or in a Ray worker)."""
    return ChatOpenAI(
        model=options.model,
        base_url=base_url,
        api_key=options.api_key or ("sim" if options.simulate is not None else None),
        temperature=options.temperature,
        max_tokens=options.max_tokens,
        # A batch job waits out 429s and outages (up to --max-wait without an answer)
        # instead of failing records; other failures get --retries.
        retry=RetryPolicy(max_retries=options.retries, max_service_wait=options.max_wait),
        timeout=options.timeout,
        rate_limiter=rate_limiter,
        cache=cache,
        model_kwargs={"response_format": {"type": "json_object"}} if options.json_mode else None,
    )


def default_journal(options: MapOptions, job: dict[str, Any], source: Source) -> str:
    """Next to the output file; for standard output, a file in the working directory named
    after the job and the input, so two jobs never share (or wipe) one journal."""
    if options.output:
        return options.output + ".journal.sqlite"
    key = json.dumps([job, source.identity()], sort_keys=True)
    return f"aiochain-map-{hashlib.sha256(key.encode()).hexdigest()[:12]}.journal.sqlite"


# Answers a job's to-do records instead of the local runner (the Ray backend).
Backend = Callable[["_Job"], Awaitable[None]]


async def run_map(
    options: MapOptions,
    *,
    on_start: Callable[[MapSummary, RunStats, Any], None] | None = None,
    backend: Backend | None = None,
) -> MapSummary:
    """Run the job; returns its summary. Raises `UsageError` for bad input before any request."""
    source = Source(
        options.input, options.input_format, include=options.include, exclude=options.exclude
    )
    template = PromptTemplate.from_template(options.template)
    price = price_of(options.model)
    if options.max_cost is not None and price is None:
        raise ConfigurationError(
            f"--max-cost needs a known price, and {options.model!r} has none (see aiochain.pricing)"
        )
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(source.close)
        base_url = options.base_url
        if options.simulate is not None:
            from ..sim import SimServer

            base_url = await stack.enter_async_context(SimServer(latency=options.simulate))
        cache = None
        if options.cache:
            from ..cache import SQLiteCache

            cache = SQLiteCache(options.cache_path)
            stack.callback(cache.close)
        # The first request goes alone, so the server's limits are known before the
        # first wave (the library does not do this by default: it costs one latency).
        limiter = RateLimiter(rpm=options.rpm, tpm=options.tpm, slow_start=True)
        llm = job_model(options, base_url, limiter, cache)
        await stack.enter_async_context(llm)
        endpoint = "simulated" if options.simulate is not None else llm.base_url
        job = job_description(options, endpoint)
        journal_path = options.journal or default_journal(options, job, source)
        check_paths(options.input, options.output, journal_path)
        journal = await asyncio.to_thread(Journal, journal_path, job, resume=options.resume)
        stack.callback(journal.close)
        indexing = time.monotonic()
        index = await _index(journal, source)
        indexing = time.monotonic() - indexing
        if index.total == 0:
            raise InputError(f"{options.input}: no records to run (the input is empty)")
        output = Output(options.output, ordered=options.ordered)
        stack.callback(output.close)
        budget = Budget(options.max_cost, price, spent=journal.spent, max_tokens=options.max_tokens)
        runner = _Job(options, source, index, template, llm, journal, output, budget, backend)
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


async def _index(journal: Journal, source: Source) -> InputIndex:
    """Check and index the input on the journal's thread; Ctrl-C stops it at the next record
    (the thread cannot be cancelled, and closing the journal waits for it)."""
    stop = threading.Event()

    def records() -> Iterator[Record]:
        for record in source.records():
            if stop.is_set():
                raise InputError("interrupted while checking the input")
            yield record

    try:
        return await journal.call(journal.index, records())
    except asyncio.CancelledError:
        stop.set()
        raise


class _Job:
    def __init__(
        self,
        options: MapOptions,
        source: Source,
        index: InputIndex,
        template: PromptTemplate,
        llm: ChatOpenAI,
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

    async def run(self) -> None:
        self.summary.resumed = self.summary.ok = self.index.done
        if self.index.done and not self.options.ordered:
            await self.journal.call(lambda: self.output.write(self.journal.lines(only_ok=True)))
        self.writer = GroupCommit(self.journal, self._committed)
        try:
            if self.backend is not None:  # --ray: the cluster answers the records to do
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

    async def _process(self, record: Record) -> None:
        self.summary.in_flight += 1
        try:
            row = await self._answer(record)
        finally:
            self.summary.in_flight -= 1
        if row is not None:
            await self._commit(row)

    async def _commit(self, row: JournalRow) -> None:
        """Hand `row` to the group commit; return once it is committed. The worker's slot is
        held until then, so answers not yet committed and requests in flight together never
        pass `concurrency`: a kill loses at most that many."""
        await self.writer.commit(row)

    def _committed(self, rows: list[JournalRow]) -> None:
        """After each group commit, on the event loop: write the rows out and count them."""
        self.output.write(row.line for row in rows)
        for row in rows:
            if row.ok:
                self.summary.ok += 1
                self.summary.cached += row.cached
            else:
                self.summary.failed += 1

    async def _answer(self, record: Record) -> JournalRow | None:
        missing = [n for n in self.template.input_variables if n not in record.fields]
        if missing:
            return self._failed(
                record, f"record {record.id}: missing template variable(s) {', '.join(missing)}"
            )
        values = {name: _text(record.fields[name]) for name in self.template.input_variables}
        prompt = self.template.format(**values)
        # Without a system message the prompt goes as a plain string: the cheapest path.
        messages: Any = [self.system, HumanMessage(prompt)] if self.system else prompt
        estimate = await self.budget.reserve(prompt)
        if estimate is None:
            return None  # over budget: _finish_summary counts what was not sent
        cost = 0.0
        try:
            message = await self.llm.ainvoke(messages)
            usage = message.usage
            cached = usage is not None and usage.requests == 0
            if usage is not None and not cached:
                cost = self.budget.actual(usage.prompt_tokens, usage.completion_tokens)
        except (AuthenticationError, NotFoundError, ConfigurationError, ServerUnreachableError):
            # The whole job would fail the same way (a refused key, an unknown model, a server
            # down for longer than --max-wait): stop now; the rerun resumes.
            raise
        except AiochainError as exc:
            return self._failed(record, f"{type(exc).__name__}: {exc}")
        finally:
            self.budget.settle(estimate, cost)
        output: Any = message.content
        if self.options.json_mode:
            try:
                output = parse_json_text(message.content)
            except AiochainError as exc:
                return self._failed(record, f"the answer is not valid JSON: {exc}", cost)
        return JournalRow.finished(
            record.digest,
            record.index,
            record.id,
            output=output,
            usage=usage.to_dict() if usage is not None else None,
            cached=cached,
            cost=cost,
        )

    def _failed(self, record: Record, error: str, cost: float = 0.0) -> JournalRow:
        return JournalRow.finished(record.digest, record.index, record.id, error=error, cost=cost)

    def _finish_summary(self) -> None:
        s = self.summary
        s.prompt_tokens = self.stats.prompt_tokens
        s.completion_tokens = self.stats.completion_tokens
        if self.budget.price is not None:
            s.cost = self.budget.spent
            s.job_cost = self.budget.spent_before + self.budget.spent
        # Request latency, from being sent: time queued behind the limiter is not the server's.
        s.p50 = self.stats.percentile(0.5, requests=True)
        s.p95 = self.stats.percentile(0.95, requests=True)
        s.rate_limited = self.stats.rate_limited
        if self.budget.reached:
            s.skipped_for_budget = s.items - s.ok - s.failed


def _text(value: Any) -> str:
    """A field as it goes into the prompt: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


__all__ = ["Backend", "MapOptions", "MapSummary", "job_model", "run_map"]
