"""Malformed answers, for rehearsing a server that sends nonsense with status 200.

`--malformed-rate` answers that share of requests with one of these kinds, drawn by seed; the
`x-sim-fault` header names the kind. Each is what hostile or broken servers were seen to send
(issue 13), in the form of a plain JSON answer or of a stream:

- `wrong_shape`: `choices` holds strings instead of objects.
- `truncated_json`: the answer (or a stream's first event) cut in the middle of the JSON.
- `html`: an HTML error page from a proxy, `Content-Type: text/html`.
- `deep_nesting`: 50,000 nested arrays where the choices should be.
- `usage_strings`: `usage` numbers written as strings.
- `numeric_content`: the answer's text is the number 42.
- `huge_number`: a 5,000-digit `completion_tokens`.
- `no_choices`: an empty `choices` (a stream whose chunks never carry choices).
- `empty_body`: nothing at all, with a JSON content type.
"""

from __future__ import annotations

from typing import Any

from ._json import dumps

KINDS = (
    "wrong_shape",
    "truncated_json",
    "html",
    "deep_nesting",
    "usage_strings",
    "numeric_content",
    "huge_number",
    "no_choices",
    "empty_body",
)
_DEPTH = 50_000
_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center>"
    b"<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)
_HUGE = "9" * 5000
_JSON = "application/json"
_SSE = "text/event-stream; charset=utf-8"


def malformed(
    kind: str,
    base: dict[str, Any],
    text: str,
    usage: dict[str, int],
    *,
    chat: bool,
    stream: bool,
) -> tuple[bytes, str]:
    """The body and content type of a malformed answer of `kind` that should have said `text`."""
    if kind == "html":
        return _HTML, "text/html; charset=utf-8"
    if kind == "empty_body":
        return b"", _JSON
    if stream:
        return _stream(kind, base, text, usage, chat=chat), _SSE
    return _whole(kind, base, text, usage, chat=chat), _JSON


def _choice(text: Any, *, chat: bool, stream: bool) -> dict[str, Any]:
    if not chat:
        return {"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}
    key = "delta" if stream else "message"
    return {"index": 0, key: {"role": "assistant", "content": text}, "finish_reason": "stop"}


def _whole(
    kind: str, base: dict[str, Any], text: str, usage: dict[str, int], *, chat: bool
) -> bytes:
    body: dict[str, Any] = {**base, "choices": [_choice(text, chat=chat, stream=False)]}
    body["usage"] = usage
    if kind == "wrong_shape":
        body["choices"] = ["oops"]
    elif kind == "usage_strings":
        body["usage"] = {name: str(value) for name, value in usage.items()}
    elif kind == "numeric_content":
        body["choices"] = [_choice(42, chat=chat, stream=False)]
    elif kind == "no_choices":
        body["choices"] = []
    elif kind == "deep_nesting":
        body["choices"] = None
    encoded = dumps(body)
    if kind == "truncated_json":
        return encoded[: len(encoded) // 2]
    if kind == "deep_nesting":
        return encoded.replace(b'"choices":null', b'"choices":' + _nested())
    if kind == "huge_number":
        return encoded.replace(
            b'"completion_tokens":%d' % usage["completion_tokens"],
            b'"completion_tokens":' + _HUGE.encode(),
        )
    return encoded


def _stream(
    kind: str, base: dict[str, Any], text: str, usage: dict[str, int], *, chat: bool
) -> bytes:
    events: list[bytes] = []
    chunk = dict(base)
    if kind == "wrong_shape":
        events.append(dumps({**chunk, "choices": ["oops"]}))
    elif kind == "truncated_json":
        whole = dumps({**chunk, "choices": [_choice(text, chat=chat, stream=True)]})
        events.append(whole[: len(whole) // 2])
    elif kind == "deep_nesting":
        events.append(b'{"choices":' + _nested() + b"}")
    elif kind == "numeric_content":
        events.append(dumps({**chunk, "choices": [_choice(42, chat=chat, stream=True)]}))
    elif kind == "no_choices":
        events.append(dumps({**chunk, "choices": []}))
        events.append(dumps({**chunk, "choices": [], "usage": usage}))
    elif kind == "usage_strings":
        events.append(dumps({**chunk, "choices": [_choice(text, chat=chat, stream=True)]}))
        strings = {name: str(value) for name, value in usage.items()}
        events.append(dumps({**chunk, "choices": [], "usage": strings}))
    elif kind == "huge_number":
        events.append(dumps({**chunk, "choices": [_choice(text, chat=chat, stream=True)]}))
        events.append(
            dumps({**chunk, "choices": [], "usage": None}).replace(
                b'"usage":null', b'"usage":{"completion_tokens":' + _HUGE.encode() + b"}"
            )
        )
    return b"".join(b"data: " + event + b"\n\n" for event in events) + b"data: [DONE]\n\n"


def _nested() -> bytes:
    return b"[" * _DEPTH + b"]" * _DEPTH
