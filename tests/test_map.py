"""`aiochain map`, run as users run it (a subprocess) against the simulation server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aiochain.sim import SimServer

from .conftest import PYTHON

StartThreaded = Callable[..., SimServer]
TEMPLATE = "Summarize the following text:\n\n{text}"


def write_jsonl(path: Path, count: int, *, start: int = 0) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"doc{i}", "text": f"Document {i} begins. It continues."}) + "\n"
            for i in range(start, start + count)
        )
    )
    return path


def map_cli(
    base_url: str,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "aiochain", "map", "--base-url", base_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def summarize(
    base_url: str, data: Path, out: Path, *flags: str, **options: Any
) -> subprocess.CompletedProcess[str]:
    """`aiochain map` with the summarize template, from `data` to `out`, plus `flags`."""
    return map_cli(
        base_url,
        "--template",
        TEMPLATE,
        "--input",
        str(data),
        "--output",
        str(out),
        *flags,
        **options,
    )


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- inputs and outputs --------------------------------------------------------------------------


def test_jsonl_with_ordered_output(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """JSON Lines in, one output row per record with usage; --ordered keeps input order."""
    server = start_threaded_sim(latency=0.02, latency_jitter=0.02, seed=5)
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out.jsonl"
    done = map_cli(
        server.base_url,
        "--template",
        TEMPLATE,
        "--input",
        str(source),
        "--output",
        str(out),
        "--ordered",
        "--concurrency",
        "8",
    )
    assert done.returncode == 0, done.stderr
    got = rows(out)
    assert [r["id"] for r in got] == [f"doc{i}" for i in range(40)]
    assert got[3]["output"] == "Document 3 begins."
    assert got[3]["usage"]["completion_tokens"] == 3
    assert server.stats()["requests_total"] == 40
    assert (tmp_path / "out.jsonl.journal.sqlite").exists()


def test_csv_txt_dir_and_stdin(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """CSV columns, text lines ({line}, {path}), a directory of files and stdin all work."""
    server = start_threaded_sim()
    (tmp_path / "in.csv").write_text(
        'id,topic,text\nr1,cats,"Cats purr. Yes."\nr2,dogs,Dogs bark.\n'
    )
    done = map_cli(
        server.base_url,
        "--template",
        "{topic}: {text}",
        "--input",
        str(tmp_path / "in.csv"),
        "--output",
        str(tmp_path / "csv.jsonl"),
    )
    assert done.returncode == 0, done.stderr
    assert [(r["id"], r["output"]) for r in rows(tmp_path / "csv.jsonl")] == [
        ("r1", "cats: Cats purr."),
        ("r2", "dogs: Dogs bark."),
    ]

    (tmp_path / "lines.txt").write_text("First line here.\n\nSecond line here.\n")
    done = map_cli(
        server.base_url,
        "--template",
        "{line} {text}",
        "--ordered",
        "--input",
        str(tmp_path / "lines.txt"),
        "--output",
        str(tmp_path / "t.jsonl"),
    )
    assert done.returncode == 0, done.stderr
    assert [r["output"] for r in rows(tmp_path / "t.jsonl")] == [
        "1 First line here.",
        "3 Second line here.",
    ]

    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Alpha text. More.")
    (folder / "sub" / "b.md").write_text("Beta text. More.")
    done = map_cli(
        server.base_url,
        "--template",
        "{path}|{text}",
        "--ordered",
        "--input",
        str(folder),
        "--output",
        str(tmp_path / "d.jsonl"),
    )
    assert done.returncode == 0, done.stderr
    assert [(r["id"], r["output"]) for r in rows(tmp_path / "d.jsonl")] == [
        ("a.txt", "a.txt|Alpha text."),
        ("sub/b.md", "sub/b.md|Beta text."),
    ]

    done = map_cli(
        server.base_url,
        "--template",
        "{text}",
        "--input",
        "-",
        "--journal",
        str(tmp_path / "stdin.sqlite"),
        stdin='{"text": "From stdin. Yes."}\n',
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["output"] == "From stdin."


def test_json_mode(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """--json asks for JSON and stores the parsed object."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 3)
    done = map_cli(
        server.base_url,
        "--template",
        "{text}",
        "--json",
        "--input",
        str(source),
        "--output",
        str(tmp_path / "out.jsonl"),
        "--ordered",
    )
    assert done.returncode == 0, done.stderr
    assert rows(tmp_path / "out.jsonl")[1]["output"] == {"summary": "Document 1 begins."}


# --- failures and reruns -----------------------------------------------------------------------


