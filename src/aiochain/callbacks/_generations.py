"""A model's answer to one prompt in its two shapes: what `ainvoke` returns (an `AIMessage`
for chat models, text for completion models) and LangChain's `Generation` that `agenerate`
and `on_llm_end` carry. Every entry point converts through these two functions."""

from __future__ import annotations

from typing import Any

from ..messages import AIMessage
from ..outputs import ChatGeneration, Generation


def generation_of(output: Any) -> Generation:
    """The `Generation` of an answer: a `ChatGeneration` around a message, else text."""
    if isinstance(output, AIMessage):
        info = {k: v for k, v in output.response_metadata.items() if k != "usage"}
        return ChatGeneration(text=output.text, generation_info=info, message=output)
    return Generation(text=str(output), generation_info={"finish_reason": None})


def output_of(generation: Generation) -> Any:
    """What `ainvoke` returns for a generation: its message, or its text."""
    if isinstance(generation, ChatGeneration):
        return generation.message
    return generation.text


def model_name_of(generations: list[Generation], model: Any) -> Any:
    """The model that answered (as the server named it), else the model's own name."""
    if generations and isinstance(generations[0], ChatGeneration):
        name = generations[0].message.response_metadata.get("model_name")
        if name:
            return name
    return getattr(model, "model", None)


__all__ = ["generation_of", "model_name_of", "output_of"]
