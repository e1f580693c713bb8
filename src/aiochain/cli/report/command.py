"""`aiochain report JOURNAL`: a map journal as one self-contained HTML page, or as JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..._exceptions import OutputError


def add_report_parser(commands: Any) -> None:
    """Add `report` and its options to the CLI's subcommands."""
    parser = commands.add_parser(
        "report",
        help="turn a map journal into one HTML page with plots (or JSON), offline",
        description="Turn the journal of an `aiochain map` job into one self-contained HTML "
        "file (no network needed: plots are inline SVG): throughput, in flight, latency "
        "percentiles, 429s and retries, tokens and cost over time, the job's settings, failed "
        "records and a sortable table of every row.",
    )
    parser.add_argument("journal", help="the job's journal (*.journal.sqlite)")
    parser.add_argument(
        "-o", "--output", help="HTML file to write (default: the journal's name + .html)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the same numbers as JSON on standard output"
    )


def default_report_path(journal: str) -> str:
    """`x.journal.sqlite` -> `x.report.html`."""
    name = journal.removesuffix(".sqlite").removesuffix(".journal")
    return name + ".report.html"


def write_report(journal: str | Path, output: str | Path) -> Path:
    """Write the HTML report of `journal` to `output`; returns its path.

    Raises:
        UsageError: the journal is missing or is not one.
        OutputError: the page cannot be written.
    """
    from .data import load_report
    from .html import render_report

    page = render_report(load_report(journal))
    path = Path(output)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the report: {exc.strerror or exc}") from exc
    return path


def run_report_command(args: argparse.Namespace) -> int:
    """Run `aiochain report`; returns the exit status."""
    if args.json:
        from .data import load_report

        data = load_report(args.journal)
        try:
            json.dump(data, sys.stdout, indent=1)
            sys.stdout.write("\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, as `map` does.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 141
        return 0
    path = write_report(args.journal, args.output or default_report_path(args.journal))
    print(f"wrote {path}", file=sys.stderr)
    return 0
