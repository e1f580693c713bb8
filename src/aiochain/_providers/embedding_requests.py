"""Embedding requests: packing texts into requests, cutting texts longer than the model's
context, reading the vectors of an answer, and joining a long text's pieces into one vector.

Packing. OpenAI takes at most 2,048 inputs and 300,000 tokens per request. Texts are packed in
order into requests up to both limits, counting tokens by a conservative estimate (a token
for every three characters, where English averages four), so that a request never fails for
its size and no tokenizer is needed.

Long texts. With `check_embedding_ctx_length` (LangChain's default), a text longer than the
model's context is cut into pieces that fit, each piece is embedded, and the text's vector is
the pieces' average weighted by their lengths, normalised: LangChain's result. Unlike
LangChain, the pieces are sent as text, never as token ids (which servers other than OpenAI
reject), and a text that cannot be longer than the context (no more bytes than its tokens)
is never tokenized, so short texts need neither tiktoken nor its files from the internet.

Vectors are float32 (what OpenAI computes and sends as base64), kept as their raw bytes until
the caller says what it wants: lists of floats, a NumPy matrix, or a file.
"""

from __future__ import annotations

import binascii
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from .._exceptions import BadResponseError
from .._types import JSONDict

T = TypeVar("T")

MAX_INPUTS_PER_REQUEST = 2048
"""OpenAI's most inputs per embeddings request."""
MAX_TOKENS_PER_REQUEST = 300_000
"""OpenAI's most tokens per embeddings request, summed over its inputs."""
CHARS_PER_TOKEN_BOUND = 3
"""Characters per token assumed when packing: fewer than English's four, for a margin."""
MAX_DIMENSIONS = 65_536
"""The most dimensions believed from a server; a longer vector is a malformed answer."""


def estimate_tokens(text: str) -> int:
    """A token count for packing that errs high: one token per three characters, rounded up."""
    return len(text) // CHARS_PER_TOKEN_BOUND + 1


def pack(
    texts: Sequence[str], *, max_inputs: int, max_tokens: int = MAX_TOKENS_PER_REQUEST
) -> list[range]:
    """Consecutive ranges of `texts`, each within `max_inputs` texts and about `max_tokens`
    tokens (a single text over `max_tokens` still gets a request of its own)."""
    ranges = []
    start = 0
    for group in pack_stream(texts, str, max_inputs=max_inputs, max_tokens=max_tokens):
        ranges.append(range(start, start + len(group)))
        start += len(group)
    return ranges


def pack_stream(
    items: Iterable[T], text_of: Callable[[T], str], *, max_inputs: int, max_tokens: int
) -> Iterator[list[T]]:
    """`items` in consecutive groups of at most `max_inputs`, whose texts (`text_of`) hold
    about `max_tokens` tokens at most; read lazily (an input of millions of records)."""
    group: list[T] = []
    tokens = 0
    for item in items:
        cost = len(text_of(item)) // CHARS_PER_TOKEN_BOUND + 1  # estimate_tokens, inline
        if group and (len(group) >= max_inputs or tokens + cost > max_tokens):
            yield group
            group, tokens = [], 0
        group.append(item)
        tokens += cost
    if group:
        yield group


