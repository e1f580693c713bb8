"""`langchain_core.callbacks.base`'s names, for imports written against it."""

from __future__ import annotations

from .._async_callback_handler import AsyncCallbackHandler
from .._callback_base import BaseCallbackManager, Callbacks
from .._callback_handlers import BaseCallbackHandler

__all__ = ["AsyncCallbackHandler", "BaseCallbackHandler", "BaseCallbackManager", "Callbacks"]
