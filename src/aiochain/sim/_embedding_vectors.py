"""The simulation server's embeddings: deterministic vectors that put similar texts near.

A text's vector is a hashed bag of its words, normalised to length one. Each word (lower-cased;
runs of letters and digits, or a single punctuation mark) adds +1 or -1 to `_HITS` coordinates
chosen by a hash of the word (BLAKE2b, so the same on every machine and run), so two texts
sharing words have a cosine similarity that grows with the words they share, and unrelated
texts are near orthogonal. The values are float32, the same whether sent as JSON numbers or as
base64, and a text's vector depends only on the text and the dimensions.

Token counts are the server's usual ones (`_text.count_tokens`); a list of token ids (which
OpenAI accepts as input) counts one token per id and is embedded as the words `t<id>`.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from array import array
from typing import Any

from ._request import Reject
from ._text import count_tokens

EMBEDDING_MODELS: dict[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
"""The embedding models served by default, with their native dimensions."""

MAX_INPUTS = 2048
"""The most inputs one request may carry (OpenAI's limit)."""
MAX_INPUT_TOKENS = 8192
"""The most tokens one input may have (OpenAI's context for its embedding models)."""
MAX_REQUEST_TOKENS = 300_000
"""The most tokens one request may carry, summed over its inputs (OpenAI's limit)."""

_WORD = re.compile(r"\w+|[^\w\s]")
_HITS = 4  # coordinates each word touches: fewer collisions between words than one
_SLOTS: dict[tuple[str, int], tuple[tuple[int, float], ...]] = {}


def _slots(word: str, dimensions: int) -> tuple[tuple[int, float], ...]:
    """The coordinates (and signs) a word adds to, cached: the same words come back often."""
    key = (word, dimensions)
    found = _SLOTS.get(key)
    if found is not None:
        return found
    digest = hashlib.blake2b(word.encode(), digest_size=4 * _HITS).digest()
    slots = []
    for hit in range(_HITS):
        value = int.from_bytes(digest[4 * hit : 4 * hit + 4], "little")
        slots.append((value % dimensions, 1.0 if value & 0x80000000 else -1.0))
    if len(_SLOTS) > 200_000:
        _SLOTS.clear()
    found = _SLOTS[key] = tuple(slots)
    return found


def vector(words: list[str], dimensions: int) -> array[float]:
    """The normalised float32 vector of a bag of words."""
    sums: dict[int, float] = {}
    get = sums.get
    for word in words:
        for index, sign in _SLOTS.get((word, dimensions)) or _slots(word, dimensions):
            sums[index] = get(index, 0.0) + sign
    out = array("f", bytes(4 * dimensions))
    norm = math.hypot(*sums.values())
    if norm == 0.0:  # every hit cancelled out: any fixed unit vector will do
        out[0] = 1.0
        return out
    scale = 1.0 / norm
    for index, value in sums.items():
        out[index] = value * scale
    return out


def words_of(item: str | list[int]) -> list[str]:
    """The words of one input: of its text, or `t<id>` for each token id."""
    if isinstance(item, str):
        return _WORD.findall(item.lower())
    return [f"t{token}" for token in item]


def parse_inputs(raw: Any) -> list[str | list[int]]:
    """The inputs of a request as OpenAI accepts them: a string, a list of strings, a list of
    token ids, or a list of lists of token ids; 400 otherwise."""
    if isinstance(raw, str):
        items: list[Any] = [raw]
    elif isinstance(raw, list) and raw and all(type(t) is int for t in raw):
        items = [raw]
    elif isinstance(raw, list):
        items = raw
    else:
        raise Reject(400, "'input' must be a string or an array", param="input")
    if not items:
        raise Reject(400, "'$.input' is invalid: it must not be empty", param="input")
    if len(items) > MAX_INPUTS:
        raise Reject(
            400,
            f"'$.input' is invalid: at most {MAX_INPUTS} inputs per request, got {len(items)}",
            param="input",
        )
    for position, item in enumerate(items):
        if isinstance(item, str):
            if not item:
                raise Reject(
                    400, f"'$.input[{position}]' is invalid: an empty string", param="input"
                )
        elif not (isinstance(item, list) and item and all(type(t) is int and t >= 0 for t in item)):
            raise Reject(
                400,
                f"'$.input[{position}]' is invalid: not a string or an array of token ids",
                param="input",
            )
    return items


def dimensions_for(model: str, native: int, raw: Any) -> int:
    """The dimensions asked for (the model's own when not given); 400 when not allowed."""
    if raw is None:
        return native
    if not model.startswith("text-embedding-3"):
        raise Reject(400, "This model does not support specifying dimensions.", param="dimensions")
    if type(raw) is not int or not 1 <= raw <= native:
        raise Reject(
            400,
            f"Invalid value for 'dimensions': must be an integer from 1 to {native}.",
            param="dimensions",
        )
    return int(raw)


def embedding_body(body: dict[str, Any], models: dict[str, int]) -> tuple[dict[str, Any], int]:
    """The answer to one embeddings request body and its prompt tokens; `Reject` for a
    request OpenAI would refuse (bad input, an unknown model, too many tokens)."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise Reject(400, "you must provide a model parameter", param="model")
    native = models.get(model)
    if native is None:
        raise Reject(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    items = parse_inputs(body.get("input"))
    dimensions = dimensions_for(model, native, body.get("dimensions"))
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise Reject(400, "'encoding_format' must be 'float' or 'base64'", param="encoding_format")
    bags = [words_of(item) for item in items]
    tokens = 0
    for position, (item, bag) in enumerate(zip(items, bags, strict=True)):
        count = count_tokens(item) if isinstance(item, str) else len(bag)
        if count > MAX_INPUT_TOKENS:
            raise Reject(
                400,
                f"This model's maximum context length is {MAX_INPUT_TOKENS} tokens, however "
                f"you requested {count} tokens in input[{position}]. Please reduce your input.",
                param="input",
            )
        tokens += count
    if tokens > MAX_REQUEST_TOKENS:
        raise Reject(
            400,
            f"Requested {tokens} tokens, max {MAX_REQUEST_TOKENS} tokens per request",
            param="input",
        )
    data = []
    for index, bag in enumerate(bags):
        values = vector(bag, dimensions)
        embedding: Any = (
            base64.b64encode(values.tobytes()).decode("ascii")
            if encoding == "base64"
            else values.tolist()
        )
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    answer = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return answer, tokens
