"""What `aiochain map` shows while it runs and when it ends, on standard error.

On a terminal: a rich progress bar (done, failed, retrying, requests and tokens per second,
ETA, share of the rpm / tpm limit in use, 429s, spend). Otherwise, or with `--quiet`: a plain
line every few seconds, which logs and CI read well. At the end: a summary table.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from .._progress import RunStats
from ._map_job import MapSummary

# Seconds between plain progress lines; AIOCHAIN_PROGRESS_SECONDS changes it.
PLAIN_EVERY = float(os.environ.get("AIOCHAIN_PROGRESS_SECONDS") or 2.0)


def _limits(limiter: Any) -> str:
    if limiter is None:
        return ""
    usage = limiter.usage()
    parts = []
    if usage["rpm"]:
        parts.append(f"rpm {100 * max(0.0, usage['rpm_in_use'] or 0):.0f}%")
    if usage["tpm"]:
        parts.append(f"tpm {100 * max(0.0, usage['tpm_in_use'] or 0):.0f}%")
    return " ".join(parts)


def _eta(summary: MapSummary, stats: RunStats) -> str:
    remaining = (stats.total or 0) - stats.done - stats.failed
    rate = stats.rate
    if remaining <= 0 or rate <= 0:
        return "-"
    seconds = remaining / rate
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.1f}m"


def status_line(summary: MapSummary, stats: RunStats, limiter: Any) -> str:
    """One line of progress."""
    total = summary.items
    done = summary.ok + summary.failed
    cost = f" ${stats.cost:.4f}" if stats.cost else ""
    limits = _limits(limiter)
    return (
        f"map: {done}/{total} done, {summary.failed} failed, {stats.retrying} retrying, "
        f"{stats.rate:.0f} req/s, {stats.tokens_per_second:.0f} tok/s, "
        f"{stats.rate_limited} x 429{cost}"
        + (f", {limits}" if limits else "")
        + f", ETA {_eta(summary, stats)}"
    )


async def watch(summary: MapSummary, stats: RunStats, limiter: Any, *, fancy: bool) -> None:
    """Show progress until cancelled."""
    if not fancy:
        while True:
            await asyncio.sleep(PLAIN_EVERY)
            print(status_line(summary, stats, limiter), file=sys.stderr, flush=True)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]map"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        console=console,
        transient=False,
    )
    task = progress.add_task("map", total=summary.items, completed=summary.ok, detail="")
    with progress:
        try:
            while True:
                done = summary.ok + summary.failed
                progress.update(task, completed=done, detail=_compact(summary, stats, limiter))
                await asyncio.sleep(0.1)
        finally:
            progress.update(task, completed=summary.ok + summary.failed)


def _short(number: float) -> str:
    return f"{number / 1000:.1f}k" if number >= 10_000 else f"{number:.0f}"


def _compact(summary: MapSummary, stats: RunStats, limiter: Any) -> str:
    """The bar's detail, fitting 80 columns: counts that are zero are left out."""
    parts = []
    if summary.failed:
        parts.append(f"[red]{summary.failed} failed[/red]")
    if stats.retrying:
        parts.append(f"{stats.retrying} retrying")
    parts.append(f"{_short(stats.rate)} req/s {_short(stats.tokens_per_second)} tok/s")
    if stats.rate_limited:
        parts.append(f"[yellow]{stats.rate_limited}x429[/yellow]")
    if stats.cost:
        parts.append(f"${stats.cost:.4f}")
    limits = _limits(limiter)
    if limits:
        parts.append(limits)
    parts.append(f"ETA {_eta(summary, stats)}")
    return " ".join(parts)


def print_summary(summary: MapSummary, *, fancy: bool) -> None:
    """The table at the end."""

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f} s"

    rows = [
        ("items", f"{summary.items:,}"),
        ("ok", f"{summary.ok:,}"),
        ("failed", f"{summary.failed:,}"),
        ("resumed (done before)", f"{summary.resumed:,}"),
        ("cached", f"{summary.cached:,}"),
        ("not sent (budget)", f"{summary.skipped_for_budget:,}"),
        ("tokens in / out", f"{summary.prompt_tokens:,} / {summary.completion_tokens:,}"),
        ("estimated cost", "-" if summary.cost is None else f"${summary.cost:.4f}"),
        ("429s", f"{summary.rate_limited:,}"),
        ("wall time", seconds(summary.wall)),
        ("latency p50 / p95", f"{seconds(summary.p50)} / {seconds(summary.p95)}"),
        ("output", summary.output),
        ("journal", summary.journal),
    ]
    if not fancy:
        for name, value in rows:
            print(f"{name}: {value}", file=sys.stderr)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="aiochain map", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in rows:
        table.add_row(name, value)
    Console(stderr=True).print(table)
