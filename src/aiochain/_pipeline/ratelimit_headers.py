"""The one reader of a server's rate-limit headers, and the one set of sanity ranges for what
they may say: used by the rate limiter and by the Ray cluster's limiter alike.

OpenAI (and Azure, and most compatible servers) send `x-ratelimit-{limit,remaining,reset}-
{requests,tokens}`; Anthropic sends `anthropic-ratelimit-{family}-{limit,remaining,reset}` for
the families `requests`, `tokens`, `input-tokens` and `output-tokens`. A server chooses these
numbers, so each is checked: a limit outside `SANE_LIMITS` is ignored (1e-9 requests a minute
would stall every caller forever), a remaining budget is clamped to [0, limit].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .._http.reset_times import MAX_RESET, duration_seconds, rfc3339_wait

__all__ = ["MAX_RESET", "SANE_LIMITS", "StatedLimit", "header_number", "sane_limit", "stated_limit"]

SANE_LIMITS = {"requests": (1.0, 1e8), "tokens": (100.0, 1e11)}
"""What a server's per-minute limits may be, by kind; anything else is ignored. The floor is
one request (OpenAI's free tier allows three a minute) and 100 tokens; the ceilings are far
above any real account."""



@dataclass(frozen=True, slots=True)
class StatedLimit:
    """What a server's headers say of one kind of limit.

    Attributes:
        limit: units per minute (within `SANE_LIMITS`).
        remaining: units left now, clamped to [0, limit], or None when not stated.
        reset: seconds until the budget is full again, or None when not stated.
    """

    limit: float
    remaining: float | None
    reset: float | None


def stated_limit(headers: Mapping[str, str], kind: str) -> StatedLimit | None:
    """The server's stated "requests" or "tokens" limit, or None (absent or not sane).

    OpenAI's `x-ratelimit-*-{kind}` first, else Anthropic's families. For tokens Anthropic's
    `tokens` family is the tightest of its input and output limits; without it, the tighter of
    `input-tokens` and `output-tokens` (one budget is kept for prompt plus completion, so the
    tighter one is the one that holds for both).
    """
    limit = header_number(headers.get(f"x-ratelimit-limit-{kind}"))
    if limit is not None:
        return _checked(
            kind,
            limit,
            header_number(headers.get(f"x-ratelimit-remaining-{kind}")),
            duration_seconds(headers.get(f"x-ratelimit-reset-{kind}")),
        )
    families = ("requests",) if kind == "requests" else ("tokens", "input-tokens", "output-tokens")
    found: StatedLimit | None = None
    for family in families:
        stated = _checked(
            kind,
            header_number(headers.get(f"anthropic-ratelimit-{family}-limit")),
            header_number(headers.get(f"anthropic-ratelimit-{family}-remaining")),
            rfc3339_wait(headers.get(f"anthropic-ratelimit-{family}-reset")),
        )
        if stated is None:
            continue
        if family == "tokens":
            return stated
        if found is None or stated.limit < found.limit:
            found = stated
    return found


def sane_limit(kind: str, value: float | None) -> float | None:
    """`value` when it is a believable per-minute limit of `kind`, else None."""
    if value is None:
        return None
    low, high = SANE_LIMITS[kind]
    return value if low <= value <= high else None


def header_number(text: str | None) -> float | None:
    """A header's finite number, or None."""
    if text is None:
        return None
    try:
        value = float(text[:40])
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _checked(
    kind: str, limit: float | None, remaining: float | None, reset: float | None
) -> StatedLimit | None:
    limit = sane_limit(kind, limit)
    if limit is None:
        return None
    if remaining is not None:
        remaining = min(max(remaining, 0.0), limit)
    return StatedLimit(limit, remaining, reset)
