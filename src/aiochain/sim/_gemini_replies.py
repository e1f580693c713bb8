"""What the simulation server sends on Gemini's API: GenerateContentResponses, their
`usageMetadata`, stream events, and Google's error bodies with their `google.rpc` details
(see `_gemini_wire` for the facts they copy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._json import dumps
from ._request import Reject

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
RPC = "type.googleapis.com/google.rpc."


def usage(prompt: int, candidates: int, thoughts: int, cached: int) -> dict[str, Any]:
    """`usageMetadata` as the API writes it: zero counts are left out."""
    meta: dict[str, Any] = {"promptTokenCount": prompt}
    if candidates:
        meta["candidatesTokenCount"] = candidates
    if thoughts:
        meta["thoughtsTokenCount"] = thoughts
    if cached:
        meta["cachedContentTokenCount"] = cached
        meta["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
    meta["totalTokenCount"] = prompt + candidates + thoughts
    meta["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    return meta


def response(
    model: str,
    ident: str,
    parts: Sequence[dict[str, Any]],
    finish: str | None,
    usage_metadata: dict[str, Any] | None,
) -> dict[str, Any]:
    """A GenerateContentResponse (one candidate)."""
    candidate: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    body: dict[str, Any] = {"candidates": [candidate]}
    if usage_metadata is not None:
        body["usageMetadata"] = usage_metadata
    body["modelVersion"] = model
    body["responseId"] = ident
    return body


def sse(body: dict[str, Any]) -> bytes:
    """One server-sent event of a `?alt=sse` stream (Google ends lines with CRLF)."""
    return b"data: " + dumps(body) + b"\r\n\r\n"


def error_body(reject: Reject, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Google's error body: `{"error": {"code", "message", "status", "details"?}}`."""
    error: dict[str, Any] = {
        "code": reject.status,
        "message": reject.message,
        "status": STATUS_NAMES.get(reject.status, "UNKNOWN"),
    }
    if details:
        error["details"] = details
    return {"error": error}


def duration(seconds: float) -> str:
    """A protobuf Duration as JSON writes it: "45s", "45.800s" trimmed to "45.8s"."""
    text = f"{max(0.0, seconds):.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


def quota_details(
    quota_id: str, metric: str, model: str, value: float, retry_delay: float | None
) -> list[dict[str, Any]]:
    """A 429's details: the violated quota, a help link, and when to come back."""
    details: list[dict[str, Any]] = [
        {
            "@type": RPC + "QuotaFailure",
            "violations": [
                {
                    "quotaMetric": f"generativelanguage.googleapis.com/{metric}",
                    "quotaId": quota_id,
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": f"{value:g}",
                }
            ],
        },
        {
            "@type": RPC + "Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
    ]
    if retry_delay is not None:
        details.append({"@type": RPC + "RetryInfo", "retryDelay": duration(retry_delay)})
    return details
