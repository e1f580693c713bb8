"""Batch files on disk instead of in memory: shards written line by line as they are built,
and result files downloaded to a file and read back line by line.

A job of any size then holds one shard's ids at a time, never every request body, shard,
answer and row at once (issue 25: a 200,000-record job took 1.5 GB).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .._exceptions import ConfigurationError

MAX_LINE_BYTES = 64 * 1024 * 1024
"""The longest result line read; a longer one is cut there (and then fails to parse)."""


@dataclass(slots=True)
class SpooledShard:
    """The request lines of one batch, in a file.

    Attributes:
        path: the file, one encoded request a line.
        custom_ids: the ids of its requests, in file order.
        size: the file's bytes.
    """

    path: Path
    custom_ids: list[str] = field(default_factory=list)
    size: int = 0

    def lines(self) -> Iterator[bytes]:
        """The request lines, without their line ends."""
        yield from iter_lines(self.path)

    def remove(self) -> None:
        """Delete the file (once its batch exists)."""
        self.path.unlink(missing_ok=True)


class ShardSpool:
    """Cuts encoded request lines into shard files within a provider's limits, as they come.

    Args:
        folder: where the files go (a temporary folder the caller removes).
        max_requests, max_bytes: the limits of one batch (a little room is kept for the
            body around the lines, as `shard_requests` does).

    `add()` returns a shard whenever the next line would not fit in the current one;
    `finish()` returns the last one.
    """

    def __init__(self, folder: str | Path, *, max_requests: int, max_bytes: int) -> None:
        if max_requests < 1 or max_bytes < 1:
            raise ConfigurationError("max_requests and max_bytes must be >= 1")
        self.folder = Path(folder)
        self.max_requests = max_requests
        self.room = max_bytes - 64 if max_bytes > 1024 else max_bytes
        self._count = 0
        self._shard: SpooledShard | None = None
        self._file: IO[bytes] | None = None

    def add(self, custom_id: str, line: bytes) -> SpooledShard | None:
        """Write one request line; returns the shard it closed, if any.

        Raises:
            ConfigurationError: one request larger than a whole batch may be.
        """
        if len(line) + 1 > self.room:
            raise ConfigurationError(
                f"request {custom_id} is {len(line):,} bytes, over the batch limit"
            )
        closed = None
        shard = self._shard
        if shard is not None and (
            len(shard.custom_ids) >= self.max_requests or shard.size + len(line) + 1 > self.room
        ):
            closed = self.finish()
        if self._shard is None:
            self._count += 1
            path = self.folder / f"shard-{self._count}.jsonl"
            self._file = path.open("wb")
            self._shard = SpooledShard(path)
        assert self._file is not None and self._shard is not None
        self._file.write(line + b"\n")
        self._shard.custom_ids.append(custom_id)
        self._shard.size += len(line) + 1
        return closed

    def finish(self) -> SpooledShard | None:
        """Close the current shard's file and return it (None when there is none)."""
        shard, self._shard = self._shard, None
        if self._file is not None:
            self._file.close()
            self._file = None
        return shard


def iter_lines(path: str | Path) -> Iterator[bytes]:
    """The lines of a file without their line ends, one at a time, each at most
    `MAX_LINE_BYTES` (a longer one is cut there)."""
    with open(path, "rb") as stream:
        while line := stream.readline(MAX_LINE_BYTES):
            if not line.endswith(b"\n"):
                rest = line
                while rest and not rest.endswith(b"\n"):  # skip the rest of a too-long line
                    rest = stream.readline(MAX_LINE_BYTES)
            yield line.rstrip(b"\r\n")


def temporary_folder(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A folder for spooled files, under `$AIOCHAIN_TMPDIR` or the system's temporary folder."""
    return tempfile.TemporaryDirectory(prefix=prefix, dir=os.environ.get("AIOCHAIN_TMPDIR"))
