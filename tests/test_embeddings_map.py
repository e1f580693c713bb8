"""`aiochain map --embed`, run as users run it (a subprocess) against the simulation server:
outputs by extension, resume, SIGKILL, failures, report."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from aiochain.embeddings import OpenAIEmbeddings
from aiochain.sim import SimServer

from .conftest import PYTHON
from .test_map import map_cli

StartThreaded = Callable[..., SimServer]


def write_texts(path: Path, count: int) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"doc{i}", "body": f"document number {i} here"}) + "\n"
            for i in range(count)
        )
    )
    return path


def embed(base_url: str, data: Path, out: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return map_cli(
        base_url, "--embed", "--field", "body", "--input", str(data), "--output", str(out), *flags
    )


def expected(base_url: str, count: int, dimensions: int = 32) -> np.ndarray:
    """The vectors the library gives for the same texts, to compare the outputs with."""
    emb = OpenAIEmbeddings(model="text-embedding-3-small", base_url=base_url, dimensions=dimensions)
    vectors = emb.embed_documents([f"document number {i} here" for i in range(count)])
    return np.asarray(vectors, dtype=np.float32)


def journal_rows(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM rows").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_npy_output_with_ids_equals_the_library(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """.npy holds one float32 row per record in input order, ids beside it, the vectors the
    library computes; the run reports tokens and cost; a rerun sends nothing."""
    server = start_threaded_sim()
    data = write_texts(tmp_path / "in.jsonl", 300)
    out = tmp_path / "vectors.npy"
    done = embed(server.base_url, data, out, "--dimensions", "32", "--chunk-size", "50")
    assert done.returncode == 0, done.stderr
    matrix = np.load(out)
    assert matrix.dtype == np.float32 and matrix.shape == (300, 32)
    ids = (tmp_path / "vectors.ids.txt").read_text().splitlines()
    assert ids == [f"doc{i}" for i in range(300)]
    assert "tokens in / out: 1,200 / 0" in done.stderr
    assert server.stats()["requests"]["embeddings"]["200"] == 6
    assert np.array_equal(matrix, expected(server.base_url, 300))
    again = embed(server.base_url, data, out, "--dimensions", "32", "--chunk-size", "50")
    assert again.returncode == 0, again.stderr
    assert server.stats()["requests"]["embeddings"]["200"] == 7  # 6 + the library's one
    assert np.array_equal(np.load(out), matrix)


def test_parquet_and_json_lines_outputs(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """.parquet has columns id and vector (float32); JSON Lines has id, vector and usage."""
    server = start_threaded_sim()
    data = write_texts(tmp_path / "in.jsonl", 40)
    parquet = tmp_path / "v.parquet"
    done = embed(server.base_url, data, parquet, "--dimensions", "32")
    assert done.returncode == 0, done.stderr
    table = pq.read_table(parquet)
    assert table.column_names == ["id", "vector"]
    assert table.column("id").to_pylist() == [f"doc{i}" for i in range(40)]
    vectors = np.asarray(table.column("vector").to_pylist(), dtype=np.float32)
    assert np.array_equal(vectors, expected(server.base_url, 40))

    lines_out = tmp_path / "v.jsonl"
    done = embed(server.base_url, data, lines_out, "--dimensions", "32")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in lines_out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"doc{i}" for i in range(40)]
    assert np.array_equal(np.asarray([r["vector"] for r in rows], dtype=np.float32), vectors)
    assert sum(r["usage"]["prompt_tokens"] for r in rows) == 160


def test_template_text_failures_and_report(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """--template builds the text; an empty text or a missing field fails alone, unsent, and
    the job exits 1 naming the failures; --report writes the job's report."""
    server = start_threaded_sim()
    data = tmp_path / "in.jsonl"
    records = [{"id": "a", "t": "hello"}, {"id": "b", "t": ""}, {"id": "c"}, {"id": "d", "t": "x"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "out.jsonl"
    report = tmp_path / "report.html"
    done = map_cli(
        server.base_url,
        "--embed",
        "--template",
        "{t}",
        "--input",
        str(data),
        "--output",
        str(out),
        "--report",
        str(report),
    )
    assert done.returncode == 1
    assert "2 record(s) failed" in done.stderr
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert len(rows["a"]["vector"]) == 1536 and len(rows["d"]["vector"]) == 1536
    assert "missing template variable" in rows["c"]["error"]
    assert "the text is empty" in rows["b"]["error"]
    assert report.exists() and report.stat().st_size > 0
    assert server.stats()["tokens_in"] == 2  # only a and d were sent


def test_bad_records_in_a_request_fail_alone(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """An input the server refuses (over the context) fails alone; its request's others are
    embedded (the request is split until the bad record is alone)."""
    server = start_threaded_sim()
    data = tmp_path / "in.jsonl"
    texts = ["short one", "w " * 9000, "short two", "short three"]
    data.write_text(
        "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
    )
    out = tmp_path / "out.npy"
    done = map_cli(
        server.base_url, "--embed", "--field", "text", "--input", str(data), "--output", str(out)
    )
    assert done.returncode == 1
    assert (tmp_path / "out.ids.txt").read_text().splitlines() == ["0", "2", "3"]
    assert np.load(out).shape == (3, 1536)


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    """--field without --embed, --embed with anthropic: one line, exit 2, nothing sent."""
    data = write_texts(tmp_path / "in.jsonl", 2)
    done = map_cli("http://127.0.0.1:9/v1", "--field", "body", "--input", str(data))
    assert done.returncode == 2 and "--field needs --embed" in done.stderr
    done = map_cli(
        "http://127.0.0.1:9/v1",
        "--embed",
        "--field",
        "body",
        "--input",
        str(data),
        "--provider",
        "anthropic",
    )
    assert done.returncode == 2 and "Anthropic has no embeddings" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_numpy_is_one_clear_line(tmp_path: Path) -> None:
    """Without NumPy, a .npy output is refused in one line naming the extra."""
    data = write_texts(tmp_path / "in.jsonl", 2)
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "numpy.py").write_text("raise ImportError('no numpy here')\n")
    done = subprocess.run(
        [
            PYTHON,
            "-m",
            "aiochain",
            "map",
            "--embed",
            "--field",
            "body",
            "--simulate",
            "0",
            "--input",
            str(data),
            "--output",
            str(tmp_path / "x.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(blocker), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2, done.stderr
    assert "needs NumPy: pip install 'aiochain[embeddings]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_sigkill_then_rerun_embeds_each_id_once(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Killed mid-run, then rerun: the output is rebuilt from the journal with each id once,
    equal to the library's vectors; only requests in flight at the kill were sent again."""
    server = start_threaded_sim(latency=0.1)
    count, chunk, concurrency = 600, 20, 2
    data = write_texts(tmp_path / "in.jsonl", count)
    out = tmp_path / "v.npy"
    command = [
        PYTHON,
        "-m",
        "aiochain",
        "map",
        "--base-url",
        server.base_url,
        "--embed",
        "--field",
        "body",
        "--input",
        str(data),
        "--output",
        str(out),
        "--dimensions",
        "32",
        "--chunk-size",
        str(chunk),
        "--concurrency",
        str(concurrency),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while journal_rows(Path(str(out) + ".journal.sqlite")) < 200:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert not out.exists()  # the output is only ever written whole
    final = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    sent = server.stats()["tokens_in"] // 4  # records sent by the job (4 tokens each)
    assert count <= sent <= count + concurrency * chunk
    ids = (tmp_path / "v.ids.txt").read_text().splitlines()
    assert ids == [f"doc{i}" for i in range(count)]
    assert np.array_equal(np.load(out), expected(server.base_url, count))


def test_stdout_json_lines(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """Without --output the vectors go to standard output as JSON Lines."""
    server = start_threaded_sim()
    data = write_texts(tmp_path / "in.jsonl", 3)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aiochain",
            "map",
            "--base-url",
            server.base_url,
            "--embed",
            "--field",
            "body",
            "--input",
            str(data),
            "--dimensions",
            "8",
            "--quiet",
            "--journal",
            str(tmp_path / "j.sqlite"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [len(r["vector"]) for r in rows] == [8, 8, 8]


def test_odd_ids_in_the_npy_ids_file(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """Ids with quotes or backslashes are kept as they are; one with a line break is written
    as a JSON string, so the ids file keeps one line per row."""
    server = start_threaded_sim()
    data = tmp_path / "in.jsonl"
    odd = ['say "hi"', "back\\slash", "two\nlines", "plain"]
    data.write_text("".join(json.dumps({"id": i, "t": "some text"}) + "\n" for i in odd))
    out = tmp_path / "odd.npy"
    done = map_cli(
        server.base_url, "--embed", "--field", "t", "--input", str(data), "--output", str(out)
    )
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "odd.ids.txt").read_text().splitlines()
    assert lines == ['say "hi"', "back\\slash", json.dumps("two\nlines"), "plain"]
    assert np.load(out).shape == (4, 1536)
