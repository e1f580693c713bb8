"""Document loaders for batch jobs: text files, a directory, JSON Lines, CSV.

Named and shaped like LangChain's (`langchain_community.document_loaders`): build a loader, then
`load()` returns a list of `Document`s and `lazy_load()` yields them one at a time. Every
document's `metadata["source"]` is the file it came from. Reading errors are
`DocumentLoadError`s naming the file (and line or row).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ._exceptions import ConfigurationError, DocumentLoadError
from .documents import Document

PathLike = str | Path


def _read_text(path: PathLike, encoding: str | None) -> str:
    try:
        return Path(path).read_text(encoding=encoding or "utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentLoadError(
            f"{path}: not {encoding or 'UTF-8'} text (byte {exc.start}); pass encoding="
        ) from exc
    except OSError as exc:
        raise DocumentLoadError(f"{path}: cannot read: {exc.strerror or exc}") from exc


class BaseLoader:
    """A source of documents: `load()` all of them, or `lazy_load()` one at a time."""

    def lazy_load(self) -> Iterator[Document]:
        """Yield the documents one at a time."""
        raise NotImplementedError

    def load(self) -> list[Document]:
        """Every document."""
        return list(self.lazy_load())


class TextLoader(BaseLoader):
    """One text file as one document.

    Args:
        file_path: the file.
        encoding: its encoding (default UTF-8).
    """

    def __init__(self, file_path: PathLike, encoding: str | None = None) -> None:
        self.file_path = file_path
        self.encoding = encoding

    def lazy_load(self) -> Iterator[Document]:
        """Yield the file's text as a document whose source is its path."""
        text = _read_text(self.file_path, self.encoding)
        yield Document(text, metadata={"source": str(self.file_path)})


class DirectoryLoader(BaseLoader):
    """Every file of a directory that matches the globs, in path order, one loader per file.

    Args:
        path: the directory.
        glob: a pattern or several (default every file not starting with a dot).
        exclude: patterns of files to leave out.
        loader_cls: the loader for each file (default `TextLoader`).
        loader_kwargs: its keyword arguments.
        recursive: match the globs in subdirectories too (as `rglob`).
        silent_errors: skip files that fail to load instead of raising.
    """

    def __init__(
        self,
        path: PathLike,
        glob: str | Sequence[str] = "**/[!.]*",
        *,
        exclude: Sequence[str] = (),
        loader_cls: Callable[..., BaseLoader] = TextLoader,
        loader_kwargs: dict[str, Any] | None = None,
        recursive: bool = False,
        silent_errors: bool = False,
    ) -> None:
        self.path = Path(path)
        self.globs = [glob] if isinstance(glob, str) else list(glob)
        self.exclude = list(exclude)
        self.loader_cls = loader_cls
        self.loader_kwargs = loader_kwargs or {}
        self.recursive = recursive
        self.silent_errors = silent_errors

    def files(self) -> list[Path]:
        """The files to load, sorted by path so runs are repeatable.

        Raises:
            DocumentLoadError: when the path is not a directory.
        """
        if not self.path.is_dir():
            raise DocumentLoadError(f"{self.path}: not a directory")
        found: set[Path] = set()
        for pattern in self.globs:
            matches = self.path.rglob(pattern) if self.recursive else self.path.glob(pattern)
            found.update(p for p in matches if p.is_file())
        return sorted(
            p
            for p in found
            if not any(p.relative_to(self.path).match(pattern) for pattern in self.exclude)
        )

    def lazy_load(self) -> Iterator[Document]:
        """Yield every matching file's documents."""
        for file in self.files():
            try:
                yield from self.loader_cls(str(file), **self.loader_kwargs).lazy_load()
            except DocumentLoadError:
                if not self.silent_errors:
                    raise


