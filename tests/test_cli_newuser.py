"""What a brand-new user tripped on when trying the CLI (issue: CLI trial): flags where people
type them, errors that say what is wrong in one line, and `map --embed` keeping the promises
`map` keeps (in-process CLI runs against the simulation server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from aiochain._exceptions import InputError
from aiochain.cli import main
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer, completion_json, free_port

StartThreaded = Callable[..., SimServer]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
TEMPLATE = "Summarize: {text}"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `aiochain ARGS` in this process: (exit status, stdout, stderr)."""
    try:
        status = main(list(args))
    except SystemExit as exc:  # argparse's errors
        status = int(exc.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def write_records(path: Path, count: int) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"r{i}", "text": f"Record {i} is about topic {i % 3}."}) + "\n"
            for i in range(count)
        )
    )
    return path


def test_debug_after_the_command_shows_the_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`aiochain map ... --debug` (the flag after the command, where people type it) raises
    the real error instead of refusing --debug as an unknown argument."""
    missing = str(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="no such file"):
        main(["map", "--template", TEMPLATE, "--input", missing, "--debug"])
    status, _, err = cli(capsys, "map", "--template", TEMPLATE, "--input", missing)
    assert status == 2
    assert one_line(err).startswith("aiochain map: error: ")


def test_debug_before_the_command_still_counts(tmp_path: Path) -> None:
    """`aiochain --debug map ...` keeps working: the command's own --debug does not reset it."""
    with pytest.raises(InputError):
        main(["--debug", "map", "--template", TEMPLATE, "--input", str(tmp_path / "x.jsonl")])


def test_batches_endpoint_options_after_the_action(
    capsys: pytest.CaptureFixture[str], start_threaded_sim: StartThreaded
) -> None:
    """`aiochain batches list --base-url URL` (the option after the action) lists that
    server's batches."""
    server = start_threaded_sim()
    status, out, err = cli(capsys, "batches", "list", "--base-url", server.base_url)
    assert (status, out, err) == (0, "", "")
    closed = f"http://127.0.0.1:{free_port()}/v1"
    status, out, err = cli(
        capsys, "batches", "--base-url", closed, "list", "--base-url", server.base_url
    )
    assert (status, out, err) == (0, "", "")  # the one after the action wins


def test_unknown_flag_is_named_by_its_command_with_the_nearest_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A mistyped flag is reported by the command it was given to, with the flag meant."""
    data = write_records(tmp_path / "in.jsonl", 2)
    status, _, err = cli(
        capsys, "map", "--template", TEMPLATE, "--input", str(data), "--concurency", "4"
    )
    assert status == 2
    assert one_line(err) == (
        "aiochain map: error: unrecognized arguments: --concurency 4; did you mean "
        "--concurrency? (see --help)"
    )
    status, _, err = cli(capsys, "serve", "--latncy=2")
    assert status == 2
    assert "aiochain serve: error:" in err and "did you mean --latency?" in one_line(err)


def test_truncated_jsonl_says_where_the_line_breaks_off(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A JSON Lines file cut in its last line names the line and column, and that the file
    looks truncated, in words that end where they should."""
    data = write_records(tmp_path / "in.jsonl", 3)
    data.write_bytes(data.read_bytes()[:-12])
    status, _, err = cli(capsys, "map", "--template", TEMPLATE, "--input", str(data))
    assert status == 2
    line = one_line(err)
    assert "in.jsonl:3: not valid JSON: Unterminated string starting at: column " in line
    assert line.endswith("the file looks truncated (its last line has no newline)")


