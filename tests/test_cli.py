"""The command line, run as users run it: in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request

import pytest

from .conftest import PYTHON


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "aiochain", *args], capture_output=True, text=True, timeout=timeout
    )


def test_demo_runs_offline_and_shows_both_timings() -> None:
    """`aiochain demo` prints both summaries, the sequential and gathered timings, then maps
    the 1,000 bundled documents on the simulated API."""
    done = run_cli("demo", "--latency", "0.3")
    assert done.returncode == 0, done.stderr
    assert "Summary 1: This is a very long document" in done.stdout
    assert "Summary 2: This document explores" in done.stdout
    assert "one after the other" in done.stdout
    assert "asyncio.gather" in done.stdout
    assert "1,000 summaries in" in done.stdout
    assert "The story of the printing press" in done.stdout


@pytest.mark.parametrize(("provider", "api"), [("anthropic", "Anthropic"), ("azure", "Azure")])
def test_demo_runs_against_anthropic_and_azure(provider: str, api: str) -> None:
    """`aiochain demo --provider` runs the same demo on the simulated Anthropic or Azure API."""
    done = run_cli("demo", "--latency", "0.1", "--provider", provider)
    assert done.returncode == 0, done.stderr
    assert f"simulated {api}" in done.stdout
    assert "Summary 1: This is a very long document" in done.stdout
    assert "1,000 summaries in" in done.stdout


def test_bad_flag_value_is_one_line_and_status_2() -> None:
    """A bad option value gets a one-line error and exit status 2, no traceback."""
    for args in (
        ("serve", "--fail-rate", "2"),
        ("serve", "--port", "x"),
        ("serve", "--latency", "-1"),
        ("nonsense",),
    ):
        done = run_cli(*args)
        assert done.returncode == 2, args
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr


def test_serve_prints_url_answers_and_stops_on_sigint() -> None:
    """`aiochain serve --port 0` prints its URL and settings, answers, and stops on Ctrl-C."""
    process = subprocess.Popen(
        [PYTHON, "-m", "aiochain", "serve", "--port", "0", "--latency", "0", "--rpm", "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        settings = process.stdout.readline()
        assert "http://127.0.0.1:" in first
        assert "rpm 600" in settings
        base_url = first.split(" at ", 1)[1].split()[0]
        with urllib.request.urlopen(base_url.removesuffix("/v1") + "/health", timeout=10) as r:
            assert json.load(r) == {"status": "ok"}
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert "stopped" in out


def test_serve_port_in_use_is_one_line_error() -> None:
    """A port that cannot be bound is reported in one line with status 1."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_cli("serve", "--port", str(port))
    assert done.returncode == 1
    assert "cannot listen" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
