"""`aiochain report` and `map --report` (issue 19): the journal's per-row facts, its migration,
and a report whose numbers match the simulation server's own counters."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from aiochain._pipeline.run_stats import CallCounts, RunStats, current_call
from aiochain.cli.map.journal import TRACE_COLUMNS, Journal
from aiochain.cli.map.journal_rows import RecordTake, journal_row
from aiochain.cli.map.records import Record
from aiochain.cli.report.data import bucket_width, load_report
from aiochain.cli.report.html import render_report
from aiochain.cli.report.svg import line_chart, ticks

from .conftest import PYTHON
from .test_map import rows, write_jsonl
from .test_map_service import StartThreaded

KEY = "sk-report-test-7f3a9c2e51"
RESOURCE = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(|@import""", re.I)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def run_faulty_jobs(start_threaded_sim: StartThreaded, tmp_path: Path) -> Any:
    """Two jobs at once with one key against a server with 500s (--fail-rate) and a limit
    (--rpm) they share, so 429s are bound to happen (each learns the limit, not the other's
    use of it); returns the server's /stats once both are done."""
    server = start_threaded_sim(latency=0.01, rpm=1200, fail_rate=0.3, seed=4)
    source = write_jsonl(tmp_path / "in.jsonl", 60)
    jobs = [
        subprocess.Popen(
            [
                *(PYTHON, "-m", "aiochain", "map", "--base-url", server.base_url),
                *("--template", "Summarize:\n\n{text}", "--input", str(source)),
                *("--output", str(tmp_path / f"out{n}.jsonl"), "--retries", "1", "--quiet"),
                *("--report", str(tmp_path / f"report{n}.html")),
            ],
            env={**os.environ, "OPENAI_API_KEY": KEY},
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    for job in jobs:
        _, err = job.communicate(timeout=120)
        assert job.returncode in (0, 1), err  # 1: some records failed twice
    root = server.base_url.rstrip("/").removesuffix("/v1")
    return get_json(root + "/stats")


def check_report(tmp_path: Path, n: int) -> dict[str, Any]:
    """The report of job `n`, checked against its journal, its output and its page."""
    journal = tmp_path / f"out{n}.jsonl.journal.sqlite"
    shown = subprocess.run(
        [PYTHON, "-m", "aiochain", "report", str(journal), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, Any] = json.loads(shown.stdout)
    summary = report["summary"]
    output = rows(tmp_path / f"out{n}.jsonl")
    failed = sorted(r["id"] for r in output if "error" in r)
    assert summary["failed"] == len(failed)
    assert sorted(f["id"] for f in report["failed"]) == failed
    assert all(f["attempts"] >= 2 for f in report["failed"])
    assert summary["rows"] == summary["records"] == len(output) == 60
    assert summary["retries"] == summary["requests"] - 60
    used = sum(r["usage"]["prompt_tokens"] for r in output if r["usage"])
    assert summary["prompt_tokens"] == used
    with sqlite3.connect(journal) as db:
        spent = float(db.execute("SELECT value FROM meta WHERE key = 'spent'").fetchone()[0])
        in_db = db.execute("SELECT count(*), sum(attempts), sum(rate_limited) FROM rows").fetchone()
    assert summary["cost"] == pytest.approx(spent) and spent > 0
    assert in_db == (60, summary["requests"], summary["rate_limited"])
    in_job = report["time_in_job"]
    assert sum(in_job["counts"]) == in_job["count"] == 60 - len(failed)
    line = report["timeline"]
    assert sum(line["done_per_second"]) * line["bucket_seconds"] == pytest.approx(60 - len(failed))
    assert sum(line["rate_limited"]) == summary["rate_limited"]
    assert line["tokens"][-1] == summary["prompt_tokens"] + summary["completion_tokens"]
    assert report["settings"]["concurrency"] == 64 and report["job"]["model"] == "gpt-4o-mini"

    page = (tmp_path / f"report{n}.html").read_text()
    assert "http://" not in page and "https://" not in page
    assert not RESOURCE.search(page)
    for text in (page, shown.stdout, journal.read_bytes().decode("latin-1")):
        assert KEY not in text
    assert "Summarize:" in page and "All rows (60)" in page
    assert all(f">{record_id}<" in page for record_id in failed)
    return report


@pytest.mark.slow  # seconds of wall time: CI runs it with -m slow
def test_reports_of_faulty_jobs_match_the_server_and_the_journals(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Requests, 429s and tokens in the reports add up to the server's /stats; rows, failures,
    attempts and cost equal each journal's; the pages load nothing from the network and hold
    no key."""
    stats = run_faulty_jobs(start_threaded_sim, tmp_path)
    reports = [check_report(tmp_path, n)["summary"] for n in range(2)]
    assert sum(r["requests"] for r in reports) == stats["requests_total"]
    assert sum(r["rate_limited"] for r in reports) == stats["rate_limited"] > 0
    assert sum(r["prompt_tokens"] for r in reports) == stats["tokens_in"]
    assert sum(r["completion_tokens"] for r in reports) == stats["tokens_out"]
    assert sum(r["failed"] for r in reports) > 0


def test_report_command_writes_next_to_the_journal_and_refuses_other_files(
    tmp_path: Path,
) -> None:
    """`aiochain report J` writes J's name + .report.html; a missing file or a database that
    is not a journal is one line with status 2."""
    source = write_jsonl(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [
            *(PYTHON, "-m", "aiochain", "map", "--simulate", "0", "--template", "{text}"),
            *("--input", str(source), "--output", str(out), "--quiet"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    made = subprocess.run(
        [PYTHON, "-m", "aiochain", "report", str(tmp_path / "out.jsonl.journal.sqlite")],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "out.jsonl.report.html").read_text().startswith("<!doctype html>")
    sqlite3.connect(tmp_path / "other.sqlite").execute("CREATE TABLE t (x)").connection.close()
    for name in ("missing.sqlite", "other.sqlite"):
        bad = subprocess.run(
            [PYTHON, "-m", "aiochain", "report", str(tmp_path / name)],
            capture_output=True,
            text=True,
        )
        assert bad.returncode == 2
        assert bad.stderr.count("\n") == 1 and "aiochain report: error:" in bad.stderr


def test_an_older_journal_gets_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    """A journal from before rows kept timings is migrated in place: old rows stay (counted
    in the totals, not the plots), new rows carry their timings."""
    path = tmp_path / "old.journal.sqlite"
    job = {"template": "{text}", "model": "gpt-4o-mini"}
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute(
            "CREATE TABLE rows (rowid INTEGER PRIMARY KEY, key, idx, id, ok, cached, line, cost)"
        )
        db.execute("INSERT INTO meta VALUES ('job', ?)", (json.dumps(job, sort_keys=True),))
        db.execute("INSERT INTO meta VALUES ('spent', '0.5')")
        db.execute(
            "INSERT INTO rows (key, idx, id, ok, cached, line, cost) VALUES "
            "('k0', 0, 'a', 1, 0, '{\"id\":\"a\"}', 0.5)"
        )
    with Journal(path, job) as journal:
        fine = journal_row(
            Record(1, "b", {}, "k1"),
            RecordTake("live", 100.0, 101.5, requests=1, prompt_tokens=3),
            output="B",
        )
        take = RecordTake("live", 100.0, 102.0, requests=2)
        take.fail("ServerError: boom", "X")
        journal.commit([fine, journal_row(Record(2, "c", {}, "k2"), take)])
        assert journal.spent == 0.5
    with sqlite3.connect(path) as db:
        columns = {c for (_, c, *_) in db.execute("PRAGMA table_info(rows)")}
    assert set(TRACE_COLUMNS) <= columns
    report = load_report(path)
    summary = report["summary"]
    assert (summary["rows"], summary["untimed_rows"], summary["failed"]) == (3, 1, 1)
    assert (summary["cost"], summary["requests"], summary["prompt_tokens"]) == (0.5, 3, 3)
    assert report["failed"] == [
        {"id": "c", "error_class": "X", "error": "ServerError: boom", "attempts": 2}
    ]
    assert report["time_in_job"]["p50"] == 1.5 and summary["wall_seconds"] == 2.0
    assert "1 row(s) were written by an older aiochain" in render_report(report)


def test_the_page_escapes_what_the_journal_holds(tmp_path: Path) -> None:
    """Ids, errors and the template are text in the page, never markup or script."""
    path = tmp_path / "j.sqlite"
    evil = "</script><img src=x onerror=alert(1)>"
    with Journal(path, {"template": evil + "{text}"}) as journal:
        take = RecordTake("live", 1.0, 2.0, requests=1)
        take.fail(evil, "ServerError")
        journal.commit([journal_row(Record(0, evil, {}, "k"), take)])
    page = render_report(load_report(path))
    assert "<img" not in page and page.count("</script>") == 2


def test_chart_helpers() -> None:
    """Round ticks cover the data; buckets are round and at most 120; labels are escaped."""
    assert ticks(7.3) == [0.0, 2.0, 4.0, 6.0, 8.0] and ticks(10) == [0, 2.5, 5, 7.5, 10]
    assert bucket_width(60.0) == 0.5 and bucket_width(0.03) == 0.0005
    assert "&lt;b&gt;" in line_chart("<b>", [0.0, 1.0], [("s0", [1.0, 2.0])])
    assert "no timed rows" in line_chart("x", [], [])


def test_call_counts_follow_the_run_hooks() -> None:
    """With a CallCounts set for the call, the run's hooks also count its 429s, retries and
    cache hit there; without one they count only the run."""
    stats = RunStats()
    stats.refused(rate_limited=True)
    call = CallCounts()
    reset = current_call.set(call)
    try:
        stats.refused(rate_limited=True)
        stats.refused(rate_limited=False)
        stats.retry_scheduled()
        stats.cache_hit()
    finally:
        current_call.reset(reset)
    assert (call.rate_limited, call.retries, call.cached) == (1, 1, True)
    assert (stats.rate_limited, stats.retries, stats.requests) == (2, 1, 3)
