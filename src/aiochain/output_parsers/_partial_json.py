"""Parse the JSON received so far of a streamed answer, as if it were complete.

`parse_partial_json('{"name": "Ad')` is `{"name": "Ad"}`: open strings are closed, open objects
and arrays are closed, and a trailing piece that cannot be completed (a half key, `tru`, a
dangling comma) is dropped. This is how a streamed JSON answer becomes a series of ever more
complete values (LangChain's `parse_partial_json`, with a bound on the work per call).
"""

from __future__ import annotations

import json
import re
from typing import Any

# Characters dropped from the end, at most, looking for a completable prefix: enough for a
# half-written key or literal, bounded so a hostile stream cannot make each chunk quadratic.
MAX_TRIM = 256

_FENCE_START = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?")


def strip_fence(text: str) -> str:
    """What is inside the first ```json fence (closed or still open), when there is one:
    a model may write a sentence before its fence, as LangChain's `parse_json_markdown`
    allows; else the text as it is."""
    opened = _FENCE_START.search(text)
    if opened is None:
        return text
    inside = text[opened.end() :]
    closing = inside.find("```")
    return inside if closing < 0 else inside[:closing]


def parse_partial_json(text: str) -> Any | None:
    """The value `text` (a prefix of a JSON document) would be if it ended here; None when
    there is nothing to show yet or the text is not JSON."""
    text = strip_fence(text).strip()
    if not text:
        return None
    closers: list[str] = []
    chars: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if char == '"' and not escaped:
                in_string = False
            elif char == "\n" and not escaped:
                char = "\\n"
            escaped = char == "\\" and not escaped
        elif char == '"':
            in_string = True
            escaped = False
        elif char == "{":
            closers.append("}")
        elif char == "[":
            closers.append("]")
        elif char in "}]":
            if not closers or closers[-1] != char:
                return None
            closers.pop()
        chars.append(char)
    if in_string:
        if escaped:
            chars.pop()
        chars.append('"')
    tail = "".join(reversed(closers))
    for _ in range(min(len(chars), MAX_TRIM)):
        try:
            return json.loads("".join(chars) + tail)
        except json.JSONDecodeError:
            chars.pop()
    return None
