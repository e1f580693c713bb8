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
    body = re.search(r'<tbody id="rows-body">(.*?)</tbody>', shown.stdout, re.S)
    assert body is not None and body.group(1).count("<tr>") == 60
    ARTIFACTS.mkdir(exist_ok=True)
    for name, size in (("report-1280.png", "1280,2200"), ("report-phone.png", "390,2400")):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        taken = run_browser(tmp_path, f"--window-size={size}", f"--screenshot={shot}", page)
        assert taken.returncode == 0, taken.stderr
        assert [line for line in taken.stderr.splitlines() if ":CONSOLE" in line] == []
        assert shot.read_bytes().startswith(b"\x89PNG")
