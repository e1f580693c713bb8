"""What LLM calls return: generations, token usage and the batch result of `generate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._types import Usage
from .messages import AIMessage


@dataclass(slots=True)
class Generation:
    """One text a completion model generated.

    Attributes:
        text: the generated text.
        generation_info: the finish reason and other per-choice details.
    """

    text: str
    generation_info: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ChatGeneration(Generation):
    """One message a chat model generated; `text` is its content."""

    message: AIMessage = field(default_factory=lambda: AIMessage(""))


@dataclass(slots=True)
class LLMResult:
    """The result of `generate` / `agenerate`: one list of generations per prompt.

    Attributes:
        generations: `generations[i]` are the choices for prompt `i` (more than one when n > 1).
        llm_output: `{"token_usage": {...}, "model_name": ...}`, as LangChain reports it.
        usage: the token usage summed over every prompt.
    """

    generations: list[list[Generation]]
    llm_output: dict[str, Any] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)

    def flatten(self) -> list[LLMResult]:
        """One result per prompt, as LangChain's `LLMResult.flatten()` gives them.

        The first keeps the whole `llm_output`; the others get a copy whose `token_usage` is
        empty, so that summing the results' usage counts it once (LangChain's rule); `usage`
        follows the same rule.
        """
        flat: list[LLMResult] = []
        for position, generations in enumerate(self.generations):
            if position == 0:
                flat.append(LLMResult([generations], dict(self.llm_output), self.usage))
                continue
            output = {**self.llm_output, "token_usage": {}} if self.llm_output else {}
            flat.append(LLMResult([generations], output))
        return flat


__all__ = ["ChatGeneration", "Generation", "LLMResult", "Usage"]
