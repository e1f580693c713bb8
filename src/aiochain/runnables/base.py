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

import importlib
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, ClassVar, TypeVar, cast

from .._config import (
    RunnableConfig,
    check_config,
)
from ._many_inputs import BatchConfig as BatchConfig
from ._many_inputs import Batching
from ._many_inputs import Config as Config
from ._many_inputs import bound_call as bound_call
from ._many_inputs import takes_config as takes_config
from ._sync import iterate_sync, run_sync

InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")


class Runnable(Batching[InputT, OutputT]):
    """Something that turns one input into one output, asynchronously at heart.

    Attributes:
        run_type: what its runs are reported as (`chain`, `prompt`, `parser`): the `X` of
            `astream_events`' `on_X_start`.
        reports_own_runs: whether it starts its own callback run when called with handlers
            (models, tools, sequences, chains); the others are run as a step by their caller.
        transforms_streams: whether, in a streamed chain, it works on its input as a stream
            (lambdas, parsers, generators) rather than waiting for all of it (prompts, models).
    """

    run_type: ClassVar[str] = "chain"
    reports_own_runs: ClassVar[bool] = False
    transforms_streams: ClassVar[bool] = False

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        """The name its runs are reported under: its `name`, else its class name."""
        if not name:
            own = getattr(self, "name", None)
            name = own if isinstance(own, str) and own else type(self).__name__
        if suffix:
            return name + suffix.title() if name[0].isupper() else f"{name}_{suffix.lower()}"
        return name

    async def ainvoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input.

        A subclass that implements only `invoke`, as LangChain's guides write runnables, is
        run through it, on the loop (as aiochain runs sync functions in a `RunnableLambda`).
        """
        if type(self).invoke is not Runnable.invoke:
            return self.invoke(input, config, **kwargs)
        raise NotImplementedError

    def invoke(self, input: InputT, config: Config = None, **kwargs: Any) -> OutputT:
        """Run on one input, blocking; async code does better to await the async method."""
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
        """`astream` from sync code; async code does better to await the async method."""
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

    def astream_events(
        self,
        input: Any,
        config: Config = None,
        *,
        version: str = "v2",
        include_names: Sequence[str] | None = None,
        include_types: Sequence[str] | None = None,
        include_tags: Sequence[str] | None = None,
        exclude_names: Sequence[str] | None = None,
        exclude_types: Sequence[str] | None = None,
        exclude_tags: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream every run of this call as LangChain's v2 event dicts (`on_chain_start`,
        `on_chat_model_stream`, `on_parser_end`, `on_tool_start`, `on_custom_event`, ...).

        Each event has `event`, `name`, `run_id`, `parent_ids`, `tags`, `metadata` and `data`
        (`input` / `chunk` / `output`). The filters keep events by run name, run type
        (`chat_model`, `chain`, `parser`, ...) or tag, and drop them likewise.
        """
        filters = {
            "include_names": include_names,
            "include_types": include_types,
            "include_tags": include_tags,
            "exclude_names": exclude_names,
            "exclude_types": exclude_types,
            "exclude_tags": exclude_tags,
        }
        events: AsyncIterator[dict[str, Any]] = _modifiers().astream_events(
            self, input, config, version=version, filters=filters, kwargs=kwargs
        )
        return events

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

    def map(self) -> Runnable[list[InputT], list[OutputT]]:
        """A runnable that runs this one on every item of a list input (`RunnableEach`)."""
        return _modifiers().each(self)

    def with_listeners(
        self,
        *,
        on_start: Callable[..., Any] | None = None,
        on_end: Callable[..., Any] | None = None,
        on_error: Callable[..., Any] | None = None,
    ) -> Runnable[InputT, OutputT]:
        """A runnable that calls `on_start(run)`, then `on_end(run)` or `on_error(run)`, with
        the `Run` of each call (`id`, `name`, `inputs`, `outputs`, `error`, times); a listener
        may also take the call's config as a second argument."""
        wrapped: Runnable[InputT, OutputT] = _modifiers().listeners(
            self, on_start, on_end, on_error, is_async=False
        )
        return wrapped

    def with_alisteners(
        self,
        *,
        on_start: Callable[..., Awaitable[Any]] | None = None,
        on_end: Callable[..., Awaitable[Any]] | None = None,
        on_error: Callable[..., Awaitable[Any]] | None = None,
    ) -> Runnable[InputT, OutputT]:
        """`with_listeners` with async listeners (awaited in the call's task)."""
        wrapped: Runnable[InputT, OutputT] = _modifiers().listeners(
            self, on_start, on_end, on_error, is_async=True
        )
        return wrapped

    def get_graph(self, config: Config = None) -> Any:
        """Its steps as a `Graph` (see `graph.py`): `chain.get_graph().print_ascii()`."""
        from .graph import graph_of

        return graph_of(self)

    def get_prompts(self, config: Config = None) -> list[Any]:
        """The prompt templates among its steps, in order."""
        from .graph import prompts_of

        return prompts_of(self)

    def configurable_fields(self, **fields: Any) -> Runnable[InputT, OutputT]:
        """A runnable whose attributes named here (`temperature=ConfigurableField(id=...)`) are
        set per call from `config["configurable"]`."""
        wrapped: Runnable[InputT, OutputT] = _modifiers().configurable_fields(self, fields)
        return wrapped

    def configurable_alternatives(
        self,
        which: Any,
        *,
        default_key: str = "default",
        prefix_keys: bool = False,
        **alternatives: Any,
    ) -> Runnable[InputT, OutputT]:
        """A runnable that runs one of `alternatives` (or this one, under `default_key`),
        chosen per call by `config["configurable"][which.id]`."""
        wrapped: Runnable[InputT, OutputT] = _modifiers().configurable_alternatives(
            self, which, alternatives, default_key=default_key, prefix_keys=prefix_keys
        )
        return wrapped


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

    def astream_events(self, runnable: Any, input: Any, config: Config, **options: Any) -> Any:
        raise NotImplementedError

    def each(self, bound: Runnable[Any, Any]) -> Runnable[Any, Any]:
        raise NotImplementedError

    def listeners(self, bound: Runnable[Any, Any], *listeners: Any, is_async: bool) -> Any:
        raise NotImplementedError

    def configurable_fields(self, bound: Runnable[Any, Any], fields: dict[str, Any]) -> Any:
        raise NotImplementedError

    def configurable_alternatives(
        self, bound: Runnable[Any, Any], which: Any, alternatives: dict[str, Any], **options: Any
    ) -> Any:
        raise NotImplementedError


_factory: list[ModifierFactory] = []


def register_modifiers(factory: ModifierFactory) -> None:
    """Called once by `_modifiers.py` when it is first imported."""
    _factory[:] = [factory]


def _modifiers() -> ModifierFactory:
    # The modifiers (`|`, bind, with_retry, ...) subclass Runnable, so this module cannot import
    # them while it loads; the first use loads them by name, and they register themselves.
    if not _factory:
        importlib.import_module("aiochain.runnables._modifiers")
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


__all__ = [
    "ModifierFactory",
    "PureRunnable",
    "Runnable",
    "join_chunks",
    "register_modifiers",
]
