"""`langchain_core.tracers.schemas`' names (`from langchain_core.tracers.schemas import Run`)."""

from __future__ import annotations

from ..runnables._listeners import Run

__all__ = ["Run"]
