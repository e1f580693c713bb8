"""Opening the SQLite files aiochain keeps (the map journal, the answer cache) one way.

WAL mode lets readers and one writer work at once and, with `synchronous=NORMAL`, makes a
commit durable against a crashed process without an fsync per commit; the busy timeout lets
many processes share a file. Imported only by the modules that keep such files, so
`import aiochain` never loads sqlite3.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from .._exceptions import UsageError


def open_database(path: Path, *, purpose: str, schema: Sequence[str]) -> sqlite3.Connection:
    """Open (creating it and its folder when missing) a database file and its tables.

    Args:
        path: the file.
        purpose: what it is for, for the error message ("journal", "cache").
        schema: CREATE TABLE IF NOT EXISTS statements.

    Raises:
        UsageError: one line naming the file when it cannot be used.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in schema:
            db.execute(statement)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise UsageError(f"{path}: cannot use as a {purpose}: {exc}") from exc
    return db
