"""The outputs of `aiochain map --embed`, chosen by the output's extension and rebuilt from the
journal at the end of every run (so a killed run's rerun writes them whole):

- `.npy`: one float32 matrix, a row per embedded record in input order, and beside it
  `<name>.ids.txt`, the id of each row, one per line (an id holding a line break is written
  as a JSON string). Needs NumPy.
- `.parquet`: columns `id` (string) and `vector` (a fixed-size list of float32), a row per
  embedded record in input order. Needs pyarrow.
- anything else, or standard output: JSON Lines, `{"id", "vector": [floats], "usage"}` per
  record, and `{"id", "error", ...}` for a record that failed.

Failed records are left out of `.npy` and `.parquet` (the summary counts them; a rerun retries
them). Files are written to a temporary name and then moved into place in one step.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ... import _json
from ..._exceptions import OutputError, UsageError

EXTRA_HINT = "pip install 'aiochain[embeddings]'"
_ROWS_PER_GROUP = 10_000
_NPY_HEADER = 128


def output_kind(path: str | None) -> str:
    """ "npy", "parquet" or "jsonl", from the output's extension."""
    suffix = Path(path).suffix.lower() if path else ""
    return {".npy": "npy", ".parquet": "parquet"}.get(suffix, "jsonl")


def ids_path(path: str) -> str:
    """Where the ids of a `.npy` output go: `vectors.npy` -> `vectors.ids.txt`."""
    return str(Path(path).with_suffix(".ids.txt"))


def check_extra(kind: str, path: str | None) -> None:
    """Refuse, in one line, an output whose library is not installed.

    Raises:
        UsageError: naming the package and the extra that installs it.
    """
    module, name = {"npy": ("numpy", "NumPy"), "parquet": ("pyarrow", "pyarrow")}.get(
        kind, ("", "")
    )
    if not module:
        return
    try:
        __import__(module)
    except ImportError:
        raise UsageError(f"--output {path} needs {name}: {EXTRA_HINT}") from None


def write_embeddings(path: str | None, lines: Iterable[str]) -> int:
    """Write the output from the journal's lines (input order); returns the vectors written."""
    kind = output_kind(path)
    if path is None:
        return _write_jsonl(sys.stdout, lines)
    with _replacing(path) as temporary:
        if kind == "npy":
            with _replacing(ids_path(path)) as ids_temporary:
                return _write_npy(temporary, ids_temporary, lines)
        if kind == "parquet":
            return _write_parquet(temporary, lines)
        with open(temporary, "w", encoding="utf-8") as stream:
            return _write_jsonl(stream, lines)


@contextlib.contextmanager
def _replacing(path: str) -> Iterator[str]:
    """A temporary file beside `path` that replaces it when the block succeeds."""
    target = Path(path)
    try:
        descriptor, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the output: {exc.strerror or exc}") from None
    os.close(descriptor)
    try:
        yield name
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)  # mkstemp's 0600 is for secrets; this is an output
        os.replace(name, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _vectors(lines: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """(id, float32 bytes) of every embedded record's line (failed records have no vector).

    The lines are `_embed_job`'s own, `{"id":...,"vector":"<base64>",...}`: the vector is
    cut out of the text rather than parsed, which would copy it once more."""
    for line in lines:
        start = line.find(',"vector":"')
        if start < 0:
            continue
        ident = line[6:start]  # after {"id":
        value = _json.loads(ident) if "\\" in ident else ident[1:-1]
        end = line.index('"', start + 11)
        yield str(value), base64.b64decode(line[start + 11 : end])


def _write_jsonl(stream: IO[str], lines: Iterable[str]) -> int:
    from array import array

    written = 0
    batch: list[str] = []
    for line in lines:
        value = _json.loads(line)
        vector = value.get("vector")
        if isinstance(vector, str):
            value["vector"] = array("f", base64.b64decode(vector)).tolist()
            written += 1
        batch.append(_json.dumps(value).decode())
        if len(batch) >= 1024:
            stream.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        stream.write("\n".join(batch) + "\n")
    stream.flush()
    return written


def _npy_header(count: int, width: int) -> bytes:
    """A `.npy` (format 1.0) header for a (count, width) float32 matrix, always 128 bytes
    (the format pads its header with spaces): written first with a guess, then again once the
    count is known, in the same place."""
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({count}, {width}), }}"
    body = text.ljust(_NPY_HEADER - 11) + "\n"
    return b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body.encode("latin-1")


def _write_npy(path: str, ids_file: str, lines: Iterable[str]) -> int:
    count = 0
    width = 0
    with open(path, "wb") as stream, open(ids_file, "w", encoding="utf-8") as ids:
        stream.write(_npy_header(0, 0))
        for ident, raw in _vectors(lines):
            width = width or len(raw) // 4
            if len(raw) != 4 * width:
                raise OutputError(f"{path}: vectors of different lengths in the journal")
            stream.write(raw if sys.byteorder == "little" else _little(raw))
            ids.write((json.dumps(ident) if "\n" in ident or "\r" in ident else ident) + "\n")
            count += 1
        stream.seek(0)
        stream.write(_npy_header(count, width))
    return count


def _little(raw: bytes) -> bytes:
    from array import array

    values = array("f", raw)
    values.byteswap()
    return values.tobytes()


def _write_parquet(path: str, lines: Iterable[str]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: Any = None
    written = 0
    ids: list[str] = []
    chunks: list[bytes] = []
    width = 0

    def flush() -> None:
        nonlocal writer
        values = pa.array(memoryview(b"".join(chunks)).cast("f"), type=pa.float32())
        table = pa.table(
            {
                "id": pa.array(ids, type=pa.string()),
                "vector": pa.FixedSizeListArray.from_arrays(values, width),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        ids.clear()
        chunks.clear()

    try:
        for ident, raw in _vectors(lines):
            width = width or len(raw) // 4
            if len(raw) != 4 * width:
                raise OutputError(f"{path}: vectors of different lengths in the journal")
            ids.append(ident)
            chunks.append(raw)
            written += 1
            if len(ids) >= _ROWS_PER_GROUP:
                flush()
        if ids or writer is None:
            if not ids:  # no vector at all: an empty table of the right columns
                schema = pa.schema([("id", pa.string()), ("vector", pa.list_(pa.float32()))])
                writer = pq.ParquetWriter(path, schema)
            else:
                flush()
    finally:
        if writer is not None:
            writer.close()
    return written
