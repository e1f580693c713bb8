"""Token windows: cut a text's token ids into windows of a fixed size that overlap.

What `TokenTextSplitter` does once tiktoken has encoded the text; any encoder and decoder work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .._exceptions import ConfigurationError


@dataclass(frozen=True)
class Tokenizer:
    """How `split_text_on_tokens` turns text into token ids and back.

    Attributes:
        chunk_overlap: tokens each chunk repeats from the end of the previous one.
        tokens_per_chunk: the most tokens in a chunk.
        decode: token ids to text.
        encode: text to token ids.
    """

    chunk_overlap: int
    tokens_per_chunk: int
    decode: Callable[[list[int]], str]
    encode: Callable[[str], list[int]]


def split_text_on_tokens(*, text: str, tokenizer: Tokenizer) -> list[str]:
    """Cut `text` into windows of `tokens_per_chunk` tokens, each `chunk_overlap` into the last.

    Raises:
        ConfigurationError: when the overlap is not smaller than the window.
    """
    size, overlap = tokenizer.tokens_per_chunk, tokenizer.chunk_overlap
    if size <= overlap:
        raise ConfigurationError(
            f"tokens_per_chunk ({size}) must be greater than chunk_overlap ({overlap})"
        )
    ids = tokenizer.encode(text)
    chunks = []
    for start in range(0, len(ids), size - overlap):
        end = min(start + size, len(ids))
        chunk = tokenizer.decode(ids[start:end])
        if chunk:
            chunks.append(chunk)
        if end == len(ids):
            break
    return chunks