def test_failures_are_rows_and_a_rerun_retries_only_them(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Failed records go to the output with their error (exit 1); a rerun sends only those."""
    server = start_threaded_sim(fail_rate=0.3, seed=2)
    source = write_jsonl(tmp_path / "in.jsonl", 50)
    out = tmp_path / "out.jsonl"
    args = ("--template", TEMPLATE, "--input", str(source), "--output", str(out), "--retries", "0")
    first = map_cli(server.base_url, *args)
    assert first.returncode == 1
    failed = [r["id"] for r in rows(out) if "error" in r]
    assert 3 <= len(failed) <= 30
    assert "rerun the same command" in first.stderr
    server.fail_rate = 0.0
    server.reset_stats()
    second = map_cli(server.base_url, *args)
    assert second.returncode == 0, second.stderr
    assert server.stats()["requests_total"] == len(failed)
    final = rows(out)
    assert sorted(r["id"] for r in final) == sorted(f"doc{i}" for i in range(50))
    assert not any("error" in r for r in final)


def test_missing_variable_fails_alone(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """A record without a template variable fails alone, naming the variable and the record."""
    server = start_threaded_sim()
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "ok", "text": "Fine. Yes."}\n{"id": "bad", "body": "x"}\n')
    done = map_cli(
        server.base_url,
        "--template",
        "{text}",
        "--input",
        str(source),
        "--output",
        str(tmp_path / "out.jsonl"),
    )
    assert done.returncode == 1
    by_id = {r["id"]: r for r in rows(tmp_path / "out.jsonl")}
    assert by_id["ok"]["output"] == "Fine."
    assert "record bad" in by_id["bad"]["error"] and "text" in by_id["bad"]["error"]
    assert server.stats()["requests_total"] == 1


def test_malformed_input_stops_before_any_request(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A malformed or truncated input stops with one line naming file and line; nothing sent."""
    server = start_threaded_sim()
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "fine"}\n{"text": "also fine"}\n{"text": "cut off')
    done = map_cli(
        server.base_url,
        "--template",
        "{text}",
        "--input",
        str(source),
        "--output",
        str(tmp_path / "out.jsonl"),
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert f"{source}:3" in done.stderr and "truncated" in done.stderr
    assert server.stats()["requests_total"] == 0
    missing = map_cli(
        server.base_url, "--template", "{text}", "--input", str(tmp_path / "no.jsonl")
    )
    assert missing.returncode == 2 and "cannot read" in missing.stderr


@pytest.mark.parametrize(
    ("flag", "server_options", "word"),
    [
        (("--model", "gpt-nonexistent"), {}, "gpt-nonexistent"),
        ((), {"api_key": "sk-right"}, "401"),
    ],
)
def test_unknown_model_or_refused_key_stops_at_once(
    start_threaded_sim: StartThreaded,
    tmp_path: Path,
    flag: tuple[str, ...],
    server_options: dict[str, Any],
    word: str,
) -> None:
    """An unknown model or an auth failure stops the job at once instead of failing every row."""
    server = start_threaded_sim(**server_options)
    source = write_jsonl(tmp_path / "in.jsonl", 500)
    done = map_cli(
        server.base_url,
        "--template",
        "{text}",
        "--input",
        str(source),
        *flag,
        "--output",
        str(tmp_path / "out.jsonl"),
        "--concurrency",
        "4",
        env={"OPENAI_API_KEY": "sk-wrong"},
    )
    assert done.returncode == 1
    assert word in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert server.stats()["requests_total"] <= 4


def test_changed_template_is_detected(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """Rerunning with another template against the same journal is refused in one line."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    assert (
        map_cli(
            server.base_url, "--template", "{text}", "--input", str(source), "--output", str(out)
        ).returncode
        == 0
    )
    changed = map_cli(
        server.base_url,
        "--template",
        "Summarize: {text}",
        "--input",
        str(source),
        "--output",
        str(out),
    )
    assert changed.returncode == 2
    assert "template" in changed.stderr and "--no-resume" in changed.stderr
    assert len(changed.stderr.strip().splitlines()) == 1
    fresh = map_cli(
        server.base_url,
        "--template",
        "Summarize: {text}",
        "--input",
        str(source),
        "--output",
        str(out),
        "--no-resume",
        "--ordered",
    )
    assert fresh.returncode == 0
    assert rows(out)[0]["output"] == "Summarize: Document 0 begins."


def test_cache_hits_on_a_second_run(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """With --cache a second job with the same requests sends none and counts the hits."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 20)
    env = {"AIOCHAIN_CACHE": str(tmp_path / "cache.sqlite")}
    for name in ("one", "two"):
        done = map_cli(
            server.base_url,
            "--template",
            "{text}",
            "--input",
            str(source),
            "--cache",
            "--output",
            str(tmp_path / f"{name}.jsonl"),
            "--ordered",
            env=env,
        )
        assert done.returncode == 0, done.stderr
    assert server.stats()["requests_total"] == 20
    assert "cached: 20" in done.stderr
    first, second = rows(tmp_path / "one.jsonl"), rows(tmp_path / "two.jsonl")
    assert [r["output"] for r in first] == [r["output"] for r in second]
    assert not any("cached" in r for r in first)
    # A cached row says so and reports no usage: summing usage gives what was really spent.
    assert all(r["cached"] is True for r in second)
    assert all(r["usage"]["total_tokens"] == 0 for r in second)


def test_budget_stops_sending_and_says_how_to_continue(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """--max-cost stops new requests before the estimate passes it; a rerun continues."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out.jsonl"
    # With --max-tokens 10 a request is estimated at about 7e-6 dollars and really costs about
    # 3e-6 (gpt-4o-mini prices), so a budget of 4e-5 stops after roughly ten.
    args = [
        "--template",
        "{text}",
        "--input",
        str(source),
        "--output",
        str(out),
        "--concurrency",
        "1",
        "--max-tokens",
        "10",
    ]
    done = map_cli(server.base_url, *args, "--max-cost", "0.00004")
    assert done.returncode == 1
    assert "--max-cost" in done.stderr
    sent = server.stats()["requests_total"]
    assert 1 <= sent < 40
    assert len(rows(out)) == sent
    again = map_cli(server.base_url, *args, "--max-cost", "1")
    assert again.returncode == 0, again.stderr
    assert len(rows(out)) == 40
    assert server.stats()["requests_total"] == 40


def test_plain_progress_lines_when_not_a_terminal(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Without a terminal, progress is plain periodic lines, then a plain summary."""
    server = start_threaded_sim(latency=0.05)
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    done = map_cli(
        server.base_url,
        "--template",
        "{text}",
        "--input",
        str(source),
        "--output",
        str(tmp_path / "out.jsonl"),
        "--concurrency",
        "4",
        env={"AIOCHAIN_PROGRESS_SECONDS": "0.1"},
    )
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("map: ")]
    assert progress and "/40 done" in progress[0]
    assert "\x1b[" not in done.stderr
    assert "items: 40" in done.stderr and "ok: 40" in done.stderr
    assert "latency p50 / p95" in done.stderr


# --- crashes -----------------------------------------------------------------------------------


def map_command(server: SimServer, source: Path, out: Path, concurrency: int) -> list[str]:
    return [
        PYTHON,
        "-m",
        "aiochain",
        "map",
        "--base-url",
        server.base_url,
        "--quiet",
        "--template",
        TEMPLATE,
        "--input",
        str(source),
        "--output",
        str(out),
        "--concurrency",
        str(concurrency),
    ]


def wait_for_rows(path: Path, at_least: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= at_least:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {at_least} rows")


def test_sigkill_at_random_moments_loses_and_repeats_nothing(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Killed three times mid-run, then run to the end: each record is in the output exactly
    once, and no record was requested twice except those in flight at a kill."""
    server = start_threaded_sim(latency=0.05)
    source = write_jsonl(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out.jsonl"
    concurrency = 8
    command = map_command(server, source, out, concurrency)
    kills = 0
    for target in (40, 110, 190):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_rows(out, target)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        kills += 1
    final = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    got = rows(out)
    assert sorted(r["id"] for r in got) == sorted(f"doc{i}" for i in range(300))
    assert not any("error" in r for r in got)
    stats = server.stats()
    assert stats["distinct_prompts"] == 300
    repeated = stats["requests_total"] - stats["distinct_prompts"]
    # At a kill only the requests in flight (at most `concurrency`) may be asked again: a
    # worker's slot is held until its row is committed.
    assert repeated <= kills * concurrency


def test_ctrl_c_keeps_the_journal_and_prints_the_resume_command(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """SIGINT exits 130 with the command that resumes; the rerun finishes the rest."""
    server = start_threaded_sim(latency=0.05)
    source = write_jsonl(tmp_path / "in.jsonl", 200)
    out = tmp_path / "out.jsonl"
    command = map_command(server, source, out, 4)
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    wait_for_rows(out, 10)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Resume with" in err and "aiochain map" in err
    assert "Traceback" not in err
    final = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert sorted(r["id"] for r in rows(out)) == sorted(f"doc{i}" for i in range(200))
