"""Reading OpenAI's wire format where it is the same for every endpoint: the `usage` object."""

from __future__ import annotations

from typing import Any

from .._exceptions import BadResponseError
from .._types import DetailedUsage, JSONDict, Usage

MAX_TOKEN_COUNT = 10**9
"""The largest token count believed from a server; anything above is a malformed answer."""


def read_openai_usage(data: JSONDict) -> Usage | None:
    """The `usage` object of an OpenAI answer or stream chunk as `Usage`, or None without one.

    Counts are taken as some servers write them: `12`, `12.0` or `"12"`.

    Raises:
        BadResponseError: counts that are not non-negative whole numbers (negative, true or
            false, fractions, absurd numbers, text): a server that says that has said
            nothing usable.
    """
    raw = data.get("usage")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadResponseError(
            f"the answer's usage is not an object: {str(raw)[:80]!r}", body=str(data)[:2000]
        )
    prompt = token_count(raw.get("prompt_tokens"), data)
    completion = token_count(raw.get("completion_tokens"), data)
    total = token_count(raw.get("total_tokens"), data) or prompt + completion
    inputs, outputs = raw.get("prompt_tokens_details"), raw.get("completion_tokens_details")
    if inputs is None and outputs is None:
        return Usage(prompt, completion, total)
    return DetailedUsage(
        prompt,
        completion,
        total,
        cache_read_tokens=at_most(detail(inputs, "cached_tokens", data), prompt),
        reasoning_tokens=at_most(detail(outputs, "reasoning_tokens", data), completion),
    )


def at_most(count: int | None, limit: int) -> int | None:
    """A usage detail capped by the count it is part of (cached by the prompt's, reasoning by
    the completion's): a server saying more has not said anything usable."""
    return None if count is None else min(count, limit)


def detail(details: Any, name: str, data: JSONDict) -> int | None:
    """One count of a usage's details object (`prompt_tokens_details`, ...), None when the
    answer has no such object.

    Raises:
        BadResponseError: details that are not an object, or a count that is not sane.
    """
    if details is None:
        return None
    if not isinstance(details, dict):
        raise BadResponseError(
            f"the answer's usage details are not an object: {str(details)[:80]!r}",
            body=str(data)[:2000],
        )
    return token_count(details.get(name), data)


def token_count(raw: Any, data: JSONDict) -> int:
    """A token count of an answer's usage (0 when absent): an integer, or a whole number
    written as a float (`12.0`) or as text (`"12"`), as some compatible servers send them.

    Raises:
        BadResponseError: a count that is not a sane non-negative whole number (negative,
            a bool, a fraction, NaN, above `MAX_TOKEN_COUNT`, text that is no number).
    """
    if type(raw) is int and 0 <= raw <= MAX_TOKEN_COUNT:
        return raw  # the common case, first
    if raw is None:
        return 0
    count = _whole_number(raw)
    if count is not None and 0 <= count <= MAX_TOKEN_COUNT:
        return count
    raise BadResponseError(
        f"the answer's usage has a token count that is not a sane whole number: "
        f"{str(raw)[:40]!r}",
        body=str(data)[:2000],
    )


def _whole_number(raw: Any) -> int | None:
    """`raw` as an int when it is a whole number (an int, `12.0`, `"12"`, `"12.0"`), else
    None; never a bool (`True` is no count)."""
    if type(raw) is str:
        text = raw.strip()
        if not text or len(text) > 20:
            return None
        if text.isdigit():
            return int(text)
        try:
            raw = float(text)
        except ValueError:
            return None
    if type(raw) is float and raw.is_integer():
        return int(raw)
    if type(raw) is int:
        return raw
    return None
