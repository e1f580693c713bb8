"""Record digests (the journal's keys) are the bytes they always were: the fast writer of a
record's fields equals `json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)`."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aiochain.cli.map.record_digest import record_digest

_SCALARS = st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=True))
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner)
)


def old_digest(record_id: str, fields: dict[str, Any]) -> str:
    """The digest as journals were keyed before (records.py's former line)."""
    content = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{record_id}\0{content}".encode()).hexdigest()


@given(st.text(), st.dictionaries(st.text(), _VALUES, max_size=6))
def test_digest_equals_the_old_one(record_id: str, fields: dict[str, Any]) -> None:
    """Any record's digest (strings with quotes, control characters, non-ASCII; numbers,
    booleans, null, nested values) is the one the old `json.dumps` line gave."""
    try:
        expected = old_digest(record_id, fields)
    except UnicodeEncodeError:  # a lone surrogate: the reader replaces those first
        return
    assert record_digest(record_id, fields) == expected


def test_known_digests_are_pinned() -> None:
    """A JSON Lines record, a text line and a value json.dumps writes through `default=str`
    keep their exact keys (journals on disk depend on them)."""
    jsonl = {"id": "doc1", "body": 'a "quoted"\ttext, é ✓'}
    text = {"text": "hello", "line": 3, "path": "/tmp/in.txt"}
    odd = {"when": datetime.date(2026, 1, 2), "n": 1.5, "ok": True, "none": None}
    for record_id, fields in (("doc1", jsonl), ("/tmp/in.txt:3", text), ("x", odd)):
        assert record_digest(record_id, fields) == old_digest(record_id, fields)
    assert record_digest("doc1", {"id": "doc1", "body": "x"}) == (
        hashlib.sha256(b'doc1\0{"body": "x", "id": "doc1"}').hexdigest()
    )
