"""Type aliases shared across modules."""

from __future__ import annotations

from collections.abc import Callable
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
