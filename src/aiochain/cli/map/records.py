"""Input records for `aiochain map`: JSON Lines, CSV, text lines, a directory, standard input.

Records are read lazily, one at a time, so memory stays flat however long the input is; the
job reads the input twice (once to check and index it before any request, once to send), and
standard input is first copied to a temporary file so that it can be read twice too.

Every record gets a stable id: its own `id` field (JSON Lines, CSV), else its place. For a
file that is `<resolved path>:<line>` (the line where the record starts), so `docs.jsonl`,
`./docs.jsonl` and `$PWD/docs.jsonl` name the same records; in a directory it is the file's
path relative to the directory; on standard input `<stdin>:<line>`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ..._exceptions import InputError
from .record_digest import record_digest

FORMATS = ("jsonl", "csv", "txt", "dir")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "txt"}
_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # the escape of a surrogate, in JSON text
_LONE = re.compile("[\ud800-\udfff]")  # a surrogate left alone once decoded (pairs join)


@dataclass(slots=True)
class Record:
    """One input: its position, stable id, template fields, and a digest of its content."""

    index: int
    id: str
    fields: dict[str, Any]
    digest: str


def guess_format(path: str) -> str:
    """The input format for `path` from its suffix (a directory is `dir`, stdin `jsonl`).

    Raises:
        InputError: when the suffix says nothing.
    """
    if path == "-":
        return "jsonl"
    target = Path(path)
    if target.is_dir():
        return "dir"
    fmt = _SUFFIXES.get(target.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: cannot tell the input format from the name; pass --input-format "
            f"({'|'.join(FORMATS)})"
        )
    return fmt


class Source:
    """An input that can be read (lazily) as many times as needed.

    Args:
        path: a file, a directory, or `-` for standard input.
        fmt: one of `FORMATS`, or None to guess it from the name.
        include: for a directory, glob patterns a file's relative path must match (any of).
        exclude: for a directory, glob patterns of files to leave out.

    Raises:
        InputError: for an unknown format or an input that does not exist.
    """

    def __init__(
        self,
        path: str,
        fmt: str | None = None,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> None:
        self.fmt = fmt or guess_format(path)
        if self.fmt not in FORMATS:
            raise InputError(f"unknown input format {self.fmt!r}; use one of {', '.join(FORMATS)}")
        if (include or exclude) and self.fmt != "dir":
            raise InputError(
                f"--include and --exclude choose files in a directory; --input {path} is read "
                f"as {self.fmt}"
            )
        self.path = path
        self.include = tuple(include)
        self.exclude = tuple(exclude)
        self._spool: Path | None = None  # standard input, copied to a file
        if path == "-":
            self.name = "<stdin>"
        else:
            resolved = Path(path).resolve()
            if self.fmt == "dir" and not resolved.is_dir():
                raise InputError(f"{path}: not a directory")
            if self.fmt != "dir" and resolved.is_dir():
                raise InputError(
                    f"{path}: is a directory; --input-format dir reads each file in it as one "
                    "record"
                )
            if self.fmt != "dir" and not resolved.is_file():
                raise InputError(f"{path}: cannot read: no such file")
            # A file name that is not UTF-8 comes with surrogates: not in a record's id.
            self.name = _LONE.sub("\ufffd", str(resolved))

    def identity(self) -> str:
        """What names this input in a default journal's name: its resolved path, or `<stdin>`."""
        return self.name

    def records(self) -> Iterator[Record]:
        """Every record, in order, read lazily.

        Raises:
            InputError: naming the file (and line) that cannot be read or parsed.
        """
        if self.fmt == "dir":
            yield from _numbered(self._dir_fields())
            return
        reader = {"jsonl": _jsonl_fields, "csv": _csv_fields}.get(self.fmt, _txt_fields)
        # The reader closes before its file (a reader left to the garbage collector would
        # unwrap a closed file: "Exception ignored ... I/O operation on closed file" after a
        # job stopped early, issue 23).
        with self._open() as raw, contextlib.closing(reader(raw, self.name)) as fields:
            yield from _numbered(fields)

    def close(self) -> None:
        """Drop the copy of standard input, if one was made."""
        if self._spool is not None:
            self._spool.unlink(missing_ok=True)
            self._spool = None

    def _open(self) -> IO[bytes]:
        if self.path == "-" and self._spool is None:
            descriptor, spool = tempfile.mkstemp(prefix="aiochain-stdin-", suffix=".jsonl")
            with open(descriptor, "wb") as copy:
                shutil.copyfileobj(sys.stdin.buffer, copy)
            self._spool = Path(spool)
        path = self._spool if self._spool is not None else Path(self.path)
        try:
            return open(path, "rb")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read: {exc.strerror or exc}") from None

    def _dir_fields(self) -> Iterator[tuple[str, dict[str, Any]]]:
        root = Path(self.path)
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        for file in files:
            relative = _LONE.sub("\ufffd", file.relative_to(root).as_posix())
            if not self._wanted(relative):
                continue
            try:
                data = file.read_bytes()
            except OSError as exc:
                raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from None
            try:
                text = data.removeprefix(_BOM).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{file}: not UTF-8 text (byte {exc.start}); leave it out with "
                    f"--exclude '{relative}'"
                ) from None
            yield relative, {"text": text, "path": relative}

    def _wanted(self, relative: str) -> bool:
        name = PurePosixPath(relative)
        if self.include and not any(name.match(p) for p in self.include):
            return False
        return not any(name.match(p) for p in self.exclude)


