"""Type aliases shared across modules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from .messages import BaseMessage
    from .prompts import PromptValue

JSONDict: TypeAlias = dict[str, Any]
"""A decoded JSON object."""

MessageLike: TypeAlias = "BaseMessage | tuple[str, str] | Mapping[str, Any]"
"""A chat message: a message object, a `(role, content)` pair or an OpenAI-style dict."""

LanguageModelInput: TypeAlias = "str | PromptValue | Sequence[MessageLike]"
"""What an LLM accepts: a plain prompt, a formatted prompt value, or a list of messages."""

Sleep: TypeAlias = Callable[[float], Any]
"""An awaitable sleep, `asyncio.sleep` by default; injectable so tests need not wait."""

Clock: TypeAlias = Callable[[], float]
"""A monotonic clock in seconds, `time.monotonic` by default."""
