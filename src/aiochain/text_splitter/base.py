"""Text splitters: cut long texts into chunks that fit a prompt, as LangChain's do.

`RecursiveCharacterTextSplitter`, `CharacterTextSplitter` and `TokenTextSplitter` take the same
arguments as the classes of the same names in `langchain_text_splitters` and cut at exactly the
same places (the tests compare with outputs recorded from LangChain). Sizes are measured with
`length_function` (default `len`, characters); `from_tiktoken_encoder` measures in tokens with
the optional `tiktoken` package, or estimates four characters per token without it (see
`aiochain._pipeline.estimates`).

How the recursive splitter works: it cuts the text at the first separator of its list that
occurs in it (by default paragraphs, then lines, then words, then characters), merges
neighbouring pieces into chunks of at most `chunk_size`, starting each chunk with up to
`chunk_overlap` of the previous one's end, and cuts any piece still too long with the next
separator of the list.
"""

from __future__ import annotations

import copy
import logging
import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence, Set
from typing import Any, Literal, Self, TypeVar

from .._exceptions import ConfigurationError
from ..documents import Document
from ._token_windows import Tokenizer, split_text_on_tokens
from ._tokenizer import load_encoding, tiktoken_length
from .languages import Language, separators_for

logger = logging.getLogger("aiochain")

KeepSeparator = bool | Literal["start", "end"]
SplitterT = TypeVar("SplitterT", bound="TextSplitter")

# Separators that match no text of their own: re-inserting them when merging would add text.
_LOOKAROUND = ("(?=", "(?<!", "(?<=", "(?!")


class TextSplitter:
    """What every splitter shares: sizes, merging pieces into chunks, and documents.

    Args:
        chunk_size: the largest chunk, as measured by `length_function`.
        chunk_overlap: how much of the end of one chunk the next one repeats, at most.
        length_function: measures a text (default `len`: characters).
        keep_separator: keep the separators in the chunks, at the start of the piece that
            follows them (True or "start") or at the end of the piece before them ("end").
        add_start_index: `create_documents` records each chunk's offset in its text as
            `metadata["start_index"]`.
        strip_whitespace: strip white space from both ends of every chunk.

    Raises:
        ConfigurationError: for a size below 1, a negative overlap, or an overlap larger than
            the size.
    """

    def __init__(
        self,
        chunk_size: int = 4000,
        chunk_overlap: int = 200,
        length_function: Callable[[str], int] = len,
        keep_separator: KeepSeparator = False,
        add_start_index: bool = False,
        strip_whitespace: bool = True,
    ) -> None:
        if chunk_size <= 0:
            raise ConfigurationError(f"chunk_size must be > 0, got {chunk_size}")
        if chunk_overlap < 0:
            raise ConfigurationError(f"chunk_overlap must be >= 0, got {chunk_overlap}")
        if chunk_overlap > chunk_size:
            raise ConfigurationError(
                f"chunk_overlap ({chunk_overlap}) is larger than chunk_size ({chunk_size})"
            )
        if not callable(length_function):
            raise ConfigurationError("length_function must be a function of a string")
        self._chunk_size = chunk_size
        self._chunk_overlap = chunk_overlap
        self._length_function = length_function
        self._keep_separator = keep_separator
        self._add_start_index = add_start_index
        self._strip_whitespace = strip_whitespace

    def split_text(self, text: str) -> list[str]:
        """Cut `text` into chunks."""
        raise NotImplementedError

    def create_documents(
        self, texts: Sequence[str], metadatas: Sequence[dict[str, Any]] | None = None
    ) -> list[Document]:
        """Split every text into documents; each chunk gets a copy of its text's metadata.

        Args:
            texts: the texts.
            metadatas: one metadata dict per text (default: empty).
        """
        if metadatas is not None and len(metadatas) != len(texts):
            raise ConfigurationError(f"got {len(metadatas)} metadata dicts for {len(texts)} texts")
        documents = []
        for position, text in enumerate(texts):
            metadata = metadatas[position] if metadatas is not None else {}
            start = 0
            previous_length = 0
            for chunk in self.split_text(text):
                chunk_metadata = copy.deepcopy(metadata)
                if self._add_start_index:
                    # Search from where this chunk can begin at the earliest: the previous
                    # one's start, plus its length, less the overlap (LangChain's rule, so the
                    # same text repeated in a document maps to the same offsets).
                    start = text.find(chunk, max(0, start + previous_length - self._chunk_overlap))
                    chunk_metadata["start_index"] = start
                    previous_length = len(chunk)
                documents.append(Document(chunk, metadata=chunk_metadata))
        return documents

    def split_documents(self, documents: Iterable[Document]) -> list[Document]:
        """Split every document; each chunk keeps (a copy of) its document's metadata."""
        items = list(documents)
        return self.create_documents(
            [d.page_content for d in items], metadatas=[d.metadata for d in items]
        )

    def transform_documents(self, documents: Sequence[Document], **kwargs: Any) -> list[Document]:
        """LangChain's document-transformer name for `split_documents`."""
        return self.split_documents(documents)

    @classmethod
    def from_tiktoken_encoder(
        cls: type[SplitterT],
        encoding_name: str = "gpt2",
        model_name: str | None = None,
        allowed_special: Literal["all"] | Set[str] | None = None,
        disallowed_special: Literal["all"] | Collection[str] = "all",
        **kwargs: Any,
    ) -> SplitterT:
        """A splitter that measures chunks in tokens.

        With `tiktoken` installed the tokens are the model's (`model_name`) or the
        encoding's; without it they are estimated at four characters each.

        Raises:
            ConfigurationError: when tiktoken is installed but cannot load the encoding.
        """
        length = tiktoken_length(encoding_name, model_name, allowed_special, disallowed_special)
        return cls(length_function=length, **kwargs)

    def _join(self, pieces: Iterable[str], separator: str) -> str | None:
        text = separator.join(pieces)
        if self._strip_whitespace:
            text = text.strip()
        return text or None

    def _merge_splits(self, splits: Iterable[str], separator: str) -> list[str]:
        """Merge pieces, in order, into chunks of at most `chunk_size` that overlap.

        A chunk grows piece by piece while the next piece (and the separator before it) still
        fits. When it does not, the chunk is emitted and pieces are dropped from its front
        until what is left is no more than `chunk_overlap` and leaves room for the next
        piece; what is left starts the next chunk. A single piece larger than `chunk_size`
        becomes a chunk of its own (with a warning).
        """
        measure = self._length_function
        separator_length = measure(separator)
        chunks: list[str] = []
        window: deque[str] = deque()
        size = 0  # the measured length of the window's pieces joined by the separator
        for piece in splits:
            length = measure(piece)
            if size + length + (separator_length if window else 0) > self._chunk_size:
                if size > self._chunk_size:
                    logger.warning(
                        "created a chunk of size %d, longer than the chunk_size %d",
                        size,
                        self._chunk_size,
                    )
                if window:
                    chunk = self._join(window, separator)
                    if chunk is not None:
                        chunks.append(chunk)
                    while window and (
                        size > self._chunk_overlap
                        or (size + length + separator_length > self._chunk_size and size > 0)
                    ):
                        size -= measure(window[0]) + (separator_length if len(window) > 1 else 0)
                        window.popleft()
            window.append(piece)
            size += length + (separator_length if len(window) > 1 else 0)
        chunk = self._join(window, separator)
        if chunk is not None:
            chunks.append(chunk)
        return chunks


