"""Per-call and bound request fields of the OpenAI models: `llm.bind(stop=[...])`,
`llm.ainvoke(x, stop=[...])`, and the LangChain options we accept (`streaming`, `verbose`).

Also the range checks of the options every provider shares.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .._exceptions import ConfigurationError

logger = logging.getLogger("aiochain")


# Arguments LangChain's models take per call that are not request fields.
_NOT_REQUEST_FIELDS = frozenset(
    {"callbacks", "run_manager", "tags", "metadata", "run_name", "run_id"}
)


def request_fields(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The request-body fields among a call's keyword arguments (`stop` normalised).

    Raises:
        ConfigurationError: for a `stop` that is not a string or a list of strings.
    """
    fields: dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in _NOT_REQUEST_FIELDS or value is None:
            continue
        if name == "stop":
            value = [value] if isinstance(value, str) else list(value)
            if not all(isinstance(s, str) for s in value):
                raise ConfigurationError(
                    f"stop must be a string or a list of strings, got {value!r}"
                )
        fields[name] = value
    return fields


def log_verbose(model: object, what: str, text: Any) -> None:
    """LangChain's `verbose=True` output, through our logger at INFO."""
    logger.info("%s %s: %s", type(model).__name__, what, text)


def check_range(name: str, value: float | None, low: float, high: float) -> None:
    """Raise `ConfigurationError` unless `value` is None or a number in [low, high]."""
    if value is None:
        return
    if not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low:g} and {high:g}, got {value!r}")


def check_max_tokens(max_tokens: int | None) -> None:
    """Raise `ConfigurationError` unless `max_tokens` is None or a positive integer."""
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise ConfigurationError(f"max_tokens must be a positive integer, got {max_tokens!r}")
