"""The numbers of `aiochain report`: what a map journal says about its runs, as plain data.

Every row the journal holds counts (a record failed in one run and answered in the next has
two rows: both were paid for); "failed records" are those whose latest row failed. Times are
the journal's wall-clock start and end of each row; rows written by versions that did not
keep them count in the totals but not in the plots.

Two latencies are kept apart: a request's (from being sent to its answer, as the CLI's summary
shows it) and a record's time in the job (from being taken up to its row: time queued behind
the limits, retries and every chunk of a split record included). Each run of a resumed job is
shown apart, and the time axis leaves out the idle time between runs: rates are over the time
the job ran. A split record's requests and tokens are placed at their own times; 429s and
retries at the end of their row (the journal keeps counts per row, not a time per 429).
"""

from __future__ import annotations

import json
import math
import sqlite3
import urllib.parse
from bisect import bisect_right
from pathlib import Path
from typing import Any

from ..._exceptions import JournalError, UsageError
from ..map.journal import TRACE_COLUMNS

MAX_BUCKETS = 120
"""Most points on the time axis."""
HISTOGRAM_BINS = 30
ROW_FIELDS = (
    "id",
    "status",
    "via",
    "run",
    "start",
    "seconds",
    "request_seconds",
    "attempts",
    "rate_limited",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "error_class",
    "error",
)
"""What each row of `rows` holds (`start`: seconds into the timeline, idle gaps between runs
left out; `seconds`: time in the job; `request_seconds`: the answering request's latency)."""


