"""`aiochain map --embed --batch` (issue 29), run as users run it (a subprocess) against the
simulator: each record embedded once through one `/v1/embeddings` batch, vectors equal to the
live path's, batch price, and a kill while the batch's rows are committed resumed without a
second batch."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

from aiochain.embeddings import OpenAIEmbeddings
from aiochain.sim import SimServer

from .conftest import PYTHON
from .test_embeddings_map import expected, write_texts
from .test_map_batch_resume import batches, journal_rows, size

StartThreaded = Callable[..., SimServer]


def command(server: SimServer, data: Path, out: Path, *flags: str) -> list[str]:
    """The CLI's command line for an embedding batch job, journal beside the output."""
    return [
        PYTHON,
        "-m",
        "aiochain",
        "map",
        "--base-url",
        server.base_url,
        "--embed",
        "--field",
        "body",
        "--dimensions",
        "32",
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
    environment = {**os.environ, "OPENAI_API_KEY": "sk-test", **env}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=environment)


def live_embeddings(server: SimServer) -> int:
    """Embedding requests answered live (not by a batch)."""
    statuses = server.stats()["requests"].get("embeddings", {})
    return sum(count for status, count in statuses.items() if status.startswith("2"))


def spent(out: Path) -> float:
    """What the job's rows cost, as its journal keeps it."""
    with sqlite3.connect(out.with_suffix(".journal")) as db:
        return float(db.execute("SELECT sum(cost) FROM rows").fetchone()[0])


def test_every_record_is_embedded_once_through_one_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """300 records: one batch of 300 `/v1/embeddings` lines, no live request, the .npy equal
    to what the live path computes, ids in order, rows via the batch at batch price."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_texts(tmp_path / "in.jsonl", 300)
    out = tmp_path / "vectors.npy"
    done = run(command(server, data, out))
    assert done.returncode == 0, done.stderr
    assert "answered by batch / live" in done.stderr and "300 / 0" in done.stderr
    assert [size(b) for b in batches(server, "openai")] == [300]
    assert batches(server, "openai")[0]["endpoint"] == "/v1/embeddings"
    assert live_embeddings(server) == 0
    matrix = np.load(out)
    assert matrix.shape == (300, 32)
    assert (tmp_path / "vectors.ids.txt").read_text().splitlines() == [
        f"doc{i}" for i in range(300)
    ]
    assert journal_rows(out, "batch") == 300
    assert np.array_equal(matrix, expected(server.base_url, 300))


def test_json_lines_rows_say_batch_and_cost_half(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """The JSON Lines output holds each record once, `"via": "batch"`, vectors equal to a live
    run's, and the journal's cost is the batch price (half the live run's for the same texts)."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_texts(tmp_path / "in.jsonl", 20)
    batch_out, live_out = tmp_path / "batch.jsonl", tmp_path / "live.jsonl"
    done = run(command(server, data, batch_out, "--quiet"))
    assert done.returncode == 0, done.stderr
    live = run([*command(server, data, live_out, "--quiet")[:-4], "--quiet"])  # no --batch
    assert live.returncode == 0, live.stderr
    batch_rows = [json.loads(line) for line in batch_out.read_text().splitlines()]
    live_rows = [json.loads(line) for line in live_out.read_text().splitlines()]
    assert [r["id"] for r in batch_rows] == [f"doc{i}" for i in range(20)]
    assert all(r["via"] == "batch" for r in batch_rows)
    assert [r["vector"] for r in batch_rows] == [r["vector"] for r in live_rows]
    batch_cost, live_cost = spent(batch_out), spent(live_out)
    assert batch_cost > 0 and abs(batch_cost - live_cost / 2) < 1e-12


def test_a_kill_while_the_batch_is_committed_makes_no_second_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """SIGKILL after the first 1,000 of a batch's 2,500 rows are committed: the rerun
    collects the remembered batch for the rest; no second batch, nothing sent live, each id
    once, vectors equal to the live path's."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_texts(tmp_path / "in.jsonl", 2500)
    out = tmp_path / "vectors.npy"
    cmd = command(server, data, out, "--quiet")
    killed = run(cmd, AIOCHAIN_TEST_KILL_AFTER_BATCH_COMMITS="1")
    assert killed.returncode == -signal.SIGKILL
    assert journal_rows(out, "batch") == 1000
    done = run(cmd)
    assert done.returncode == 0, done.stderr
    assert [size(b) for b in batches(server, "openai")] == [2500]
    assert live_embeddings(server) == 0
    assert journal_rows(out, "batch") == 2500
    ids = (tmp_path / "vectors.ids.txt").read_text().splitlines()
    assert ids == [f"doc{i}" for i in range(2500)]
    assert np.array_equal(np.load(out), expected(server.base_url, 2500))


def test_batch_with_azure_is_a_usage_error(tmp_path: Path) -> None:
    """`--embed --batch --provider azure` is refused in one line, before any request."""
    data = write_texts(tmp_path / "in.jsonl", 2)
    cmd = [PYTHON, "-m", "aiochain", "map", "--embed", "--field", "body", "--batch"]
    cmd += ["--provider", "azure", "--model", "emb", "--input", str(data)]
    cmd += ["--output", str(tmp_path / "o.npy")]
    done = run(cmd)
    assert done.returncode != 0
    assert "--embed --batch needs --provider openai" in done.stderr


def test_a_text_longer_than_the_context_is_embedded_live(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A text the live path cuts in pieces (longer than the model's context) is left out of
    the batch and embedded live, with the vector the library gives it; the others go by
    batch."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_texts(tmp_path / "in.jsonl", 5)
    long_text = "many words here " * 6000  # ~24,000 tokens: three pieces of 8,191
    with data.open("a") as stream:
        stream.write(json.dumps({"id": "long", "body": long_text}) + "\n")
    out = tmp_path / "out.jsonl"
    done = run(command(server, data, out, "--quiet"))
    assert done.returncode == 0, done.stderr
    assert [size(b) for b in batches(server, "openai")] == [5]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["via"] for r in lines] == ["batch"] * 5 + ["live"]
    library = OpenAIEmbeddings(
        model="text-embedding-3-small", base_url=server.base_url, dimensions=32
    )
    vector = np.asarray(lines[-1]["vector"], dtype=np.float32)
    assert np.array_equal(vector, np.asarray(library.embed_query(long_text), dtype=np.float32))
