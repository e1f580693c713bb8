"""Input records for `aiochain map`: JSON Lines, CSV, text lines, a directory, standard input.

Every input is read and checked in full before any request is sent, so a malformed file stops
the job with one line naming the file and line, having spent nothing. Every record gets a stable
id: its own `id` field, else its place (`file:line`, or the file's path for a directory).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import InputError

FORMATS = ("jsonl", "csv", "txt", "dir")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "txt"}


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


def read_records(path: str, fmt: str | None = None) -> list[Record]:
    """Read and check every record of an input.

    Raises:
        InputError: naming the file (and line) that cannot be read or parsed.
    """
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "dir":
        return _read_dir(path)
    name = "<stdin>" if path == "-" else path
    text = _read_text(path)
    if fmt == "jsonl":
        raw = _parse_jsonl(text, name)
    elif fmt == "csv":
        raw = _parse_csv(text, name)
    else:
        raw = [
            (f"{name}:{number}", {"text": line, "line": number, "path": name})
            for number, line in enumerate(text.splitlines(), 1)
            if line.strip()
        ]
    return _records(raw, name)


def _read_text(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _parse_jsonl(text: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            truncated = number == len(lines) and not text.endswith("\n")
            hint = " (the file looks truncated)" if truncated else ""
            raise InputError(f"{name}:{number}: not valid JSON: {exc.msg}{hint}") from None
        if not isinstance(value, dict):
            raise InputError(f"{name}:{number}: expected a JSON object, got {type(value).__name__}")
        record_id = value.get("id")
        out.append((str(record_id) if record_id is not None else f"{name}:{number}", value))
    return out


def _parse_csv(text: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out = []
    try:
        for row in reader:
            if None in row:
                raise InputError(f"{name}:{reader.line_num}: more fields than the header has")
            if any(value is None for value in row.values()):
                raise InputError(f"{name}:{reader.line_num}: fewer fields than the header has")
            record_id = row.get("id")
            out.append((record_id or f"{name}:{reader.line_num}", dict(row)))
    except csv.Error as exc:
        raise InputError(f"{name}:{reader.line_num}: malformed CSV: {exc}") from None
    if reader.fieldnames is None:
        raise InputError(f"{name}: empty CSV file (no header line)")
    return out


def _read_dir(path: str) -> list[Record]:
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{path}: not a directory")
    raw = []
    for file in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        relative = file.relative_to(root).as_posix()
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{file}: not UTF-8 text (byte {exc.start})") from None
        except OSError as exc:
            raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from None
        raw.append((relative, {"text": text, "path": relative}))
    return _records(raw, path)


def _records(raw: list[tuple[str, dict[str, Any]]], name: str) -> list[Record]:
    seen: dict[str, int] = {}
    records = []
    for index, (record_id, fields) in enumerate(raw):
        if record_id in seen:
            raise InputError(
                f"{name}: id {record_id!r} appears twice (records {seen[record_id] + 1} and "
                f"{index + 1}); ids must be unique"
            )
        seen[record_id] = index
        content = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
        digest = hashlib.sha256(f"{record_id}\0{content}".encode()).hexdigest()
        records.append(Record(index, record_id, fields, digest))
    return records
