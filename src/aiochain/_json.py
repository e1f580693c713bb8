"""JSON encoding for the hot path: orjson when it is installed (the `fast` extra), else the stdlib.

Set `AIOCHAIN_PURE_JSON=1` to force the standard library (the benchmarks use it to compare).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

dumps: Callable[[Any], bytes]
_loads: Callable[[bytes | str], Any]

try:
    if os.environ.get("AIOCHAIN_PURE_JSON"):
        raise ImportError("pure JSON requested")
    import orjson

    dumps = orjson.dumps
    _loads = orjson.loads
except ImportError:
    _encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def dumps(obj: Any) -> bytes:
        """Encode `obj` as compact UTF-8 JSON."""
        return _encode(obj).encode()

    _loads = json.loads


def loads(data: bytes | str) -> Any:
    """Decode JSON; every kind of bad input raises `ValueError`.

    Both backends raise a ValueError subclass for malformed text and for integers of more
    than 4,300 digits; the standard library raises `RecursionError` for deep nesting (orjson
    refuses past 1,024 levels), which a server must not be able to turn into a crash.
    """
    try:
        return _loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
