"""The Runnable protocol: `invoke` / `ainvoke` / `batch` / `abatch` / `astream`, `|` composition,
and the modifiers every runnable has (`bind`, `with_config`, `with_retry`, `with_fallbacks`,
`assign`, `pick`).

Prompts, LLMs, output parsers and chains are all runnables, so `prompt | llm | parser` builds a
`RunnableSequence`. Steps that do no I/O (prompts, parsers, plain functions) are `PureRunnable`s:
a sequence calls them directly instead of awaiting a coroutine per step, which keeps the per-call
overhead of a composed chain to the work itself.

Every method takes LangChain's `config=` (see `_config.py`). A runnable written before configs
existed (`async def ainvoke(self, input)`) still works: it is called without one.

What the methods return (sequences, bindings, retries, fallbacks) is built in
`_composition.py` and `_modifiers.py`, which import this module; to keep imports one-way, the
methods here build through a `ModifierFactory` that `_modifiers.py` registers when `aiochain`
is imported (a dependency inversion, so that neither module has to hold the other).
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, TypeVar, cast

from ._batching import BatchConfig as BatchConfig
from ._batching import Batching
from ._batching import Config as Config
from ._batching import bound_call as bound_call
from ._batching import takes_config as takes_config
from ._config import (
    RunnableConfig,
    check_config,
)
from ._exceptions import UsageError
from ._sync import iterate_sync, run_sync

InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")


class Runnable(Batching[InputT, OutputT]):
    """Something that turns one input into one output, asynchronously at heart."""

    async def ainvoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input."""
        raise NotImplementedError

    def invoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input, blocking; do not call from inside an event loop."""
        call = bound_call(self, config, kwargs)

        async def run() -> OutputT:
            return cast(OutputT, await call(input))

        return run_sync(run, name=f"{type(self).__name__}.invoke", async_name="ainvoke")

    async def astream(
        self, input: InputT, config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Yield the output in pieces as it is produced.

        Models stream text; a runnable that cannot stream yields its whole output once.
        """
        yield await bound_call(self, config, kwargs)(input)

    def stream(self, input: InputT, config: Config = None, **kwargs: Any) -> Iterator[Any]:
        """`astream` from sync code; do not call from inside an event loop."""
        return iterate_sync(
            lambda: (
                self.astream(input, config, **kwargs)
                if config is not None or kwargs
                else self.astream(input)
            ),
            name=f"{type(self).__name__}.stream",
            async_name="astream",
        )

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Consume the stream of the step before this one in a sequence.

        By default the pieces are gathered (text, and message chunks, are joined) and this step
        runs once on the whole; steps that can work piece by piece (`StrOutputParser`,
        `JsonOutputParser`) override this.
        """
        call = bound_call(self, config, kwargs)
        yield await call(join_chunks([chunk async for chunk in chunks]))

    # --- composition and modifiers ----------------------------------------------------------

    def __or__(self, other: Any) -> Runnable[Any, Any]:
        return _modifiers().sequence(self, other)

    def __ror__(self, other: Any) -> Runnable[Any, Any]:
        return _modifiers().sequence(other, self)

    def pipe(self, *others: Any) -> Runnable[Any, Any]:
        """`self | others[0] | others[1] | ...`."""
        return _modifiers().sequence(self, *others)

    def bind(self, **kwargs: Any) -> Runnable[InputT, OutputT]:
        """A runnable that calls this one with `kwargs` added to every call.

        Models override this to put the arguments in the request (`llm.bind(stop=["\\n"])`).
        """
        return _modifiers().binding(self, kwargs=kwargs)

    def with_config(
        self, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Runnable[InputT, OutputT]:
        """A runnable that calls this one with `config` (merged under each call's own)."""
        merged = dict(config or {})
        merged.update(kwargs)
        return _modifiers().binding(self, config=check_config(merged))

    def with_retry(
        self,
        *,
        retry_if_exception_type: tuple[type[BaseException], ...] = (Exception,),
        wait_exponential_jitter: bool = True,
        exponential_jitter_params: Mapping[str, float] | None = None,
        stop_after_attempt: int = 3,
    ) -> Runnable[InputT, OutputT]:
        """A runnable that retries this one on the listed exceptions.

        Args:
            retry_if_exception_type: the exceptions worth another attempt.
            wait_exponential_jitter: wait `initial * 2**retry` seconds plus up to `jitter`
                between attempts (a server's `retry_after` wins when longer); False: no wait.
            exponential_jitter_params: `initial` (1), `max` (60), `exp_base` (2), `jitter` (1).
            stop_after_attempt: the most attempts, the first included.
        """
        return _modifiers().retry(
            self,
            retry_if_exception_type=retry_if_exception_type,
            wait_exponential_jitter=wait_exponential_jitter,
            exponential_jitter_params=exponential_jitter_params,
            stop_after_attempt=stop_after_attempt,
        )

    def with_fallbacks(
        self,
        fallbacks: Sequence[Runnable[Any, Any]],
        *,
        exceptions_to_handle: tuple[type[BaseException], ...] = (Exception,),
        exception_key: str | None = None,
    ) -> Runnable[InputT, OutputT]:
        """A runnable that tries `fallbacks` in order when this one fails.

        Args:
            fallbacks: the runnables to try next.
            exceptions_to_handle: the failures that move on to the next runnable; any other
                is raised at once.
            exception_key: when set, a dict input is passed to each fallback with the
                previous failure under this key.
        """
        return _modifiers().fallbacks(
            self,
            fallbacks,
            exceptions_to_handle=exceptions_to_handle,
            exception_key=exception_key,
        )

    def assign(self, **steps: Any) -> Runnable[Any, Any]:
        """`self`, then its output dict with the outputs of `steps` (run concurrently) added."""
        return _modifiers().sequence(self, _modifiers().assign(steps))

    def pick(self, keys: str | Sequence[str]) -> Runnable[Any, Any]:
        """`self`, then one key of its output dict (a str) or a dict of some keys (a list)."""
        return _modifiers().sequence(self, _modifiers().pick(keys))


class ModifierFactory:
    """Builds the runnables the methods above return; `_modifiers.py` provides the one
    instance (see the module docstring)."""

    def sequence(self, *steps: Any) -> Runnable[Any, Any]:
        raise NotImplementedError

    def binding(
        self,
        bound: Runnable[Any, Any],
        *,
        kwargs: Mapping[str, Any] | None = None,
        config: RunnableConfig | None = None,
    ) -> Runnable[Any, Any]:
        raise NotImplementedError

    def retry(self, bound: Runnable[Any, Any], **options: Any) -> Runnable[Any, Any]:
        raise NotImplementedError

    def fallbacks(
        self, bound: Runnable[Any, Any], fallbacks: Sequence[Runnable[Any, Any]], **options: Any
    ) -> Runnable[Any, Any]:
        raise NotImplementedError

    def assign(self, steps: Mapping[str, Any]) -> Runnable[Any, Any]:
        raise NotImplementedError

    def pick(self, keys: str | Sequence[str]) -> Runnable[Any, Any]:
        raise NotImplementedError


_factory: list[ModifierFactory] = []


def register_modifiers(factory: ModifierFactory) -> None:
    """Called once by `_modifiers.py`, which `aiochain/__init__` always imports."""
    _factory[:] = [factory]


def _modifiers() -> ModifierFactory:
    if not _factory:
        raise UsageError("import aiochain (not only aiochain._runnable) to use the modifiers")
    return _factory[0]


class PureRunnable(Runnable[InputT, OutputT]):
    """A runnable that does no I/O: `invoke` is the implementation and `ainvoke` wraps it."""

    def invoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input."""
        raise NotImplementedError

    async def ainvoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input (no I/O: this returns without yielding to the loop)."""
        return self.invoke(input, config, **kwargs)


def join_chunks(pieces: list[Any]) -> Any:
    """The whole of a stream: text joined, message chunks added up, else the last piece."""
    if not pieces:
        return None
    if all(isinstance(piece, str) for piece in pieces):
        return "".join(pieces)
    first = pieces[0]
    if hasattr(first, "__add__") and all(type(piece) is type(first) for piece in pieces):
        whole = first
        for piece in pieces[1:]:
            whole = whole + piece
        return whole
    return pieces[-1]
