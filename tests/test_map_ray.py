"""`aiochain map --ray` (issue 20) on a local Ray cluster started once for the session, as
users run it: the CLI in a subprocess, joining that cluster by its address. Marked `ray`: plain
`pytest` leaves them out; `pip install -e '.[ray]' && pytest -m ray` runs them (CI does). The
last test, that plain `map` never imports ray, needs no cluster and runs with plain `pytest`."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aiochain.sim import SimServer

from .conftest import PYTHON
from .test_map import TEMPLATE, map_cli, rows, write_jsonl

StartThreaded = Callable[..., SimServer]


def ids_of(path: Path) -> list[str]:
    return [r["id"] for r in rows(path)]


@pytest.mark.ray
def test_ray_output_equals_the_local_output(
    cluster: str, start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """The same input through `--ray` (2 workers) and locally: the same rows, in input order
    with --ordered, and every record sent once."""
    server = start_threaded_sim(latency=0.01)
    data = write_jsonl(tmp_path / "in.jsonl", 200)
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    common = ("--template", TEMPLATE, "--input", str(data), "--ordered", "--quiet")
    done = map_cli(server.base_url, *common, "--output", str(local))
    assert done.returncode == 0, done.stderr
    done = map_cli(
        server.base_url, *common, "--output", str(remote), "--ray", cluster, "--workers", "2"
    )
    assert done.returncode == 0, done.stderr
    assert rows(remote) == rows(local)
    assert server.stats()["requests_total"] == 400


@pytest.mark.ray
def test_four_workers_hold_a_600_rpm_server(
    cluster: str, start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """4 workers, no client limit, against `serve --rpm 600`: the cluster learns the limit
    from the first answer and shares it, so under 2% of requests are refused and none fail."""
    server = start_threaded_sim(rpm=600, latency=0.02)
    data = write_jsonl(tmp_path / "in.jsonl", 150)
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    done = map_cli(
        server.base_url,
        *("--template", TEMPLATE, "--input", str(data), "--output", str(out), "--quiet"),
        *("--ray", cluster, "--workers", "4", "--concurrency", "16"),
        env={"OPENAI_API_KEY": "sk-test"},
    )
    wall = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert sorted(ids_of(out)) == sorted(f"doc{i}" for i in range(150))
    assert all("error" not in r for r in rows(out))
    stats = server.stats()
    assert stats["rate_limited"] <= 0.02 * stats["requests_total"], stats
    # 150 requests at 10 a second (less the half second of burst) take 14 s at least.
    assert wall >= 14.0


def _worker_pids() -> list[int]:
    """Processes of the map's worker actors (Ray titles them after the UDF class)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"MapBatches(Answerer)" in title:
            pids.append(int(entry.name))
    return pids


@pytest.mark.ray
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds workers in /proc")
def test_a_killed_worker_and_a_rerun_write_every_id_once(
    cluster: str, start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """SIGKILL a worker actor mid-run, then rerun the same command: the output holds every id
    exactly once (Ray retries the dead worker's tasks; the driver takes one row per record)."""
    server = start_threaded_sim(latency=0.2)
    data = write_jsonl(tmp_path / "in.jsonl", 600)
    out = tmp_path / "out.jsonl"
    args = [
        *("-m", "aiochain", "map", "--base-url", server.base_url, "--template", TEMPLATE),
        *("--input", str(data), "--output", str(out), "--quiet"),
        *("--ray", cluster, "--workers", "2", "--concurrency", "4"),
    ]
    job = subprocess.Popen([PYTHON, *args], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    killed = False
    while time.monotonic() < deadline and job.poll() is None:
        if out.exists() and len(out.read_text().splitlines()) >= 100:
            pids = _worker_pids()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed = True
                break
        time.sleep(0.05)  # the job is another process: its progress can only be polled
    assert killed, "no worker actor found to kill"
    job.communicate(timeout=180)
    rerun = subprocess.run([PYTHON, *args], capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    counts = collections.Counter(ids_of(out))
    assert set(counts) == {f"doc{i}" for i in range(600)}
    assert max(counts.values()) == 1
    sent = server.stats()["requests_total"]
    print(f"requests for 600 records with one worker killed: {sent}")
    assert 600 <= sent <= 600 + 2 * 4 * 16 * 4  # at most the dead worker's batches again


@pytest.mark.ray
def test_ctrl_c_exits_130_and_the_rerun_finishes(
    cluster: str, start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Ctrl-C (SIGINT to the job's process group, as a terminal sends it) while `--ray` runs:
    status 130 with the resume line and no traceback, as the local job; the rerun finishes."""
    server = start_threaded_sim(latency=0.2)
    data = write_jsonl(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out.jsonl"
    args = [
        *("-m", "aiochain", "map", "--base-url", server.base_url, "--template", TEMPLATE),
        *("--input", str(data), "--output", str(out), "--quiet"),
        *("--ray", cluster, "--workers", "1", "--concurrency", "4"),
    ]
    job = subprocess.Popen(
        [PYTHON, *args], stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and job.poll() is None:
        if out.exists() and len(out.read_text().splitlines()) >= 20:
            break
        time.sleep(0.05)  # the job is another process: its progress can only be polled
    os.killpg(job.pid, signal.SIGINT)
    _, err = job.communicate(timeout=120)
    assert job.returncode == 130, err
    assert "Resume with" in err and "Traceback" not in err
    rerun = subprocess.run([PYTHON, *args], capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(ids_of(out)) == sorted(f"doc{i}" for i in range(300))


def test_plain_map_never_imports_ray(tmp_path: Path) -> None:
    """`import aiochain` and a plain (local) `map` run leave ray out of sys.modules."""
    data = write_jsonl(tmp_path / "in.jsonl", 3)
    code = (
        "import sys, aiochain\n"
        "from aiochain.cli import main\n"
        f"status = main(['map', '--template', '{{text}}', '--input', {str(data)!r},"
        f" '--output', {str(tmp_path / 'out.jsonl')!r}, '--simulate', '0', '--quiet'])\n"
        "print(status, 'ray' in sys.modules, 'aiochain.cli.map.ray_backend' in sys.modules)\n"
    )
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "False", "False"]
    assert json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])["output"]
