"""`aiochain map --split`: long records mapped chunk by chunk and reduced to one line each,
resumable chunk by chunk; and `--provider` for Anthropic and Azure, as subprocess runs."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from aiochain.sim import SimServer

from .conftest import PYTHON, poll_until
from .test_map import TEMPLATE, map_cli, rows, summarize

StartThreaded = Callable[..., SimServer]


def long_input(path: Path, *, words: int) -> Path:
    """Two short records and one long one (numbered sentences of nine words, so no two
    chunks are alike)."""
    sentences = (
        f"Sentence {n} says the printing press changed shared ideas. " for n in range(words // 9)
    )
    records = [
        {"id": "short-1", "text": "A short note about rivers."},
        {"id": "long", "text": "".join(sentences)},
        {"id": "short-2", "text": "Another short note, about hills."},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_a_long_record_is_split_mapped_and_reduced(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """The long record becomes many chunk requests and reduce requests, yet one output line;
    short records take one request each; no more requests are in flight than --concurrency."""
    server = start_threaded_sim(latency=0.02)
    data = long_input(tmp_path / "in.jsonl", words=4000)
    out = tmp_path / "out.jsonl"
    done = summarize(
        server.base_url,
        data,
        out,
        "--split",
        "200",
        "--concurrency",
        "4",
        "--ordered",
    )
    assert done.returncode == 0, done.stderr
    lines = rows(out)
    assert [r["id"] for r in lines] == ["short-1", "long", "short-2"]
    assert all("error" not in r and r["output"] for r in lines)
    requests = server.stats()["requests_total"]
    assert requests > 2 + 30  # 4,000 words in chunks of ~200 tokens, then the reduce
    assert server.stats()["max_in_flight"] <= 4
    assert "chunks" in done.stderr


@pytest.mark.slow  # seconds of wall time: CI runs it with -m slow
def test_a_split_job_killed_mid_document_resends_only_unfinished_chunks(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """SIGKILL while the long record's chunks are being answered; the rerun asks only for the
    chunks not yet answered (server counts), and the record is written once."""
    server = start_threaded_sim(latency=0.1)
    data = long_input(tmp_path / "in.jsonl", words=4000)
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
        "--split",
        "200",
        "--concurrency",
        "4",
        "--quiet",
    ]
    job = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    poll_until(lambda: server.stats()["requests_total"] >= 12)
    job.send_signal(signal.SIGKILL)
    job.wait()
    before = server.stats()["requests_total"]
    server.reset_stats()
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    resumed = server.stats()["requests_total"]
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == ["long", "short-1", "short-2"]
    # A fresh run of the same job (another journal) needs every request: the resumed run
    # needs at most what the killed one had not had answered, plus what was in flight.
    server.reset_stats()
    fresh = summarize(
        server.base_url,
        data,
        tmp_path / "fresh.jsonl",
        "--split",
        "200",
        "--concurrency",
        "4",
        "--quiet",
    )
    assert fresh.returncode == 0, fresh.stderr
    every = server.stats()["requests_total"]
    assert before >= 12
    assert resumed <= every - before + 4
    assert resumed < every


def test_anthropic_and_azure_providers(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """--provider anthropic and --provider azure run the same job on those APIs."""
    server = start_threaded_sim()
    data = long_input(tmp_path / "in.jsonl", words=80)
    for provider, extra in (
        ("anthropic", []),  # the default model: claude-haiku-4-5
        ("azure", ["--model", "gpt-4o-mini", "--api-version", "2024-10-21"]),
    ):
        out = tmp_path / f"{provider}.jsonl"
        done = map_cli(
            server.base_url,
            "--provider",
            provider,
            *extra,
            "--template",
            TEMPLATE,
            "--input",
            str(data),
            "--output",
            str(out),
            "--quiet",
            env={"ANTHROPIC_API_KEY": "sk-ant-test", "AZURE_OPENAI_API_KEY": "az-test"},
        )
        assert done.returncode == 0, (provider, done.stderr)
        assert len([r for r in rows(out) if "error" not in r]) == 3, provider
    by_endpoint = server.stats()["requests"]
    assert any("messages" in name for name in by_endpoint), by_endpoint
    assert any("deployments" in name or "azure" in name for name in by_endpoint), by_endpoint
