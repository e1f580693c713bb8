"""Counting a model's tokens, as LangChain's models do: `get_token_ids`, `get_num_tokens` and
`get_num_tokens_from_messages`, with `custom_get_token_ids=` (a function from text to token
ids) to count without tiktoken's data. The summarize chains count their `token_max` with the
model's `get_num_tokens`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._exceptions import ConfigurationError
from ..messages import get_buffer_string, to_messages
from ..text_splitter._tokenizer import counter_for_model, load_encoding

TokenIds = Callable[[str], list[int]]
"""A tokenizer: text to token ids."""


class TokenCounting:
    """The token-counting methods of a model; `model` names it, `custom_get_token_ids`
    replaces its tokenizer."""

    model: str
    custom_get_token_ids: TokenIds | None = None

    def get_token_ids(self, text: str) -> list[int]:
        """The token ids of `text`: `custom_get_token_ids`'s, else tiktoken's for the model
        (cl100k_base for a model tiktoken does not know).

        Raises:
            ConfigurationError: without `custom_get_token_ids` and without tiktoken.
        """
        if self.custom_get_token_ids is not None:
            return list(self.custom_get_token_ids(text))
        try:
            encoding = load_encoding(model_name=self.model)
        except ConfigurationError:
            encoding = load_encoding("cl100k_base")
        if encoding is None:
            raise ConfigurationError(
                "get_token_ids needs tiktoken (pip install 'aiochain[tiktoken]') or a model "
                "built with custom_get_token_ids="
            )
        return list(encoding.encode(text))

    def get_num_tokens(self, text: str) -> int:
        """How many tokens `text` is: by `custom_get_token_ids` when given, else tiktoken's
        count for the model, else an estimate (four characters a token)."""
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return counter_for_model(self.model)(text)

    def get_num_tokens_from_messages(
        self, messages: Sequence[Any], tools: Sequence[Any] | None = None
    ) -> int:
        """The tokens of the messages, each counted as its `Role: text` line (LangChain's
        base rule; `tools` are accepted and not counted)."""
        return sum(self.get_num_tokens(get_buffer_string([m])) for m in to_messages(messages))


__all__ = [
    "TokenCounting",
    "TokenIds",
]
