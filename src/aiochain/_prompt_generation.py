"""`agenerate_prompt` / `generate_prompt`, LangChain's batch call over prompt values with
`stop=` and `callbacks=`, for the models (a mixin, so provider modules stay small)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._config import current_config
from ._sync import run_sync
from ._traced_steps import traced_generate
from .outputs import LLMResult


class PromptGeneration:
    """`agenerate_prompt(prompts, stop=None, callbacks=None)` on a model that has `bind`,
    `agenerate` and `_agenerate_one`."""

    callbacks: Any = None

    async def agenerate_prompt(
        self,
        prompts: Sequence[Any],
        stop: Sequence[str] | None = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> LLMResult:
        """Generate for every prompt concurrently; `callbacks` hear one model run each (pass
        `run_manager.get_child()` from a chain's `_acall`)."""
        model: Any = self.bind(stop=stop, **kwargs) if stop or kwargs else self  # type: ignore[attr-defined]
        if callbacks is not None or self.callbacks is not None or current_config.get():
            return await traced_generate(model, list(prompts), callbacks, model._agenerate_one)
        result: LLMResult = await model.agenerate(prompts)
        return result

    def generate_prompt(
        self,
        prompts: Sequence[Any],
        stop: Sequence[str] | None = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> LLMResult:
        """`agenerate_prompt`, blocking; do not call from inside an event loop."""
        return run_sync(
            lambda: self.agenerate_prompt(prompts, stop, callbacks, **kwargs),
            name=f"{type(self).__name__}.generate_prompt",
            async_name="agenerate_prompt",
        )
