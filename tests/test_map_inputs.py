"""`aiochain map` inputs and command line: stable ids, escapes, JSON values, CSV details,
include/exclude, journals per job, help and exit codes (issue 12). Subprocess runs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .conftest import PYTHON
from .test_map import StartThreaded, map_cli, rows, write_jsonl


def test_ids_are_stable_across_path_spellings(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Records without ids get the same ids from `noids.jsonl`, `./noids.jsonl` and the
    absolute path: the second and third runs send nothing."""
    server = start_threaded_sim()
    (tmp_path / "noids.jsonl").write_text('{"text": "One. Two."}\n{"text": "Three. Four."}\n')
    for spelling in ("noids.jsonl", "./noids.jsonl", str(tmp_path / "noids.jsonl")):
        done = subprocess.run(
            [PYTHON, "-m", "aiochain", "map", "--base-url", server.base_url, "--quiet",
             "--template", "{text}", "--input", spelling, "--output", "out.jsonl"],
            capture_output=True, text=True, cwd=tmp_path, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert server.stats()["requests_total"] == 2
    assert [r["id"] for r in rows(tmp_path / "out.jsonl")] == [
        f"{tmp_path.resolve() / 'noids.jsonl'}:1",
        f"{tmp_path.resolve() / 'noids.jsonl'}:2",
    ]


def test_template_escapes_and_template_file(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """The README's `--template "Summarize:\\n\\n{text}"` sends real newlines (the simulator
    drops the instruction line); `--template-file` is read as it is."""
    server = start_threaded_sim()
    source = write_jsonl(tmp_path / "in.jsonl", 1)
    done = map_cli(server.base_url, "--template", "Summarize:\\n\\n{text}", "--input",
                   str(source), "--output", str(tmp_path / "a.jsonl"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert rows(tmp_path / "a.jsonl")[0]["output"] == "Document 0 begins."
    (tmp_path / "prompt.txt").write_text("Summarize:\n\n{text}")
    done = map_cli(server.base_url, "--template-file", str(tmp_path / "prompt.txt"),
                   "--input", str(source), "--output", str(tmp_path / "b.jsonl"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert rows(tmp_path / "b.jsonl")[0]["output"] == "Document 0 begins."


def test_values_that_are_not_strings_go_as_json(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Objects, null and booleans go into the prompt as JSON, not as Python reprs."""
    server = start_threaded_sim()
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "v": {"k": [1, null, true]}}\n{"id": "b", "v": null}\n')
    done = map_cli(server.base_url, "--template", "{v}", "--input", str(source),
                   "--output", str(tmp_path / "o.jsonl"), "--ordered")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [r["output"] for r in rows(tmp_path / "o.jsonl")] == ['{"k": [1, null, true]}', "null"]


def test_csv_with_bom_and_multiline_records(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A CSV saved by Excel (UTF-8 BOM) keeps its `id` column; without ids, a record's id is
    the line where it starts, not its last line."""
    server = start_threaded_sim()
    (tmp_path / "bom.csv").write_bytes("\ufeffid,text\nr1,Cats purr.\nr2,Dogs bark.\n".encode())
    done = map_cli(server.base_url, "--template", "{text}", "--input", str(tmp_path / "bom.csv"),
                   "--output", str(tmp_path / "a.jsonl"), "--ordered")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in rows(tmp_path / "a.jsonl")] == ["r1", "r2"]
    (tmp_path / "multi.csv").write_text('text\n"First\nsecond\nthird."\nLast one.\n')
    done = map_cli(server.base_url, "--template", "{text}", "--input", str(tmp_path / "multi.csv"),
                   "--output", str(tmp_path / "b.jsonl"), "--ordered")  # fmt: skip
    assert done.returncode == 0, done.stderr
    name = tmp_path.resolve() / "multi.csv"
    assert [r["id"] for r in rows(tmp_path / "b.jsonl")] == [f"{name}:2", f"{name}:5"]


def test_include_and_exclude_for_directories(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A stray binary file refuses a directory with a hint; --exclude or --include skips it."""
    server = start_threaded_sim()
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text("Alpha. More.")
    (folder / "sub" / "b.md").write_text("Beta. More.")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    args = ("--template", "{text}", "--input", str(folder), "--ordered")
    refused = map_cli(server.base_url, *args, "--output", str(tmp_path / "o.jsonl"))
    assert refused.returncode == 2 and "logo.png" in refused.stderr
    assert "--exclude" in refused.stderr and "Traceback" not in refused.stderr
    for flag in (("--exclude", "*.png"), ("--include", "*.md")):
        done = map_cli(server.base_url, *args, *flag, "--output", str(tmp_path / "o.jsonl"))
        assert done.returncode == 0, done.stderr
        assert [r["id"] for r in rows(tmp_path / "o.jsonl")] == ["a.md", "sub/b.md"]
    assert server.stats()["requests_total"] == 2


def test_empty_input_is_a_clear_error(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """An input without records exits 2 with one line saying so."""
    server = start_threaded_sim()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    done = map_cli(server.base_url, "--template", "{text}", "--input", str(empty),
                   "--output", str(tmp_path / "o.jsonl"))  # fmt: skip
    assert done.returncode == 2
    assert "no records" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_ordered_to_standard_output(start_threaded_sim: StartThreaded, tmp_path: Path) -> None:
    """--ordered works on standard output too: every row, in input order."""
    server = start_threaded_sim(latency=0.02, latency_jitter=0.02, seed=3)
    source = write_jsonl(tmp_path / "in.jsonl", 30)
    done = subprocess.run(
        [PYTHON, "-m", "aiochain", "map", "--base-url", server.base_url, "--quiet",
         "--template", "{text}", "--input", str(source), "--ordered"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["id"] for line in done.stdout.splitlines()]
    assert ids == [f"doc{i}" for i in range(30)]


def test_standard_output_jobs_have_their_own_journals(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Two jobs writing to standard output in one folder each get a journal; --no-resume on
    one never wipes the other's, whose rerun sends nothing."""
    server = start_threaded_sim()
    first, second = write_jsonl(tmp_path / "a.jsonl", 3), write_jsonl(tmp_path / "b.jsonl", 4)

    def run(source: Path, *flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PYTHON, "-m", "aiochain", "map", "--base-url", server.base_url, "--quiet",
             "--template", "{text}", "--input", str(source), *flags],
            capture_output=True, text=True, cwd=tmp_path, timeout=60,
        )  # fmt: skip

    assert run(first).returncode == 0
    assert run(second).returncode == 0
    assert len(list(tmp_path.glob("aiochain-map-*.journal.sqlite"))) == 2
    assert run(second, "--no-resume").returncode == 0
    assert server.stats()["requests_total"] == 3 + 4 + 4
    again = run(first)
    assert again.returncode == 0 and len(again.stdout.splitlines()) == 3
    assert server.stats()["requests_total"] == 11


def test_quiet_prints_nothing_and_progress_counts_in_flight(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """--quiet prints nothing on success; the plain progress line starts with done/total and
    shows the requests in flight and the real share of the rpm limit."""
    server = start_threaded_sim(latency=0.05)
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    quiet = map_cli(server.base_url, "--template", "{text}", "--input", str(source),
                    "--output", str(tmp_path / "q.jsonl"), "--quiet")  # fmt: skip
    assert quiet.returncode == 0 and quiet.stderr == ""
    loud = map_cli(server.base_url, "--template", "{text}", "--input", str(source),
                   "--output", str(tmp_path / "l.jsonl"), "--concurrency", "2",
                   "--rpm", "60000", env={"AIOCHAIN_PROGRESS_SECONDS": "0.1"})  # fmt: skip
    assert loud.returncode == 0, loud.stderr
    progress = [line for line in loud.stderr.splitlines() if line.startswith("map: ")]
    assert progress and all(" in flight" in line for line in progress)
    assert progress[0].split(" ")[1].endswith("/40")
    # Two at a time with 50 ms answers is at most 40 requests a second: under 5% of 60,000 rpm.
    shares = [int(part.split()[1][:-1]) for line in progress for part in line.split(", ")
              if part.startswith("rpm ")]  # fmt: skip
    assert shares and max(shares) < 5


def test_help_version_and_exit_codes_are_documented() -> None:
    """`map --help` names OPENAI_API_KEY, how ids are made and the exit codes; `--version`."""
    text = subprocess.run(
        [PYTHON, "-m", "aiochain", "map", "--help"], capture_output=True, text=True, timeout=30
    ).stdout
    for words in ("OPENAI_API_KEY", "ids:", "resolved path", "exit status", "130", "--include"):
        assert words in text, words
    version = subprocess.run(
        [PYTHON, "-m", "aiochain", "--version"], capture_output=True, text=True, timeout=30
    )
    assert version.returncode == 0 and version.stdout.startswith("aiochain 0.")


def _peak_memory_kib(source: Path, tmp_path: Path) -> int:
    """Peak RSS of a map job that checks and indexes all of `source` and sends nothing."""
    script = (
        "import resource, runpy, sys\n"
        "sys.argv = ['aiochain'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('aiochain', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    # A budget too small for one request: every record is read, checked and indexed, and
    # nothing is sent (no server needed).
    done = subprocess.run(
        [PYTHON, "-c", script, "map", "--quiet", "--base-url", "http://127.0.0.1:9/v1",
         "--template", "{text}", "--input", str(source), "--max-cost", "1e-9",
         "--output", str(tmp_path / f"{source.stem}.out.jsonl")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "stopped at the --max-cost budget" in done.stderr, done.stderr
    return int(done.stderr.rsplit("peak ", 1)[1].split()[0])


def test_inputs_are_read_lazily(tmp_path: Path) -> None:
    """Ten times the records costs about the same memory: the input is streamed, never held
    (a held record costs hundreds of bytes, so 180,000 more would show as tens of MB)."""
    small = write_jsonl(tmp_path / "small.jsonl", 20_000)
    large = write_jsonl(tmp_path / "large.jsonl", 200_000)
    grown = _peak_memory_kib(large, tmp_path) - _peak_memory_kib(small, tmp_path)
    assert grown < 12_000, f"{grown} KiB more for 180,000 more records"


def test_progress_bar_keeps_done_and_total_at_80_columns(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """On an 80-column terminal with a long detail (failures, spend, rpm and tpm shares), the
    bar's done/total is never cut: the detail is."""
    import pty
    import re

    server = start_threaded_sim(latency=0.01, fail_rate=0.1, seed=1)
    source = write_jsonl(tmp_path / "in.jsonl", 2000)
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the CLI on a terminal of 80 columns
        os.environ.update(COLUMNS="80", LINES="24")
        os.execv(PYTHON, [PYTHON, "-m", "aiochain", "map", "--base-url", server.base_url,
                          "--template", "{text}", "--input", str(source), "--output",
                          str(tmp_path / "out.jsonl"), "--rpm", "100000", "--tpm", "9000000",
                          "--retries", "0", "--concurrency", "64"])  # fmt: skip
    screen = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.waitpid(pid, 0)
    os.close(terminal)
    text = re.sub(rb"\x1b\[[0-9;?]*[a-zA-Z]", b"", screen).decode(errors="replace")
    assert "failed" in text and "tpm" in text
    assert re.search(r"\b2000/2000\b", text), text[-2000:]
