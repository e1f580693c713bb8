"""The report page in a real headless browser (issue 19): its script runs without an error or a
console message, fills the table of rows, and screenshots at 1280 px and at a phone's width
are kept under tests/artifacts/. Run with `pytest -m browser` (.ci/run does, after installing
Debian's chromium package)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_map import rows
from .test_map_service import StartThreaded
from .test_report import run_faulty_jobs

ARTIFACTS = ROOT / "tests" / "artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

pytestmark = pytest.mark.browser


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "no Chromium installed: install Debian's chromium package (apt-get install -y "
        "chromium), as .ci/run does when it runs as root"
    )


def run_browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with its console messages on stderr (`...:CONSOLE...` lines)."""
    return subprocess.run(
        [
            browser(),
            "--headless",
            "--no-sandbox",  # as root (CI containers) Chromium refuses to start without it
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def table_rows(dom: str) -> list[list[str]]:
    """The cells of the table of rows, as the browser rendered it."""
    body = re.search(r'<tbody id="rows-body">(.*?)</tbody>', dom, re.S)
    assert body is not None
    return [
        re.findall(r"<td[^>]*>([^<]*)</td>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def column(dom: str, heading: str) -> int:
    """The index of the table of rows' column headed `heading`, as the browser rendered it."""
    head = re.search(r'<table id="rows"><thead><tr>(.*?)</tr>', dom, re.S)
    assert head is not None
    return re.findall(r"<th[^>]*>([^<]*)</th>", head.group(1)).index(heading)


def test_the_report_renders_in_chromium_without_errors(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """The page's script runs to its end (it writes `ok` into #report-status only then), logs
    nothing to the console, and renders every row; screenshots go to tests/artifacts/."""
    run_faulty_jobs(start_threaded_sim, tmp_path)
    page = (tmp_path / "report0.html").resolve().as_uri()
    shown = run_browser(tmp_path, "--dump-dom", page)
    assert shown.returncode == 0, shown.stderr
    console = [line for line in shown.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    status = re.search(r'id="report-status"[^>]*>([^<]*)<', shown.stdout)
    assert status is not None and status.group(1) == "ok"
    assert len(table_rows(shown.stdout)) == 60

    # The view in the address: only failed rows, most attempts first; then a text filter.
    expected = sum("error" in row for row in rows(tmp_path / "out0.jsonl"))
    shown = run_browser(tmp_path, "--dump-dom", page + "#status=failed&sort=attempts:desc")
    assert [line for line in shown.stderr.splitlines() if ":CONSOLE" in line] == []
    failed = table_rows(shown.stdout)
    assert len(failed) == expected and {row[1] for row in failed} <= {"failed"}
    attempts = [int(row[column(shown.stdout, "attempts")]) for row in failed]
    assert attempts == sorted(attempts, reverse=True)
    shown = run_browser(tmp_path, "--dump-dom", page + "#q=doc1")
    assert sorted(row[0] for row in table_rows(shown.stdout)) == sorted(
        f"doc{i}" for i in range(60) if str(i).startswith("1")
    )

    ARTIFACTS.mkdir(exist_ok=True)
    for name, size in (("report-1280.png", "1280,2200"), ("report-phone.png", "390,2400")):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        taken = run_browser(tmp_path, f"--window-size={size}", f"--screenshot={shot}", page)
        assert taken.returncode == 0, taken.stderr
        assert [line for line in taken.stderr.splitlines() if ":CONSOLE" in line] == []
        assert shot.read_bytes().startswith(b"\x89PNG")