def load_report(path: str | Path) -> dict[str, Any]:
    """The report of the journal at `path`, as JSON-ready data (nothing in it is a key).

    Raises:
        UsageError: the file does not exist.
        JournalError: it is not a map journal.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such journal")
    try:
        db = sqlite3.connect(f"file:{urllib.parse.quote(str(path.resolve()))}?mode=rw", uri=True)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            have = {column for (_, column, *_) in db.execute("PRAGMA table_info(rows)")}
            traced = ", ".join(c if c in have else f"NULL AS {c}" for c in TRACE_COLUMNS)
            found = db.execute(
                f"SELECT key, id, ok, cached, line, cost, {traced} FROM rows ORDER BY rowid"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise JournalError(f"{path}: not an aiochain map journal ({exc})") from exc
    if "job" not in meta:
        raise JournalError(f"{path}: not an aiochain map journal (no job in it)")
    return _report(path, meta, found)


def _report(path: Path, meta: dict[str, str], found: list[tuple[Any, ...]]) -> dict[str, Any]:
    latest = {row[0]: n for n, row in enumerate(found)}
    rows: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for n, (key, record_id, ok, cached, line, cost, *trace) in enumerate(found):
        started, ended, attempts, rate_limited, prompt, completion, error_class = trace[:7]
        via, request_seconds, answers, run = trace[7:]
        timed = started is not None and ended is not None
        row = {
            "id": record_id,
            "status": "cached" if cached else "ok" if ok else "failed",
            "via": via,
            "run": run or 1,
            "start": started,
            "end": ended,
            "seconds": ended - started if timed else None,
            "request_seconds": request_seconds,
            "answers": _answers(answers, request_seconds, ended),
            "attempts": attempts,
            "rate_limited": rate_limited,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cost": cost or 0.0,
            "error_class": error_class,
            "error": None if ok else _error_of(line),
        }
        rows.append(row)
        if not ok and latest[key] == n:
            failed.append({k: row[k] for k in ("id", "error_class", "error", "attempts")})
    timed_rows = [r for r in rows if r["seconds"] is not None]
    runs = _runs(rows)
    wall = sum(r["wall_seconds"] for r in runs) if runs else None
    in_job = sorted(r["seconds"] for r in timed_rows if r["attempts"] and r["status"] == "ok")
    requests = sorted(a[1] for r in rows for a in r["answers"])
    job = json.loads(meta["job"])
    job["endpoint"] = _safe_url(job.get("endpoint"))
    settings = json.loads(meta.get("settings", "{}"))
    summary = {
        "rows": len(rows),
        "records": len(latest),
        "ok": sum(1 for n in latest.values() if found[n][2]),
        "failed": len(failed),
        "cached": sum(r["status"] == "cached" for r in rows),
        "requests": sum(r["attempts"] or 0 for r in rows),
        "rate_limited": sum(r["rate_limited"] or 0 for r in rows),
        "retries": sum(_retries(r) for r in rows),
        "prompt_tokens": sum(r["prompt_tokens"] or 0 for r in rows),
        "completion_tokens": sum(r["completion_tokens"] or 0 for r in rows),
        "cost": sum(r["cost"] for r in rows),
        "job_spent": float(meta.get("spent", 0) or 0),
        "untimed_rows": len(rows) - len(timed_rows),
        "runs": len(runs),
        "started": runs[0]["started"] if runs else None,
        "wall_seconds": wall,
        "records_per_second": len(timed_rows) / wall if wall else None,
    }
    line = _timeline(rows, runs, wall)
    for r in rows:
        r["start"] = r.pop("offset", None)
    return {
        "journal": str(path),
        "job": job,
        "settings": settings,
        "summary": summary,
        "runs": runs,
        "request_latency": _latency(requests),
        "time_in_job": _latency(in_job),
        "timeline": line,
        "failed": failed,
        "row_fields": list(ROW_FIELDS),
        "rows": [[r[f] for f in ROW_FIELDS] for r in rows],
    }


def _answers(
    stored: str | None, request_seconds: float | None, ended: float | None
) -> list[tuple[float, float, int, int]]:
    """Each answered request of a row: (sent, seconds, tokens in, tokens out); a row that
    made one request keeps only its seconds (it was sent `seconds` before the row ended)."""
    if stored:
        try:
            return [(float(a), float(b), int(c), int(d)) for a, b, c, d in json.loads(stored)]
        except (ValueError, TypeError):
            return []
    if request_seconds is None:
        return []
    end = ended if ended is not None else 0.0
    return [(end - request_seconds, float(request_seconds), -1, -1)]


def _retries(row: dict[str, Any]) -> int:
    """Requests beyond the one each answer needed (a split record needs one per chunk)."""
    return max((row["attempts"] or 0) - max(len(row["answers"]), 1), 0)


def _runs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run of the job with timed rows: when it started, how long it ran, what it did,
    and where it begins on the timeline (`offset`: the runs before it, end to end). Each
    row gets its `offset` there."""
    by_run: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        if r["seconds"] is not None:
            by_run.setdefault(r["run"], []).append(r)
    runs, offset = [], 0.0
    for number in sorted(by_run):
        members = by_run[number]
        first = min(r["start"] for r in members)
        wall = max(r["end"] for r in members) - first
        for r in members:
            r["offset"] = offset + r["start"] - first
            r["shift"] = offset - first  # wall-clock time -> timeline time, in this run
        runs.append(
            {
                "run": number,
                "started": first,
                "offset": offset,
                "wall_seconds": wall,
                "rows": len(members),
                "ok": sum(r["status"] != "failed" for r in members),
                "failed": sum(r["status"] == "failed" for r in members),
                "requests": sum(r["attempts"] or 0 for r in members),
                "records_per_second": len(members) / wall if wall else None,
            }
        )
        offset += wall
    return runs


def _error_of(line: str) -> str | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    error = value.get("error") if isinstance(value, dict) else None
    return error if isinstance(error, str) else None


