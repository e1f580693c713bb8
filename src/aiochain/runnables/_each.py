"""`RunnableEach`: what `runnable.map()` builds, the runnable applied to every item of a list."""

from __future__ import annotations

from typing import Any

from .._config import check_config, child_config, current_config
from .._exceptions import UsageError
from . import _runner
from ._reported_steps import call_step, listening
from .base import Config, Runnable


class RunnableEach(Runnable[list[Any], list[Any]]):
    """Runs `bound` on every item of a list input, concurrently (the config's
    `max_concurrency` caps how many at once), and returns the outputs in order."""

    def __init__(self, bound: Runnable[Any, Any]) -> None:
        self.bound = bound

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> list[Any]:
        """The outputs of `bound` on each item of `input`."""
        if not isinstance(input, list | tuple):
            raise UsageError(f"a .map() step needs a list input, got {type(input).__name__}")
        if config is None:
            config = current_config.get()
        if config is not None and listening(config):  # each item its own run
            child = child_config(check_config(config))
            items = list(input)
            return await _runner.amap(
                lambda item: call_step(self.bound, item, child),
                items,
                concurrency=child.get("max_concurrency") or _runner.batch_concurrency(len(items)),
            )
        return await self.bound.abatch(list(input), config, **kwargs)

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        return super().get_name(suffix, name=name or f"RunnableEach<{self.bound.get_name()}>")

    def __repr__(self) -> str:
        return f"RunnableEach({self.bound!r})"
