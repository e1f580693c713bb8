"""Token usage as LangChain's messages give it: `usage_metadata` from a `Usage`, and the
usages of two stream chunks summed."""

from __future__ import annotations

from typing import Any

from .._types import DetailedUsage


def usage_metadata_of(usage: Any) -> dict[str, Any] | None:
    """`{"input_tokens", "output_tokens", "total_tokens"}` from a `Usage`, or None; with
    LangChain's `input_token_details` (`cache_read`, `cache_creation`) and
    `output_token_details` (`reasoning`) for each detail the provider reported
    (`DetailedUsage`)."""
    if usage is None:
        return None
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion = int(getattr(usage, "completion_tokens", 0) or 0)
    total = int(getattr(usage, "total_tokens", 0) or 0) or prompt + completion
    meta: dict[str, Any] = {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": total,
    }
    if isinstance(usage, DetailedUsage):
        inputs = {
            name: value
            for name, value in (
                ("cache_read", usage.cache_read_tokens),
                ("cache_creation", usage.cache_creation_tokens),
            )
            if value is not None
        }
        if inputs:
            meta["input_token_details"] = inputs
        if usage.reasoning_tokens is not None:
            meta["output_token_details"] = {"reasoning": usage.reasoning_tokens}
    return meta


def add_usage(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    """Two usages summed, field by field (the token details' fields too)."""
    if a is None or b is None:
        return a if b is None else b
    summed: dict[str, Any] = {}
    for key in {**a, **b}:
        left, right = a.get(key), b.get(key)
        if isinstance(left, dict) or isinstance(right, dict):
            summed[key] = add_usage(left, right)
        else:
            summed[key] = (left or 0) + (right or 0)
    return summed


__all__ = ["add_usage", "usage_metadata_of"]