def _safe_url(url: Any) -> Any:
    """The endpoint without credentials or a query (where some services put keys)."""
    if not isinstance(url, str) or "://" not in url:
        return url
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def percentile(ordered: list[float], share: float) -> float | None:
    """Nearest rank, as `RunStats.percentile` computes it."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _latency(ordered: list[float]) -> dict[str, Any]:
    """Percentiles of the sent rows' seconds, and a histogram up to 1.5 x p99 (the last bin
    holds everything past it, so one straggler does not squash the rest)."""
    p99 = percentile(ordered, 0.99)
    top = min(ordered[-1], 1.5 * p99) if ordered and p99 is not None else 0.0
    width = top / HISTOGRAM_BINS if top > 0 else 1.0
    counts = [0] * HISTOGRAM_BINS
    for value in ordered:
        counts[min(HISTOGRAM_BINS - 1, int(value / width))] += 1
    return {
        "count": len(ordered),
        "p50": percentile(ordered, 0.5),
        "p95": percentile(ordered, 0.95),
        "p99": p99,
        "max": ordered[-1] if ordered else None,
        "bin_seconds": width,
        "counts": counts if ordered else [],
    }


def bucket_width(span: float) -> float:
    """A round width (1, 2 or 5 times a power of ten) giving at most `MAX_BUCKETS` buckets."""
    raw = max(span, 1e-3) / MAX_BUCKETS
    power = 10.0 ** math.floor(math.log10(raw))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * power >= raw:
            return step * power
    return 10 * power  # pragma: no cover


def _timeline(
    rows: list[dict[str, Any]], runs: list[dict[str, Any]], wall: float | None
) -> dict[str, Any]:
    """Per bucket of the time the job ran: rows finished per second (ok, failed), requests
    answered per second, the mean number of rows in flight, 429s and retries (at their row's
    end), and cumulative tokens and cost. A request's tokens are placed where it ended."""
    if wall is None:
        return {"bucket_seconds": None, "t": [], "runs": []}
    width = bucket_width(wall)
    count = max(1, math.ceil(wall / width - 1e-9))
    edges = [width * (i + 1) for i in range(count)]
    series = {
        name: [0.0] * count
        for name in ("done", "failed", "requests", "limited", "retries", "tokens", "cost")
    }
    partial = [0.0] * count  # busy bucket-widths in the buckets where rows start or end
    full = [0] * (count + 1)  # difference array: rows busy for a whole bucket

    def bucket(at: float) -> int:
        return min(count - 1, bisect_right(edges, at))

    for r in rows:
        start, seconds = r.get("offset"), r["seconds"]
        if start is None or seconds is None:
            continue
        end = start + seconds
        i = bucket(end)
        series["failed" if r["status"] == "failed" else "done"][i] += 1 / width
        series["limited"][i] += r["rate_limited"] or 0
        series["retries"][i] += _retries(r)
        series["cost"][i] += r["cost"]
        placed = 0
        for sent, took, used_in, used_out in r["answers"]:
            k = bucket(min(end, max(start, sent + took + r["shift"])))
            series["requests"][k] += 1 / width
            if used_in >= 0:
                series["tokens"][k] += used_in + used_out
                placed += used_in + used_out
        series["requests"][i] += max(0, (r["attempts"] or 0) - len(r["answers"])) / width
        tokens = (r["prompt_tokens"] or 0) + (r["completion_tokens"] or 0)
        series["tokens"][i] += max(0, tokens - placed)
        a = min(count - 1, int(start / width))
        if a == i:
            partial[a] += seconds / width
        else:
            partial[a] += (width * (a + 1) - start) / width
            partial[i] += (end - width * i) / width
            full[a + 1] += 1
            full[i] -= 1
    for r in rows:
        r.pop("shift", None)
        r.pop("end", None)
        r.pop("answers", None)
    in_flight, level = [], 0
    for i in range(count):
        level += full[i]
        in_flight.append(level + partial[i])
    return {
        "bucket_seconds": width,
        "t": [width * i for i in range(count)],
        "runs": [run["offset"] for run in runs],
        "done_per_second": series["done"],
        "failed_per_second": series["failed"],
        "requests_per_second": series["requests"],
        "in_flight": in_flight,
        "rate_limited": series["limited"],
        "retries": series["retries"],
        "tokens": _cumulative(series["tokens"]),
        "cost": _cumulative(series["cost"]),
    }


def _cumulative(values: list[float]) -> list[float]:
    out, total = [], 0.0
    for value in values:
        total += value
        out.append(total)
    return out
