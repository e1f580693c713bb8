"""A tool's `response_format`: "content" (what it returns is the answer) or
"content_and_artifact" (it returns `(content, artifact)`: the content is the answer the model
reads, the artifact rides along in `ToolMessage.artifact` for the code around the model, as in
LangChain's custom tools guide).
"""

from __future__ import annotations

from typing import Any

from .._exceptions import ConfigurationError, UsageError

RESPONSE_FORMATS = ("content", "content_and_artifact")


def check_response_format(response_format: str) -> None:
    """Raises ConfigurationError for a response format LangChain does not have."""
    if response_format not in RESPONSE_FORMATS:
        raise ConfigurationError(
            f"response_format must be one of {RESPONSE_FORMATS}, got {response_format!r}"
        )


def split_artifact(response_format: str, result: Any, name: str) -> tuple[Any, Any]:
    """(content, artifact) of a tool's result: the artifact is None for "content".

    Raises:
        UsageError: when a "content_and_artifact" tool returns no 2-tuple (LangChain raises
            ValueError there).
    """
    if response_format == "content":
        return result, None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise UsageError(
            f"tool {name} has response_format='content_and_artifact' and must return a "
            f"(content, artifact) tuple, got {type(result).__name__}"
        )
    return result[0], result[1]


__all__ = ["RESPONSE_FORMATS", "check_response_format", "split_artifact"]
