"""A concurrency cap that holds across event loops and threads.

`asyncio.Semaphore` belongs to one loop, but one model (and its limiter) serves every loop that
calls it: the program's, and the fresh loop of each sync call (`invoke` in a script, in a
thread pool, or in a notebook cell, where it runs on a helper thread while the notebook's loop
is blocked). So the slots are counted here under a thread lock, and a waiter on another loop is
woken through its own loop.

A sync call that blocks a loop (`BLOCKED_LOOP`) cannot wait for that loop's tasks to give a
slot back: they run only after it returns. It goes first in line, and when every slot is held
by the loop it blocks, it fails at once with `SyncInAsyncError` instead of hanging.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading

from .._exceptions import SyncInAsyncError
from .loops import BLOCKED_LOOP, wake


class Slots:
    """`limit` slots; `acquire` waits for one (first come, first served), `release` frees it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._free = limit
        self._lock = threading.Lock()
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._handed: set[asyncio.Future[None]] = set()  # woken with a slot, not yet running
        self._held: dict[asyncio.AbstractEventLoop, int] = {}

    def locked(self) -> bool:
        """Whether an `acquire` now would wait."""
        return self._free <= 0 or bool(self._waiters)

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        blocked = BLOCKED_LOOP.get()
        with self._lock:
            if self._free > 0 and (not self._waiters or blocked):
                self._free -= 1
                self._held[loop] = self._held.get(loop, 0) + 1
                return
            if blocked and sum(self._held.get(each, 0) for each in blocked) >= self.limit:
                raise SyncInAsyncError(
                    f"all {self.limit} of this model's concurrency slots are held by requests "
                    "of the event loops that this sync call blocks, so it would wait forever: "
                    "await the async method (ainvoke, arun, ...) instead"
                )
            waiter: asyncio.Future[None] = loop.create_future()
            if blocked:
                self._waiters.appendleft(waiter)  # it blocks a whole loop: it goes next
            else:
                self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            with self._lock:
                if waiter in self._handed:
                    self._handed.discard(waiter)
                    self._give_back(loop)  # woken with a slot, but cancelled: pass it on
                else:
                    # (Cancelled while a release passed it over: then it is in line no more.)
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
            raise
        with self._lock:
            self._handed.discard(waiter)

    def release(self) -> None:
        """Free a slot taken on the running loop (or hand it to the next waiter)."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            self._give_back(loop)

    def _give_back(self, loop: asyncio.AbstractEventLoop | None) -> None:
        held = self._held.get(loop, 0) if loop is not None else 0
        if held > 1:
            self._held[loop] = held - 1  # type: ignore[index]
        elif held == 1:
            del self._held[loop]  # type: ignore[arg-type]
        while self._waiters:
            waiter = self._waiters.popleft()
            if waiter.done() or waiter.get_loop().is_closed():
                continue
            self._handed.add(waiter)
            waiter_loop = waiter.get_loop()
            self._held[waiter_loop] = self._held.get(waiter_loop, 0) + 1
            wake(waiter)
            return
        self._free += 1


__all__ = ["Slots"]