def _lines(raw: IO[bytes], name: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, text without its newline, whether it ended with one) for each line."""
    for number, data in enumerate(raw, 1):
        if number == 1:
            data = data.removeprefix(_BOM)
        ended = data.endswith(b"\n")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}:{number}: not UTF-8 text (byte {exc.start})") from None
        yield number, text.rstrip("\r\n"), ended


def _jsonl_fields(raw: IO[bytes], name: str) -> Generator[tuple[str, dict[str, Any]]]:
    for number, line, ended in _lines(raw, name):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            # exc.msg alone can end mid-phrase ("Unterminated string starting at"): the
            # column completes it.
            hint = "" if ended else "; the file looks truncated (its last line has no newline)"
            raise InputError(
                f"{name}:{number}: not valid JSON: {exc.msg}: column {exc.colno}{hint}"
            ) from None
        if not isinstance(value, dict):
            raise InputError(f"{name}:{number}: expected a JSON object, got {type(value).__name__}")
        if "\\u" in line and _SURROGATE.search(line):
            value = without_lone_surrogates(value)
        record_id = value.get("id")
        yield (str(record_id) if record_id is not None else f"{name}:{number}"), value


def without_lone_surrogates(value: Any) -> Any:
    """`value` with each lone surrogate (a `\\ud800` escape without its pair, common in
    scraped text) replaced by U+FFFD: such a string cannot be encoded as UTF-8 for the request,
    the journal or the output, and no API accepts one."""
    if isinstance(value, str):
        return _LONE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    return value


def _txt_fields(raw: IO[bytes], name: str) -> Generator[tuple[str, dict[str, Any]]]:
    for number, line, _ in _lines(raw, name):
        if line.strip():
            yield f"{name}:{number}", {"text": line, "line": number, "path": name}


def _csv_fields(raw: IO[bytes], name: str) -> Generator[tuple[str, dict[str, Any]]]:
    # utf-8-sig: a file saved by Excel starts with a byte order mark that must not end up in
    # the first column's name (it would hide the `id` column).
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(f"{name}: empty CSV file (no header line)")
        ended = reader.line_num
        for row in reader:
            start, ended = ended + 1, reader.line_num
            if not row:
                continue
            if len(row) > len(header):
                raise InputError(f"{name}:{start}: more fields than the header has")
            if len(row) < len(header):
                raise InputError(f"{name}:{start}: fewer fields than the header has")
            fields = dict(zip(header, row, strict=True))
            yield fields.get("id") or f"{name}:{start}", fields
    except csv.Error as exc:
        raise InputError(f"{name}:{reader.line_num}: malformed CSV: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (near line {reader.line_num + 1})") from exc
    finally:
        # The file is the caller's to close: unwrap it, so that the wrapper does not (or, when
        # collected, warn that it was never closed).
        text.detach()


def _numbered(raw: Iterator[tuple[str, dict[str, Any]]]) -> Iterator[Record]:
    for index, (record_id, fields) in enumerate(raw):
        yield Record(index, record_id, fields, record_digest(record_id, fields))
