"""Helpers the benchmarks share: start servers in subprocesses, read a process's CPU time."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@contextmanager
def server_process(
    args: list[str], *, ready_word: str = "http://", env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """Run a server command that prints its URL on its first line; yield (base URL, pid)."""
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if ready_word not in line:
            raise RuntimeError(f"server did not start: {line!r}")
        url = next(word for word in line.split() if word.startswith("http://"))
        yield url.rstrip(".,"), process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def machine() -> str:
    """One line describing this machine."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def write_section(name: str, text: str) -> None:
    """Put `text` in bench/RESULTS.md between this section's markers (added if missing)."""
    results = BENCH / "RESULTS.md"
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    stamp = f"_Measured {time.strftime('%Y-%m-%d')} on {machine()}._\n\n"
    block = f"{begin}\n{stamp}{text.rstrip()}\n{end}"
    current = results.read_text() if results.exists() else "# Benchmark results\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    results.write_text(current)
