"""`langchain_core.callbacks.usage`'s names, for imports written against it."""

from __future__ import annotations

from ._usage_metadata import UsageMetadataCallbackHandler, get_usage_metadata_callback

__all__ = ["UsageMetadataCallbackHandler", "get_usage_metadata_callback"]
