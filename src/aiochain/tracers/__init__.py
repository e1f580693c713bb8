"""`langchain_core.tracers`' names, for imports written against it (`Run`, which listeners
given to `with_listeners` receive)."""

from __future__ import annotations

from ..runnables._listeners import Run

__all__ = ["Run"]
