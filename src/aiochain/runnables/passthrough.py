"""The runnable toolkit, where LangChain users look for it (`langchain_core.runnables`).

    from aiochain.runnables import RunnableParallel, RunnablePassthrough, RunnableLambda

    chain = (
        {"context": itemgetter("question") | retriever, "question": itemgetter("question")}
        | RunnablePassthrough.assign(answer=prompt | llm | StrOutputParser())
    )

`RunnablePassthrough` and `RunnableBranch` are defined here; the rest is re-exported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from .._exceptions import UsageError
from ._composition import RunnableLambda, RunnableParallel, coerce_runnable
from ._modifiers import (
    RunnableAssign,
)
from ._reported_steps import call_step, listening, step_config, step_stream
from .base import Config, PureRunnable, Runnable, bound_call


class RunnablePassthrough(PureRunnable[Any, Any]):
    """Returns its input unchanged (and calls `func` with it first, when given).

    `RunnablePassthrough.assign(key=step, ...)` returns the input dict with the steps' outputs
    added, the steps run concurrently.
    """

    transforms_streams = True

    def __init__(self, func: Callable[[Any], Any] | None = None) -> None:
        self.func = func

    def invoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        if self.func is not None:
            self.func(input)
        return input

    @classmethod
    def assign(cls, **steps: Any) -> RunnableAssign:
        """A step returning its input dict with the outputs of `steps` added."""
        return RunnableAssign(RunnableParallel(steps))

    def __repr__(self) -> str:
        return "RunnablePassthrough()"


class RunnableBranch(Runnable[Any, Any]):
    """Runs the first branch whose condition is true for the input, else the default.

    `RunnableBranch((condition, runnable), ..., default)`: conditions are functions or
    runnables returning a truth value, tried in order (each awaited before the next).
    """

    def __init__(self, *branches: Any) -> None:
        if len(branches) < 2:
            raise UsageError(
                "RunnableBranch needs at least one (condition, runnable) and a default"
            )
        *pairs, default = branches
        self.branches: list[tuple[Runnable[Any, Any], Runnable[Any, Any]]] = []
        for pair in pairs:
            if not (isinstance(pair, tuple | list) and len(pair) == 2):
                raise UsageError(
                    f"a RunnableBranch branch must be (condition, runnable), got {pair!r}"
                )
            self.branches.append((coerce_runnable(pair[0]), coerce_runnable(pair[1])))
        self.default = coerce_runnable(default)

    async def _choose(self, input: Any, config: Config) -> tuple[Runnable[Any, Any], str]:
        traced = config is not None and listening(config)
        for index, (condition, runnable) in enumerate(self.branches, 1):
            if traced:  # conditions are runs of their own, as in LangChain
                assert config is not None
                holds = await call_step(condition, input, config, f"condition:{index}")
            else:
                holds = await bound_call(condition, config, {})(input)
            if holds:
                return runnable, f"branch:{index}"
        return self.default, "branch:default"

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Run the chosen branch on `input`."""
        chosen, tag = await self._choose(input, config)
        if config is not None and not kwargs and listening(config):
            return await call_step(chosen, input, config, tag)
        return await bound_call(chosen, config, kwargs)(input)

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Stream the chosen branch."""
        chosen, tag = await self._choose(input, config)
        if config is not None and listening(config):
            stream = step_stream(chosen, input, step_config(config, tag))
        else:
            stream = chosen.astream(input) if config is None else chosen.astream(input, config)
        async for chunk in stream:
            yield chunk


def chain(func: Callable[..., Any]) -> RunnableLambda:
    """LangChain's `@chain` decorator: a function as a runnable."""
    return RunnableLambda(func)


RunnableMap = RunnableParallel
"""LangChain's older name for `RunnableParallel`."""

__all__ = [
    "RunnableBranch",
    "RunnableMap",
    "RunnablePassthrough",
    "chain",
]
