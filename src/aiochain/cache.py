"""Caches of answers: `SQLiteCache` in a file shared across runs, commands and processes, and
`InMemoryCache` in this process. Give one to a model (`cache=`), or to every model at once
with `aiochain.globals.set_llm_cache` (LangChain's global cache; a model's `cache=False` opts
out of it).


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
import copy
import json
import logging
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._pipeline.answer_cache import AnswerCache, JSONDict

logger = logging.getLogger("aiochain")


def default_cache_path() -> Path:
    """`$AIOCHAIN_CACHE`, else `$XDG_CACHE_HOME/aiochain/cache.sqlite` (`~/.cache/...`)."""
    if os.environ.get("AIOCHAIN_CACHE"):
        return Path(os.environ["AIOCHAIN_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aiochain" / "cache.sqlite"


class SQLiteCache(AnswerCache):
    """Answers by request, in a SQLite file.

    Args:
        path: the cache file; default `default_cache_path()` (`database_path` is accepted
            as LangChain's `SQLiteCache` spells it).

    Attributes:
        hits: requests answered from the file or by an identical request in flight.
        misses: requests that had to be sent.

    Use it as a context manager (`with SQLiteCache() as cache:`), or call `close()`.
    """

    def __init__(
        self, path: str | Path | None = None, *, database_path: str | Path | None = None
    ) -> None:
        from ._pipeline.sqlite import open_database

        super().__init__()
        path = path if path is not None else database_path
        self.path = Path(path) if path is not None else default_cache_path()
        self._db = open_database(
            self.path,
            purpose="cache",
            schema=[
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)"
            ],
        )
        self._lock = threading.Lock()
        # One thread does the file's work for async callers, in order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiochain-cache")

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

    def clear(self, **kwargs: Any) -> None:
        """Forget every answer."""
        with self._lock:
            self._db.execute("DELETE FROM answers")

    async def aclear(self, **kwargs: Any) -> None:
        """`clear`, on the cache's thread."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self.clear)

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


class InMemoryCache(AnswerCache):
    """Answers by request, in this process's memory (LangChain's `InMemoryCache`).

    Args:
        maxsize: the most entries kept; when full, the oldest entry goes. None: no limit.

    Besides the models' own use, it has LangChain's `BaseCache` methods: `lookup(prompt,
    llm_string)`, `update(prompt, llm_string, value)`, `clear()` and their async forms.
    """

    def __init__(self, *, maxsize: int | None = None) -> None:
        from ._exceptions import ConfigurationError

        if maxsize is not None and (not isinstance(maxsize, int) or maxsize <= 0):
            raise ConfigurationError(f"maxsize must be a positive integer or None, got {maxsize!r}")
        super().__init__()
        self.maxsize = maxsize
        self._entries: dict[tuple[str, str], Any] = {}

    def lookup(self, prompt: str, llm_string: str) -> Any:
        """The value stored for the pair, or None."""
        return self._entries.get((prompt, llm_string))

    def update(self, prompt: str, llm_string: str, return_val: Any) -> None:
        """Store a value, dropping the oldest entry when full."""
        key = (prompt, llm_string)
        if self.maxsize is not None and key not in self._entries:
            while len(self._entries) >= self.maxsize:
                del self._entries[next(iter(self._entries))]
        self._entries[key] = return_val

    def clear(self, **kwargs: Any) -> None:
        """Forget every entry."""
        self._entries = {}

    async def alookup(self, prompt: str, llm_string: str) -> Any:
        return self.lookup(prompt, llm_string)

    async def aupdate(self, prompt: str, llm_string: str, return_val: Any) -> None:
        self.update(prompt, llm_string, return_val)

    async def aclear(self, **kwargs: Any) -> None:
        self.clear()

    # A model's answers are kept as copies, so no caller can change what the next one reads.
    async def aget(self, key: str) -> JSONDict | None:
        stored = self._entries.get((key, _REQUEST))
        return copy.deepcopy(stored) if stored is not None else None

    async def aput(self, key: str, answer: JSONDict) -> None:
        if (key, _REQUEST) not in self._entries:
            self.update(key, _REQUEST, copy.deepcopy(answer))

    def __len__(self) -> int:
        return len(self._entries)


_REQUEST = "aiochain-request"
"""The `llm_string` under which a model's answers are kept (the key is the request's hash)."""

__all__ = [
    "AnswerCache",
    "InMemoryCache",
    "SQLiteCache",
    "default_cache_path",
]
