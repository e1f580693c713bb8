"""Counting tokens: exactly with the optional `tiktoken` package, else by an estimate.

The estimate is OpenAI's rule of thumb for English text, about four characters per token
(`CHARS_PER_TOKEN`), rounded up: `estimate_tokens("hello world") == 3`. It is what
`RecursiveCharacterTextSplitter.from_tiktoken_encoder` and the summarize chains' `token_max`
use when `tiktoken` is not installed (`pip install 'aiochain[tiktoken]'`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Set
from typing import Any, Literal

from .._exceptions import ConfigurationError
from .._pipeline.estimates import CHARS_PER_TOKEN

logger = logging.getLogger("aiochain")


def estimate_tokens(text: str) -> int:
    """About how many tokens `text` has: its characters divided by four, rounded up."""
    return -(-len(text) // CHARS_PER_TOKEN)


def load_encoding(encoding_name: str = "gpt2", model_name: str | None = None) -> Any | None:
    """The tiktoken encoding for `model_name` (else `encoding_name`); None without tiktoken.

    Raises:
        ConfigurationError: when tiktoken is installed but cannot load the encoding (an
            unknown model or encoding, or its data file cannot be downloaded).
    """
    try:
        import tiktoken
    except ImportError:
        return None
    try:
        if model_name is not None:
            return tiktoken.encoding_for_model(model_name)
        return tiktoken.get_encoding(encoding_name)
    except Exception as exc:  # tiktoken raises KeyError, ValueError or a download error
        raise ConfigurationError(
            f"tiktoken cannot load the encoding for {model_name or encoding_name!r}: {exc}"
        ) from exc


def tiktoken_length(
    encoding_name: str = "gpt2",
    model_name: str | None = None,
    allowed_special: Literal["all"] | Set[str] | None = None,
    disallowed_special: Literal["all"] | Collection[str] = "all",
) -> Callable[[str], int]:
    """A function counting tokens with tiktoken, or `estimate_tokens` without it.

    Raises:
        ConfigurationError: when tiktoken is installed but cannot load the encoding.
    """
    encoding = load_encoding(encoding_name, model_name)
    if encoding is None:
        return estimate_tokens
    allowed = set() if allowed_special is None else allowed_special

    def length(text: str) -> int:
        return len(
            encoding.encode(text, allowed_special=allowed, disallowed_special=disallowed_special)
        )

    return length


@functools.lru_cache(maxsize=32)
def counter_for_model(model: str) -> Callable[[str], int]:
    """Count tokens as `model` does when tiktoken knows it, else estimate; never raises."""
    try:
        encoding = load_encoding(model_name=model)
    except ConfigurationError as exc:
        logger.debug("counting tokens by estimate for %s: %s", model, exc)
        return estimate_tokens
    if encoding is None:
        return estimate_tokens
    return lambda text: len(encoding.encode(text, disallowed_special=()))
