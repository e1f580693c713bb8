"""`aiochain map --batch` resumes by what each batch covers (issue 25), for OpenAI's Batch API
and Anthropic's Message Batches, as subprocess runs of the CLI against the simulator: records
appended after a finished job, a kill while a batch's rows are committed, a kill while the
records a batch left are sent live, and malformed result lines. Each record is answered once,
and no batch is made for records a batch already covers."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aiochain.sim import SimServer

from .conftest import PYTHON, poll_until
from .test_map import TEMPLATE, rows, write_jsonl

StartThreaded = Callable[..., SimServer]
PROVIDERS = ("openai", "anthropic")
KEYS = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test"}


def command(server: SimServer, provider: str, data: Path, out: Path, *flags: str) -> list[str]:
    """The CLI's command line for a batch job on `provider`, journal beside the output."""
    return [
        PYTHON,
        "-m",
        "aiochain",
        "map",
        "--base-url",
        server.base_url,
        "--provider",
        provider,
        "--template",
        TEMPLATE,
        "--input",
        str(data),
        "--output",
        str(out),
        "--journal",
        str(out.with_suffix(".journal")),
        "--batch",
        "--batch-poll",
        "0.05",
        *flags,
    ]


def run(cmd: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, env={**os.environ, **KEYS, **env}
    )


def batches(server: SimServer, provider: str) -> list[dict[str, Any]]:
    """Every batch the server holds, newest first, as its list endpoint shows them."""
    if provider == "openai":
        url = server.base_url + "/batches?limit=100"
        headers = {"Authorization": "Bearer sk-test"}
    else:
        url = server.base_url.removesuffix("/v1") + "/v1/messages/batches?limit=100"
        headers = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as answer:
        data: list[dict[str, Any]] = json.load(answer)["data"]
    return data


def size(batch: dict[str, Any]) -> int:
    """How many requests a batch holds (either provider's counts)."""
    counts = batch["request_counts"]
    return int(counts["total"]) if "total" in counts else sum(counts.values())


def live_requests(server: SimServer, provider: str) -> int:
    """Answered live requests (not batch ones)."""
    name = "chat.completions" if provider == "openai" else "messages"
    statuses = server.stats()["requests"].get(name, {})
    return sum(count for status, count in statuses.items() if status.startswith("2"))


def journal_rows(out: Path, via: str) -> int:
    """Rows committed to the job's journal so far that say `via`."""
    path = out.with_suffix(".journal")
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            query = "SELECT count(*) FROM rows WHERE line LIKE ?"
            return int(db.execute(query, (f'%"via":"{via}"%',)).fetchone()[0])
    except sqlite3.OperationalError:  # not made yet
        return 0


def each_once(out: Path, count: int) -> list[dict[str, Any]]:
    """The output's rows, checked to hold doc0..doc{count-1} once each, all answered."""
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"doc{i}" for i in range(count))
    assert all("error" not in r for r in lines), [r for r in lines if "error" in r][:3]
    return lines


