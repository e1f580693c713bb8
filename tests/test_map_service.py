"""`aiochain map` against a server that limits or goes away: no record fails (issue 12,
items 5 and 6), as subprocess runs of the CLI against the simulation server."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aiochain.sim import SimServer

from .conftest import PYTHON, free_port, poll_until
from .test_map import TEMPLATE, rows, summarize, write_jsonl

StartThreaded = Callable[..., SimServer]


def summary_of(output: Path) -> tuple[int, int]:
    """(answered, failed) rows of an output file."""
    lines = rows(output)
    return sum("error" not in r for r in lines), sum("error" in r for r in lines)


@pytest.mark.slow  # seconds of wall time: CI runs it with -m slow
def test_a_1200_rpm_server_refuses_under_2_percent(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """No client limits against `serve --rpm 1200`: the first request teaches the limit, under
    2% of requests are refused, and no record fails."""
    server = start_threaded_sim(rpm=1200)
    data = write_jsonl(tmp_path / "in.jsonl", 200)
    out = tmp_path / "out.jsonl"
    done = summarize(
        server.base_url,
        data,
        out,
        "--quiet",
        env={"OPENAI_API_KEY": "sk-test"},
    )
    assert done.returncode == 0, done.stderr
    assert summary_of(out) == (200, 0)
    stats = server.stats()
    assert stats["rate_limited"] <= 0.02 * stats["requests_total"]


def test_a_30000_tpm_server_fails_no_record(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """No client limits against `serve --tpm 30000`: every record is answered."""
    server = start_threaded_sim(tpm=30_000)
    data = write_jsonl(tmp_path / "in.jsonl", 120)
    out = tmp_path / "out.jsonl"
    done = summarize(
        server.base_url,
        data,
        out,
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert summary_of(out) == (120, 0)


@pytest.mark.slow  # seconds of wall time: CI runs it with -m slow
def test_a_server_stopped_for_5_seconds_fails_no_record(tmp_path: Path) -> None:
    """The server stops for 5 s mid-run and comes back on the same port: the job waits for it
    (shared pause with backoff) and no record fails."""
    port = free_port()
    data = write_jsonl(tmp_path / "in.jsonl", 400)
    out = tmp_path / "out.jsonl"
    first = SimServer(port=port, latency=0.05)
    with first.serve_in_thread() as base_url:
        job = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "aiochain",
                "map",
                "--base-url",
                base_url,
                "--template",
                TEMPLATE,
                "--input",
                str(data),
                "--output",
                str(out),
                "--concurrency",
                "16",
                "--quiet",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        poll_until(lambda: first.stats()["requests_total"] >= 50)
    time.sleep(5.0)  # the outage itself
    second = SimServer(port=port, latency=0.05)
    with second.serve_in_thread():
        _, stderr = job.communicate(timeout=120)
    assert job.returncode == 0, stderr
    assert summary_of(out) == (400, 0)
    assert second.stats()["requests_total"] > 0


def test_a_server_down_past_max_wait_stops_the_job_resumably(tmp_path: Path) -> None:
    """With nothing listening, the job stops after --max-wait with one line (status 1) and no
    record written as failed, so the rerun sends them all."""
    data = write_jsonl(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    done = summarize(
        f"http://127.0.0.1:{free_port()}/v1",
        data,
        out,
        "--max-wait",
        "1",
        "--quiet",
    )
    assert done.returncode == 1
    assert "cannot connect" in done.stderr and "no answer for" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists() or summary_of(out) == (0, 0)
