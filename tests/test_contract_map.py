"""The contract of `aiochain map` (issue 23): whichever way a job runs (live, `--split`,
`--batch`, `--ray`), its journal rows, its summary line and `report --json` say the same, and
agree with what the simulation server counted at `/stats` (requests, tokens, cost)."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from aiochain.pricing import cost_for, price_of
from aiochain.sim import SimServer

from .conftest import PYTHON
from .test_map import TEMPLATE, StartThreaded, map_cli, rows, write_jsonl

MODEL = "gpt-4o"  # priced high enough that the summary's 4 decimals show the cost


def server_stats(server: SimServer) -> dict[str, Any]:
    """The server's own counters, as a user reads them: GET /stats."""
    root = server.base_url.rstrip("/").removesuffix("/v1")
    with urllib.request.urlopen(root + "/stats", timeout=10) as answer:
        stats: dict[str, Any] = json.loads(answer.read())
    return stats


def answered(stats: dict[str, Any]) -> int:
    """Requests the server answered with 200."""
    return sum(by_status.get("200", 0) for by_status in stats["requests"].values())


def summary_of(stderr: str) -> dict[str, str]:
    """The summary lines `map` prints when stderr is not a terminal (`name: value`)."""
    return dict(re.findall(r"^([a-z][^:\n]*): (.*)$", stderr, re.M))


def journal_rows(journal: Path) -> list[dict[str, Any]]:
    """Every row of the journal, as a dict of its columns."""
    with sqlite3.connect(journal) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM rows ORDER BY rowid")]


