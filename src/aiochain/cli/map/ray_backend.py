"""`aiochain map --ray`: the records to do are answered by worker actors on a Ray cluster.

The driver (the `aiochain map` process) keeps the job: it reads the input, skips what the
journal holds, and sends the rest as Ray Data datasets of up to `WINDOW` records, mapped by
`Answerer`, an async callable class in an actor pool of `--workers` actors. Each actor runs the
job's own `ChatOpenAI` with `--concurrency` requests in flight and answers exactly as the
local job does (the same `_Job._answer`), returning one row per record: it never raises, so a
bad record fails alone. Its limiter draws from one `ClusterBudget` actor per run
(`_ray_limiter`), so `--rpm` / `--tpm` and the 429 pauses hold for the whole cluster.

Rows come back to the driver, the journal's single writer: it commits them through the job's
group commit, which writes the output after each commit, and drops any row of a record it
already took in this run (Ray retries the tasks of a worker that died, and a retried task
answers its records again). Output is therefore exactly-once; requests are at-least-once:
the records of a dead worker's unfinished batches are sent again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from ..._exceptions import (
    AiochainError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    ServerUnreachableError,
    UsageError,
)
from ..._pipeline.run_stats import RunStats, current_stats
from ..._types import Usage
from ...messages import SystemMessage
from ...pricing import price_of
from ...prompts import PromptTemplate
from .budget import Budget
from .job import MapOptions, _Job
from .journal import JournalRow
from .journal_rows import RecordTake, journal_row
from .providers import make_model
from .ray_limiter import ClusterBudget, ClusterRateLimiter
from .records import Record

try:
    import ray
    from ray.data import ActorPoolStrategy, DataContext
except ImportError:  # pragma: no cover - depends on the extra
    raise ConfigurationError("--ray needs Ray Data: pip install 'aiochain[ray]'") from None

WINDOW = 100_000  # records per dataset: the driver holds one window's fields in memory
BATCH = 16  # records per batch handed to an actor (answered concurrently)
BLOCK = 512  # records per input block (a Ray task)
WORKER_CPUS = 0.25  # a worker waits on the network: several share a CPU
_FATAL = (AuthenticationError, NotFoundError, ConfigurationError, ServerUnreachableError)
_COLUMNS = ("row", "fatal")  # a row's values (JSON), and the pickled error that stops the job


class Answerer(_Job):
    """The Ray Data UDF: answers batches of records on one worker actor, as the local job.

    It shares `_Job`'s answering code but none of its driver state (input, journal, output).
    """

    def __init__(self, options: MapOptions, base_url: str, budget_name: str) -> None:
        # Not `_Job.__init__`: a worker has no input, journal or output of its own.
        self.options = options
        self.template = PromptTemplate.from_template(options.template)
        self.system = SystemMessage(options.system) if options.system else None
        self.budget = Budget(None, price_of(options.model), max_tokens=options.max_tokens)
        self._base_url = base_url
        self._budget_name = budget_name
        self._model: Any = None
        self._slots: asyncio.Semaphore | None = None
        self.splitter = None  # --split is refused with --ray (see _map_command)
        self.via = None
        self.answered_via = "ray"

    async def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        if self._model is None:  # on the actor's event loop, where its session lives
            limiter = ClusterRateLimiter(ray.get_actor(self._budget_name))
            cache = None
            if self.options.cache:
                from ...cache import SQLiteCache

                cache = SQLiteCache(self.options.cache_path)
            self.llm = self._model = make_model(self.options, self._base_url, cache, limiter)
            self._slots = asyncio.Semaphore(self.options.concurrency)
        records = [
            Record(int(i), str(rid), json.loads(fields), str(key))
            for i, rid, fields, key in zip(
                batch["index"], batch["id"], batch["fields"], batch["digest"], strict=True
            )
        ]
        answers = await asyncio.gather(*(self._one(record) for record in records))
        return {name: [a[name] for a in answers] for name in _COLUMNS}

    async def _one(self, record: Record) -> dict[str, Any]:
        """The record's journal row (built by `_Job.take`, as on the driver), as JSON."""
        assert self._slots is not None
        current_stats.set(RunStats())  # a run listens: the request path counts the record
        fatal = b""
        async with self._slots:
            take = RecordTake("ray", time.time())
            try:
                row = await self.take(record)
            except _FATAL as exc:
                take.fail(str(exc), type(exc).__name__)
                row, fatal = journal_row(record, take), _pickled(exc)
            except Exception as exc:  # a worker never raises: the record fails alone
                take.fail(f"{type(exc).__name__}: {exc}", type(exc).__name__)
                row = journal_row(record, take)
        assert row is not None  # a worker's budget has no limit: it never declines
        return {"row": json.dumps(row.values()), "fatal": fatal}


