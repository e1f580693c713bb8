"""`langchain_core.callbacks.stdout`'s name, for imports written against it."""

from __future__ import annotations

from ._handlers import StdOutCallbackHandler

__all__ = ["StdOutCallbackHandler"]