def cut_long_text(
    text: str, context: int, counter: Callable[[], Any | None]
) -> list[tuple[str, int]]:
    """`text` as pieces of at most `context` tokens, each with its token count (its weight).

    `counter()` gives a tiktoken encoding (asked for only when the text could be too long),
    or None, when pieces are cut by characters at `CHARS_PER_TOKEN_BOUND` a token.
    """
    if len(text.encode()) <= context:  # a token is at least a byte: it fits, untokenized
        return [(text, max(1, len(text) // 4))]
    encoding = counter()
    if encoding is None:
        step = context * CHARS_PER_TOKEN_BOUND
        if len(text) <= step:
            return [(text, estimate_tokens(text))]
        starts = range(0, len(text), step)
        return [(text[i : i + step], estimate_tokens(text[i : i + step])) for i in starts]
    tokens = encoding.encode(text, disallowed_special=())
    if len(tokens) <= context:
        return [(text, len(tokens))]
    return [
        (encoding.decode(tokens[i : i + context]), len(tokens[i : i + context]))
        for i in range(0, len(tokens), context)
    ]


def read_vectors(data: JSONDict, count: int, where: str) -> list[bytes]:
    """The float32 vectors of an embeddings answer, in input order, as raw bytes.

    Accepts base64 (what we ask for) and JSON numbers (what servers that ignore
    `encoding_format` send).

    Raises:
        BadResponseError: not `count` vectors, vectors of different lengths, a bad index,
            bad base64, or numbers that are not numbers.
    """
    items = data.get("data")
    if not isinstance(items, list) or len(items) != count:
        got = len(items) if isinstance(items, list) else "no"
        raise BadResponseError(
            f"{where} answered {got} embeddings for {count} inputs", body=str(data)[:2000]
        )
    vectors: list[bytes | None] = [None] * count
    size = -1
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadResponseError(f"{where} answered an embedding that is not an object")
        index = item.get("index", position)
        if type(index) is not int or not 0 <= index < count or vectors[index] is not None:
            raise BadResponseError(f"{where} answered a bad embedding index: {index!r}")
        value = item.get("embedding")
        if type(value) is str and len(value) % 4 == 0:  # base64, the common case, inline
            try:
                raw = binascii.a2b_base64(value, strict_mode=True)
            except binascii.Error:
                raw = _vector_bytes(value, where)
        else:
            raw = _vector_bytes(value, where)
        if size < 0:
            size = len(raw)
            if not size or size % 4 or size > 4 * MAX_DIMENSIONS:
                raw = _vector_bytes(value, where)  # raises, saying why
        elif len(raw) != size:
            raise BadResponseError(f"{where} answered embeddings of different lengths")
        vectors[index] = raw
    return [v for v in vectors if v is not None]


def _vector_bytes(value: Any, where: str) -> bytes:
    if isinstance(value, str):
        try:
            raw = binascii.a2b_base64(value, strict_mode=True)
        except (binascii.Error, ValueError) as exc:
            raise BadResponseError(f"{where} answered an embedding that is not base64") from exc
        if not raw or len(raw) % 4 or len(raw) > 4 * MAX_DIMENSIONS:
            raise BadResponseError(
                f"{where} answered a base64 embedding of {len(raw)} bytes (not float32s)"
            )
        return raw
    if isinstance(value, list) and 0 < len(value) <= MAX_DIMENSIONS:
        try:
            floats = array("f", value)
        except TypeError as exc:
            raise BadResponseError(f"{where} answered an embedding of non-numbers") from exc
        if any(type(v) is bool for v in value):
            raise BadResponseError(f"{where} answered an embedding of non-numbers")
        return floats.tobytes()
    raise BadResponseError(f"{where} answered an embedding that is neither base64 nor numbers")


def average(pieces: Sequence[bytes], weights: Sequence[int]) -> bytes:
    """The weighted average of float32 vectors, normalised to length one (LangChain's way of
    joining a long text's pieces)."""
    if len(pieces) == 1:
        return pieces[0]
    try:
        import numpy as np
    except ImportError:
        vectors = [array("f", piece) for piece in pieces]
        total = float(sum(weights))
        mean = [
            sum(w * v[i] for v, w in zip(vectors, weights, strict=True)) / total
            for i in range(len(vectors[0]))
        ]
        norm = math.sqrt(sum(x * x for x in mean)) or 1.0
        return array("f", [x / norm for x in mean]).tobytes()
    matrix = np.stack([np.frombuffer(piece, dtype=np.float32) for piece in pieces])
    averaged = np.average(matrix, axis=0, weights=np.asarray(weights, dtype=np.float64))
    length = float(np.linalg.norm(averaged)) or 1.0
    return bytes((averaged / length).astype(np.float32).tobytes())


def to_floats(raw: bytes) -> list[float]:
    """A float32 vector's bytes as a list of Python floats (LangChain's return type)."""
    return array("f", raw).tolist()


def input_tokens(payload: JSONDict) -> float:
    """The tokens an embeddings request may use, for the tpm limit: its inputs only."""
    inputs = payload.get("input")
    if isinstance(inputs, str):
        return float(estimate_tokens(inputs))
    if isinstance(inputs, list):
        return float(sum(estimate_tokens(t) for t in inputs if isinstance(t, str)))
    return 0.0


def join_pieces(
    vectors: list[bytes], owners: list[int], weights: list[int], count: int
) -> list[bytes]:
    """One vector per text: its piece's, or the weighted average of its pieces'."""
    if len(vectors) == count and (count == 0 or owners[-1] == count - 1):
        return vectors  # one piece a text (pieces keep their texts' order)
    out: list[Any] = [None] * count
    start = 0
    while start < len(vectors):
        end = start + 1
        while end < len(vectors) and owners[end] == owners[start]:
            end += 1
        out[owners[start]] = average(vectors[start:end], weights[start:end])
        start = end
    return out
