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
