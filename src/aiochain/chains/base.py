"""`Chain`, the base of every chain, with LangChain's classic API: `run` / `arun`, `invoke` /
`ainvoke`, `apply` / `aapply`.

A custom chain is one small subclass of `Chain`: name its `input_keys` and `output_keys` and
override `_acall` (or a sync `_call`, which then runs in a worker thread so that it never blocks
the event loop). Every sync method runs the async path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, get_origin

from .._config import current_config
from .._exceptions import ConfigurationError, MissingVariablesError, UsageError
from ..callbacks._managers import AsyncCallbackManagerForChainRun
from ..runnables import _runner
from ..runnables._sync import run_sync
from ..runnables.base import Config, Runnable
from ._run import call_acall, run_chain, takes_run_manager, with_call_options

logger = logging.getLogger("aiochain")


class Chain(Runnable[Any, dict[str, Any]]):
    """The base of every chain.

    Subclasses provide `input_keys` and `output_keys` (a property or a class attribute) and
    `_acall(inputs) -> outputs`. Fields declared as class annotations can be set by keyword:
    `MyChain(llm=llm)`.
    """

    reports_own_runs = True  # a chain run (_chain_run.py), see _run_trace.py

    verbose: bool = False
    """Print each run through a `StdOutCallbackHandler`, as LangChain's `verbose=True` does."""
    callbacks: Any = None
    """Handlers of this chain's own runs (not inherited by its steps, as in LangChain)."""
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    memory: Any = None
    """A memory (`aiochain.memory`): its variables join the inputs, each run is saved to it."""

    def __init__(self, **fields: Any) -> None:
        self.set_run_options(fields)
        declared = _declared_fields(type(self))
        unknown = [name for name in fields if name not in declared]
        if unknown:
            raise ConfigurationError(
                f"{type(self).__name__} has no field {', '.join(map(repr, unknown))}; "
                f"declare it as a class annotation (fields: {', '.join(declared) or 'none'})"
            )
        missing = [n for n in declared if n not in fields and not hasattr(type(self), n)]
        if missing:
            raise ConfigurationError(f"{type(self).__name__} needs {', '.join(map(repr, missing))}")
        for name, value in fields.items():
            setattr(self, name, value)

    _RUN_OPTIONS: ClassVar[tuple[str, ...]] = (
        "verbose",
        "callbacks",
        "callback_manager",
        "tags",
        "metadata",
        "memory",
    )

    def set_run_options(self, fields: dict[str, Any]) -> None:
        """Take LangChain's run options (`verbose`, `callbacks`, `tags`, `metadata`,
        `memory`) out of constructor keywords and set them."""
        for name in self._RUN_OPTIONS:
            if name in fields:
                value = fields.pop(name)
                if name == "callback_manager":
                    name = "callbacks"
                setattr(self, name, bool(value) if name == "verbose" else value)

    @property
    def input_keys(self) -> list[str]:
        """The names of the inputs this chain needs."""
        raise NotImplementedError(f"{type(self).__name__} must define input_keys")

    @property
    def output_keys(self) -> list[str]:
        """The names of the outputs this chain returns."""
        raise NotImplementedError(f"{type(self).__name__} must define output_keys")

    async def _acall(
        self,
        inputs: dict[str, Any],
        run_manager: AsyncCallbackManagerForChainRun | None = None,
    ) -> dict[str, Any]:
        """Compute the outputs from the inputs; override this (or `_call`). `run_manager`
        reports to the run's handlers; `run_manager.get_child()` is the `callbacks=` of
        the runs this one starts."""
        if type(self)._call is not Chain._call:
            if run_manager is not None and takes_run_manager(type(self), "_call"):
                sync = run_manager.get_sync()
                call: Any = self._call
                result: dict[str, Any] = await asyncio.to_thread(call, inputs, run_manager=sync)
                return result
            return await asyncio.to_thread(self._call, inputs)
        raise NotImplementedError(f"{type(self).__name__} must override _acall or _call")

    def _call(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """A sync alternative to `_acall`; it runs in a worker thread (and may take a
        `run_manager: CallbackManagerForChainRun | None = None` argument)."""
        raise NotImplementedError

    # --- inputs and outputs -----------------------------------------------------------------

    def prep_inputs(self, input: Any) -> dict[str, Any]:
        """The input dict for `input`: a dict as it is, or one value for a one-input chain.

        Raises:
            MissingVariablesError: naming the inputs that are missing.
        """
        keys = self.input_keys
        memory = self.memory
        if memory is not None:
            keys = [k for k in keys if k not in memory.memory_variables]
        if isinstance(input, Mapping):
            inputs = input if type(input) is dict else dict(input)
        elif len(keys) == 1:
            inputs = {keys[0]: input}
        else:
            raise MissingVariablesError(
                f"{type(self).__name__} takes a dict with {', '.join(keys)}; "
                f"got a single {type(input).__name__}",
                missing=list(keys),
            )
        if memory is not None:
            inputs = {**inputs, **memory.load_memory_variables(inputs)}
        missing = [key for key in keys if key not in inputs]
        if missing:
            raise MissingVariablesError(
                f"{type(self).__name__} is missing input(s) {', '.join(missing)} "
                f"(it expects: {', '.join(keys)})",
                missing=missing,
            )
        return inputs

    def _check_outputs(self, outputs: Any) -> None:
        if not isinstance(outputs, dict):
            raise UsageError(
                f"{type(self).__name__}._acall returned {type(outputs).__name__}, not a dict"
            )
        missing = [key for key in self.output_keys if key not in outputs]
        if missing:
            raise UsageError(
                f"{type(self).__name__}._acall did not return output(s) {', '.join(missing)}"
            )

    # --- the API ----------------------------------------------------------------------------

    async def ainvoke(
        self,
        input: Any,
        config: Config = None,
        *,
        return_only_outputs: bool = False,
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        run_name: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Run on a dict of inputs; return the inputs with the outputs added (or only outputs).

        `callbacks`, `tags`, `metadata` and `run_name` are this call's, as in `config=`.
        """
        if callbacks is not None or tags or metadata or run_name:
            config = with_call_options(config, callbacks, tags, metadata, run_name)
        if (
            config is None
            and self.callbacks is None
            and not self.verbose
            and current_config.get() is None
        ):
            inputs = self.prep_inputs(input)
            outputs: dict[str, Any] = await call_acall(self, inputs, None)
            self._check_outputs(outputs)
        else:
            inputs, outputs = await run_chain(self, input, config)
        if self.memory is not None:
            self.memory.save_context(inputs, outputs)
        if return_only_outputs:
            return outputs
        return {**inputs, **outputs}

    def invoke(
        self,
        input: Any,
        config: Config = None,
        *,
        return_only_outputs: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """`ainvoke`, blocking; async code does better to await the async method."""
        return run_sync(
            lambda: self.ainvoke(input, config, return_only_outputs=return_only_outputs, **kwargs),
            name=f"{type(self).__name__}.invoke",
            async_name="ainvoke",
        )

    async def acall(
        self, inputs: Any, return_only_outputs: bool = False, **options: Any
    ) -> dict[str, Any]:
        """LangChain's older name for `ainvoke` (`callbacks=`, `tags=`, ... as there)."""
        return await self.ainvoke(inputs, return_only_outputs=return_only_outputs, **options)

    def __call__(
        self, inputs: Any, return_only_outputs: bool = False, **options: Any
    ) -> dict[str, Any]:
        """LangChain's older name for `invoke`."""
        return self.invoke(inputs, return_only_outputs=return_only_outputs, **options)

    def _run_inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> Any:
        if len(self.output_keys) != 1:
            raise UsageError(
                f"{name}() returns one output but {type(self).__name__} has "
                f"{len(self.output_keys)} ({', '.join(self.output_keys)}); use invoke() instead"
            )
        if args and kwargs:
            raise UsageError(f"{name}() takes one positional input or keyword inputs, not both")
        if len(args) > 1:
            raise UsageError(f"{name}() takes at most one positional input, got {len(args)}")
        return args[0] if args else kwargs

    async def arun(
        self,
        *args: Any,
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run with one positional input or keyword inputs and return the single output."""
        inputs = self._run_inputs(args, kwargs, "arun")
        outputs = await self.ainvoke(
            inputs, return_only_outputs=True, callbacks=callbacks, tags=tags, metadata=metadata
        )
        return outputs[self.output_keys[0]]

    def run(
        self,
        *args: Any,
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """`arun`, blocking; async code does better to await the async method."""
        inputs = self._run_inputs(args, kwargs, "run")
        options = {"callbacks": callbacks, "tags": tags, "metadata": metadata}
        return run_sync(
            lambda: self.ainvoke(inputs, return_only_outputs=True, **options),
            name=f"{type(self).__name__}.run",
            async_name="arun",
        )[self.output_keys[0]]

    async def aapply(
        self, input_list: Sequence[Any], *, concurrency: int | None = None
    ) -> list[dict[str, Any]]:
        """Run on every input concurrently; return each one's outputs, in input order."""
        return await _runner.amap(
            self._outputs_only,
            input_list,
            concurrency=concurrency or _runner.batch_concurrency(len(input_list)),
        )

    async def _outputs_only(self, input: Any) -> dict[str, Any]:
        return await self.ainvoke(input, return_only_outputs=True)

    def apply(self, input_list: Sequence[Any]) -> list[dict[str, Any]]:
        """`aapply`, blocking; async code does better to await the async method."""
        return run_sync(
            lambda: self.aapply(input_list),
            name=f"{type(self).__name__}.apply",
            async_name="aapply",
        )


def _declared_fields(cls: type) -> list[str]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        if klass in (Chain, Runnable, object) or not issubclass(klass, Chain):
            continue
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_") or name in names:
                continue
            text = annotation if isinstance(annotation, str) else repr(annotation)
            if get_origin(annotation) is ClassVar or "ClassVar" in text:
                continue
            if name in Chain._RUN_OPTIONS:
                continue
            names.append(name)
    return names