def report_json(journal: Path) -> dict[str, Any]:
    """`aiochain report JOURNAL --json`, run as a user runs it."""
    shown = subprocess.run(
        [PYTHON, "-m", "aiochain", "report", str(journal), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, Any] = json.loads(shown.stdout)
    return report


def run_job(server: SimServer, tmp_path: Path, count: int, *flags: str) -> dict[str, Any]:
    """Run a map job over `count` records with the summary shown; return its journal rows,
    summary and report."""
    data = write_jsonl(tmp_path / "in.jsonl", count)
    out = tmp_path / "out.jsonl"
    done = map_cli(
        server.base_url,
        *("--template", TEMPLATE, "--input", str(data), "--output", str(out)),
        *("--model", MODEL, "--report", str(tmp_path / "report.html"), *flags),
    )
    assert done.returncode in (0, 1), done.stderr
    journal = tmp_path / "out.jsonl.journal.sqlite"
    return {
        "rows": journal_rows(journal),
        "summary": summary_of(done.stderr),
        "report": report_json(journal),
        "output": rows(out),
        "page": (tmp_path / "report.html").read_text(),
        "journal": journal,
    }


def check_agreement(job: dict[str, Any], tokens: tuple[int, int], requests: int) -> None:
    """Rows, summary and report agree with each other and with the server's numbers."""
    found, summary, report = job["rows"], job["summary"], job["report"]["summary"]
    prompt, completion = tokens
    assert sum(r["attempts"] for r in found) == report["requests"] == requests
    assert sum(r["prompt_tokens"] for r in found) == report["prompt_tokens"] == prompt
    assert sum(r["completion_tokens"] for r in found) == report["completion_tokens"] == completion
    assert summary["tokens in / out"] == f"{prompt:,} / {completion:,}"
    cost = sum(r["cost"] for r in found)
    assert cost > 0 and report["cost"] == pytest.approx(cost)
    assert summary["estimated cost"] == f"${cost:.4f}"
    assert int(summary["ok"]) == report["ok"] == sum(1 for r in job["output"] if "error" not in r)
    assert int(summary["failed"]) == report["failed"]
    assert report["untimed_rows"] == 0 and "older aiochain" not in job["page"]
    line = job["report"]["timeline"]
    assert line["tokens"][-1] == pytest.approx(prompt + completion)
    assert sum(line["requests_per_second"]) * line["bucket_seconds"] == pytest.approx(requests)


def test_live_job(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """A live job with 500s and retries: rows, summary and report equal /stats; every row
    keeps its request latency apart from its (longer) time in the job."""
    server = start_threaded_sim(latency=0.01, fail_rate=0.2, seed=7)
    job = run_job(server, tmp_path, 60, "--retries", "3", "--concurrency", "8")
    stats = server_stats(server)
    check_agreement(job, (stats["tokens_in"], stats["tokens_out"]), stats["requests_total"])
    expected = cost_for(price_of(MODEL) or (0, 0), stats["tokens_in"], stats["tokens_out"])
    assert job["report"]["summary"]["cost"] == pytest.approx(expected)
    assert job["report"]["request_latency"]["count"] == answered(stats)
    assert {r["via"] for r in job["rows"]} == {"live"}
    for r in job["rows"]:
        if r["request_seconds"] is not None:
            assert r["ended"] - r["started"] >= r["request_seconds"]
    assert "request latency" in job["page"] and "time in job" in job["page"]


def test_split_job(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """A `--split` job counts every chunk and reduce request (as /stats does) and keeps each
    one's own time, inside its row's time and not all at its end."""
    server = start_threaded_sim(latency=0.02)
    data = tmp_path / "in.jsonl"

    def text(n: int) -> str:
        return " ".join(f"Sentence {n}.{i} of a long document goes on." for i in range(60))

    data.write_text("".join(json.dumps({"id": f"d{n}", "text": text(n)}) + "\n" for n in range(4)))
    out = tmp_path / "out.jsonl"
    done = map_cli(
        server.base_url,
        *("--template", TEMPLATE, "--input", str(data), "--output", str(out)),
        *("--model", MODEL, "--split", "60", "--concurrency", "2"),
    )
    assert done.returncode == 0, done.stderr
    journal = tmp_path / "out.jsonl.journal.sqlite"
    job = {
        "rows": journal_rows(journal),
        "summary": summary_of(done.stderr),
        "report": report_json(journal),
        "output": rows(out),
        "page": "",
    }
    stats = server_stats(server)
    assert stats["requests_total"] > 3 * 4  # several chunks a record, and reduces
    check_agreement(job, (stats["tokens_in"], stats["tokens_out"]), stats["requests_total"])
    assert job["report"]["request_latency"]["count"] == stats["requests_total"]
    # Requests are placed where each ended, not piled at their row's end (4 rows).
    assert sum(1 for v in job["report"]["timeline"]["requests_per_second"] if v) > 4
    for r in job["rows"]:
        assert r["via"] == "split"
        answers = json.loads(r["answers"])
        assert len(answers) == r["attempts"] > 2
        ends = sorted(sent + took for sent, took, *_ in answers)
        assert r["started"] <= min(sent for sent, *_ in answers)
        assert ends[0] < ends[-1] <= r["ended"] + 1e-3  # chunks end before the reduce


def test_batch_job(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """A `--batch` job's rows carry the tokens the batch answered with (as `batches collect`
    gets them from the server), at batch price, with times: the report shows them all."""
    server = start_threaded_sim(batch_speed=1e6)
    job = run_job(server, tmp_path, 30, "--batch", "--batch-poll", "0.05")

    def batches(*args: str) -> str:
        return subprocess.run(
            [PYTHON, "-m", "aiochain", "batches", "--base-url", server.base_url, *args],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    usages = [
        json.loads(line)["response"]["usage"]
        for listed in batches("list").splitlines()
        for line in batches("collect", listed.split()[0]).splitlines()
    ]
    prompt = sum(u["prompt_tokens"] for u in usages)
    completion = sum(u["completion_tokens"] for u in usages)
    check_agreement(job, (prompt, completion), len(usages))
    expected = cost_for(price_of(MODEL, batch=True) or (0, 0), prompt, completion)
    assert job["report"]["summary"]["cost"] == pytest.approx(expected)
    assert {r["via"] for r in job["rows"]} == {"batch"} and len(usages) == 30


@pytest.mark.ray
def test_ray_job(
    cluster: str,
    start_threaded_sim: StartThreaded,
    tmp_path: Path,
) -> None:
    """A `--ray` job's summary shows the cost its journal holds, and its report the requests
    and tokens /stats counted (it showed $0.0000, 0 requests and "an older aiochain")."""
    server = start_threaded_sim(latency=0.01, fail_rate=0.1, seed=3)
    job = run_job(server, tmp_path, 40, "--ray", cluster, "--workers", "2", "--retries", "3")
    stats = server_stats(server)
    check_agreement(job, (stats["tokens_in"], stats["tokens_out"]), stats["requests_total"])
    assert {r["via"] for r in job["rows"]} == {"ray"}
    assert job["report"]["request_latency"]["count"] == answered(stats)


def test_a_resumed_job_shows_each_run_and_leaves_the_gap_out(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Two runs of one job an hour apart: the report shows both runs, and its wall time and
    rate are over the time the job ran, not the hour between."""
    server = start_threaded_sim(latency=0.01)
    data = write_jsonl(tmp_path / "in.jsonl", 20)
    out = tmp_path / "out.jsonl"
    common = ("--template", TEMPLATE, "--input", str(data), "--output", str(out), "--quiet")
    assert map_cli(server.base_url, *common).returncode == 0
    journal = tmp_path / "out.jsonl.journal.sqlite"
    with sqlite3.connect(journal) as db:  # the first run was an hour ago
        db.execute("UPDATE rows SET started = started - 3600, ended = ended - 3600")
    write_jsonl(data, 30)  # ten more records: the second run does them
    assert map_cli(server.base_url, *common).returncode == 0
    report = report_json(journal)
    runs, summary = report["runs"], report["summary"]
    assert [(r["run"], r["rows"]) for r in runs] == [(1, 20), (2, 10)]
    assert summary["wall_seconds"] == pytest.approx(sum(r["wall_seconds"] for r in runs))
    assert summary["wall_seconds"] < 3600
    assert summary["records_per_second"] == pytest.approx(30 / summary["wall_seconds"])
    assert runs[1]["offset"] == pytest.approx(runs[0]["wall_seconds"])
