"""The crash-safe journal of `aiochain map`: SQLite in WAL mode, one row per finished record.

A result counts as done only once its row is committed, so a process killed at any moment
(SIGKILL included) loses at most results it had not yet reported, and a rerun asks for nothing
the journal holds. WAL with `synchronous=NORMAL` makes each commit durable against a process
crash without an fsync per commit (only a power cut could lose the last ones).

The journal belongs to one job: the template, system prompt, model and parameters, hashed into
the job key. A rerun with another job key is refused with one line saying what changed, so a
changed prompt never silently reuses old answers. Rows are keyed by each record's id and content.
It also keeps what the job has spent so far, across runs, for `--max-cost`, and what each row
took (start and end times, attempts, 429s, tokens, cost, error class) for `aiochain report`;
journals from before those columns get them added, empty, when opened.

Every statement runs on the journal's own thread (`await journal.call(...)`): with a busy
timeout of 30 s, a file held by another process must never freeze the event loop and the
requests in flight on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from ..._exceptions import InputError, JournalError, JournalMismatchError
from ..._pipeline.sqlite import open_database
from .records import Record

T = TypeVar("T")
_COLUMNS = "key, idx, id, ok, cached, line"
TRACE_COLUMNS = (
    "started",
    "ended",
    "attempts",
    "rate_limited",
    "prompt_tokens",
    "completion_tokens",
    "error_class",
    "via",
    "request_seconds",
    "answers",
    "run",
)
"""What each row took, for `aiochain report` (added in place to older journals)."""
_INSERTED = f"{_COLUMNS}, cost, {', '.join(TRACE_COLUMNS)}"
_WIDTH = 7 + len(TRACE_COLUMNS)
_CHUNK = 1000  # rows per INSERT statement (18 parameters each, under SQLite's 32,766)


@dataclass(slots=True)
class JournalRow:
    """One finished record: its output line (JSON, encoded once), and whether it succeeded.

    Built by `_journal_rows.journal_row` from what the record took, on every path. The same
    line is stored in the journal and written to the output, so each result is encoded once
    however often it is written. `cost` (dollars spent on it in this run) is stored with the
    row and added to the job's spend in the same transaction. The rest is for `aiochain
    report`: wall-clock start and end in the job (Unix seconds), HTTP requests sent, 429s
    seen, tokens, the class of the error that failed it, how it was answered (`via`), the
    seconds its answering request took from being sent, and, when it made several requests
    (a split record), each one's send time, seconds and tokens as JSON. The journal adds the
    number of the run that committed it.
    """

    key: str
    index: int
    id: str
    ok: bool
    cached: bool = False
    line: str = field(default="", repr=False)
    cost: float = 0.0
    started: float | None = None
    ended: float | None = None
    attempts: int = 0
    rate_limited: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error_class: str | None = None
    via: str | None = None
    request_seconds: float | None = None
    answers: str | None = field(default=None, repr=False)

    def values(self) -> tuple[Any, ...]:
        """The row's values in field order (the journal's columns, but for `run`)."""
        return (
            self.key,
            self.index,
            self.id,
            self.ok,
            self.cached,
            self.line,
            self.cost,
            self.started,
            self.ended,
            self.attempts,
            self.rate_limited,
            self.prompt_tokens,
            self.completion_tokens,
            self.error_class,
            self.via,
            self.request_seconds,
            self.answers,
        )


@dataclass(slots=True)
class InputIndex:
    """What the journal knows about the current input: its size and which records are done."""

    total: int
    done: int
    todo: bytearray  # one byte per record: 1 when it still has to be sent

    def pending(self, record: Record) -> bool:
        """Whether `record` still has to be sent."""
        return bool(self.todo[record.index])


class Journal:
    """Finished records of one job, in a SQLite file; a context manager that closes it.

    Rows are only ever appended (a retried record gets a new row; the latest row of a key
    wins), so a commit writes the table's last page or two instead of one page per row at
    random places in a key index: group commits stay cheap however often they happen.

    Args:
        path: the journal file (created when missing).
        job: what identifies the job (template, model, parameters), stored with the journal.
        resume: keep what an earlier run of the same job finished; False starts over.
        settings: how this run is run (limits, concurrency; never a key), kept for reports.

    Raises:
        JournalError: the file is damaged or not a journal.
        JournalMismatchError: it belongs to another job (and `resume` is true).
    """

    def __init__(
        self,
        path: str | Path,
        job: dict[str, Any],
        *,
        resume: bool = True,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self.spent = 0.0
        self.run = 1  # this run's number: 1 for a new job, one more for each resumed run
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="aiochain-journal")
        self._indexed_up_to = 0  # rowid of the last row seen by index() or refresh()
        self._db = open_database(
            self.path,
            purpose="journal",
            schema=[
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
                f"CREATE TABLE IF NOT EXISTS rows (rowid INTEGER PRIMARY KEY, {_INSERTED})",
            ],
        )
        try:
            with self._errors():
                self._start(job, resume, settings)
        except BaseException:
            self.close()
            raise

    def _start(self, job: dict[str, Any], resume: bool, settings: dict[str, Any] | None) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
            if "results" in tables:  # a journal from before rows were appended: move them
                db.execute(f"INSERT INTO rows ({_COLUMNS}, cost) SELECT {_COLUMNS}, 0 FROM results")
                db.execute("DROP TABLE results")
            have = {column for (_, column, *_) in db.execute("PRAGMA table_info(rows)")}
            for column in TRACE_COLUMNS:  # a journal from before rows kept their timings
                if column not in have:
                    db.execute(f"ALTER TABLE rows ADD COLUMN {column}")
            db.execute(
                "CREATE TRIGGER IF NOT EXISTS spend AFTER INSERT ON rows BEGIN UPDATE meta "
                "SET value = CAST(value AS REAL) + NEW.cost WHERE key = 'spent'; END"
            )
            stored = db.execute("SELECT value FROM meta WHERE key = 'job'").fetchone()
            wanted = json.dumps(job, sort_keys=True)
            if stored is not None and stored[0] != wanted and resume:
                changed = _changes(json.loads(stored[0]), job)
                raise JournalMismatchError(
                    f"{self.path} was written by a job with a different {changed}; rerun with "
                    "--no-resume to start over, or --journal to pick another file"
                )
            if stored is None or not resume:
                db.execute("DELETE FROM rows")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('job', ?)", (wanted,))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('spent', '0')")
                db.execute("DELETE FROM meta WHERE key = 'runs'")
            elif db.execute("SELECT 1 FROM meta WHERE key = 'spent'").fetchone() is None:
                db.execute("INSERT INTO meta VALUES ('spent', '0')")  # an older journal
            # Each run of the job gets the next number: the report shows runs apart.
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('runs', (SELECT coalesce(max(CAST(value AS "
                "INTEGER)), 0) + 1 FROM meta WHERE key = 'runs'))"
            )
            if settings is not None:
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('settings', ?)",
                    (json.dumps(settings, sort_keys=True),),
                )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        spent = db.execute("SELECT value FROM meta WHERE key = 'spent'").fetchone()
        self.spent = float(spent[0])
        self.run = int(db.execute("SELECT value FROM meta WHERE key = 'runs'").fetchone()[0])

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` on the journal's thread, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def index(self, records: Iterable[Record]) -> InputIndex:
        """Note the current input's records (their order, ids and keys) and which are done.

        Only these records count from now on: the output is built from them, whatever else
        the journal holds from other inputs or older versions of a record.

        Raises:
            InputError: an id appears twice in the input.
        """
        with self._errors():
            db = self._db
            db.execute("DROP TABLE IF EXISTS temp.current")
            db.execute(
                "CREATE TEMP TABLE current "
                "(idx INTEGER PRIMARY KEY, id TEXT UNIQUE, key TEXT, latest INTEGER)"
            )
            total = 0
            db.execute("BEGIN")
            try:
                for record in records:
                    try:
                        db.execute(
                            "INSERT INTO current (idx, id, key) VALUES (?, ?, ?)",
                            (record.index, record.id, record.digest),
                        )
                    except sqlite3.IntegrityError:
                        first = db.execute(
                            "SELECT idx FROM current WHERE id = ?", (record.id,)
                        ).fetchone()[0]
                        raise InputError(
                            f"id {record.id!r} appears twice (records {first + 1} and "
                            f"{record.index + 1}); ids must be unique"
                        ) from None
                    total += 1
            finally:
                db.execute("COMMIT")
            db.execute("CREATE INDEX temp.current_key ON current (key)")
            self._indexed_up_to = 0
            self.refresh()
            todo = bytearray(b"\x01") * total
            done = 0
            for (idx,) in db.execute(
                "SELECT c.idx FROM current c JOIN rows r ON r.rowid = c.latest WHERE r.ok"
            ):
                todo[idx] = 0
                done += 1
            return InputIndex(total, done, todo)

    def refresh(self) -> None:
        """Point each current record at its latest row, taking in rows appended since."""
        with self._errors():
            db = self._db
            last = db.execute("SELECT coalesce(max(rowid), 0) FROM rows").fetchone()[0]
            fresh = db.execute(
                "SELECT max(rowid), key FROM rows WHERE rowid > ? AND rowid <= ? GROUP BY key",
                (self._indexed_up_to, last),
            )
            db.execute("BEGIN")
            try:
                while batch := fresh.fetchmany(10_000):
                    db.executemany("UPDATE current SET latest = ? WHERE key = ?", batch)
            finally:
                db.execute("COMMIT")
            self._indexed_up_to = last

    def lines(self, *, only_ok: bool = False) -> Iterator[str]:
        """Output lines of the current input's finished records (latest row of each), in
        input order."""
        self.refresh()
        where = " WHERE r.ok" if only_ok else ""
        with self._errors():
            cursor = self._db.execute(
                f"SELECT r.line FROM current c JOIN rows r ON r.rowid = c.latest{where} "
                "ORDER BY c.idx"
            )
            for (line,) in cursor:
                yield line

    def commit(self, rows: Iterable[JournalRow]) -> None:
        """Append finished records in one transaction (a trigger adds their cost to the job's
        spend in it); they count as done once this returns, all of them or none."""
        rows = list(rows)
        run = (self.run,)
        with self._errors():
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                # One statement per `_CHUNK` rows: each statement releases the GIL, and taking
                # it back from a busy event loop is much of what a commit on this thread costs.
                for start in range(0, len(rows), _CHUNK):
                    chunk = rows[start : start + _CHUNK]
                    db.execute(
                        f"INSERT INTO rows ({_INSERTED}) VALUES "
                        + ", ".join([f"({', '.join('?' * _WIDTH)})"] * len(chunk)),
                        [v for r in chunk for v in (*r.values(), *run)],
                    )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        self.spent += sum(row.cost for row in rows)

    def remember(self, kind: str, ident: str) -> None:
        """Keep an id the job must not lose (a Batch API file or batch), committed at once."""
        with self._errors():
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS remembered (seq INTEGER PRIMARY KEY, kind, ident)"
            )
            self._db.execute("INSERT INTO remembered (kind, ident) VALUES (?, ?)", (kind, ident))

    def remembered(self, kind: str) -> list[str]:
        """The ids of `kind` remembered so far, in the order they were."""
        with self._errors():
            exists = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'remembered'"
            ).fetchone()
            if exists is None:
                return []
            rows = self._db.execute(
                "SELECT ident FROM remembered WHERE kind = ? ORDER BY seq", (kind,)
            )
            return [ident for (ident,) in rows]

    def close(self) -> None:
        """Close the file (what was committed stays) and the journal's thread."""
        self._thread.shutdown(wait=True)
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise JournalError(
                f"{self.path}: cannot use as a journal ({exc}); delete it to start over, or "
                "pass --journal to use another file"
            ) from exc


def _changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    names = sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
    return ", ".join(names) or "job"
