"""The `aiochain map` job: a prompt over every record, resumable, cached, within a budget.

Flow: read and check every record -> open the journal (refusing one from another job) -> write
what earlier runs finished to the output -> run the rest through `amap` -> flush finished rows
in small batches: journal commit first, then the output line, then the count. Records missing a
template variable fail alone, without a request; an unknown model, a refused key or a bad option
stops the whole job at once instead of failing every record.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .._exceptions import (
    AiochainError,
    AuthenticationError,
    ConfigurationError,
    MissingVariablesError,
    NotFoundError,
    UsageError,
)
from .._progress import RunStats
from .._runner import amap
from ..chat_models import ChatOpenAI
from ..messages import HumanMessage, SystemMessage
from ..output_parsers import parse_json_text
from ..pricing import cost_for, price_of
from ..prompts import PromptTemplate
from ._journal import Journal, JournalRow
from ._records import Record, read_records

FLUSH_ROWS = 256
FLUSH_SECONDS = 0.05


@dataclass
class MapOptions:
    """Everything `aiochain map` was asked to do."""

    template: str
    input: str
    input_format: str | None = None
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
    timeout: float = 120.0
    simulate: float | None = None
    quiet: bool = False
    ordered: bool = False


@dataclass
class MapSummary:
    """What a run did, for the summary table and the exit status."""

    items: int = 0
    ok: int = 0
    failed: int = 0
    resumed: int = 0
    cached: int = 0
    skipped_for_budget: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    wall: float = 0.0
    p50: float | None = None
    p95: float | None = None
    rate_limited: int = 0
    output: str = ""
    journal: str = ""
    stats: RunStats = field(default_factory=RunStats)

    @property
    def exit_status(self) -> int:
        return 0 if self.failed == 0 and self.skipped_for_budget == 0 else 1


class BudgetReached(Exception):
    """Internal: the next request would pass --max-cost."""


class _Output:
    """The JSON Lines output: a file, or standard output."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.stream: IO[str] = open(path, "w", encoding="utf-8") if path else sys.stdout  # noqa: SIM115

    def write(self, rows: list[JournalRow]) -> None:
        if rows:
            self.stream.write("\n".join(r.line for r in rows) + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.path:
            self.stream.close()


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


def default_journal(options: MapOptions) -> str:
    """Next to the output file; in the working directory when writing to standard output."""
    if options.output:
        return options.output + ".journal.sqlite"
    return "aiochain-map.journal.sqlite"


async def run_map(
    options: MapOptions,
    *,
    on_start: Callable[[MapSummary, RunStats, Any], None] | None = None,
) -> MapSummary:
    """Run the job; returns its summary. Raises `UsageError` for bad input before any request."""
    records = read_records(options.input, options.input_format)
    template = PromptTemplate.from_template(options.template)
    if options.max_cost is not None and price_of(options.model) is None:
        raise ConfigurationError(
            f"--max-cost needs a known price, and {options.model!r} has none (see aiochain.pricing)"
        )
    async with contextlib.AsyncExitStack() as stack:
        base_url = options.base_url
        if options.simulate is not None:
            from ..sim import SimServer

            base_url = await stack.enter_async_context(SimServer(latency=options.simulate))
        cache = None
        if options.cache:
            from ..cache import SQLiteCache

            cache = SQLiteCache(options.cache_path)
            stack.callback(cache.close)
        llm = ChatOpenAI(
            model=options.model,
            base_url=base_url,
            api_key=options.api_key or ("sim" if options.simulate is not None else None),
            temperature=options.temperature,
            max_tokens=options.max_tokens,
            max_retries=options.retries,
            timeout=options.timeout,
            rpm=options.rpm,
            tpm=options.tpm,
            cache=cache,
            model_kwargs={"response_format": {"type": "json_object"}}
            if options.json_mode
            else None,
        )
        await stack.enter_async_context(llm)
        endpoint = "simulated" if options.simulate is not None else llm.base_url
        journal = Journal(
            options.journal or default_journal(options),
            job_description(options, endpoint),
            resume=options.resume,
        )
        stack.callback(journal.close)
        job = _Job(options, records, template, llm, journal)
        stack.callback(job.output.close)
        if on_start is not None:
            on_start(job.summary, job.stats, llm.rate_limiter)
        await job.run()
        return job.summary


class _Job:
    def __init__(
        self,
        options: MapOptions,
        records: list[Record],
        template: PromptTemplate,
        llm: ChatOpenAI,
        journal: Journal,
    ) -> None:
        self.options = options
        self.records = records
        self.template = template
        self.llm = llm
        self.journal = journal
        self.stats = RunStats(total=len(records))
        self.summary = MapSummary(items=len(records), stats=self.stats, journal=str(journal.path))
        self.output = _Output(options.output)
        self.summary.output = options.output or "<stdout>"
        self.pending: list[JournalRow] = []
        self.last_flush = time.monotonic()
        self.budget_reached = False
        self.in_flight_cost = 0.0
        self.price = price_of(options.model)
        self.system = SystemMessage(options.system) if options.system else None

    async def run(self) -> None:
        finished = self.journal.finished()
        earlier = [finished[r.digest] for r in self.records if r.digest in finished]
        done_before = [row for row in earlier if row.ok]
        self.output.write(done_before)
        self.summary.resumed = len(done_before)
        self.summary.ok = len(done_before)
        skip = {row.key for row in done_before}
        todo = [r for r in self.records if r.digest not in skip]
        self.stats.total = len(todo)
        started = time.monotonic()
        try:
            await amap(
                self._process,
                self._feed(todo),
                concurrency=self.options.concurrency,
                progress=self.stats,
            )
        finally:
            self._flush()
            self.summary.wall = time.monotonic() - started
            self._finish_summary()
            if self.options.ordered and self.options.output:
                self._rewrite_ordered()

    def _feed(self, todo: list[Record]) -> Iterator[Record]:
        for record in todo:
            if self.budget_reached:
                return
            yield record

    async def _process(self, record: Record) -> None:
        row = await self._answer(record)
        if row is not None:
            self.pending.append(row)
        if len(self.pending) >= FLUSH_ROWS or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self._flush()

    async def _answer(self, record: Record) -> JournalRow | None:
        try:
            values = {name: record.fields[name] for name in self.template.input_variables}
        except KeyError:
            missing = [n for n in self.template.input_variables if n not in record.fields]
            return self._failed(
                record, f"record {record.id}: missing template variable(s) {', '.join(missing)}"
            )
        try:
            prompt = self.template.format(**values)
        except MissingVariablesError as exc:
            return self._failed(record, f"record {record.id}: {exc}")
        # Without a system message the prompt goes as a plain string: the cheapest path.
        messages: Any = [self.system, HumanMessage(prompt)] if self.system else prompt
        estimate = 0.0
        if self.options.max_cost is not None:
            estimate = self._estimate_cost(prompt)
            if self.stats.cost + self.in_flight_cost + estimate > self.options.max_cost:
                self.budget_reached = True  # _finish_summary counts what was not sent
                return None
            self.in_flight_cost += estimate
        try:
            message = await self.llm.ainvoke(messages)
        except (AuthenticationError, NotFoundError, ConfigurationError):
            raise  # the whole job would fail the same way: stop now
        except AiochainError as exc:
            return self._failed(record, f"{type(exc).__name__}: {exc}")
        finally:
            if self.options.max_cost is not None:
                self.in_flight_cost -= estimate
        output: Any = message.content
        if self.options.json_mode:
            try:
                output = parse_json_text(message.content)
            except AiochainError as exc:
                return self._failed(record, f"the answer is not valid JSON: {exc}")
        usage = message.usage.to_dict() if message.usage is not None else None
        cached = bool(message.usage is not None and message.usage.requests == 0)
        return JournalRow.finished(
            record.digest, record.index, record.id, output=output, usage=usage, cached=cached
        )

    def _estimate_cost(self, prompt: str) -> float:
        """Before a call: about four characters a prompt token, plus max_tokens (or 256)."""
        if self.price is None:
            return 0.0
        return cost_for(self.price, len(prompt) / 4, self.options.max_tokens or 256)

    def _failed(self, record: Record, error: str) -> JournalRow:
        return JournalRow.finished(record.digest, record.index, record.id, error=error)

    def _flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.pending:
            return
        rows, self.pending = self.pending, []
        self.journal.commit(rows)  # committed first: only then do they count as done
        self.output.write(rows)
        for row in rows:
            if row.ok:
                self.summary.ok += 1
                self.summary.cached += row.cached
            else:
                self.summary.failed += 1

    def _finish_summary(self) -> None:
        s = self.summary
        s.prompt_tokens = self.stats.prompt_tokens
        s.completion_tokens = self.stats.completion_tokens
        s.cost = self.stats.cost if self.price is not None else None
        s.p50 = self.stats.percentile(0.5)
        s.p95 = self.stats.percentile(0.95)
        s.rate_limited = self.stats.rate_limited
        if self.budget_reached:
            s.skipped_for_budget = s.items - s.ok - s.failed

    def _rewrite_ordered(self) -> None:
        path = Path(self.options.output or "")
        self.output.close()
        temporary = path.with_name(path.name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            out.writelines(row.line + "\n" for row in self.journal.rows_in_order())
        os.replace(temporary, path)


__all__ = ["MapOptions", "MapSummary", "UsageError", "run_map"]