class JSONLinesLoader(BaseLoader):
    """One document per line of a JSON Lines file.

    LangChain spells this `JSONLoader(path, jq_schema=".", content_key="text",
    json_lines=True)`; this loader needs no `jq`.

    Args:
        file_path: the file.
        content_key: the field holding the text.
        metadata_keys: fields copied into the metadata (default: every other field).
        encoding: the file's encoding (default UTF-8).
    """

    def __init__(
        self,
        file_path: PathLike,
        content_key: str = "text",
        *,
        metadata_keys: Sequence[str] | None = None,
        encoding: str | None = None,
    ) -> None:
        self.file_path = file_path
        self.content_key = content_key
        self.metadata_keys = metadata_keys
        self.encoding = encoding

    def lazy_load(self) -> Iterator[Document]:
        """Yield a document per non-blank line: `source` and `seq_num` (the line) in metadata.

        Raises:
            DocumentLoadError: naming the line that is not a JSON object with the content key.
        """
        text = _read_text(self.file_path, self.encoding)
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            where = f"{self.file_path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DocumentLoadError(f"{where}: not valid JSON: {exc.msg}") from exc
            if not isinstance(record, dict):
                raise DocumentLoadError(f"{where}: expected a JSON object")
            content = record.get(self.content_key)
            if not isinstance(content, str):
                raise DocumentLoadError(f"{where}: no text field {self.content_key!r}")
            keys = self.metadata_keys
            extra = {
                k: v
                for k, v in record.items()
                if k != self.content_key and (keys is None or k in keys)
            }
            metadata = {"source": str(self.file_path), "seq_num": number, **extra}
            yield Document(content, metadata=metadata, id=_id_of(record))


def _id_of(record: dict[str, Any]) -> str | None:
    value = record.get("id")
    return None if value is None else str(value)


class CSVLoader(BaseLoader):
    """One document per CSV row, written as `column: value` lines, as LangChain's.

    Args:
        file_path: the file.
        source_column: a column whose value becomes `metadata["source"]` (default the path).
        metadata_columns: columns copied into the metadata instead of the text.
        content_columns: columns written into the text (default: all but the metadata ones).
        csv_args: keyword arguments for `csv.DictReader` (delimiter, quotechar, ...).
        encoding: the file's encoding (default UTF-8).
    """

    def __init__(
        self,
        file_path: PathLike,
        source_column: str | None = None,
        metadata_columns: Sequence[str] = (),
        csv_args: dict[str, Any] | None = None,
        encoding: str | None = None,
        *,
        content_columns: Sequence[str] = (),
    ) -> None:
        self.file_path = file_path
        self.source_column = source_column
        self.metadata_columns = list(metadata_columns)
        self.content_columns = list(content_columns)
        self.csv_args = csv_args or {}
        self.encoding = encoding

    def lazy_load(self) -> Iterator[Document]:
        """Yield a document per row: `source` and `row` (from 0) in its metadata.

        Raises:
            DocumentLoadError: for a malformed row or a named column the header lacks.
        """
        text = _read_text(self.file_path, self.encoding)
        try:
            reader = csv.DictReader(text.splitlines(keepends=True), **self.csv_args)
        except TypeError as exc:
            raise ConfigurationError(f"bad csv_args: {exc}") from exc
        try:
            for row_number, row in enumerate(reader):
                yield self._document(row, row_number, reader.line_num)
        except csv.Error as exc:
            raise DocumentLoadError(
                f"{self.file_path}:{reader.line_num}: malformed CSV: {exc}"
            ) from exc

    def _document(self, row: dict[str | Any, Any], row_number: int, line: int) -> Document:
        named = [self.source_column or "", *self.metadata_columns, *self.content_columns]
        missing = [name for name in named if name and name not in row]
        if missing:
            raise DocumentLoadError(
                f"{self.file_path}:{line}: no column {', '.join(map(repr, missing))}"
            )
        if None in row or any(value is None for value in row.values()):
            raise DocumentLoadError(
                f"{self.file_path}:{line}: the row's fields do not match the header"
            )
        lines = [
            f"{str(key).strip()}: {str(value).strip()}"
            for key, value in row.items()
            if (
                key in self.content_columns
                if self.content_columns
                else key not in self.metadata_columns
            )
        ]
        source = row[self.source_column] if self.source_column else str(self.file_path)
        metadata: dict[str, Any] = {"source": source, "row": row_number}
        metadata.update({name: row[name] for name in self.metadata_columns})
        return Document("\n".join(lines), metadata=metadata)


__all__ = [
    "BaseLoader",
    "CSVLoader",
    "DirectoryLoader",
    "JSONLinesLoader",
    "TextLoader",
]
