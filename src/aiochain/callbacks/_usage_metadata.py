"""`UsageMetadataCallbackHandler` and `get_usage_metadata_callback()`: the tokens of every
model call, added up per model name (LangChain's `langchain_core.callbacks.usage`).

    with get_usage_metadata_callback() as cb:
        await chain.ainvoke({"topic": "cats"})
        await other_model.ainvoke("hi")
    print(cb.usage_metadata)
    # {"gpt-4o-mini": {"input_tokens": 8, "output_tokens": 10, "total_tokens": 18}, ...}

The counts are the ones the request pipeline read from the answers (streamed ones included).
"""

from __future__ import annotations

import threading
from typing import Any

from ._handlers import BaseCallbackHandler
from ._openai_usage import _HandlerScope


def add_usage(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Two `usage_metadata` dicts added key by key (nested detail dicts too)."""
    total: dict[str, Any] = dict(left or {})
    for key, value in (right or {}).items():
        if isinstance(value, dict):
            total[key] = add_usage(total.get(key), value)
        elif isinstance(value, int | float):
            total[key] = total.get(key, 0) + value
    return total


class UsageMetadataCallbackHandler(BaseCallbackHandler):
    """Adds up the `usage_metadata` of every model answer it hears, per model name.

    Attributes:
        usage_metadata: `{model_name: {"input_tokens", "output_tokens", "total_tokens"}}`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.usage_metadata: dict[str, dict[str, Any]] = {}

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        """Add the answer's usage under its model's name."""
        generations = getattr(response, "generations", None) or []
        message = None
        if generations and generations[0]:
            message = getattr(generations[0][0], "message", None)
        usage = getattr(message, "usage_metadata", None)
        if message is None or not usage:
            return
        model = (message.response_metadata or {}).get("model_name")
        if not model:
            model = (getattr(response, "llm_output", None) or {}).get("model_name")
        if not model:
            return
        with self._lock:
            self.usage_metadata[model] = add_usage(self.usage_metadata.get(model), usage)

    def __repr__(self) -> str:
        return str(self.usage_metadata)


def get_usage_metadata_callback(name: str = "usage_metadata_callback") -> Any:
    """A context manager (`with` or `async with`) yielding a `UsageMetadataCallbackHandler`
    that hears every model call made in the block, including in tasks it starts."""
    return _HandlerScope(UsageMetadataCallbackHandler())
