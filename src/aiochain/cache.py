"""A cache of answers in SQLite, shared across runs, commands and processes.

`ChatOpenAI(cache=SQLiteCache())` answers a request identical to an earlier one (same URL,
model, messages and parameters) from the file, and sends identical requests that are in flight
at the same time only once. Streams are not cached. The file is in WAL mode with a busy timeout,
so many processes (and threads) may read and write it at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

JSONDict = dict[str, Any]


def default_cache_path() -> Path:
    """`$AIOCHAIN_CACHE`, else `$XDG_CACHE_HOME/aiochain/cache.sqlite` (`~/.cache/...`)."""
    if os.environ.get("AIOCHAIN_CACHE"):
        return Path(os.environ["AIOCHAIN_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aiochain" / "cache.sqlite"


class SQLiteCache:
    """Answers by request, in a SQLite file.

    Args:
        path: the cache file; default `default_cache_path()`.

    Attributes:
        hits: requests answered from the file or by an identical request in flight.
        misses: requests that had to be sent.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        from ._sqlite import open_database

        self.path = Path(path) if path is not None else default_cache_path()
        self._db = open_database(
            self.path,
            purpose="cache",
            schema=[
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)"
            ],
        )
        self._lock = threading.Lock()
        self._in_flight: dict[str, asyncio.Future[JSONDict]] = {}
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key_for(url: str, payload: JSONDict) -> str:
        """The cache key of a request: its URL and its JSON body."""
        text = json.dumps([url, payload], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> JSONDict | None:
        """The stored answer for `key`, or None."""
        with self._lock:
            row = self._db.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, answer: JSONDict) -> None:
        """Store an answer (the first one stored for a key stays)."""
        text = json.dumps(answer, ensure_ascii=False)
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO answers VALUES (?, ?)", (key, text))

    async def fetch(self, key: str, send: Any) -> tuple[JSONDict, bool]:
        """The answer for `key` and whether it was a hit; `send()` is awaited on a miss.

        Identical requests in flight at the same time share one `send()`.
        """
        stored = self.get(key)
        if stored is not None:
            self.hits += 1
            return stored, True
        pending = self._in_flight.get(key)
        if pending is not None:
            self.hits += 1
            return await asyncio.shield(pending), True
        future: asyncio.Future[JSONDict] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        self.misses += 1
        try:
            answer: JSONDict = await send()
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved: only the waiters need it
            raise
        finally:
            del self._in_flight[key]
        self.put(key, answer)
        future.set_result(answer)
        return answer, False

    def __len__(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()


__all__ = [
    "SQLiteCache",
    "default_cache_path",
]
