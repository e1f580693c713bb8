"""Text splitters: cut long texts into chunks that fit a prompt, as LangChain's do.

This package's `__init__` only re-exports, lazily: the names live in its modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .._exceptions import ConfigurationError as ConfigurationError
    from ..documents import Document as Document
    from ._token_windows import Tokenizer as Tokenizer
    from ._token_windows import split_text_on_tokens as split_text_on_tokens
    from .base import CharacterTextSplitter as CharacterTextSplitter
    from .base import KeepSeparator as KeepSeparator
    from .base import RecursiveCharacterTextSplitter as RecursiveCharacterTextSplitter
    from .base import SplitterT as SplitterT
    from .base import TextSplitter as TextSplitter
    from .base import TokenTextSplitter as TokenTextSplitter
    from .base import logger as logger
    from .languages import Language as Language

_EXPORTS = {
    "CharacterTextSplitter": ".base",
    "ConfigurationError": ".._exceptions",
    "Document": "..documents",
    "KeepSeparator": ".base",
    "Language": ".languages",
    "logger": ".base",
    "RecursiveCharacterTextSplitter": ".base",
    "split_text_on_tokens": "._token_windows",
    "SplitterT": ".base",
    "TextSplitter": ".base",
    "Tokenizer": "._token_windows",
    "TokenTextSplitter": ".base",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "CharacterTextSplitter",
    "Language",
    "RecursiveCharacterTextSplitter",
    "TextSplitter",
    "TokenTextSplitter",
    "Tokenizer",
    "split_text_on_tokens",
]
