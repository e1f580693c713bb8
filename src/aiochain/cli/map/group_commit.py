"""Group commit for the `aiochain map` journal: finished rows committed at once, in batches.

A writer runs on the journal's thread: it takes every row waiting, commits them in one
transaction, hands them back to the event loop (which writes the output and counts them), and
goes straight on to the rows that finished meanwhile. No timer and no waiting for another
result: a row is committed as soon as the commit before it is done, typically within a
millisecond or two. Rows are handed over through a thread-safe queue, so the event loop never
waits for SQLite (a journal locked by another process stalls only the writer).
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable

from .journal import Journal, JournalRow

_Item = tuple[JournalRow, "asyncio.Future[None] | None"]


class GroupCommit:
    """Commits rows handed to it, in batches, on the journal's thread.

    Args:
        journal: the journal to commit to (its thread runs the writer).
        on_committed: called on the event loop with each committed batch, in commit order
            (writes the output); if it raises, the batch's waiters get the error.

    Start it inside a running event loop; `aclose()` commits what is queued and stops it.
    """

    def __init__(self, journal: Journal, on_committed: Callable[[list[JournalRow]], None]) -> None:
        self._journal = journal
        self._on_committed = on_committed
        self._loop = asyncio.get_running_loop()
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._writer = asyncio.ensure_future(journal.call(self._write))

    def commit(self, row: JournalRow) -> asyncio.Future[None]:
        """Queue `row`; the future is done once it is committed (and written out)."""
        done: asyncio.Future[None] = self._loop.create_future()
        if self._error is not None:
            done.set_exception(self._error)
        else:
            self._queue.put((row, done))
        return done

    def commit_many(self, rows: list[JournalRow]) -> asyncio.Future[None]:
        """Queue `rows` (not empty) with one future, done once the last is committed: for
        rows that finish together (an embeddings request's), one future instead of many."""
        done: asyncio.Future[None] = self._loop.create_future()
        if self._error is not None:
            done.set_exception(self._error)
            return done
        for row in rows[:-1]:
            self._queue.put((row, None))
        self._queue.put((rows[-1], done))
        return done

    async def aclose(self) -> None:
        """Commit every row queued so far, then stop the writer."""
        self._queue.put(None)
        await asyncio.shield(self._writer)

    def _write(self) -> None:
        """The writer, on the journal's thread: batches until the stop mark."""
        stop = False
        while not stop:
            item = self._queue.get()
            batch: list[_Item] = []
            while item is not None:
                batch.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            stop = item is None
            if not batch:
                continue
            if self._error is None:
                try:
                    self._journal.commit([row for row, _ in batch])
                except BaseException as exc:  # handed to the waiting workers, which raise it
                    self._error = exc
            self._loop.call_soon_threadsafe(self._committed, batch, self._error)

    def _committed(self, batch: list[_Item], error: BaseException | None) -> None:
        """On the event loop: write the batch out and wake its workers."""
        if error is None:
            try:
                self._on_committed([row for row, _ in batch])
            except BaseException as exc:
                error = self._error = exc
        for _, done in batch:
            if done is None or done.done():
                continue  # its worker was cancelled: the row is committed all the same
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)
