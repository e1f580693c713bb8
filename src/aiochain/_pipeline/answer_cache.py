"""What every cache of answers shares: the request key, and `fetch`, which answers from the
cache or sends once for all identical requests in flight. `SQLiteCache` and `InMemoryCache`
(`aiochain.cache`) only say how to read and write an answer."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from .loops import on_this_loop

JSONDict = dict[str, Any]


class AnswerCache:
    """Answers by request; subclasses provide `aget` and `aput`.

    Attributes:
        hits: requests answered from the cache or by an identical request in flight.
        misses: requests that had to be sent.
    """

    def __init__(self) -> None:
        self._in_flight: dict[str, asyncio.Future[JSONDict]] = {}
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key_for(url: str, payload: JSONDict) -> str:
        """The cache key of a request: its URL and its JSON body."""
        text = json.dumps([url, payload], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    async def aget(self, key: str) -> JSONDict | None:
        """The stored answer for `key`, or None."""
        raise NotImplementedError

    async def aput(self, key: str, answer: JSONDict) -> None:
        """Keep an answer (the first one stored for a key stays)."""
        raise NotImplementedError

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
            if not on_this_loop(pending):
                # Sent from another loop (a sync call's, or the loop a sync call blocks): its
                # future cannot be awaited here, so this request is sent on its own.
                self.misses += 1
                answer = await send()
                await self.aput(key, answer)
                return answer, False
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
            # (Only its own entry: another thread's call may have put one meanwhile.)
            if self._in_flight.get(key) is future:
                del self._in_flight[key]
        return answer, False


__all__ = [
    "AnswerCache",
    "JSONDict",
]
