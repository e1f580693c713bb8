"""Per-call and bound request fields of the OpenAI models: `llm.bind(stop=[...])`,
`llm.ainvoke(x, stop=[...])`, and the LangChain options we accept (`streaming`, `verbose`).

A bound model is a shallow copy with more fields in its request body; it shares the original's
connections, limits and usage totals, as `bind_tools` does.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from ._exceptions import ConfigurationError
from ._types import JSONDict

logger = logging.getLogger("aiochain")


class RequestModel(Protocol):
    """What binding needs of a model: its request body and its stop list."""

    _base_payload: JSONDict
    stop: list[str] | None


ModelT = TypeVar("ModelT", bound=RequestModel)

# Arguments LangChain's models take per call that are not request fields.
_NOT_REQUEST_FIELDS = frozenset({"callbacks", "run_manager", "tags", "metadata", "run_name"})


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


def bound_model(model: ModelT, kwargs: Mapping[str, Any]) -> ModelT:
    """A copy of `model` whose every request also carries `kwargs` as request fields."""
    fields = request_fields(kwargs)
    bound = copy.copy(model)
    payload = dict(model._base_payload)
    payload.update(fields)
    bound._base_payload = payload
    if "stop" in fields:
        bound.stop = fields["stop"]
    return bound


def log_verbose(model: object, what: str, text: Any) -> None:
    """LangChain's `verbose=True` output, through our logger at INFO."""
    logger.info("%s %s: %s", type(model).__name__, what, text)