def _pickled(exc: BaseException) -> bytes:
    """The error, for the driver to raise; a plain `AiochainError` if it cannot travel."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    except Exception:
        return pickle.dumps(AiochainError(f"{type(exc).__name__}: {exc}"))


def refuse_with_ray(options: MapOptions) -> None:
    """Refuse the flags `--ray` does not support yet, before anything is sent."""
    for flag, given in (
        ("--max-cost", options.max_cost is not None),
        ("--split", bool(options.split)),
        ("--batch", options.batch),
    ):
        if given:
            raise UsageError(f"{flag} does not work with --ray yet; run without --ray")


async def run_on_ray(job: _Job) -> None:
    """The `--ray` backend of a map job: answer its records to do on the cluster.

    Raises:
        UsageError: for options that do not work with `--ray` yet.
        AiochainError: what stops the whole job (a refused key, an unknown model).
    """
    refuse_with_ray(job.options)
    driver = _Driver(job, asyncio.get_running_loop())
    work = asyncio.ensure_future(asyncio.to_thread(driver.run))
    try:
        await asyncio.shield(work)
    except AiochainError:
        raise
    except Exception as exc:  # Ray's own errors (a cluster gone, a worker dead): one line
        await driver.drain()
        raise AiochainError(f"the Ray cluster failed: {type(exc).__name__}: {exc}") from exc
    except asyncio.CancelledError:
        # Ctrl-C: stop feeding the cluster, let the thread leave Ray Data's iterator (which
        # stops the pool), and commit what came back; the rerun does the rest.
        driver.stop.set()
        await asyncio.wait({work}, timeout=30)
        await driver.drain()
        raise
    await driver.drain()


class _Driver:
    """Runs the datasets on a thread (Ray Data's iterator blocks) and hands each batch of
    rows to the event loop, where they are committed."""

    def __init__(self, job: _Job, loop: asyncio.AbstractEventLoop) -> None:
        self.job = job
        self.loop = loop
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.sent = 0
        self.received = 0
        self.taken = bytearray(job.index.total)
        self.pending: set[asyncio.Future[None]] = set()

    def run(self) -> None:
        options = self.job.options
        _connect(options.ray or "local")
        budget_name = f"aiochain-limiter-{uuid.uuid4().hex[:12]}"
        budget = (
            ray.remote(num_cpus=0)(ClusterBudget)
            .options(name=budget_name)
            .remote(options.rpm, options.tpm)
        )
        try:
            for window in _windows(self.job._feed()):
                if self.stop.is_set():
                    return
                self._run_window(window, budget_name)
        finally:
            ray.kill(budget)

    def _run_window(self, items: list[dict[str, Any]], budget_name: str) -> None:
        options = self.job.options
        self.sent += len(items)
        self.loop.call_soon_threadsafe(self._show_in_flight)
        blocks = min(len(items), max(4 * options.workers, -(-len(items) // BLOCK)))
        dataset = ray.data.from_items(items, override_num_blocks=blocks)
        answered = dataset.map_batches(
            Answerer,
            batch_size=BATCH,
            batch_format="numpy",
            compute=ActorPoolStrategy(size=options.workers),
            fn_constructor_kwargs={
                "options": options,
                "base_url": self.job.llm.base_url,
                "budget_name": budget_name,
            },
            num_cpus=WORKER_CPUS,
        )
        for batch in answered.iter_batches(batch_size=None, batch_format="numpy"):
            columns = {name: batch[name].tolist() for name in _COLUMNS}
            self.loop.call_soon_threadsafe(self._take, columns)
            if self.stop.is_set():
                return

    def _take(self, columns: dict[str, list[Any]]) -> None:
        """On the event loop: commit a batch's rows, once per record, and count them."""
        for encoded, fatal in zip(columns["row"], columns["fatal"], strict=True):
            row = JournalRow(*json.loads(encoded))
            self.received += 1
            if self.taken[row.index]:
                continue  # answered again by a retried task: the first row stands
            self.taken[row.index] = 1
            if fatal:  # as the local job: what stops the job is not written as failed
                if self.error is None:
                    self.error = pickle.loads(fatal)
                    self.stop.set()
                continue
            _count(self.job.stats, row)
            done = self.job.writer.commit(row)
            self.pending.add(done)
            done.add_done_callback(self._committed)
        self._show_in_flight()

    def _show_in_flight(self) -> None:
        """Records sent and not back, at most what the workers can hold in flight."""
        options = self.job.options
        self.job.summary.in_flight = max(
            0, min(self.sent - self.received, options.workers * options.concurrency)
        )

    def _committed(self, done: asyncio.Future[None]) -> None:
        self.pending.discard(done)
        if not done.cancelled() and done.exception() is not None and self.error is None:
            self.error = done.exception()
            self.stop.set()

    async def drain(self) -> None:
        """Wait for the rows handed over to be committed; raise what stopped the job."""
        await asyncio.sleep(0)  # let the thread's last call_soon_threadsafe callbacks run
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
        self.job.summary.in_flight = 0
        if self.error is not None:
            raise self.error


def _count(stats: RunStats, row: JournalRow) -> None:
    """Count a worker's row in the driver's progress, as the request path counts a live one."""
    stats.done += 1  # as amap counts a live record (a failed row is an answer too)
    stats.cached += row.cached
    answered = row.request_seconds is not None
    stats.retries += max(0, row.attempts - 1)
    for k in range(row.attempts - answered):
        stats.refused(rate_limited=k < row.rate_limited)
    if answered:
        usage = Usage(row.prompt_tokens, row.completion_tokens)
        stats.answered(usage, row.cost, row.request_seconds)


def _windows(records: Iterator[Record]) -> Iterator[list[dict[str, Any]]]:
    """The records to do, as rows of up to `WINDOW` (fields as JSON: any shape travels)."""
    window: list[dict[str, Any]] = []
    for record in records:
        window.append(
            {
                "index": record.index,
                "id": record.id,
                "digest": record.digest,
                "fields": json.dumps(record.fields, ensure_ascii=False),
            }
        )
        if len(window) >= WINDOW:
            yield window
            window = []
    if window:
        yield window


def _connect(address: str) -> None:
    """Join the cluster (or start a local one), quietly: the job's progress is the display."""
    for name in ("ray", "ray.data"):  # start-up notes and warnings are not the job's
        logging.getLogger(name).setLevel(logging.ERROR)
    if not ray.is_initialized():
        ray.init(
            address=address,
            include_dashboard=False if address == "local" else None,
            log_to_driver=False,
            logging_level=logging.ERROR,
        )
    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
