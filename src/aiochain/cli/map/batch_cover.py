"""Which records each batch of a `map --batch` job covers, kept in the job's journal file.

Every request line gets a row here as its shard is written (`batch_id` still the shard's
provisional `shard:<key>`), and the shard's rows take the batch's id once the server made it:
so a rerun knows, whatever was killed when, which records a batch already holds answers for,
collects those batches first, and sends no record to a second batch. Rows hold the record's
id and content digest: a record whose text changed is not covered by the old batch.

`batch_jobs` says per batch its round (`batch`, or `retry` for `--batch-retry`) and whether
its results were committed (`collected`): a collected batch is not downloaded again.

Every function runs on the journal's thread (`await journal.call(f, journal, ...)`), after
`Journal.index` made the `current` table of the input's records.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .journal import Journal

PROVISIONAL = "shard:"
"""The prefix of a shard's key in `batch_id` until its batch exists."""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS batch_jobs (batch_id TEXT PRIMARY KEY, round TEXT, "
    "shard TEXT, collected INTEGER DEFAULT 0, seq INTEGER, created REAL)",
    "CREATE TABLE IF NOT EXISTS batch_cover "
    "(batch_id TEXT, custom_id TEXT, record_id TEXT, record_key TEXT)",
    "CREATE INDEX IF NOT EXISTS batch_cover_ids ON batch_cover (batch_id, custom_id)",
    "CREATE INDEX IF NOT EXISTS batch_cover_records ON batch_cover (record_id)",
)
Member = tuple[str, int, str, str]
"""(custom_id, record index, record id, record digest) of a current record in a batch."""


@contextlib.contextmanager
def _transaction(journal: Journal) -> Iterator[sqlite3.Connection]:
    db = _db(journal)
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _db(journal: Journal) -> sqlite3.Connection:
    # The journal's own connection (the `current` table of this input lives on it).
    db: sqlite3.Connection = journal._db
    for statement in _SCHEMA:
        db.execute(statement)
    return db


def forget_all(journal: Journal) -> None:
    """Forget every batch (a job started over with `--no-resume`)."""
    with _transaction(journal) as db:
        db.execute("DELETE FROM batch_cover")
        db.execute("DELETE FROM batch_jobs")


def add_members(
    journal: Journal, shard: str, round_name: str, entries: Iterable[tuple[str, str, str]]
) -> None:
    """Note (custom_id, record id, digest) of lines written to the shard `shard` (and, the
    first time, the shard itself, with when it was written)."""
    with _transaction(journal) as db:
        db.execute(
            "INSERT OR IGNORE INTO batch_jobs VALUES (?, ?, ?, 0, NULL, ?)",
            (PROVISIONAL + shard, round_name, shard, time.time()),
        )
        db.executemany(
            "INSERT INTO batch_cover VALUES (?, ?, ?, ?)",
            ((PROVISIONAL + shard, c, r, k) for c, r, k in entries),
        )


def made(journal: Journal, shard: str, batch_id: str, round_name: str) -> None:
    """The batch of `shard` exists: its rows take its id, in one transaction."""
    with _transaction(journal) as db:
        db.execute(
            "UPDATE batch_cover SET batch_id = ? WHERE batch_id = ?",
            (batch_id, PROVISIONAL + shard),
        )
        seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM batch_jobs").fetchone()[0]
        db.execute("DELETE FROM batch_jobs WHERE batch_id = ?", (PROVISIONAL + shard,))
        db.execute(
            "INSERT OR REPLACE INTO batch_jobs VALUES (?, ?, ?, 0, ?, ?)",
            (batch_id, round_name, shard, seq, time.time()),
        )


def provisional(journal: Journal) -> list[tuple[str, str, float, int]]:
    """(key, round, when written, lines) of each shard written by a run that was stopped
    before its batch was made, or before the batch's id was noted."""
    rows = _db(journal).execute(
        "SELECT j.shard, j.round, j.created, count(b.custom_id) FROM batch_jobs j "
        "LEFT JOIN batch_cover b ON b.batch_id = j.batch_id WHERE j.batch_id LIKE ? "
        "GROUP BY j.batch_id",
        (PROVISIONAL + "%",),
    )
    return [(key, name, created or 0.0, count) for key, name, created, count in rows]


