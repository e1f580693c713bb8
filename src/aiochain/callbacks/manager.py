"""`langchain_core.callbacks.manager`'s names (and `langchain_community.callbacks.manager`'s
`get_openai_callback`), for imports written against them."""

from __future__ import annotations

from ._custom_events import adispatch_custom_event, dispatch_custom_event
from ._managers import (
    AsyncCallbackManager,
    AsyncCallbackManagerForChainRun,
    AsyncCallbackManagerForLLMRun,
    AsyncCallbackManagerForToolRun,
    AsyncParentRunManager,
    AsyncRunManager,
    BaseRunManager,
    CallbackManager,
    CallbackManagerForChainRun,
    CallbackManagerForLLMRun,
    Callbacks,
)
from ._openai_usage import get_openai_callback

__all__ = [
    "AsyncCallbackManager",
    "AsyncCallbackManagerForChainRun",
    "AsyncCallbackManagerForLLMRun",
    "AsyncCallbackManagerForToolRun",
    "AsyncParentRunManager",
    "AsyncRunManager",
    "BaseRunManager",
    "CallbackManager",
    "CallbackManagerForChainRun",
    "CallbackManagerForLLMRun",
    "Callbacks",
    "adispatch_custom_event",
    "dispatch_custom_event",
    "get_openai_callback",
]
