"""What `aiochain map` shows while it runs and when it ends, on standard error.

On a terminal: a rich progress bar (done, failed, retrying, requests and tokens per second,
ETA, in flight, share of the rpm / tpm limits in use, 429s, spend). Otherwise: a plain
line every few seconds, which logs and CI read well. At the end: a summary table.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import deque
from typing import Any

from ..._pipeline.run_stats import RunStats
from .job import MapSummary

# Seconds between plain progress lines; AIOCHAIN_PROGRESS_SECONDS changes it.
PLAIN_EVERY = float(os.environ.get("AIOCHAIN_PROGRESS_SECONDS") or 2.0)


class _Pace:
    """Requests and tokens per minute over the last `WINDOW` seconds, from the run's counters,
    as a share of the limits: what the server sees, not how full the limiter's bucket is."""

    WINDOW = 10.0

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int, int]] = deque()

    def shares(self, stats: RunStats, limiter: Any) -> str:
        now = time.monotonic()
        tokens = stats.prompt_tokens + stats.completion_tokens
        self._samples.append((now, stats.requests, tokens))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.WINDOW:
            self._samples.popleft()
        if limiter is None:
            return ""
        limits = limiter.usage()
        if limits.get("unreachable_for"):
            return f"server unreachable for {limits['unreachable_for']:.0f}s, waiting"
        then, requests, used = self._samples[0]
        minutes = (now - then) / 60
        if minutes <= 0:
            return ""
        parts = []
        if limits["rpm"]:
            parts.append(f"rpm {100 * (stats.requests - requests) / minutes / limits['rpm']:.0f}%")
        if limits["tpm"]:
            parts.append(f"tpm {100 * (tokens - used) / minutes / limits['tpm']:.0f}%")
        return " ".join(parts)


def _eta(summary: MapSummary, stats: RunStats) -> str:
    remaining = (stats.total or 0) - stats.done - stats.failed
    rate = stats.rate
    if remaining <= 0 or rate <= 0:
        return "-"
    seconds = remaining / rate
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.1f}m"


def status_line(summary: MapSummary, stats: RunStats, limits: str = "") -> str:
    """One line of progress; done/total come first, so a narrow terminal never cuts them."""
    done = summary.ok + summary.failed
    cost = f", ${stats.cost:.4f}" if stats.cost else ""
    return (
        f"map: {done}/{summary.items} done, {summary.failed} failed, "
        f"{summary.in_flight} in flight, {stats.retrying} retrying, "
        f"{stats.rate:.0f} req/s, {stats.tokens_per_second:.0f} tok/s, "
        f"{stats.rate_limited} x 429{cost}"
        + (f", {limits}" if limits else "")
        + (f", {summary.batches}" if summary.batches else "")
        + f", ETA {_eta(summary, stats)}"
    )


async def watch(summary: MapSummary, stats: RunStats, limiter: Any, *, fancy: bool) -> None:
    """Show progress until cancelled."""
    pace = _Pace()
    if not fancy:
        while True:
            await asyncio.sleep(PLAIN_EVERY)
            line = status_line(summary, stats, pace.shares(stats, limiter))
            print(line, file=sys.stderr, flush=True)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Column

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]map"),
        # done/total never shrinks; on a narrow terminal the detail is cut instead.
        MofNCompleteColumn(
            table_column=Column(no_wrap=True, min_width=2 * len(f"{summary.items}") + 1)
        ),
        BarColumn(bar_width=12),
        TextColumn("{task.fields[detail]}", table_column=Column(no_wrap=True, overflow="ellipsis")),
        console=console,
        transient=False,
    )
    task = progress.add_task("map", total=summary.items, completed=summary.ok, detail="")
    with progress:
        try:
            while True:
                done = summary.ok + summary.failed
                detail = _compact(summary, stats, pace.shares(stats, limiter))
                progress.update(task, completed=done, detail=detail)
                await asyncio.sleep(0.1)
        finally:
            # The last frame is the one left on screen: redraw it from the final counts, or
            # a finished job shows "30/30 ... 29 in flight ... ETA 5s" from 0.1 s before.
            detail = _compact(summary, stats, "")
            progress.update(task, completed=summary.ok + summary.failed, detail=detail)


def _short(number: float) -> str:
    return f"{number / 1000:.1f}k" if number >= 10_000 else f"{number:.0f}"


def _compact(summary: MapSummary, stats: RunStats, limits: str) -> str:
    """The bar's detail, after the counts: counts that are zero are left out."""
    parts = [f"{summary.in_flight} in flight"]
    if summary.failed:
        parts.append(f"[red]{summary.failed} failed[/red]")
    if stats.retrying:
        parts.append(f"{stats.retrying} retrying")
    parts.append(f"{_short(stats.rate)} req/s {_short(stats.tokens_per_second)} tok/s")
    if stats.rate_limited:
        parts.append(f"[yellow]{stats.rate_limited}x429[/yellow]")
    if stats.cost:
        parts.append(f"${stats.cost:.4f}")
    if limits:
        parts.append(limits)
    if summary.batches:
        parts.append(summary.batches)
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
        *([("chunks (split records)", f"{summary.chunks:,}")] if summary.chunks else []),
        *(
            [("answered by batch / live", f"{summary.via_batch:,} / {summary.via_live:,}")]
            if summary.via_batch or summary.via_live
            else []
        ),
        ("not sent (budget)", f"{summary.skipped_for_budget:,}"),
        ("tokens in / out", f"{summary.prompt_tokens:,} / {summary.completion_tokens:,}"),
        ("estimated cost", "-" if summary.cost is None else f"${summary.cost:.4f}"),
        ("job cost (all runs)", "-" if summary.job_cost is None else f"${summary.job_cost:.4f}"),
        ("429s", f"{summary.rate_limited:,}"),
        ("input check", seconds(summary.indexing)),
        ("wall time", seconds(summary.wall)),
        ("request latency p50 / p95", f"{seconds(summary.p50)} / {seconds(summary.p95)}"),
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
