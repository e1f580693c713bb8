"""Bugs a new user met where the CLI's parts meet (issue 23, items 10-13): a group commit that
was several transactions, tracebacks after an early stop on a CSV input, lone surrogates in
JSON Lines, a closed pipe, and errors naming Python arguments instead of flags."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aiochain._exceptions import JournalError
from aiochain.batches import BatchRequest, OpenAIBatchClient
from aiochain.cli.map.journal import Journal
from aiochain.cli.map.journal_rows import RecordTake, journal_row
from aiochain.cli.map.records import Record

from .conftest import PYTHON
from .test_map import StartThreaded, map_cli, rows


def test_a_group_commit_of_2500_rows_is_one_transaction(tmp_path: Path) -> None:
    """A commit of 2,500 rows (three INSERT statements) whose last statement fails leaves
    none of them: all or nothing (the first 2,000 used to stay)."""
    path = tmp_path / "j.sqlite"
    with Journal(path, {"template": "{text}"}) as journal:
        found = [
            journal_row(Record(i, f"r{i}", {}, f"k{i}"), RecordTake("live", 1.0, 2.0), output="x")
            for i in range(2500)
        ]
        found[2300].via = object()  # type: ignore[assignment]  # cannot be stored: fails
        with pytest.raises(JournalError):
            journal.commit(found)
        assert journal.spent == 0
        found[2300].via = "live"
        journal.commit(found[:10])
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM rows").fetchone()[0] == 10


def csv_input(path: Path, count: int) -> Path:
    path.write_text("id,text\n" + "".join(f"{i},Document {i}.\n" for i in range(count)))
    return path


@pytest.mark.parametrize(
    ("flags", "env"),
    [
        (("--model", "no-such-model"), {"OPENAI_API_KEY": "sk-x"}),
        (("--max-wait", "0.5"), {"OPENAI_API_KEY": "sk-x"}),
    ],
    ids=["unknown-model", "server-down"],
)
def test_an_early_stop_on_a_csv_input_prints_one_line(
    start_threaded_sim: StartThreaded,
    tmp_path: Path,
    flags: tuple[str, ...],
    env: dict[str, str],
) -> None:
    """A job on a CSV input that stops early prints its one-line error and nothing else (it
    printed "Exception ignored ... _csv_fields ... I/O operation on closed file")."""
    data = csv_input(tmp_path / "in.csv", 3000)
    if "--max-wait" in flags:
        base_url = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
    else:
        base_url = start_threaded_sim(latency=0.01).base_url
    done = map_cli(
        base_url,
        *("--template", "{text}", "--input", str(data), "--output", str(tmp_path / "o.jsonl")),
        *flags,
        env=env,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("aiochain map: error:")


def test_lone_surrogates_in_json_lines_become_replacement_characters(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A record with a lone surrogate escape (in its text and its id) is answered, its
    surrogate sent, journaled and written as U+FFFD; a pair stays the character it makes
    (it crashed with a UnicodeEncodeError traceback)."""
    server = start_threaded_sim(latency=0.01)
    data = tmp_path / "in.jsonl"
    data.write_text(
        '{"id": "a", "text": "bad \\ud800 here"}\n'
        '{"id": "b\\udc00", "text": "fine \\ud83d\\ude00"}\n'
    )
    out = tmp_path / "out.jsonl"
    done = map_cli(
        server.base_url,
        *("--template", "Echo: {text}", "--input", str(data), "--output", str(out)),
    )
    assert done.returncode == 0, done.stderr
    found = {r["id"]: r for r in rows(out)}
    assert set(found) == {"a", "b\ufffd"}
    assert "\ufffd" in found["a"]["output"] and "\U0001f600" in found["b\ufffd"]["output"]


def test_a_template_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path) -> None:
    """`--template` given bytes that are not UTF-8 (Python passes them on as surrogates) is
    refused in one line naming the flag (it crashed with a UnicodeEncodeError traceback)."""
    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "hi"}\n')
    done = subprocess.run(
        [
            *(PYTHON, "-m", "aiochain", "map", "--template", b"S\xff {text}", "--input", data),
            *("--output", tmp_path / "o.jsonl", "--simulate", "0"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OPENAI_API_KEY": "sk-x"},
    )
    assert done.returncode == 2
    assert done.stderr == "aiochain map: error: --template is not UTF-8 text (byte 0xff)\n"


def test_an_answer_with_a_lone_surrogate_is_written_with_a_replacement() -> None:
    """An answer holding a lone surrogate (a server may send the escape) makes a valid UTF-8
    output line with U+FFFD in its place, not an encoding error."""
    row = journal_row(Record(0, "a", {}, "k"), RecordTake("live", 1.0, 2.0), output="x\ud800y")
    assert json.loads(row.line)["output"] == "x\ufffdy"
    row.line.encode("utf-8")


def test_batches_list_to_a_closed_pipe_exits_quietly(start_threaded_sim: StartThreaded) -> None:
    """`aiochain batches list | head -1`: the reader goes away, and the command stops with
    status 141 and nothing on stderr (it printed a BrokenPipeError traceback)."""
    server = start_threaded_sim(batch_speed=1e6)

    async def submit() -> None:
        async with OpenAIBatchClient(server.base_url, "k") as client:
            for n in range(3):
                body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
                await client.submit([BatchRequest.make(str(n), body)])

    asyncio.run(submit())
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before anything is written
    try:
        done = subprocess.run(
            [PYTHON, "-m", "aiochain", "batches", "--base-url", server.base_url, "list"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={**os.environ, "OPENAI_API_KEY": "sk-x"},
        )
    finally:
        os.close(writer)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""


def azure_map(tmp_path: Path, *flags: str, env: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "hi"}\n')
    cleared = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OPENAI_"))}
    return subprocess.run(
        [
            *(PYTHON, "-m", "aiochain", "map", "--provider", "azure", "--model", "my-deployment"),
            *("--template", "{text}", "--input", str(data), "--output", str(tmp_path / "o")),
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**cleared, **env},
    )


def test_cli_errors_name_flags_and_variables(tmp_path: Path) -> None:
    """Errors of `map --provider azure` name `--api-version`, `--base-url` and the
    variables to set, never Python arguments (`api_version`, `azure_ad_token_provider`)."""
    endpoint = "http://127.0.0.1:9"
    done = azure_map(tmp_path, "--base-url", endpoint, env={})
    assert "--api-version" in done.stderr and "api_version" not in done.stderr, done.stderr
    done = azure_map(tmp_path, "--api-version", "2024-10-21", env={})
    assert "--base-url" in done.stderr and "azure_endpoint" not in done.stderr, done.stderr
    done = azure_map(tmp_path, "--base-url", endpoint, "--api-version", "2024-10-21", env={})
    assert "$AZURE_OPENAI_AD_TOKEN" in done.stderr, done.stderr
    assert "azure_ad_token" not in done.stderr and "api_key" not in done.stderr
    assert done.returncode == 2 and done.stderr.count("\n") == 1
