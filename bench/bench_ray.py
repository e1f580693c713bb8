"""`aiochain map` locally and with `--ray` on 1 and 2 workers: the same job, the same server.

    python bench/bench_ray.py [--records 20000] [--latency 0.05] [--write]

One `aiochain serve` in its own process answers every run. Each run is the CLI as users run
it, in a subprocess that starts its own local Ray cluster (`--ray` without an address): wall
time from launch to exit, the job's own "wall time" (after checking the input), and the CPU
seconds the whole machine spent meanwhile (from /proc/stat: the driver, the cluster's daemons,
the workers and the server together). Start-up overhead is the wall time of a one-record job.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, server_process, write_section

TEMPLATE = "Summarize the following text:\n\n{text}"


def machine_cpu() -> float:
    """CPU seconds spent by the whole machine so far (user + system)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system = (int(v) for v in fields[:3])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


def run(base_url: str, data: Path, out: Path, extra: list[str]) -> dict[str, float]:
    started, cpu = time.monotonic(), machine_cpu()
    done = subprocess.run(
        [
            *(PYTHON, "-m", "aiochain", "map", "--base-url", base_url, "--template", TEMPLATE),
            *("--input", str(data), "--output", str(out), "--no-resume", "--concurrency", "64"),
            *extra,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "OPENAI_API_KEY": "sk-bench", "AIOCHAIN_PROGRESS_SECONDS": "3600"},
    )
    wall, cpu = time.monotonic() - started, machine_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    job = float(re.search(r"wall time: ([\d.]+) s", done.stderr).group(1))  # type: ignore[union-attr]
    return {"wall": wall, "job": job, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    server = [PYTHON, "-m", "aiochain", "serve", "--port", "0", "--latency", str(args.latency)]
    cases = [("local", []), ("--ray, 1 worker", ["--ray", "--workers", "1"])]
    cases.append(("--ray, 2 workers", ["--ray", "--workers", "2"]))
    results = []
    with tempfile.TemporaryDirectory() as tmp, server_process(server) as (base_url, _):
        data, one = Path(tmp) / "in.jsonl", Path(tmp) / "one.jsonl"
        with data.open("w") as f:
            for i in range(args.records):
                f.write(json.dumps({"id": f"doc{i}", "text": f"Document {i}. It goes on."}) + "\n")
        one.write_text(json.dumps({"id": "one", "text": "One."}) + "\n")
        for name, extra in cases:
            start = run(base_url, one, Path(tmp) / "one.out", extra)
            full = run(base_url, data, Path(tmp) / "out.jsonl", extra)
            results.append((name, start, full))
            print(name, start, full, flush=True)
    base = results[0][1]["wall"]
    lines = [
        f"{args.records:,} records, `--concurrency 64` per process or worker, against "
        f"`aiochain serve --latency {args.latency}` in its own process; every `--ray` run starts "
        "its own local cluster.",
        "",
        "| run | wall (launch to exit) | job wall | records/s (job) | machine CPU s "
        "| start-up (1-record job) | overhead vs local |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, start, full in results:
        lines.append(
            f"| {name} | {full['wall']:.1f} s | {full['job']:.1f} s | "
            f"{args.records / full['job']:,.0f} | {full['cpu']:.1f} | {start['wall']:.1f} s | "
            f"+{start['wall'] - base:.1f} s |"
        )
    lines += [
        "",
        "What a 2-core machine can and cannot show: the driver, the simulator, Ray's daemons "
        "and the workers share two cores. One worker is bound by its own process; a second uses "
        "the other core; `--ray` cannot beat one local process here, which already keeps the "
        "server busy. What it shows is the price of `--ray`: the start-up (a local cluster, "
        "then the worker actors), the CPU of moving rows through Ray Data and back to the "
        "driver, and "
        "that the output and the journal are the same. The gain of more workers (CPU-heavy "
        "steps, several machines) needs more cores than this machine has.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("ray", "## `map --ray` (`bench/bench_ray.py`)\n\n" + text)


if __name__ == "__main__":
    main()
