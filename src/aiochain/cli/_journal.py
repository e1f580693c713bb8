"""The crash-safe journal of `aiochain map`: SQLite in WAL mode, one row per finished record.

A result counts as done only once its row is committed, so a process killed at any moment
(SIGKILL included) loses at most results it had not yet reported, and a rerun asks for nothing
the journal holds. WAL with `synchronous=NORMAL` makes each commit durable against a process
crash without an fsync per commit (only a power cut could lose the last ones).

The journal belongs to one job: the template, system prompt, model and parameters, hashed into
the job key. A rerun with another job key is refused with one line saying what changed, so a
changed prompt never silently reuses old answers. Rows are keyed by each record's id and content.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import _json
from .._exceptions import JournalMismatchError
from .._sqlite import open_database


@dataclass(slots=True)
class JournalRow:
    """One finished record: its output line (JSON, encoded once), and whether it succeeded.

    The same line is stored in the journal and written to the output, so each result is
    encoded once however often it is written.
    """

    key: str
    index: int
    id: str
    ok: bool
    cached: bool = False
    line: str = field(default="", repr=False)

    @classmethod
    def finished(
        cls,
        key: str,
        index: int,
        record_id: str,
        *,
        output: Any = None,
        usage: dict[str, int] | None = None,
        error: str | None = None,
        cached: bool = False,
    ) -> JournalRow:
        """A row for a record that ended with `output` (and `usage`), or with `error`."""
        value: dict[str, Any] = {"id": record_id, "output": output, "usage": usage}
        if error is not None:
            value["error"] = error
        line = _json.dumps(value).decode()
        return cls(key, index, record_id, error is None, cached, line)

    def to_output(self) -> dict[str, Any]:
        """The output line, decoded."""
        value: dict[str, Any] = json.loads(self.line)
        return value


class Journal:
    """Finished records of one job, in a SQLite file.

    Args:
        path: the journal file (created when missing).
        job: what identifies the job (template, model, parameters), stored with the journal.
        resume: keep what an earlier run of the same job finished; False starts over.
    """

    def __init__(self, path: str | Path, job: dict[str, Any], *, resume: bool = True) -> None:
        self.path = Path(path)
        self._db = open_database(
            self.path,
            purpose="journal",
            schema=[
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
                "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, idx INTEGER, "
                "id TEXT, ok INTEGER, cached INTEGER, line TEXT)",
            ],
        )
        stored = self._db.execute("SELECT value FROM meta WHERE key = 'job'").fetchone()
        wanted = json.dumps(job, sort_keys=True)
        if stored is not None and stored[0] != wanted and resume:
            changed = _changes(json.loads(stored[0]), job)
            raise JournalMismatchError(
                f"{self.path} was written by a job with a different {changed}; rerun with "
                "--no-resume to start over, or --journal to pick another file"
            )
        if stored is None or not resume:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM results")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('job', ?)", (wanted,))
            self._db.execute("COMMIT")

    def finished(self) -> dict[str, JournalRow]:
        """Every finished record, successes and failures, by record key."""
        rows = self._db.execute("SELECT key, idx, id, ok, cached, line FROM results ORDER BY rowid")
        return {row.key: row for row in map(_row, rows)}

    def commit(self, rows: Iterable[JournalRow]) -> None:
        """Write finished records in one transaction; they count as done once this returns."""
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
                [(r.key, r.index, r.id, r.ok, r.cached, r.line) for r in rows],
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def rows_in_order(self) -> Iterator[JournalRow]:
        """Every finished record in input order."""
        rows = self._db.execute("SELECT key, idx, id, ok, cached, line FROM results ORDER BY idx")
        return map(_row, rows)

    def close(self) -> None:
        """Close the file (what was committed stays)."""
        self._db.close()


def _row(raw: tuple[Any, ...]) -> JournalRow:
    key, index, record_id, ok, cached, line = raw
    return JournalRow(key, index, record_id, bool(ok), bool(cached), line)


def _changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    names = sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
    return ", ".join(names) or "job"
