"""What a new user tripped on: refused up front with one line instead of failing late, and a
report piped to `head` exits quietly (subprocess runs of the CLI)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from aiochain.sim import SimServer

from .conftest import PYTHON
from .test_map import TEMPLATE, map_cli, summarize, write_jsonl

StartThreaded = Callable[..., SimServer]


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("flags", [["--max-cost", "nan"], ["--max-cost", "inf"], ["--tpm", "0.5"]])
def test_senseless_numbers_are_refused(tmp_path: Path, flags: list[str]) -> None:
    """NaN, infinity and a tokens-per-minute limit no request fits are usage errors."""
    data = write_jsonl(tmp_path / "in.jsonl", 2)
    done = map_cli("http://127.0.0.1:9/v1", "--template", TEMPLATE, "--input", str(data), *flags)
    assert done.returncode == 2
    assert flags[1] in one_line(done)


@pytest.mark.parametrize("flag", ["--report", "--journal"])
def test_a_report_or_journal_in_a_missing_folder_is_refused_before_sending(
    start_threaded_sim: StartThreaded, tmp_path: Path, flag: str
) -> None:
    """--report and --journal in a folder that does not exist are refused before any request
    (and no folder is made)."""
    server = start_threaded_sim()
    data = write_jsonl(tmp_path / "in.jsonl", 3)
    target = tmp_path / "nowhere" / "file"
    done = summarize(
        server.base_url,
        data,
        tmp_path / "out.jsonl",
        flag,
        str(target),
    )
    assert done.returncode == 2
    assert "no folder" in one_line(done)
    assert server.stats()["requests_total"] == 0
    assert not target.parent.exists()


def test_input_where_no_record_has_the_template_variable_is_refused(tmp_path: Path) -> None:
    """A CSV without the template's column fails up front, naming the columns it has."""
    data = tmp_path / "in.csv"
    data.write_text("id,body\n1,One.\n2,Two.\n")
    done = map_cli("http://127.0.0.1:9/v1", "--template", "X {text}", "--input", str(data))
    assert done.returncode == 2
    line = one_line(done)
    assert "no record has every template variable (text)" in line and "body" in line


def test_an_unknown_model_stops_a_batch_job(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """--batch with a model the server does not know stops the job in one line, as live."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_jsonl(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    done = summarize(
        server.base_url,
        data,
        out,
        "--model",
        "nope",
        "--batch",
        "--batch-poll",
        "0.05",
        "--quiet",
    )
    assert done.returncode == 1
    assert "nope" in one_line(done)
    assert not out.exists() or out.read_text() == ""


def test_report_json_to_a_closed_pipe_exits_quietly(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """`aiochain report JOURNAL --json | head -c 10` stops quietly (status 141), as map does."""
    server = start_threaded_sim()
    data = write_jsonl(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out.jsonl"
    assert (
        summarize(
            server.base_url,
            data,
            out,
            "--quiet",
        ).returncode
        == 0
    )
    journal = f"{out}.journal.sqlite"
    done = subprocess.run(
        [
            "bash",
            "-c",
            f"{PYTHON} -m aiochain report {journal} --json | head -c 10; "
            'echo " ${PIPESTATUS[0]}" >&2',
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert done.stderr.strip().endswith(("141", "0"))
