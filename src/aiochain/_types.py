"""Types shared across modules: aliases, the not-given sentinel, and token `Usage` (a leaf
module, so messages and outputs can both name them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

JSONDict: TypeAlias = dict[str, Any]
"""A decoded JSON object."""

Sleep: TypeAlias = Callable[[float], Any]
"""An awaitable sleep, `asyncio.sleep` by default; injectable so tests need not wait."""

Clock: TypeAlias = Callable[[], float]
"""A monotonic clock in seconds, `time.monotonic` by default."""


class NotGiven:
    """The type of `NOT_GIVEN`: an option left out, where None is a meaningful value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()
"""Marks an option that was not given (httpx's `USE_CLIENT_DEFAULT`)."""


@dataclass(slots=True)
class Usage:
    """Token counts of one call, or totals over many (`+` adds them up)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
            self.requests + other.requests,
        )

    def add(self, other: Usage) -> None:
        """Add `other` into these totals in place."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        self.requests += other.requests

    def to_dict(self) -> dict[str, int]:
        """The counts in OpenAI's `usage` shape (without `requests`)."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(slots=True)
class DetailedUsage(Usage):
    """Usage with the details a provider reports besides the counts (None: not reported):
    prompt tokens read from or written to a prompt cache (counted in `prompt_tokens` too) and
    reasoning / thinking tokens (billed as output, so counted in `completion_tokens` too).
    LangChain shows them as `usage_metadata`'s `input_token_details` (`cache_read`,
    `cache_creation`) and `output_token_details` (`reasoning`)."""

    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    reasoning_tokens: int | None = None


def latest_usage(usage: Usage | None, seen: Usage) -> Usage:
    """Usage reported in pieces over a stream (Anthropic sends input tokens first, output
    tokens last; OpenAI sends one total at the end): each count is the largest seen, and the
    total at least their sum (no single piece of Anthropic's states the total); details are
    kept the same way."""
    if usage is None:
        return seen
    prompt = max(usage.prompt_tokens, seen.prompt_tokens)
    completion = max(usage.completion_tokens, seen.completion_tokens)
    total = max(usage.total_tokens, seen.total_tokens, prompt + completion)
    if not isinstance(usage, DetailedUsage) and not isinstance(seen, DetailedUsage):
        return Usage(prompt, completion, total)
    return DetailedUsage(
        prompt,
        completion,
        total,
        cache_read_tokens=_larger(usage, seen, "cache_read_tokens"),
        cache_creation_tokens=_larger(usage, seen, "cache_creation_tokens"),
        reasoning_tokens=_larger(usage, seen, "reasoning_tokens"),
    )


def _larger(first: Usage, second: Usage, name: str) -> int | None:
    values = [v for v in (getattr(first, name, None), getattr(second, name, None)) if v is not None]
    return max(values) if values else None
