"""`langchain_core.callbacks.base`'s names, for imports written against it."""

from __future__ import annotations

from ._async_handler import AsyncCallbackHandler
from ._handlers import BaseCallbackHandler
from ._manager_base import BaseCallbackManager, Callbacks

__all__ = ["AsyncCallbackHandler", "BaseCallbackHandler", "BaseCallbackManager", "Callbacks"]
