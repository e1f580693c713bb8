"""`aiochain map` keeps results safe: nothing lost, nothing stale, nothing overwritten, and
every failure a one-line error (issues 11 and 12). Subprocess runs against the simulator."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from aiochain import AiochainError
from aiochain.cli.map.journal import Journal
from aiochain.cli.map.records import Source

from .conftest import PYTHON
from .test_map import (
    TEMPLATE,
    StartThreaded,
    map_cli,
    map_command,
    rows,
    wait_for_rows,
    write_jsonl,
)


def one_line_error(done: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert done.returncode == status, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


# --- issue 11: --ordered writes the current input only ----------------------------------------


def test_ordered_output_holds_only_the_current_input(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """An edited record appears once (its new answer), and reusing an output name for another
    input file brings none of the earlier file's rows."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    args = ("--template", "{text}", "--output", str(out), "--ordered")
    assert map_cli(server.base_url, *args, "--input", str(source)).returncode == 0
    lines = source.read_text().splitlines()
    lines[2] = '{"id": "doc2", "text": "Edited text. Second."}'
    source.write_text("\n".join(lines) + "\n")
    assert map_cli(server.base_url, *args, "--input", str(source)).returncode == 0
    got = rows(out)
    assert [r["id"] for r in got] == [f"doc{i}" for i in range(5)]
    assert got[2]["output"] == "Edited text."

    other = tmp_path / "other.jsonl"
    other.write_text('{"id": "x1", "text": "Other one. Yes."}\n')
    assert map_cli(server.base_url, *args, "--input", str(other)).returncode == 0
    assert [r["id"] for r in rows(out)] == ["x1"]


# --- issue 11: the journal is written off the event loop --------------------------------------


