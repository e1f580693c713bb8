"""Malformed answers on `/v1/responses`, for `malformed_rate`: the kinds of `_malformed`
(drawn by the same `Admission.malformed`, named in `x-sim-fault`) in the Responses' shapes.

- `wrong_shape`: `output` holds strings instead of items.
- `truncated_json`: the response (or a stream's first event) cut in the middle of the JSON.
- `html`: an HTML error page from a proxy.
- `deep_nesting`: 50,000 nested arrays where the output items should be.
- `usage_strings`: `usage` numbers written as strings.
- `numeric_content`: the answer's text is the number 42.
- `huge_number`: a 5,000-digit `output_tokens`.
- `no_choices`: a response without `output` (streamed: a `response.completed` without it).
- `empty_body`: nothing at all, with a JSON content type.
"""

from __future__ import annotations

import copy
from typing import Any

from ._json import dumps

_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center>"
    b"<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)
_JSON = "application/json"
_SSE = "text/event-stream; charset=utf-8"


def malformed_response(kind: str, body: dict[str, Any], *, stream: bool) -> tuple[bytes, str]:
    """The body and content type of a malformed answer of `kind` instead of `body`."""
    if kind == "html":
        return _HTML, "text/html; charset=utf-8"
    if kind == "empty_body":
        return b"", _JSON
    if kind == "deep_nesting":
        nested = b"[" * 50_000 + b"]" * 50_000
        whole = dumps({**body, "output": None}).replace(b'"output":null', b'"output":' + nested)
        return (_event("response.completed", whole) if stream else whole), (
            _SSE if stream else _JSON
        )
    broken = copy.deepcopy(body)
    if kind == "wrong_shape":
        broken["output"] = ["text"]
    elif kind == "usage_strings":
        broken["usage"] = {key: str(value) for key, value in broken["usage"].items()}
    elif kind == "numeric_content":
        for item in broken["output"]:
            for part in item.get("content") or []:
                part["text"] = 42
    elif kind == "huge_number":
        encoded = dumps({**broken, "usage": {**broken["usage"], "output_tokens": 0}})
        whole = encoded.replace(b'"output_tokens":0', b'"output_tokens":' + b"9" * 5000, 1)
        return (_event("response.completed", whole) if stream else whole), (
            _SSE if stream else _JSON
        )
    elif kind == "no_choices":
        del broken["output"]
    whole = dumps(broken)
    if kind == "truncated_json":
        whole = whole[: len(whole) // 2]
    if not stream:
        return whole, _JSON
    if kind in ("wrong_shape", "numeric_content"):
        # The text itself arrives malformed, as a delta that is not text.
        delta = {"type": "response.output_text.delta", "sequence_number": 0, "delta": 42}
        return _event("response.output_text.delta", dumps(delta)), _SSE
    return _event("response.completed", whole), _SSE


def _event(kind: str, data: bytes) -> bytes:
    """One server-sent event whose data is `data`, which may be no valid JSON."""
    if data.startswith(b"{") and not data.startswith(b'{"type"'):
        data = b'{"type":"' + kind.encode() + b'","sequence_number":0,"response":' + data + b"}"
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"
