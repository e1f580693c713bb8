"""Reading the reset times of rate-limit headers, in the two forms servers send them, and
how long a 429 asks us to wait when it says so only through them.

OpenAI (and Azure, and most compatible servers) send `x-ratelimit-reset-{requests,tokens}` as
Go durations (`20ms`, `1s`, `6m0s`, `1h2m3.5s`); Anthropic sends
`anthropic-ratelimit-{family}-reset` as RFC 3339 times. A server chooses these: anything
malformed, negative or longer than `MAX_RESET` is ignored.
"""

from __future__ import annotations

import datetime
import math
import re
import time
from collections.abc import Mapping

MAX_RESET = 24 * 3600.0
"""The longest reset time believed (a day)."""

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_ANTHROPIC_FAMILIES = ("requests", "tokens", "input-tokens", "output-tokens")


def duration_seconds(text: str | None) -> float | None:
    """A Go duration (`20ms`, `1.5s`, `6m0s`, `1h2m3.5s`) or bare seconds, or None."""
    if not text:
        return None
    text = text.strip()[:40]
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        try:
            number = float(text)  # some servers send bare seconds
        except ValueError:
            return None
        return number if math.isfinite(number) and 0.0 <= number <= MAX_RESET else None
    seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    return seconds if seconds <= MAX_RESET else None


def rfc3339_wait(text: str | None) -> float | None:
    """Seconds from now until an RFC 3339 time with a zone (0 when past), or None."""
    if not text:
        return None
    try:
        when = datetime.datetime.fromisoformat(text.strip()[:40])
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    seconds = when.timestamp() - time.time()
    return min(max(seconds, 0.0), MAX_RESET)


def exhausted_reset(headers: Mapping[str, str]) -> float | None:
    """Seconds until the latest reset of a limit that is used up (or whose remainder the
    server does not state), from OpenAI's or Anthropic's headers; None when none says.

    Read only for a 429 without `retry-after`: a limit with something remaining is not the
    one that refused us, so its reset says nothing.
    """
    latest: float | None = None
    for kind in ("requests", "tokens"):
        reset = headers.get(f"x-ratelimit-reset-{kind}")
        if reset is not None and _spent(headers.get(f"x-ratelimit-remaining-{kind}")):
            seconds = duration_seconds(reset)
            if seconds is not None and seconds > 0.0 and (latest is None or seconds > latest):
                latest = seconds
    for family in _ANTHROPIC_FAMILIES:
        reset = headers.get(f"anthropic-ratelimit-{family}-reset")
        if reset is not None and _spent(headers.get(f"anthropic-ratelimit-{family}-remaining")):
            seconds = rfc3339_wait(reset)
            if seconds is not None and seconds > 0.0 and (latest is None or seconds > latest):
                latest = seconds
    return latest


def _spent(remaining: str | None) -> bool:
    if remaining is None:
        return True
    try:
        return float(remaining[:40]) <= 0.0
    except ValueError:
        return True


__all__ = ["MAX_RESET", "duration_seconds", "exhausted_reset", "rfc3339_wait"]
