"""The simulation server's one JSON codec: orjson when installed, else the standard library."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

try:
    import orjson

    def dumps(obj: Any) -> bytes:
        """`obj` as compact JSON bytes."""
        encoded: bytes = orjson.dumps(obj)
        return encoded

    loads: Callable[[bytes | str], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    # One encoder, built once: json.dumps with options builds a new one per call.
    _encode = json.JSONEncoder(separators=(",", ":")).encode

    def dumps(obj: Any) -> bytes:
        """`obj` as compact JSON bytes."""
        return _encode(obj).encode()

    loads = json.loads


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as a model writes them: JSON text with spaces after `,` and `:`."""
    return json.dumps(arguments)


def json_response(
    payload: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer."""
    return web.Response(
        status=status, body=dumps(payload), content_type="application/json", headers=headers
    )
