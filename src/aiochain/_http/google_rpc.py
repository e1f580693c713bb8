"""What Google's APIs say in a 429's body, since Gemini sends no `retry-after` and no
rate-limit headers: `google.rpc.RetryInfo.retryDelay` (when to come back, a protobuf Duration
such as "45.8s") and `google.rpc.QuotaFailure` (which quota ran out: its `quotaId` says per
minute or per day, e.g. `GenerateRequestsPerDayPerProjectPerModel-FreeTier`).

See https://ai.google.dev/gemini-api/docs/rate-limits and google/rpc/error_details.proto. A
per-day quota will not come back for hours: it becomes `QuotaExhaustedError`, which is not
retried, instead of a `RateLimitError` whose wait would pause every caller for the day.
"""

from __future__ import annotations

import math
from typing import Any

MAX_RETRY_DELAY = 365 * 24 * 3600.0
"""The longest `retryDelay` believed (a year), as for `retry-after`."""
_MAX_DETAILS = 16


def retry_delay(body: Any) -> float | None:
    """Seconds from the `RetryInfo` detail of a Google error body, or None (absent, or not a
    sane Duration)."""
    for detail in _details(body):
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            return _duration(detail.get("retryDelay"))
    return None


def long_quota(body: Any) -> tuple[str, str] | None:
    """(quota id, a one-line description) of a violated quota that resets only daily (or
    less often), from the `QuotaFailure` detail of a Google error body; None for per-minute
    quotas and bodies without one."""
    for detail in _details(body):
        if not str(detail.get("@type", "")).endswith("google.rpc.QuotaFailure"):
            continue
        violations = detail.get("violations")
        for violation in violations[:_MAX_DETAILS] if isinstance(violations, list) else ():
            if not isinstance(violation, dict):
                continue
            quota_id = str(violation.get("quotaId", ""))[:120]
            if "perday" not in quota_id.lower():
                continue
            dimensions = violation.get("quotaDimensions")
            model = dimensions.get("model") if isinstance(dimensions, dict) else None
            value = str(violation.get("quotaValue", ""))[:20]
            said = [f"limit {value}"] if value else []
            said += [f"model {str(model)[:60]}"] if model else []
            where = f" ({', '.join(said)})" if said else ""
            return quota_id, (
                f"the per-day quota {quota_id}{where} is used up; requests fail until it "
                "resets (rerun then: finished work is kept)"
            )
    return None


def _details(body: Any) -> list[dict[str, Any]]:
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    if not isinstance(details, list):
        return []
    return [d for d in details[:_MAX_DETAILS] if isinstance(d, dict)]


def _duration(value: Any) -> float | None:
    """A protobuf Duration's JSON form ("45.8s", "2s") in seconds."""
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        seconds = float(value[:-1][:40])
    except ValueError:
        return None
    if not math.isfinite(seconds) or not 0.0 <= seconds <= MAX_RETRY_DELAY:
        return None
    return seconds
