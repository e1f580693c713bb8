"""A cache of answers in SQLite, shared across runs, commands and processes.

`ChatOpenAI(cache=SQLiteCache())` answers a request identical to an earlier one (same URL,
model, messages and parameters) from the file, and sends identical requests that are in flight
at the same time only once. Streams are not cached. The file is in WAL mode with a busy timeout,
so many processes (and threads) may read and write it at once.

The file is read and written on a thread of the cache's own, never on the event loop: another
process holding the file (up to the 30 s busy timeout) then delays only the calls that need
the cache, not every task on the loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

JSONDict = dict[str, Any]
logger = logging.getLogger("aiochain")


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

    Use it as a context manager (`with SQLiteCache() as cache:`), or call `close()`.
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
        # One thread does the file's work for async callers, in order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiochain-cache")
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

    async def aget(self, key: str) -> JSONDict | None:
        """`get`, on the cache's thread; a file that cannot be read counts as a miss."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self.get, key)
        except sqlite3.Error as exc:
            logger.debug("cache %s unreadable, treated as a miss: %s", self.path, exc)
            return None

    async def aput(self, key: str, answer: JSONDict) -> None:
        """`put`, on the cache's thread; an answer that cannot be stored (a full disk, a file
        locked past the busy timeout) is still returned to its caller, only not kept."""
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self.put, key, answer)
        except sqlite3.Error as exc:
            logger.debug("cache %s: an answer could not be stored: %s", self.path, exc)

    async def fetch(
        self, key: str, send: Callable[[], Awaitable[JSONDict]]
    ) -> tuple[JSONDict, bool]:
        """The answer for `key` and whether it was a hit; `send()` is awaited on a miss.

        Identical requests in flight at the same time share one `send()`. When the caller
        whose `send()` is shared is cancelled, the others do not fail with it: one of them
        sends instead.
        """
        stored = await self.aget(key)
        if stored is not None:
            self.hits += 1
            return stored, True
        while True:
            pending = self._in_flight.get(key)
            if pending is None:
                break
            try:
                answer = await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise  # this caller itself was cancelled
                continue  # the sender was cancelled, not us: send it ourselves
            self.hits += 1
            return answer, True
        future: asyncio.Future[JSONDict] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        self.misses += 1
        try:
            try:
                answer = await send()
            except asyncio.CancelledError:
                future.cancel()  # waiters see a cancelled sender and take over
                raise
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # retrieved: only the waiters need it
                raise
            future.set_result(answer)
            # Still "in flight" until stored, so an identical request meanwhile is not resent.
            await self.aput(key, answer)
        finally:
            del self._in_flight[key]
        return answer, False

    def __len__(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the file (waiting for writes under way)."""
        self._executor.shutdown(wait=True)
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = [
    "SQLiteCache",
    "default_cache_path",
]
