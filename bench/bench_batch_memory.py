"""Peak memory of `aiochain map --batch` over many short records (issue 25).

    python bench/bench_batch_memory.py [--records 200000] [--src PATH] [--write]

Runs the CLI as users do, in its own process, against one `aiochain serve` in another (its
batches sped up), and reads the CLI process's peak resident memory from the kernel when it
exits (`os.wait4`'s `ru_maxrss`): the server's memory is not counted. `--src` runs another
checkout's code (its `src` folder) to measure before and after. Target: under 300 MB for
200,000 records (the live path needs about 55 MB). Takes a few minutes: not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, server_process, write_section

TEMPLATE = "Summarize the following text:\n\n{text}"


def measure(url: str, records: int, folder: Path, src: str | None) -> dict[str, float]:
    """One batch job over `records` records; its peak RSS (MB), wall time and rows."""
    data = folder / "in.jsonl"
    with data.open("w") as out:
        for i in range(records):
            out.write(json.dumps({"id": f"doc{i}", "text": f"Document {i} is short."}) + "\n")
    output = folder / "out.jsonl"
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench"}
    if src is not None:
        env["PYTHONPATH"] = src
    command = [
        PYTHON, "-m", "aiochain", "map", "--base-url", url, "--template", TEMPLATE,
        "--input", str(data), "--output", str(output), "--journal", str(folder / "journal"),
        "--batch", "--batch-poll", "0.5", "--quiet",
    ]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    assert process.stderr is not None
    errors = process.stderr.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"the job failed ({process.returncode}): {errors[-2000:]}")
    with output.open() as lines:
        rows = sum(1 for _ in lines)
    return {"peak_mb": usage.ru_maxrss / 1024, "wall": wall, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--src", help="another checkout's src folder, to measure its code")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    server = [PYTHON, "-m", "aiochain", "serve", "--port", "0", "--batch-speed", "100000"]
    with server_process(server) as (url, _), tempfile.TemporaryDirectory() as folder:
        result = measure(url, args.records, Path(folder), args.src)
    label = f"`--src {args.src}`" if args.src else "this checkout"
    text = (
        "## `map --batch` peak memory (`bench/bench_batch_memory.py`)\n\n"
        f"| code | records | rows out | peak RSS of the CLI | wall |\n|---|---|---|---|---|\n"
        f"| {label} | {args.records:,} | {result['rows']:,} | {result['peak_mb']:.0f} MB | "
        f"{result['wall']:.0f} s |\n\n"
        "- target: under 300 MB for 200,000 short records (before issue 25: about 1.5 GB; the "
        "live path needs about 55 MB)\n"
        "- `ru_maxrss` of the CLI process alone (the simulator runs in its own process)\n"
    )
    print(text)
    if args.write:
        write_section("batch-memory", text)


if __name__ == "__main__":
    main()
