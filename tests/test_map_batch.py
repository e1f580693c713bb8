"""`aiochain map --batch`: the job through the Batch API of the simulation server (its clock
sped up), resumable while polling, partial results of an expired batch kept and the rest sent
live, as subprocess runs of the CLI."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from aiochain.sim import SimServer

from .conftest import PYTHON, poll_until
from .test_map import TEMPLATE, rows, summarize, write_jsonl

StartThreaded = Callable[..., SimServer]


def posts(server: SimServer, word: str) -> int:
    """Requests the server answered on endpoints whose name holds `word`."""
    return sum(
        count
        for endpoint, statuses in server.stats()["requests"].items()
        if word in endpoint
        for status, count in statuses.items()
        if status.startswith("2")
    )


def test_a_batch_job_answers_every_record_at_batch_price(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """2,000 records go in one upload and one batch; every row is answered once, says
    `via: batch`, and the job's cost is at batch prices (half the live price)."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_jsonl(tmp_path / "in.jsonl", 2000)
    out = tmp_path / "out.jsonl"
    done = summarize(
        server.base_url,
        data,
        out,
        "--batch",
        "--batch-poll",
        "0.05",
    )
    assert done.returncode == 0, done.stderr
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"doc{i}" for i in range(2000))
    assert all(r.get("via") == "batch" and "error" not in r for r in lines)
    assert "answered by batch / live" in done.stderr and "2,000 / 0" in done.stderr
    tokens_in = sum(r["usage"]["prompt_tokens"] for r in lines)
    tokens_out = sum(r["usage"]["completion_tokens"] for r in lines)
    live_cost = (tokens_in * 0.15 + tokens_out * 0.60) / 1e6  # gpt-4o-mini, per million
    shown = [ln for ln in done.stderr.splitlines() if "job cost" in ln]
    assert shown and f"{live_cost / 2:.4f}" in shown[0]
    assert server.stats()["requests_total"] < 20  # an upload, a create, polls, a download


@pytest.mark.slow  # seconds of wall time: CI runs it with -m slow
def test_a_batch_job_killed_while_polling_resumes_the_same_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """SIGKILL while polling: the rerun polls the batch it recorded (no second upload or
    create), and each record appears once."""
    server = start_threaded_sim(batch_speed=20)  # ~5 s: still polling at the kill
    data = write_jsonl(tmp_path / "in.jsonl", 2000)
    out = tmp_path / "out.jsonl"
    command = [
        PYTHON,
        "-m",
        "aiochain",
        "map",
        "--base-url",
        server.base_url,
        "--template",
        TEMPLATE,
        "--input",
        str(data),
        "--output",
        str(out),
        "--batch",
        "--batch-poll",
        "0.05",
        "--quiet",
    ]
    job = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    poll_until(lambda: posts(server, "batches") >= 2)  # created and polled: ids journaled
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert posts(server, "files") == 1  # the upload; the results are not read yet
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # No second upload: the only other file request is reading the results.
    assert posts(server, "files") == 2
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"doc{i}" for i in range(2000))
    assert all(r["via"] == "batch" for r in lines)


def test_an_expired_batch_keeps_its_answers_and_the_rest_go_live(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A batch that expires half done: its answers are kept (`via: batch`), the rest are sent
    live (`via: live`), every record once."""
    server = start_threaded_sim(batch_speed=1000, batch_expire_rate=1.0)
    data = write_jsonl(tmp_path / "in.jsonl", 100)
    out = tmp_path / "out.jsonl"
    done = summarize(
        server.base_url,
        data,
        out,
        "--batch",
        "--batch-poll",
        "0.05",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"doc{i}" for i in range(100))
    via = [r["via"] for r in lines]
    assert 0 < via.count("batch") < 100 and via.count("live") == 100 - via.count("batch")
    assert posts(server, "chat.completions") == via.count("live")


def test_batch_retry_resubmits_the_leftovers_as_a_second_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """With --batch-retry, lines a batch failed (retryable 500s) go into a second batch; only
    what that one fails again is sent live; every record once."""
    import openai

    server = start_threaded_sim(batch_speed=1000, batch_fail_rate=0.3, seed=3)
    data = write_jsonl(tmp_path / "in.jsonl", 200)
    out = tmp_path / "out.jsonl"
    done = summarize(
        server.base_url,
        data,
        out,
        "--batch",
        "--batch-retry",
        "--batch-poll",
        "0.05",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"doc{i}" for i in range(200))
    via = [r["via"] for r in lines]
    batches = openai.OpenAI(base_url=server.base_url, api_key="sk-test").batches.list()
    assert len(batches.data) == 2
    second = min(batches.data, key=lambda b: b.request_counts.total if b.request_counts else 0)
    assert second.request_counts is not None and 0 < second.request_counts.total < 200
    assert via.count("live") == posts(server, "chat.completions") < second.request_counts.total


def test_a_batch_fails_records_missing_a_variable_and_checks_json(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """As on the live path: a record missing a template variable fails alone, unsent; with
    --json the answers are parsed (or fail as not JSON)."""
    server = start_threaded_sim(batch_speed=1000)
    data = tmp_path / "in.jsonl"
    data.write_text('{"id": "a", "text": "One."}\n{"id": "b", "other": "Two."}\n')
    out = tmp_path / "out.jsonl"
    done = summarize(
        server.base_url,
        data,
        out,
        "--batch",
        "--batch-poll",
        "0.05",
        "--json",
        "--quiet",
    )
    by_id = {r["id"]: r for r in rows(out)}
    assert "missing template variable" in by_id["b"]["error"]
    assert isinstance(by_id["a"]["output"], dict | list) or "not valid JSON" in by_id["a"]["error"]
    assert done.returncode == 1  # one record failed
