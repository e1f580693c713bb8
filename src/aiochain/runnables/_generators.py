"""`RunnableGenerator`: a generator function as a step that transforms a stream.

    async def shout(chunks):
        async for chunk in chunks:
            yield chunk.upper()

    chain = prompt | model | StrOutputParser() | shout     # streams through, piece by piece

A generator function put in a chain (`model | my_async_gen`) becomes one, as in LangChain. An
async generator function takes an async iterator of the input pieces; a sync one takes an
iterator: in async code it gets the whole input once it has arrived (LangChain runs it the same
way), and its output still streams.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .._config import accepts_config, current_config, filled_config
from .._exceptions import UsageError
from .base import Config, Runnable, join_chunks


def is_generator_function(obj: Any) -> bool:
    """Whether `obj` is a sync or async generator function (or a callable object with one as
    its `__call__`)."""
    call: Any = obj
    if not (inspect.isfunction(obj) or inspect.ismethod(obj)):
        call = type(obj).__dict__.get("__call__")
    return inspect.isasyncgenfunction(call) or inspect.isgeneratorfunction(call)


class RunnableGenerator(Runnable[Any, Any]):
    """A step made of a generator function that reads its input as a stream of pieces.

    Args:
        transform: a sync or async generator function taking an iterator of input pieces
            (and, when it accepts one, a `config`).
        atransform: an async generator function for async calls, when `transform` is sync.
        name: the name of its runs (default: the function's name).
    """

    transforms_streams = True

    def __init__(
        self,
        transform: Callable[..., Any],
        atransform: Callable[..., AsyncIterator[Any]] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        if atransform is None and inspect.isasyncgenfunction(transform):
            transform, atransform = None, transform  # type: ignore[assignment]
        if transform is None and atransform is None:
            raise UsageError("RunnableGenerator needs a generator function")
        if transform is not None and not is_generator_function(transform):
            raise UsageError(f"RunnableGenerator needs a generator function, got {transform!r}")
        self._transform = transform
        self._atransform = atransform
        func = atransform or transform
        self.name = name or getattr(func, "__name__", None) or "RunnableGenerator"
        self._with_config = accepts_config(func)

    def _options(self, config: Config) -> dict[str, Any]:
        return {"config": filled_config(config)} if self._with_config else {}

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Run the generator over the pieces as they arrive."""
        if config is None:
            config = current_config.get()
        if self._atransform is not None:
            async for chunk in self._atransform(chunks, **self._options(config)):
                yield chunk
            return
        # A sync generator cannot wait for pieces: it reads the whole input (as LangChain's).
        whole = join_chunks([chunk async for chunk in chunks])
        assert self._transform is not None
        output: Iterator[Any] = self._transform(iter([whole]), **self._options(config))
        for chunk in output:
            yield chunk

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Run the generator on one input and yield its pieces."""

        async def one() -> AsyncIterator[Any]:
            yield input

        async for chunk in self.atransform(one(), config):
            yield chunk

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Run the generator on one input; its pieces joined (text joined, chunks added)."""
        return join_chunks([chunk async for chunk in self.astream(input, config)])

    def __repr__(self) -> str:
        return f"RunnableGenerator({self.name})"