def test_a_locked_journal_never_freezes_the_event_loop(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """While another process holds the journal's write lock, the job's event loop keeps
    running (progress lines keep coming); once released, the job finishes every record."""
    server = start_threaded_sim(latency=0.02)
    source = write_jsonl(tmp_path / "in.jsonl", 200)
    out = tmp_path / "out.jsonl"
    command = [arg for arg in map_command(server, source, out, 4) if arg != "--quiet"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "AIOCHAIN_PROGRESS_SECONDS": "0.05"},
    )
    assert process.stderr is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")))
    reader.start()
    try:
        wait_for_rows(out, 5)
        holder = sqlite3.connect(str(out) + ".journal.sqlite", isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")
        try:
            seen = len(lines)
            deadline = time.monotonic() + 20
            while len(lines) < seen + 5:  # the loop prints while the journal is locked
                assert time.monotonic() < deadline, "the event loop froze on the journal"
                time.sleep(0.02)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        reader.join(timeout=10)
        process.stderr.close()
    assert sorted(r["id"] for r in rows(out)) == sorted(f"doc{i}" for i in range(200))


# --- issue 12, item 1: outputs never overwrite inputs -----------------------------------------


def test_output_or_journal_over_an_input_is_refused(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Output equal to the input, journal equal to the output, and an output inside an input
    directory are refused in one line, before any request and without touching a file."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 3)
    before = source.read_text()
    same = map_cli(server.base_url, "--template", "{text}", "--input", str(source),
                   "--output", str(tmp_path / "." / "in.jsonl"))  # fmt: skip
    assert "input" in one_line_error(same)
    assert source.read_text() == before
    out = tmp_path / "out.jsonl"
    clash = map_cli(server.base_url, "--template", "{text}", "--input", str(source),
                    "--output", str(out), "--journal", str(out))  # fmt: skip
    assert "--journal" in one_line_error(clash)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Alpha. Beta.")
    inside = map_cli(server.base_url, "--template", "{text}", "--input", str(folder),
                     "--output", str(folder / "out.jsonl"))  # fmt: skip
    assert "inside the input directory" in one_line_error(inside)
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt"]
    assert server.stats()["requests_total"] == 0


@pytest.mark.parametrize("where", ["missing", "directory", "unwritable"])
def test_unwritable_output_is_one_line(
    start_threaded_sim: StartThreaded, tmp_path: Path, where: str
) -> None:
    """An output in a missing folder, a directory, or an unwritable place: one line, status 2,
    nothing sent, no folder created."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 3)
    output = {
        "missing": str(tmp_path / "no" / "such" / "out.jsonl"),
        "directory": str(tmp_path),
        "unwritable": "/sys/aiochain-out.jsonl",
    }[where]
    # A journal next to an output in /sys could not be created either: name one elsewhere.
    journal = ("--journal", str(tmp_path / "j.sqlite")) if where == "unwritable" else ()
    done = map_cli(server.base_url, "--template", "{text}", "--input", str(source),
                   "--output", output, *journal)  # fmt: skip
    assert "cannot write the output" in one_line_error(done)
    assert server.stats()["requests_total"] == 0
    assert not (tmp_path / "no").exists()


def test_heavily_damaged_journal_is_one_line(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A journal whose pages are overwritten (`database disk image is malformed`) is one line
    naming the file; --no-resume, as that line says, starts the job over."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out.jsonl"
    args = ("--template", "{text}", "--input", str(source), "--output", str(out))
    assert map_cli(server.base_url, *args).returncode == 0
    journal = Path(str(out) + ".journal.sqlite")
    size = journal.stat().st_size
    assert size > 3 * 4096
    with open(journal, "r+b") as file:
        for page in range(1, size // 4096):
            file.seek(page * 4096)
            file.write(b"\xff" * 100)
    done = map_cli(server.base_url, *args)
    line = one_line_error(done)
    assert str(journal) in line and "--no-resume" in line
    again = map_cli(server.base_url, *args, "--no-resume")
    assert again.returncode == 0, again.stderr
    assert sorted(r["id"] for r in rows(out)) == sorted(f"doc{i}" for i in range(300))


# --- tracebacks that became one-line errors -----------------------------------------------


def test_closed_standard_output_stops_quietly(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """`aiochain map ... | head -1`: no BrokenPipeError traceback, status 141, and what was
    committed stays in the journal."""
    server = start_threaded_sim(latency=0.01)
    source = write_jsonl(tmp_path / "in.jsonl", 300)
    process = subprocess.Popen(
        [PYTHON, "-m", "aiochain", "map", "--base-url", server.base_url, "--quiet",
         "--template", "{text}", "--input", str(source), "--concurrency", "4",
         "--journal", str(tmp_path / "j.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith('{"id"')
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in err and "Exception ignored" not in err


def test_quick_repeated_ctrl_c_is_one_interruption(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Ctrl-C pressed again while the job stops: status 130, the resume hint, no traceback;
    a rerun finishes."""
    server = start_threaded_sim(latency=0.05)
    source = write_jsonl(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out.jsonl"
    command = map_command(server, source, out, 16)
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    wait_for_rows(out, 20)
    process.send_signal(signal.SIGINT)
    for _ in range(4):  # a user pressing again, 10 ms apart, while it stops (not a wait)
        time.sleep(0.01)
        process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "Resume with" in err
    final = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert sorted(r["id"] for r in rows(out)) == sorted(f"doc{i}" for i in range(300))


# --- issue 12, item 2: group commit ---------------------------------------------------------


def test_two_sigkills_lose_at_most_the_requests_in_flight(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Killed twice with SIGKILL, then rerun: every id exactly once, and the server saw at most
    N requests plus the requests in flight at the two kills (rows are committed as they finish,
    not when the next answer arrives)."""
    server = start_threaded_sim(latency=0.2)
    count, concurrency = 240, 32
    source = write_jsonl(tmp_path / "in.jsonl", count)
    out = tmp_path / "out.jsonl"
    command = map_command(server, source, out, concurrency)
    for target in (40, 120):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_rows(out, target)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    final = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert sorted(r["id"] for r in rows(out)) == sorted(f"doc{i}" for i in range(count))
    stats = server.stats()
    assert stats["distinct_prompts"] == count
    assert stats["requests_total"] <= count + 2 * concurrency


# --- issue 12, item 7: --max-cost is a budget for the job --------------------------------------


def test_budget_counts_actual_cost_not_in_flight_estimates(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Pessimistic estimates of the requests in flight are replaced by their actual cost as
    answers arrive: a budget that the real spend fits in finishes every record."""
    server = start_threaded_sim(latency=0.02)
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    # Estimated at about 6e-4 dollars each (1,000 answer tokens), each really costs about
    # 3e-6: eight in flight are estimated past 0.003, forty really cost about 1.3e-4.
    done = map_cli(server.base_url, "--template", TEMPLATE, "--input", str(source),
                   "--output", str(tmp_path / "out.jsonl"), "--concurrency", "8",
                   "--max-tokens", "1000", "--max-cost", "0.003")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert server.stats()["requests_total"] == 40


def test_rerun_does_not_spend_past_the_budget(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """The journal keeps what the job spent: rerunning the same command at the same budget
    sends nothing more and says so."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    args = ("--template", "{text}", "--input", str(source), "--output", str(tmp_path / "o.jsonl"),
            "--concurrency", "1", "--max-tokens", "10", "--max-cost", "0.00004")  # fmt: skip
    first = map_cli(server.base_url, *args)
    assert first.returncode == 1 and "--max-cost" in first.stderr
    sent = server.stats()["requests_total"]
    assert 1 <= sent < 40
    again = map_cli(server.base_url, *args)
    assert again.returncode == 1 and "--max-cost" in again.stderr
    assert server.stats()["requests_total"] == sent


# --- issue 24, item 6: a damaged journal is checked when a run resumes -------------------------


def quietly_damage(journal: Path, source: Path) -> None:
    """Overwrite 40 bytes of one page of `journal` so that a resume reads through it without
    an error (the journal's own index and output reads, as a rerun does them) while `PRAGMA
    quick_check` finds the damage: the kind a resume used silently."""
    pristine = journal.read_bytes()
    db = sqlite3.connect(journal)
    job = json.loads(db.execute("SELECT value FROM meta WHERE key = 'job'").fetchone()[0])
    db.close()
    for page in range(2, len(pristine) // 4096):
        for offset in range(8, 4096 - 40, 64):
            start = page * 4096 + offset
            journal.write_bytes(pristine[:start] + b"\x07" * 40 + pristine[start + 40 :])
            db = sqlite3.connect(journal)
            try:
                sound = db.execute("PRAGMA quick_check(1)").fetchone()[0] == "ok"
            except sqlite3.DatabaseError:
                sound = False
            db.close()
            if sound:
                continue
            records = Source(str(source), None)
            try:
                with Journal(journal, job) as resumed:
                    resumed.index(records.records())
                    list(resumed.lines())
            except AiochainError:
                continue
            finally:
                records.close()
            return
    raise AssertionError("no quiet damage found")


def test_a_quietly_damaged_journal_is_refused_on_resume(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Damaged pages that every row still reads through are found by `PRAGMA quick_check` on
    resume: one line naming the file, --no-resume and removing it; nothing sent, the output
    kept; then --no-resume starts over and finishes."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out.jsonl"
    args = ("--template", "{text}", "--input", str(source), "--output", str(out))
    assert map_cli(server.base_url, *args).returncode == 0
    before = out.read_text()
    journal = Path(f"{out}.journal.sqlite")
    quietly_damage(journal, source)
    sent = server.stats()["requests_total"]
    done = map_cli(server.base_url, *args)
    assert one_line_error(done).startswith(
        f"aiochain map: error: {journal}: the journal is damaged ("
    )
    assert done.stderr.rstrip().endswith(
        "); rerun with --no-resume to start the job over, or remove the file"
    )
    assert server.stats()["requests_total"] == sent
    assert out.read_text() == before
    again = map_cli(server.base_url, *args, "--no-resume")
    assert again.returncode == 0, again.stderr
    assert server.stats()["requests_total"] == sent + 300
    assert sorted(r["id"] for r in rows(out)) == sorted(f"doc{i}" for i in range(300))
    db = sqlite3.connect(journal)
    assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    db.close()


# --- issue 24, item 8: the user's files -------------------------------------------------------


def test_an_unrelated_output_is_never_overwritten(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """An existing output with no journal for it is refused in one line (exit 2, nothing sent,
    the file untouched, no journal made); --overwrite replaces it; the rerun of that job then
    needs no flag (its journal is there)."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    out.write_text("precious results\n")
    args = ("--template", "{text}", "--input", str(source), "--output", str(out))
    done = map_cli(server.base_url, *args)
    assert one_line_error(done) == (
        f"aiochain map: error: {out} already exists and no journal says this job wrote it "
        f"(no {out}.journal.sqlite); pass --overwrite to replace it, or pick another --output\n"
    )
    assert out.read_text() == "precious results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]
    assert server.stats()["requests_total"] == 0
    assert map_cli(server.base_url, *args, "--overwrite").returncode == 0
    assert len(rows(out)) == 5
    rerun = map_cli(server.base_url, *args)
    assert rerun.returncode == 0, rerun.stderr
    assert len(rows(out)) == 5 and server.stats()["requests_total"] == 5


def test_an_empty_existing_output_is_used(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """An empty file (`mktemp`) holds nothing to lose: it is written without --overwrite."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    out.touch()
    done = map_cli(server.base_url, "--template", "{text}", "--input", str(source),
                   "--output", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(rows(out)) == 3


@pytest.mark.parametrize("mistake", ["endpoint", "model", "input"])
def test_a_failed_run_leaves_nothing_and_the_fix_works(
    start_threaded_sim: StartThreaded, tmp_path: Path, mistake: str
) -> None:
    """A run stopped by a wrong endpoint, an unknown model or a bad input (found while the
    journal is being filled) leaves no output and no journal; the rerun with the fix the error
    pointed at runs (it was refused as "a job with a different endpoint")."""
    server = start_threaded_sim()
    source = tmp_path / "in.jsonl"
    write_jsonl(source, 5)
    out = tmp_path / "out.jsonl"
    good = ["--template", "{text}", "--input", str(source), "--output", str(out), "--quiet"]
    url = server.base_url
    if mistake == "endpoint":
        url = "http://127.0.0.1:9/v1"
        bad = [*good, "--max-wait", "1"]
    elif mistake == "model":
        bad = [*good, "--model", "no-such-model"]
    else:
        source.write_text(source.read_text() + source.read_text().splitlines()[0] + "\n")
        bad = good
    failed = map_cli(url, *bad)
    one_line_error(failed, 2 if mistake == "input" else 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    if mistake == "input":
        write_jsonl(source, 5)
    fixed = map_cli(server.base_url, *good)
    assert fixed.returncode == 0, fixed.stderr
    assert len(rows(out)) == 5


@pytest.mark.parametrize("where", ["unwritable folder", "the output", "the input"])
def test_a_bad_report_path_is_refused_before_sending(
    start_threaded_sim: StartThreaded, tmp_path: Path, where: str
) -> None:
    """--report into a folder that takes no file, or onto the output or the input, is one line
    before any request (it was found after the whole job was paid for), leaving nothing."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    report = {
        "unwritable folder": "/sys/aiochain-report.html",
        "the output": str(out),
        "the input": str(source),
    }[where]
    done = map_cli(server.base_url, "--template", "{text}", "--input", str(source),
                   "--output", str(out), "--report", report)  # fmt: skip
    expected = {
        "unwritable folder": f"{report}: cannot write the report: cannot create files in /sys "
        "(Permission denied)",
        "the output": f"--report {report} is the output; pick another name",
        "the input": f"--report {report} is the input; pick another name",
    }[where]
    assert one_line_error(done) == f"aiochain map: error: {expected}\n"
    assert server.stats()["requests_total"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_a_cache_that_is_a_directory_is_refused_before_sending(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """--cache with $AIOCHAIN_CACHE naming a directory: one line, nothing sent, nothing left."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 3)
    (tmp_path / "cache").mkdir()
    done = map_cli(server.base_url, "--template", "{text}", "--input", str(source),
                   "--output", str(tmp_path / "out.jsonl"), "--cache",
                   env={"AIOCHAIN_CACHE": str(tmp_path / "cache")})  # fmt: skip
    assert str(tmp_path / "cache") in one_line_error(done)
    assert server.stats()["requests_total"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "in.jsonl"]


def test_sigterm_stops_like_ctrl_c(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """SIGTERM (kill, a container stopping) commits what finished, prints the command that
    resumes, exits 143; the rerun finishes the rest without asking for anything twice."""
    server = start_threaded_sim(latency=0.05)
    source = write_jsonl(tmp_path / "in.jsonl", 200)
    out = tmp_path / "out.jsonl"
    command = map_command(server, source, out, 4)
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    wait_for_rows(out, 10)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    lines = err.strip().splitlines()
    assert lines[0] == "terminated (SIGTERM); what finished is in the journal. Resume with:"
    assert lines[1].strip().startswith("aiochain map --base-url")
    assert "Traceback" not in err
    final = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert sorted(r["id"] for r in rows(out)) == sorted(f"doc{i}" for i in range(200))
    assert server.stats()["distinct_prompts"] == 200
    assert server.stats()["requests_total"] <= 200 + 4


def test_a_report_that_fails_at_the_end_is_not_a_usage_error(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A --report checked at the start but unwritable at the end (a directory made there
    meanwhile): exit 1, not 2 "nothing sent", with one line giving the command that writes the
    report from the finished job."""
    server = start_threaded_sim(latency=0.05)
    source = write_jsonl(tmp_path / "in.jsonl", 200)
    out = tmp_path / "out.jsonl"
    report = tmp_path / "report.html"
    command = [*map_command(server, source, out, 4), "--report", str(report)]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    wait_for_rows(out, 5)
    report.mkdir()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    journal = f"{out}.journal.sqlite"
    assert err == (
        f"aiochain map: error: {report}: cannot write the report: Is a directory; the job is "
        f"done, write its report with: aiochain report {journal} -o {report}\n"
    )
    assert len(rows(out)) == 200
