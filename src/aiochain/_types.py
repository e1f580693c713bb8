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