def _split_on(text: str, pattern: str, keep_separator: KeepSeparator) -> list[str]:
    """Cut `text` at every match of `pattern` (a regular expression); "" cuts every character.

    With `keep_separator` each match stays attached to the piece after it ("start" or True) or
    before it ("end"). Empty pieces are dropped.
    """
    if not pattern:
        pieces = list(text)
    elif not keep_separator:
        pieces = re.split(pattern, text)
    else:
        # A capturing group keeps the matches: [text, match, text, match, ..., text].
        parts = re.split(f"({pattern})", text)
        if keep_separator == "end":
            pieces = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
        else:
            pieces = [parts[i] + parts[i + 1] for i in range(1, len(parts), 2)]
        # An even count happens only when the user's pattern has groups of its own; LangChain
        # then appends the last part once more, and so do we, to cut at the same places.
        if len(parts) % 2 == 0:
            pieces += parts[-1:]
        pieces = [*pieces, parts[-1]] if keep_separator == "end" else [parts[0], *pieces]
    return [piece for piece in pieces if piece]


class CharacterTextSplitter(TextSplitter):
    """Cut at one separator (default a blank line), then merge the pieces into chunks.

    Pieces longer than `chunk_size` stay whole. Without `keep_separator` the separator is put
    back between the pieces of a chunk (as written, even when it is a regular expression:
    LangChain's behaviour, kept so that chunks are the same).

    Args:
        separator: where to cut.
        is_separator_regex: `separator` is a regular expression, not literal text.
        **kwargs: the sizes and options of `TextSplitter`.
    """

    def __init__(
        self, separator: str = "\n\n", is_separator_regex: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._separator = separator
        self._is_separator_regex = is_separator_regex

    def split_text(self, text: str) -> list[str]:
        """Cut `text` into chunks."""
        pattern = self._separator if self._is_separator_regex else re.escape(self._separator)
        pieces = _split_on(text, pattern, self._keep_separator)
        lookaround = self._is_separator_regex and self._separator.startswith(_LOOKAROUND)
        rejoin = "" if self._keep_separator or lookaround else self._separator
        return self._merge_splits(pieces, rejoin)


class RecursiveCharacterTextSplitter(TextSplitter):
    """Cut at the first separator that occurs, and cut pieces still too long with the next.

    The default separators are a blank line, a line break, a space and "" (every character),
    so paragraphs stay together when they fit, then lines, then words. Separators are kept, at
    the start of the piece that follows them, unless `keep_separator=False`.

    Args:
        separators: the separators, most preferred first.
        keep_separator: True or "start", "end", or False (see `TextSplitter`).
        is_separator_regex: the separators are regular expressions.
        **kwargs: the sizes and options of `TextSplitter`.
    """

    def __init__(
        self,
        separators: list[str] | None = None,
        keep_separator: KeepSeparator = True,
        is_separator_regex: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(keep_separator=keep_separator, **kwargs)
        self._separators = separators or ["\n\n", "\n", " ", ""]
        self._is_separator_regex = is_separator_regex

    @classmethod
    def from_language(cls, language: Language | str, **kwargs: Any) -> Self:
        """A splitter for source code in `language`, with LangChain's separators for it
        (regular expressions, as in LangChain)."""
        return cls(separators=separators_for(language), is_separator_regex=True, **kwargs)

    def split_text(self, text: str) -> list[str]:
        """Cut `text` into chunks."""
        return self._split(text, self._separators)

    def _pattern(self, separator: str) -> str:
        return separator if self._is_separator_regex else re.escape(separator)

    def _split(self, text: str, separators: list[str]) -> list[str]:
        separator, finer = separators[-1], []
        for position, candidate in enumerate(separators):
            if not candidate:
                separator = candidate
                break
            if re.search(self._pattern(candidate), text):
                separator, finer = candidate, separators[position + 1 :]
                break
        pieces = _split_on(text, self._pattern(separator), self._keep_separator)
        # Without keep_separator the separator is put back as written (a regular expression's
        # source too, as LangChain does).
        rejoin = "" if self._keep_separator else separator
        chunks: list[str] = []
        fitting: list[str] = []
        for piece in pieces:
            if self._length_function(piece) < self._chunk_size:
                fitting.append(piece)
                continue
            if fitting:
                chunks.extend(self._merge_splits(fitting, rejoin))
                fitting = []
            if finer:
                chunks.extend(self._split(piece, finer))
            else:
                chunks.append(piece)
        if fitting:
            chunks.extend(self._merge_splits(fitting, rejoin))
        return chunks


class TokenTextSplitter(TextSplitter):
    """Cut text into windows of `chunk_size` tiktoken tokens, `chunk_overlap` tokens apart.

    Needs the optional `tiktoken` package (`pip install 'aiochain[tiktoken]'`): token windows
    cannot be estimated. For chunks measured in estimated tokens without it, use
    `RecursiveCharacterTextSplitter.from_tiktoken_encoder`.

    Args:
        encoding_name: the tiktoken encoding.
        model_name: a model whose encoding to use instead.
        allowed_special: special tokens allowed in the text.
        disallowed_special: special tokens refused in the text.
        **kwargs: the sizes of `TextSplitter`.

    Raises:
        ConfigurationError: without tiktoken, when it cannot load the encoding, or when the
            overlap is not smaller than the size.
    """

    def __init__(
        self,
        encoding_name: str = "gpt2",
        model_name: str | None = None,
        allowed_special: Literal["all"] | Set[str] | None = None,
        disallowed_special: Literal["all"] | Collection[str] = "all",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if self._chunk_overlap >= self._chunk_size:
            raise ConfigurationError(
                f"chunk_overlap ({self._chunk_overlap}) must be smaller than chunk_size "
                f"({self._chunk_size}) for token windows"
            )
        encoding = load_encoding(encoding_name, model_name)
        if encoding is None:
            raise ConfigurationError(
                "TokenTextSplitter needs tiktoken: pip install 'aiochain[tiktoken]' (or use "
                "RecursiveCharacterTextSplitter.from_tiktoken_encoder, which estimates)"
            )
        self._encoding = encoding
        self._allowed_special = set() if allowed_special is None else allowed_special
        self._disallowed_special = disallowed_special

    @classmethod
    def from_tiktoken_encoder(
        cls: type[SplitterT],
        encoding_name: str = "gpt2",
        model_name: str | None = None,
        allowed_special: Literal["all"] | Set[str] | None = None,
        disallowed_special: Literal["all"] | Collection[str] = "all",
        **kwargs: Any,
    ) -> SplitterT:
        """A token splitter on this encoding (the same as calling the class)."""
        return cls(
            encoding_name=encoding_name,  # type: ignore[call-arg]
            model_name=model_name,
            allowed_special=allowed_special,
            disallowed_special=disallowed_special,
            **kwargs,
        )

    def split_text(self, text: str) -> list[str]:
        """Cut `text` into token windows."""

        def encode(piece: str) -> list[int]:
            ids: list[int] = self._encoding.encode(
                piece,
                allowed_special=self._allowed_special,
                disallowed_special=self._disallowed_special,
            )
            return ids

        tokenizer = Tokenizer(
            chunk_overlap=self._chunk_overlap,
            tokens_per_chunk=self._chunk_size,
            decode=self._encoding.decode,
            encode=encode,
        )
        return split_text_on_tokens(text=text, tokenizer=tokenizer)


__all__ = [
    "CharacterTextSplitter",
    "RecursiveCharacterTextSplitter",
    "TextSplitter",
    "TokenTextSplitter",
]