def test_a_directory_with_a_file_format_is_called_a_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`--input DIR --input-format csv` says the input is a directory, not "no such file"."""
    write_records(tmp_path / "in.jsonl", 1)
    status, _, err = cli(
        capsys, "map", "--template", TEMPLATE, "--input", str(tmp_path), "--input-format", "csv"
    )
    assert status == 2
    assert "is a directory; --input-format dir reads each file" in one_line(err)


def test_embed_field_no_record_has_is_refused_before_sending(
    capsys: pytest.CaptureFixture[str], start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """`map --embed --field nope` is refused before any request, naming the fields there are,
    and leaves no journal or output (before, each record failed alone with status 1)."""
    server = start_threaded_sim()
    data = write_records(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    status, _, err = cli(
        capsys, "map", "--embed", "--field", "nope", "--input", str(data), "--output", str(out),
        "--base-url", server.base_url,
    )  # fmt: skip
    assert status == 2
    assert one_line(err).endswith("no record has the --field (nope); the records have: id, text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    assert server.stats()["requests_total"] == 0


def test_embed_does_not_replace_an_output_it_did_not_write(
    capsys: pytest.CaptureFixture[str], start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """`map --embed --output FILE` refuses an existing file no journal says it wrote, as
    `map` does (before, the file was silently replaced by vectors)."""
    server = start_threaded_sim()
    data = write_records(tmp_path / "in.jsonl", 3)
    out = tmp_path / "precious.jsonl"
    out.write_text("someone's data\n")
    args = ["map", "--embed", "--field", "text", "--input", str(data), "--output", str(out)]
    status, _, err = cli(capsys, *args, "--base-url", server.base_url, "--quiet")
    assert status == 2
    assert "pass --overwrite to replace it" in one_line(err)
    assert out.read_text() == "someone's data\n"
    status, _, _ = cli(capsys, *args, "--base-url", server.base_url, "--quiet", "--overwrite")
    assert status == 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["r0", "r1", "r2"]


def test_embed_run_that_fails_before_answering_leaves_no_journal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An `--embed` run refused for an empty input leaves no journal behind, as `map` does."""
    data = tmp_path / "empty.jsonl"
    data.write_text("")
    out = tmp_path / "out.jsonl"
    status, _, err = cli(
        capsys, "map", "--embed", "--field", "text", "--input", str(data), "--output", str(out),
        "--base-url", "http://127.0.0.1:9/v1",
    )  # fmt: skip
    assert status == 2
    assert "no records to run" in one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jsonl"]


async def test_failed_records_line_says_what_went_wrong(
    capsys: pytest.CaptureFixture[str], scripted: Scripted, tmp_path: Path
) -> None:
    """When records fail (a server answering an HTML page), the closing line quotes the most
    common error instead of only counting the failures."""
    server = await scripted([Reply(raw=b"<html><body>nginx welcome</body></html>")])
    data = write_records(tmp_path / "in.jsonl", 4)
    out = tmp_path / "out.jsonl"
    status, _, err = await asyncio.to_thread(
        cli, capsys, "map", "--template", TEMPLATE, "--input", str(data), "--output", str(out),
        "--base-url", server.base_url, "--quiet", "--retries", "0",
    )  # fmt: skip
    assert status == 1
    line = one_line(err)
    assert line.startswith("4 record(s) failed, most with: BadResponseError: ")
    assert "not JSON: 'nginx welcome'" in line
    assert len(out.read_text().splitlines()) == 4  # every failure kept, with its error


