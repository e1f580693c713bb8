"""Where `aiochain map` writes: the output and the journal, checked before anything is sent.

The output never overwrites the input (nor a file inside an input directory) or the journal,
and a path that cannot be written (a missing folder, a directory, no permission) is reported in
one line before any request. Without `--ordered` rows are written as they are committed, so
the output can be followed while the job runs; with `--ordered` the whole output is written
at the end, to a temporary file that then replaces the output in one step, so a crash never
leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from ..._exceptions import OutputError


def check_paths(
    input_path: str, output: str | None, journal: str, report: str | None = None
) -> None:
    """Refuse an output or journal that would overwrite the input, or each other, and an
    output in a folder that does not exist or that is a folder itself.

    Raises:
        OutputError: naming the paths.
    """
    source = None if input_path == "-" else Path(input_path).resolve()
    journal_path = Path(journal).resolve()
    targets = [("--journal", journal_path)]
    if output is not None:
        output_path = Path(output).resolve()
        if output_path.is_dir():
            raise OutputError(f"{output}: cannot write the output: it is a directory")
        if not output_path.parent.is_dir():
            raise OutputError(f"{output}: cannot write the output: no folder {Path(output).parent}")
        if output_path == journal_path:
            raise OutputError(f"--output and --journal are the same file ({output})")
        targets.append(("--output", output_path))
    for flag, given in (("--journal", journal), ("--report", report)):
        if given is not None and not Path(given).resolve().parent.is_dir():
            raise OutputError(
                f"{given}: cannot write the {flag[2:]}: no folder {Path(given).parent}"
            )
        if given is not None and Path(given).is_dir():
            raise OutputError(f"{given}: cannot write the {flag[2:]}: it is a directory")
    if source is None:
        return
    for flag, target in targets:
        if target == source:
            raise OutputError(f"{flag} {target} is the input file; pick another name")
        if source.is_dir() and target.is_relative_to(source):
            raise OutputError(
                f"{flag} {target} is inside the input directory {source}; the next run would "
                "read it as input. Pick a place outside it"
            )


class Output:
    """The JSON Lines output: a file, or standard output.

    Args:
        path: the file, or None for standard output.
        ordered: write everything at the end (`write_all`), through a temporary file.

    Raises:
        OutputError: the file cannot be written.
    """

    def __init__(self, path: str | None, *, ordered: bool = False) -> None:
        self.path = path
        self.ordered = ordered
        self._temporary: Path | None = None
        self.stream: IO[str] = sys.stdout
        if path is None:
            return
        target = Path(path)
        try:
            if target.is_dir():
                raise IsADirectoryError(21, "is a directory")
            if ordered:
                descriptor, name = tempfile.mkstemp(
                    prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
                )
                self._temporary = Path(name)
                self.stream = open(descriptor, "w", encoding="utf-8")  # noqa: SIM115
            else:
                self.stream = open(target, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if isinstance(exc, FileNotFoundError):
                reason = f"no folder {target.parent}"
            raise OutputError(f"{path}: cannot write the output: {reason}") from None

    def write(self, lines: Iterable[str]) -> None:
        """Write lines as they are committed (nothing when ordered: see `write_all`)."""
        if self.ordered:
            return
        self._write(lines)

    def write_all(self, lines: Iterable[str]) -> None:
        """Write the whole output in order and put it in place."""
        self._write(lines)
        if self._temporary is not None and self.path is not None:
            self.stream.close()
            os.replace(self._temporary, self.path)
            self._temporary = None

    def _write(self, lines: Iterable[str]) -> None:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 1024:
                self.stream.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            self.stream.write("\n".join(batch) + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Close the file; an ordered output not written in full is dropped."""
        if self.path is not None:
            self.stream.close()
        if self._temporary is not None:
            with contextlib.suppress(OSError):
                self._temporary.unlink()
            self._temporary = None