def known(journal: Journal) -> set[str]:
    """The ids of every batch the journal knows."""
    rows = _db(journal).execute(
        "SELECT batch_id FROM batch_jobs WHERE batch_id NOT LIKE ?", (PROVISIONAL + "%",)
    )
    return {ident for (ident,) in rows}


def drop_shard(journal: Journal, shard: str) -> None:
    """Forget a shard that has no batch (its records are not covered)."""
    with _transaction(journal) as db:
        db.execute("DELETE FROM batch_cover WHERE batch_id = ?", (PROVISIONAL + shard,))
        db.execute("DELETE FROM batch_jobs WHERE batch_id = ?", (PROVISIONAL + shard,))


def open_batches(journal: Journal) -> list[tuple[str, str]]:
    """(batch id, round) of every batch whose results are not all committed, oldest first."""
    rows = _db(journal).execute(
        "SELECT batch_id, round FROM batch_jobs WHERE NOT collected AND batch_id NOT LIKE ? "
        "ORDER BY seq",
        (PROVISIONAL + "%",),
    )
    return [(ident, name) for ident, name in rows]


def collected(journal: Journal, batch_id: str) -> None:
    """Every result of `batch_id` is committed: it is not downloaded again."""
    with _transaction(journal) as db:
        db.execute("UPDATE batch_jobs SET collected = 1 WHERE batch_id = ?", (batch_id,))


def covered(journal: Journal, round_name: str | None = None) -> set[str]:
    """The ids of this input's records that a made batch covers with their current content
    (of `round_name` only, when given): a record whose text changed is not covered."""
    rows = _db(journal).execute(
        "SELECT DISTINCT c.id FROM batch_cover b "
        "JOIN batch_jobs j ON j.batch_id = b.batch_id "
        "JOIN current c ON c.id = b.record_id AND c.key = b.record_key "
        "WHERE j.batch_id NOT LIKE ? AND (? IS NULL OR j.round = ?)",
        (PROVISIONAL + "%", round_name, round_name),
    )
    return {ident for (ident,) in rows}


def lookup(journal: Journal, batch_id: str, custom_ids: list[str]) -> dict[str, Member]:
    """custom_id -> the current record it answers, for those of `custom_ids` that `batch_id`
    covers and whose record is in this input with the same content."""
    db = _db(journal)
    found: dict[str, Member] = {}
    for start in range(0, len(custom_ids), 500):
        chunk = custom_ids[start : start + 500]
        rows = db.execute(
            "SELECT b.custom_id, c.idx, c.id, c.key FROM batch_cover b "
            "JOIN current c ON c.id = b.record_id AND c.key = b.record_key "
            f"WHERE b.batch_id = ? AND b.custom_id IN ({', '.join('?' * len(chunk))})",
            [batch_id, *chunk],
        )
        for custom_id, idx, ident, key in rows:
            found[custom_id] = (custom_id, idx, ident, key)
    return found


def members(journal: Journal, batch_id: str) -> list[Member]:
    """Every current record `batch_id` covers (one batch's worth)."""
    rows = _db(journal).execute(
        "SELECT b.custom_id, c.idx, c.id, c.key FROM batch_cover b "
        "JOIN current c ON c.id = b.record_id AND c.key = b.record_key WHERE b.batch_id = ?",
        (batch_id,),
    )
    return [(c, i, r, k) for c, i, r, k in rows]


def record_ids(path: str | Path, batch_id: str) -> dict[str, str]:
    """custom_id -> record id for `batch_id`, read from a journal file (for `aiochain batches
    collect --journal`); empty when the journal does not know the batch."""
    try:
        db = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    except sqlite3.Error:
        return {}
    try:
        rows: Any = db.execute(
            "SELECT custom_id, record_id FROM batch_cover WHERE batch_id = ?", (batch_id,)
        )
        return {c: r for c, r in rows}
    except sqlite3.Error:
        return {}
    finally:
        db.close()
