"""Sync methods that LangChain programs call from steps running on an event loop.

LangChain runs a sync function step (`@chain def retriever(query): return
store.similarity_search(query)`, from its vector store tutorial) in a worker thread, so the
sync store and embedding methods inside it work. aiochain runs such steps on the loop itself;
for the sync methods of embeddings and vector stores, `run_blocking` then runs the async method
on a private loop in a helper thread and waits for it, as LangChain's thread would. Everywhere
else (no running loop) it is `run_sync`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ._sync import loop_factory, run_sync

T = TypeVar("T")


def run_blocking(make: Callable[[], Coroutine[Any, Any, T]], *, name: str, async_name: str) -> T:
    """`make()` run to completion, from sync code, whether or not a loop runs in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_sync(make, name=name, async_name=async_name)
    box: list[T] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            with asyncio.Runner(loop_factory=loop_factory()) as runner:
                box.append(runner.run(make()))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=work, name=f"aiochain-{name}", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return box[0]
