"""When `ChatOpenAI` speaks OpenAI's Responses API, as langchain-openai decides it: the rules
for a model's options (`wants_responses_api`), the fields only that API has, and the options
`ChatOpenAI(...)` takes for it (see `openai_responses` for the classes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._exceptions import ConfigurationError

RESPONSES_ONLY_MODELS = ("gpt-5-pro", "gpt-5.2-pro", "gpt-5.4-pro", "gpt-5.5-pro", "gpt-5.6-sol")
RESPONSES_ONLY_FIELDS = frozenset(
    {"context_management", "include", "previous_response_id", "reasoning", "text", "truncation"}
)
OPTIONS = frozenset(
    {
        "use_responses_api",
        "output_version",
        "reasoning",
        "store",
        "previous_response_id",
        "use_previous_response_id",
        "include",
        "truncation",
        "context_management",
    }
)
OUTPUT_VERSIONS = (None, "v0", "responses/v1", "v1")


def wants_responses_api(options: Mapping[str, Any]) -> bool:
    """Whether `ChatOpenAI(**options)` speaks the Responses API (LangChain's rules)."""
    chosen = options.get("use_responses_api")
    if isinstance(chosen, bool):
        return chosen
    if options.get("output_version") == "responses/v1":
        return True
    if any(
        options.get(name) not in (None, False)
        for name in (
            "reasoning",
            "include",
            "truncation",
            "context_management",
            "previous_response_id",
            "use_previous_response_id",
        )
    ):
        return True
    model = options.get("model") or options.get("model_name") or ""
    if isinstance(model, str) and (model.startswith(RESPONSES_ONLY_MODELS) or "codex" in model):
        return True
    return bool(RESPONSES_ONLY_FIELDS & set(options.get("model_kwargs") or ()))


def output_version_of(options: Mapping[str, Any]) -> str | None:
    version = options.get("output_version")
    if version not in OUTPUT_VERSIONS:
        raise ConfigurationError(
            f"output_version must be one of 'v0', 'responses/v1', 'v1' or None, got {version!r}"
        )
    return version


def pop_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {name: kwargs.pop(name) for name in list(kwargs) if name in OPTIONS}


__all__ = [
    "OPTIONS",
    "OUTPUT_VERSIONS",
    "RESPONSES_ONLY_FIELDS",
    "RESPONSES_ONLY_MODELS",
    "output_version_of",
    "pop_options",
    "wants_responses_api",
]
