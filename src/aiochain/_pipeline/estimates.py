"""Token estimates made before a request is sent, for tokens-per-minute limits and budgets.

About four characters a token: OpenAI's own rule of thumb for English text. The estimate only
has to be in the right range: the limiter corrects it from each answer's usage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._types import Usage

CHARS_PER_TOKEN = 4
"""Characters per token assumed for estimates (`_tokenizer` counts with tiktoken when it can)."""

DEFAULT_COMPLETION_TOKENS = 256.0
"""Completion tokens expected of an answer when `max_tokens` is not set (LangChain's default
`max_tokens` for completion models, and a typical answer's length)."""


def estimate_prompt_tokens(payload: dict[str, Any]) -> float:
    """Tokens of the prompt a request body carries: its `prompt`, `messages` and `system`."""
    chars = _chars(payload.get("prompt")) + _chars(payload.get("messages"))
    chars += _chars(payload.get("contents")) + _chars(payload.get("systemInstruction"))  # Gemini
    return (chars + _chars(payload.get("system"))) / CHARS_PER_TOKEN


def _chars(value: Any) -> int:
    """Characters of text in a prompt, a list of prompts, messages or content blocks."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        content = value.get("content", value.get("text", value.get("parts")))
        return _chars(content) if not isinstance(content, dict) else 0
    if isinstance(value, list):
        return sum(_chars(item) for item in value)
    return 0


@dataclass(frozen=True, slots=True)
class Reservation:
    """One request's tokens: `reserved` from the limiter's budget, `counted` as the provider
    counts them at the start (prompt plus max_tokens), `prompt` as estimated from its text."""

    reserved: float
    counted: float
    prompt: float


NOT_COUNTED = Reservation(0.0, 0.0, 0.0)
"""The reservation of a request sent while no token limit is known (none set, none learned
yet): nothing to count against, so the hot path does not estimate."""


class TokenEstimator:
    """Token reservations for one client's requests, learning from the answers' usage: the
    completion tokens of an answer (None until one arrived: then max_tokens, or a default)
    and the server's prompt tokens per estimated one.


    Args:
        estimate: the tokens of a request, when its kind is not a completion's (embeddings
            count their input only); then nothing is learned.
    """

    __slots__ = ("_custom", "_expected_completion", "_prompt_ratio")

    def __init__(self, estimate: Callable[[dict[str, Any]], float] | None = None) -> None:
        self._custom = estimate
        self._expected_completion: float | None = None
        self._prompt_ratio = 1.0

    def estimate(self, payload: dict[str, Any]) -> Reservation:
        """The tokens to reserve for a request, and the tokens the provider counts for it.

        The provider counts the prompt plus `max_tokens` (OpenAI and Anthropic both do, and
        settle with the real usage at the end). The reservation starts the same and follows
        the answers' real length (never above `max_tokens`), settled by each answer's usage:
        reserving all of a `max_tokens` of 1024 against half a second of budget would send
        one request at a time. Prompts are estimated from their characters, scaled by what
        the server counted for earlier ones.
        """
        if self._custom is not None:
            tokens = self._custom(payload)
            return Reservation(tokens, tokens, 0.0)
        raw_prompt = estimate_prompt_tokens(payload)
        prompt = raw_prompt * self._prompt_ratio
        cap = payload.get("max_tokens") or payload.get("max_completion_tokens")
        cap = float(cap) if isinstance(cap, int | float) and cap > 0 else None
        choices = payload.get("n")
        choices = choices if isinstance(choices, int) and choices > 0 else 1
        expected = self._expected_completion
        if expected is None:
            expected = cap or DEFAULT_COMPLETION_TOKENS
        elif cap is not None:
            expected = min(expected, cap)
        counted = prompt * 0.9 + (cap or 0.0) * choices  # 0.9: an estimate must not refuse
        return Reservation(prompt + expected * choices, counted, raw_prompt)

    def learn(self, usage: Usage, tokens: Reservation) -> None:
        """Follow the answers' real length (up quickly, down slowly) and the server's count
        of prompt tokens, for the next reservations."""
        completion = float(usage.completion_tokens)
        expected = self._expected_completion
        if expected is None:
            self._expected_completion = completion
        else:
            self._expected_completion = expected + (completion - expected) * (
                0.5 if completion > expected else 0.25
            )
        if tokens.prompt > 0 and usage.prompt_tokens > 0:
            sample = min(5.0, max(0.2, usage.prompt_tokens / tokens.prompt))
            self._prompt_ratio += (sample - self._prompt_ratio) * 0.2
