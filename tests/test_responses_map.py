"""`aiochain map --api responses`: a job on OpenAI's Responses API, live and with --batch
(`/v1/responses` lines), against the simulation server, as subprocess runs of the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiochain.sim import SimServer

from .test_map import rows, summarize, write_jsonl
from .test_map_batch import posts

StartThreaded = Callable[..., SimServer]


def test_live_job_on_the_responses_api(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """Every record is answered through /v1/responses, with its usage, none through chat."""
    server = start_threaded_sim()
    data = write_jsonl(tmp_path / "in.jsonl", 20)
    out = tmp_path / "out.jsonl"
    done = summarize(server.base_url, data, out, "--api", "responses")
    assert done.returncode == 0, done.stderr
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"doc{i}" for i in range(20))
    first = next(r for r in lines if r["id"] == "doc0")
    assert first["output"] == "Document 0 begins."
    assert first["usage"]["completion_tokens"] == 3 and first["usage"]["prompt_tokens"] > 0
    assert posts(server, "responses") == 20 and posts(server, "chat") == 0


def test_batch_job_on_the_responses_api(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """--batch with --api responses sends /v1/responses lines; rows carry their usage."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_jsonl(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out.jsonl"
    done = summarize(
        server.base_url, data, out, "--api", "responses", "--batch", "--batch-poll", "0.05"
    )
    assert done.returncode == 0, done.stderr
    lines = rows(out)
    assert len(lines) == 30 and all(r.get("via") == "batch" and "error" not in r for r in lines)
    assert all(r["usage"]["completion_tokens"] == 3 for r in lines)
    [batch] = server._openai_batches.batches.values()
    assert batch.info["endpoint"] == "/v1/responses"


def test_responses_api_needs_openai(tmp_path: Path) -> None:
    """--api responses with another provider is a one-line usage error."""
    data = write_jsonl(tmp_path / "in.jsonl", 1)
    done = summarize(
        "http://127.0.0.1:9/v1",
        data,
        tmp_path / "o.jsonl",
        "--api",
        "responses",
        "--provider",
        "anthropic",
    )
    assert done.returncode == 2
    assert "--api responses works with --provider openai only" in done.stderr
