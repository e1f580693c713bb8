"""The digest of a record: the key of its row in the journal.

It is the SHA-256 of `<id>\\0<fields as JSON>`, the JSON being exactly what
`json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)` writes (journals made
before keep their keys: changing one byte of it would make every existing journal's rows look
like other records). Writing that JSON was most of the CPU of reading a record (`json.dumps`
makes a new encoder each call), so the common record, whose values are strings, integers,
booleans or null, is written here directly with the encoder's own string escaper; any other
record goes through one reused encoder with the same settings. Both write the same bytes
(`tests/test_record_digest.py` checks them against `json.dumps`).
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring
from typing import Any

__all__ = ["record_digest"]

_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str).encode
_CONSTANTS: dict[Any, str] = {None: "null", True: "true", False: "false"}


def _content(fields: dict[str, Any]) -> str:
    """`fields` as `json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)`."""
    parts = []
    try:
        keys = sorted(fields) if len(fields) > 1 else list(fields)
    except TypeError:  # keys that do not sort: json.dumps raises as before
        return _ENCODE(fields)
    for key in keys:
        value = fields[key]
        kind = type(value)
        if type(key) is not str:
            return _ENCODE(fields)
        if kind is str:
            parts.append(f"{encode_basestring(key)}: {encode_basestring(value)}")
        elif kind is int:
            parts.append(f"{encode_basestring(key)}: {int.__repr__(value)}")
        elif value is None or kind is bool:
            parts.append(f"{encode_basestring(key)}: {_CONSTANTS[value]}")
        else:
            return _ENCODE(fields)  # floats, lists, objects...: the encoder itself
    return "{" + ", ".join(parts) + "}"


def record_digest(record_id: str, fields: dict[str, Any]) -> str:
    """The journal key of the record `record_id` with `fields`."""
    return hashlib.sha256(f"{record_id}\0{_content(fields)}".encode()).hexdigest()