@pytest.mark.parametrize("provider", PROVIDERS)
def test_records_appended_to_a_finished_job_go_into_one_new_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path, provider: str
) -> None:
    """Append two records to a finished three-record job and rerun: one new batch of the two
    (none for the three already answered), exit 0, every record once."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    first = run(command(server, provider, data, out))
    assert first.returncode == 0, first.stderr
    with data.open("a") as more:
        more.write(write_jsonl(tmp_path / "more.jsonl", 2, start=3).read_text())
    again = run(command(server, provider, data, out))
    assert again.returncode == 0, again.stderr
    lines = each_once(out, 5)
    assert all(r["via"] == "batch" for r in lines)
    made = batches(server, provider)
    assert sorted(size(b) for b in made) == [2, 3]
    assert live_requests(server, provider) == 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_kill_while_a_batch_is_committed_resumes_without_a_new_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path, provider: str
) -> None:
    """SIGKILL after the first 1,000 of a batch's 2,500 rows are committed: the rerun reads
    the same batch's results again for the rest; no second batch, nothing sent live."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_jsonl(tmp_path / "in.jsonl", 2500)
    out = tmp_path / "out.jsonl"
    cmd = command(server, provider, data, out, "--quiet")
    killed = run(cmd, AIOCHAIN_TEST_KILL_AFTER_BATCH_COMMITS="1")
    assert killed.returncode == -signal.SIGKILL
    assert journal_rows(out, "batch") == 1000
    done = run(cmd)
    assert done.returncode == 0, done.stderr
    lines = each_once(out, 2500)
    assert all(r["via"] == "batch" for r in lines)
    assert [size(b) for b in batches(server, provider)] == [2500]
    assert live_requests(server, provider) == 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_kill_in_the_live_phase_resumes_without_a_new_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path, provider: str
) -> None:
    """A batch expires half done; SIGKILL while its leftovers are sent live: the rerun sends
    only the leftovers not answered yet (no batch for them, none sent twice but the one in
    flight at the kill), and says which batch it picked up."""
    server = start_threaded_sim(batch_speed=1000, batch_expire_rate=1.0, latency=0.1)
    data = write_jsonl(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out.jsonl"
    cmd = command(server, provider, data, out, "--concurrency", "1")
    job = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**__import__("os").environ, **KEYS},
    )
    try:
        poll_until(lambda: journal_rows(out, "live") >= 2)
    finally:
        job.send_signal(signal.SIGKILL)
        job.wait()
    sent = live_requests(server, provider)
    assert sent < 20  # killed with leftovers still to send
    done = run(cmd)
    assert done.returncode == 0, done.stderr
    lines = each_once(out, 40)
    via = [r["via"] for r in lines]
    assert via.count("batch") == 20 and via.count("live") == 20
    assert [size(b) for b in batches(server, provider)] == [40]
    assert live_requests(server, provider) <= 20 + 1  # at most the one in flight, twice


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_malformed_result_line_costs_only_its_record(
    start_threaded_sim: StartThreaded, tmp_path: Path, provider: str
) -> None:
    """Result lines cut short (`--batch-malformed-rate`): the rest of the file is kept, each
    bad line's record is sent live, and a rerun neither fails on the file nor resends."""
    server = start_threaded_sim(batch_speed=1000, batch_malformed_rate=0.2, seed=4)
    data = write_jsonl(tmp_path / "in.jsonl", 100)
    out = tmp_path / "out.jsonl"
    cmd = command(server, provider, data, out, "--quiet")
    done = run(cmd)
    assert done.returncode == 0, done.stderr
    via = [r["via"] for r in each_once(out, 100)]
    assert 0 < via.count("live") < 50
    assert live_requests(server, provider) == via.count("live")
    before = server.stats()["requests_total"]
    again = run(cmd)
    assert again.returncode == 0, again.stderr
    each_once(out, 100)
    assert len(batches(server, provider)) == 1
    assert live_requests(server, provider) == via.count("live")
    assert server.stats()["requests_total"] - before <= 1  # nothing to send, nothing read


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_kill_while_polling_resumes_the_batch_and_says_so(
    start_threaded_sim: StartThreaded, tmp_path: Path, provider: str
) -> None:
    """SIGKILL while the batch runs: the rerun names the batch it picked up, makes none, and
    the progress lines show each batch's state and counts."""
    server = start_threaded_sim(batch_speed=40)  # ~1.3 s: still running at the kill
    data = write_jsonl(tmp_path / "in.jsonl", 1000)
    out = tmp_path / "out.jsonl"
    cmd = command(server, provider, data, out)
    job = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**__import__("os").environ, **KEYS},
    )
    try:
        poll_until(lambda: len(batches(server, provider)) == 1)
    finally:
        job.send_signal(signal.SIGKILL)
        job.wait()
    (made,) = batches(server, provider)
    done = run(cmd)
    assert done.returncode == 0, done.stderr
    assert f"resuming 1 batch(es) from the journal: {made['id']}" in done.stderr
    assert f"aiochain map: {made['id']} completed 1000/1000" in done.stderr
    each_once(out, 1000)
    assert [b["id"] for b in batches(server, provider)] == [made["id"]]


