"""The user's files around an `aiochain map` job: checked before the first request, and left as
they were when a run fails before anything was answered (issue 24, items 6 and 8).

Before anything is sent:
- every path the job writes (output, journal, report) is tried where the file would go: an
  existing file must open for writing, and a new one's folder must take a new file (a probe
  file, removed at once), so a report into an unwritable folder is refused before the job is
  paid for, not after;
- the report may not be the input, the output or the journal;
- an existing, non-empty output file is replaced only by its own job: when there is no journal
  for it, it belongs to something else and is refused unless `--overwrite` is given (as
  `gzip` and `ffmpeg` refuse to replace a file without `-f` / `-y`);
- a journal that is resumed is checked with `PRAGMA quick_check`: damaged pages are refused in
  one line (reading on would resend or drop records silently); with `--no-resume` a damaged
  journal is replaced, as the user asked to start over.

After a run that failed or was stopped (a usage error found late, an unknown model, Ctrl-C)
with nothing in its journal, the journal and the output that this run created are removed, so
nothing is left behind that the rerun (with the fix the error suggested) would trip on.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
import stat
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from ..._exceptions import AiochainError, JournalError, OutputError
from .options import MapOptions

_SQLITE_HEADER = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")


class JobFiles:
    """What a run found on disk before it started, to put things back when it fails.

    Build it with `check`, before the journal is opened; hand `on_exit` to the job's exit
    stack before the journal and output are opened, so that it runs after they are closed.
    """

    def __init__(self, output: Path | None, journal: Path) -> None:
        self.output = output
        self.journal = journal
        self.made_output = output is not None and not output.exists()
        self.made_journal = not journal.exists()

    @classmethod
    def check(cls, options: MapOptions, journal: str) -> JobFiles:
        """Check every path before anything is sent (see the module's docstring).

        Raises:
            OutputError: a path cannot be written, or an output would be overwritten.
            JournalError: the journal to resume is damaged.
        """
        output = Path(options.output) if options.output is not None else None
        journal_path = Path(journal)
        report = Path(options.report) if options.report is not None else None
        if report is not None:
            _refuse_report_over(report, options.input, output, journal_path)
        foreign = output is not None and output.is_file() and output.stat().st_size > 0
        if foreign and not journal_path.exists() and not options.overwrite:
            raise OutputError(
                f"{output} already exists and no journal says this job wrote it (no "
                f"{journal_path}); pass --overwrite to replace it, or pick another --output"
            )
        if output is not None:
            # --ordered and --embed write a new file beside the output and rename it.
            _check_writable(output, "output", new_files=options.ordered or options.embed)
        _check_writable(journal_path, "journal", new_files=True)  # and its -wal, -shm
        if report is not None:
            _check_writable(report, "report", new_files=False)
        damage = journal_damage(journal_path)
        if damage is not None:
            if options.resume:
                raise JournalError(
                    f"{journal_path}: the journal is damaged ({damage}); rerun with --no-resume "
                    "to start the job over, or remove the file"
                )
            _remove_database(journal_path)  # --no-resume: the user asked to start over
        return cls(output, journal_path)

    def on_exit(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        """After a failed run: remove the journal this run made if it holds nothing, and the
        output this run made if nothing was written to it. Never suppresses the error."""
        if exc_type is None:
            return False
        if self.made_journal and self.journal.exists() and holds_nothing(self.journal):
            _remove_database(self.journal)
        if self.made_output and self.output is not None:
            with contextlib.suppress(OSError):
                if self.output.is_file() and self.output.stat().st_size == 0:
                    self.output.unlink()
        return False


def write_report_at_end(journal: str, report: str) -> bool:
    """Write the report at the end of the job. Its path was checked before anything was sent;
    if it still fails (a full disk), say so in one line with how to write it again: the job is
    done, so this is not a usage error (status 1, not 2 "nothing sent")."""
    from ..report.command import write_report  # imported only by a job with --report

    try:
        write_report(journal, report)
    except AiochainError as exc:
        print(
            f"aiochain map: error: {exc}; the job is done, write its report with: "
            f"{shlex.join(['aiochain', 'report', journal, '-o', report])}",
            file=sys.stderr,
        )
        return False
    return True


def journal_damage(path: Path) -> str | None:
    """The first problem `PRAGMA quick_check` finds in an SQLite file, or None when it is
    sound, missing, empty, or not SQLite at all (the journal refuses that one itself)."""
    try:
        with open(path, "rb") as file:
            if file.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                return None
    except OSError:
        return None
    db = None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
        db.execute("PRAGMA busy_timeout=30000")
        (first,) = db.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.OperationalError:
        return None  # locked or unreadable, not damaged: opening the journal says why
    except sqlite3.DatabaseError as exc:
        return str(exc)  # corrupt, or not a database past its header
    finally:
        if db is not None:
            db.close()
    if first == "ok":
        return None
    first = " ".join(str(first).replace("*** in database main ***", "").split())
    return first[:100]


def holds_nothing(path: Path) -> bool:
    """Whether a journal holds no row, no remembered batch and no chunk answer: nothing was
    answered or paid for, so removing it loses nothing. False when it cannot be read."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
    except sqlite3.DatabaseError:
        return False
    try:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name != "meta" and not name.startswith("sqlite_")
        ]
        for name in tables:
            quoted = name.replace('"', '""')
            if db.execute(f'SELECT 1 FROM "{quoted}" LIMIT 1').fetchone() is not None:
                return False
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        db.close()


def _remove_database(path: Path) -> None:
    for name in (str(path), *(str(path) + side for side in _SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _refuse_report_over(report: Path, source: str, output: Path | None, journal: Path) -> None:
    target = report.resolve()
    others = [("the journal", journal), *([("the output", output)] if output else [])]
    if source != "-":
        others.append(("the input", Path(source)))
    for what, path in others:
        if path.resolve() == target:
            raise OutputError(f"--report {report} is {what}; pick another name")


def _check_writable(path: Path, what: str, *, new_files: bool) -> None:
    """Open an existing file for writing (changing nothing), and make and remove a probe file
    in the folder of a new one (or always when `new_files`: files are made beside it).

    Raises:
        OutputError: naming the path and the reason.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"{path}: cannot write the {what}: it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        return  # a device or a pipe (/dev/null, a FIFO): opening one may block or consume
    if mode is not None:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        except OSError as exc:
            raise OutputError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None
    if mode is None or new_files:
        folder = path.parent
        try:
            descriptor, probe = tempfile.mkstemp(prefix=".aiochain-check-", dir=folder)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise OutputError(
                f"{path}: cannot write the {what}: cannot create files in {folder} ({reason})"
            ) from None
        os.close(descriptor)
        os.unlink(probe)
