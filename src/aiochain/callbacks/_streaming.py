"""Handlers that pass tokens on as they stream: `AsyncIteratorCallbackHandler` (a web back end
iterates it while the chain runs in a task) and `StreamingStdOutCallbackHandler` (prints them),
as LangChain's `streaming_aiter` and `streaming_stdout` handlers."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any

from ._async_handler import AsyncCallbackHandler
from ._handlers import BaseCallbackHandler


class AsyncIteratorCallbackHandler(AsyncCallbackHandler):
    """Collects the tokens of a streaming model call for `async for token in handler.aiter()`.

        handler = AsyncIteratorCallbackHandler()
        chat = ChatOpenAI(streaming=True, callbacks=[handler])
        task = asyncio.create_task(chain.ainvoke(inputs))
        async for token in handler.aiter():
            await websocket.send_text(token)
        await task

    The iteration ends when the model call ends (or fails).
    """

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.done = asyncio.Event()

    @property
    def always_verbose(self) -> bool:
        return True

    async def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], **kw: Any) -> None:
        self.done.clear()

    async def on_llm_new_token(self, token: str, **kw: Any) -> None:
        if token:
            self.queue.put_nowait(token)

    async def on_llm_end(self, response: Any, **kw: Any) -> None:
        self.done.set()

    async def on_llm_error(self, error: BaseException, **kw: Any) -> None:
        self.done.set()

    async def aiter(self) -> AsyncIterator[str]:
        """The tokens as they arrive, until the model call ends."""
        while not self.queue.empty() or not self.done.is_set():
            if not self.queue.empty():
                yield self.queue.get_nowait()
                continue
            getter = asyncio.ensure_future(self.queue.get())
            finished = asyncio.ensure_future(self.done.wait())
            try:
                await asyncio.wait({getter, finished}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                finished.cancel()
                if not getter.done():
                    getter.cancel()
            if getter.done() and not getter.cancelled():
                yield getter.result()


class StreamingStdOutCallbackHandler(BaseCallbackHandler):
    """Prints each token of a streaming model call as it arrives."""

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        sys.stdout.write(token)
        sys.stdout.flush()