def test_max_cost_refuses_with_what_the_batch_may_cost_at_most(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """--max-cost under what new batches may cost refuses before any upload, saying "up to"
    and the assumption; the rerun with room makes one batch of every record."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_jsonl(tmp_path / "in.jsonl", 200)
    out = tmp_path / "out.jsonl"
    refused = run(command(server, "openai", data, out, "--max-cost", "0.0001"))
    assert refused.returncode == 2, refused.stderr
    assert "could cost up to $" in refused.stderr
    assert "assuming every answer taking 256 tokens (no --max-tokens given)" in refused.stderr
    assert server.stats()["requests_total"] == 0  # nothing uploaded, nothing made
    done = run(command(server, "openai", data, out, "--max-cost", "1"))
    assert done.returncode == 0, done.stderr
    each_once(out, 200)
    assert [size(b) for b in batches(server, "openai")] == [200]


def test_collect_with_the_journal_maps_custom_ids_back_to_records(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Record ids Anthropic refuses as custom_ids (spaces, slashes) are sent as digests;
    `aiochain batches collect --journal` gives each row its record id back."""
    server = start_threaded_sim(batch_speed=1000)
    data = tmp_path / "in.jsonl"
    ids = ["doc one", "a/b", "plain_id"]
    data.write_text("".join(json.dumps({"id": i, "text": f"Text {i}."}) + "\n" for i in ids))
    out = tmp_path / "out.jsonl"
    done = run(command(server, "anthropic", data, out))
    assert done.returncode == 0, done.stderr
    (made,) = batches(server, "anthropic")
    args = ["--provider", "anthropic", "--base-url", server.base_url, "collect", made["id"]]
    journal = str(out.with_suffix(".journal"))
    collected = subprocess.run(
        [PYTHON, "-m", "aiochain", "batches", *args, "--journal", journal],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, **KEYS},
    )
    assert collected.returncode == 0, collected.stderr
    lines = [json.loads(t) for t in collected.stdout.splitlines()]
    assert sorted(r["record_id"] for r in lines) == sorted(ids)
    by_record = {r["record_id"]: r["custom_id"] for r in lines}
    assert by_record["plain_id"] == "plain_id"
    assert by_record["doc one"].startswith("r-") and by_record["a/b"].startswith("r-")


def test_a_record_whose_text_changed_goes_into_a_new_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """After a finished job, one record's text changes: the rerun makes a batch of that one
    record (the old batch's answer is for the old text) and keeps the others."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_jsonl(tmp_path / "in.jsonl", 4)
    out = tmp_path / "out.jsonl"
    assert run(command(server, "openai", data, out)).returncode == 0
    lines = data.read_text().splitlines()
    lines[2] = json.dumps({"id": "doc2", "text": "Another text altogether."})
    data.write_text("\n".join(lines) + "\n")
    done = run(command(server, "openai", data, out))
    assert done.returncode == 0, done.stderr
    each_once(out, 4)
    assert sorted(size(b) for b in batches(server, "openai")) == [1, 4]


def test_the_progress_line_shows_the_batches(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """While a batch runs, the job's progress line says how many batches ended and how many
    requests they did; each batch's own line shows its state and counts."""
    server = start_threaded_sim(batch_speed=20)  # ~1.5 s of batch
    data = write_jsonl(tmp_path / "in.jsonl", 400)
    out = tmp_path / "out.jsonl"
    done = run(command(server, "openai", data, out), AIOCHAIN_PROGRESS_SECONDS="0.05")
    assert done.returncode == 0, done.stderr
    progress = [ln for ln in done.stderr.splitlines() if ln.startswith("map: ")]
    running = re.compile(r"batches 0/1 ended, [1-9][\d,]*/400 requests done by batches")
    assert any(running.search(ln) for ln in progress), progress[:5]
    (made,) = batches(server, "openai")
    assert f"aiochain map: {made['id']} completed 400/400" in done.stderr


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_kill_between_making_a_batch_and_journaling_it_finds_the_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path, provider: str
) -> None:
    """SIGKILL right after the server made the batch, before its id reached the journal: the
    rerun finds that batch (OpenAI: by the shard key in its metadata; Message Batches: the one
    unknown batch of the shard's size made since) and makes none."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_jsonl(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out.jsonl"
    cmd = command(server, provider, data, out, "--quiet")
    killed = run(cmd, AIOCHAIN_TEST_KILL_WHEN_BATCH_MADE="1")
    assert killed.returncode == -signal.SIGKILL
    (made,) = batches(server, provider)
    done = run(cmd)
    assert done.returncode == 0, done.stderr
    assert all(r["via"] == "batch" for r in each_once(out, 30))
    assert [b["id"] for b in batches(server, provider)] == [made["id"]]