def test_a_batch_refused_for_an_unknown_model_says_the_status_once(
    capsys: pytest.CaptureFixture[str], start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A batch job stopped by an unknown model prints the server's words as the live path
    does ("404: The model ..."), not "404: <custom id>: 404: ..."."""
    server = start_threaded_sim(batch_speed=1000)
    data = write_records(tmp_path / "in.jsonl", 3)
    status, _, err = cli(
        capsys, "map", "--template", TEMPLATE, "--input", str(data),
        "--output", str(tmp_path / "out.jsonl"), "--base-url", server.base_url,
        "--model", "nope", "--batch", "--batch-poll", "0.05", "--quiet",
    )  # fmt: skip
    assert status == 1
    line = one_line(err)
    assert line.startswith("aiochain map: error: 404: ")
    assert line.count("404") == 1 and "nope" in line


@pytest.mark.parametrize("flag", ["--template", "--template-file"])
def test_an_empty_template_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: str
) -> None:
    """An empty prompt (`--template "$UNSET"`, an empty file) is refused before anything is
    sent, instead of sending every record as the same empty prompt."""
    data = write_records(tmp_path / "in.jsonl", 2)
    empty = tmp_path / "prompt.txt"
    empty.write_text(" \n")
    value = str(empty) if flag == "--template-file" else ""
    status, _, err = cli(
        capsys, "map", flag, value, "--input", str(data), "--base-url", "http://127.0.0.1:9/v1"
    )
    assert status == 2
    assert one_line(err).startswith(f"aiochain map: error: {flag} is empty: nothing to send")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "prompt.txt"]


async def test_a_job_stopped_midway_says_what_it_kept(
    capsys: pytest.CaptureFixture[str], scripted: Scripted, tmp_path: Path
) -> None:
    """A key refused after some answers stops the job with one line that says the answers
    are kept and how to resume, and they are: in the output and the journal."""
    ok = Reply(json=completion_json("fine", chat=True))
    server = await scripted([ok, ok, Reply(status=401, json={"error": {"message": "revoked"}})])
    data = write_records(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    status, _, err = await asyncio.to_thread(
        cli, capsys, "map", "--template", TEMPLATE, "--input", str(data), "--output", str(out),
        "--base-url", server.base_url, "--quiet", "--concurrency", "1",
    )  # fmt: skip
    assert status == 1
    assert one_line(err) == (
        f"aiochain map: error: 401: revoked (2 record(s) done are kept in {out}.journal.sqlite; "
        "rerun the same command to resume once that is fixed)"
    )
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["r0", "r1"]


async def test_the_progress_bar_ends_on_the_final_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The bar left on screen after a job shows its final counts (nothing in flight, no
    ETA), not the frame drawn 0.1 s before the end."""
    from aiochain._pipeline.run_stats import RunStats
    from aiochain.cli.map.options import MapSummary
    from aiochain.cli.map.progress import watch

    summary = MapSummary(items=3, ok=1, in_flight=2)
    watcher = asyncio.create_task(watch(summary, RunStats(total=3), None, fancy=True))
    await asyncio.sleep(0)  # the first frame: 1/3 done, 2 in flight
    summary.ok, summary.in_flight = 3, 0
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "3/3" in last and "0 in flight" in last and "ETA -" in last


def test_the_demo_shows_the_first_summary_as_text() -> None:
    """`aiochain demo`'s map part prints the first answer's text (not its JSON line cut
    mid-object) and the one-at-a-time estimate in a unit that is not "0 minutes"."""
    import io

    from rich.console import Console

    from aiochain.cli._demo import run_map_demo

    screen = io.StringIO()
    run_map_demo(latency=0.05, console=Console(file=screen, width=500))
    text = screen.getvalue()
    assert "first summary (doc-0000): The story of the printing press" in text
    assert '"usage"' not in text and '{"id"' not in text
    assert "one call at a time would take about 50 s." in text


def test_map_help_fits_an_80_column_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """`aiochain map --help` in an 80-column terminal: the description and the notes after
    the options are filled to 80 columns, paragraph by paragraph (they had lines of up to
    147 characters, broken mid-word by the terminal)."""
    from aiochain.cli import build_parser

    monkeypatch.setenv("COLUMNS", "80")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    text = commands.choices["map"].format_help()  # type: ignore[attr-defined]
    after_usage = text.split("\n\n", 1)[1]  # argparse cannot break an option group's usage
    assert max(len(line) for line in after_usage.splitlines()) <= 80
    assert "\n\nexit status: 0 every record done;" in text  # paragraphs stay apart


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--reduce-template", "Combine: {text}"], "--reduce-template works with --split only"),
        (["--overlap", "8"], "--overlap works with --split only"),
        (["--split-field", "text"], "--split-field works with --split only"),
        (["--batch-retry"], "--batch-retry works with --batch only"),
        (["--batch-poll", "1"], "--batch-poll works with --batch only"),
        (["--workers", "4"], "--workers works with --ray only"),
        (["--include", "*.md"], "--include and --exclude choose files in a directory"),
        (["--simulate", "0", "--base-url", "http://127.0.0.1:9/v1"], "--simulate runs its own"),
    ],
)
def test_an_option_without_the_one_it_works_with_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flags: list[str], words: str
) -> None:
    """Options that only act beside another one are refused alone instead of being silently
    ignored (the job ran as if they were not there), and nothing is sent or written."""
    data = write_records(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    status, _, err = cli(
        capsys, "map", "--template", TEMPLATE, "--input", str(data), "--output", str(out), *flags
    )
    assert status == 2
    assert words in one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_names_the_output_and_keeps_the_journal(
    capsys: pytest.CaptureFixture[str], start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """An output on a full disk (/dev/full) stops the job with one line naming the output and
    saying how to resume; the answers are in the journal (before: "No space left on device"
    alone)."""
    server = start_threaded_sim()
    data = write_records(tmp_path / "in.jsonl", 3)
    journal = tmp_path / "job.journal.sqlite"
    status, _, err = cli(
        capsys, "map", "--template", TEMPLATE, "--input", str(data), "--output", "/dev/full",
        "--journal", str(journal), "--base-url", server.base_url, "--quiet",
    )  # fmt: skip
    assert status == 1
    assert one_line(err) == (
        "aiochain map: error: /dev/full: No space left on device; what finished is in the "
        "journal: rerun the same command to resume and rebuild the output"
    )
    status, out, _ = cli(capsys, "report", str(journal), "--json")
    # The journal commits before the output is written: the rows whose write failed (and
    # any before them) are there; those still in flight when the job stopped may not be.
    assert status == 0 and json.loads(out)["summary"]["ok"] >= 1


def test_no_command_prints_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """`aiochain` alone lists the commands (and where to start) instead of a bare error."""
    from aiochain.cli import main

    assert main([]) == 2
    err = capsys.readouterr().err
    assert "demo" in err and "map" in err and "serve" in err
    assert "aiochain demo" in err
