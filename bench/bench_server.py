"""How fast `aiochain serve` answers, next to a minimal aiohttp server, in the same run.

    python bench/bench_server.py [--seconds 8] [--connections 1000]

Each server runs alone in its own process at zero latency while a load generator keeps
`--connections` connections busy with chat completion requests: wrk when it is installed (C, so
the load generator is not the bottleneck: `apt-get install wrk`), else a Python aiohttp client
in a separate process. Prints requests per second, the server's CPU microseconds per request
(from /proc), and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH,
    PYTHON,
    cpu_seconds,
    machine,
    server_process,
    write_section,
)

BODY = json.dumps(
    {
        "model": "gpt-4o-mini",
        "messages": [
            {
                "role": "user",
                "content": "Summarize the following text:\n\nThe internet began as ARPANET. "
                "Packet switching made it robust. The web made it popular.",
            }
        ],
    }
)


def run_wrk(url: str, seconds: float, connections: int) -> tuple[int, int]:
    """Returns (requests answered 2xx, non-2xx)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(BODY)}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(script.name).unlink()
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return total - errors, errors


PY_LOAD = r"""
import asyncio, sys, time, aiohttp
url, seconds, conns, body = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
async def main():
    ok = bad = 0
    end = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        async def worker():
            nonlocal ok, bad
            while time.monotonic() < end:
                headers = {"Content-Type": "application/json"}
                async with s.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status == 200: ok += 1
                    else: bad += 1
        await asyncio.gather(*(worker() for _ in range(conns)))
    print(ok, bad)
asyncio.run(main())
"""


def run_python_load(url: str, seconds: float, connections: int) -> tuple[int, int]:
    out = subprocess.run(
        [PYTHON, "-c", PY_LOAD, url, str(seconds), str(connections), BODY],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(out[0]), int(out[1])


def measure(
    command: list[str], seconds: float, connections: int, use_wrk: bool
) -> dict[str, float]:
    # Both servers on the default event loop: `aiochain serve` would pick uvloop when installed.
    with server_process(command, env={"AIOCHAIN_NO_UVLOOP": "1"}) as (base_url, pid):
        url = base_url + "/chat/completions"
        load = run_wrk if use_wrk else run_python_load
        load(url, 1.0, min(connections, 100))  # warm up
        cpu_before = cpu_seconds(pid)
        started = time.monotonic()
        ok, bad = load(url, seconds, connections)
        wall = time.monotonic() - started
        cpu = cpu_seconds(pid) - cpu_before
    return {"ok": ok, "bad": bad, "rps": ok / wall, "cpu_us": cpu / max(ok, 1) * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None
    print(f"# bench_server: {machine()}")
    print(
        f"# load: {'wrk' if use_wrk else 'python aiohttp client'}, {args.connections} "
        f"connections, {args.seconds:g} s per server, zero latency"
    )
    servers = {
        "minimal aiohttp hello": [PYTHON, str(BENCH / "_hello_server.py")],
        "aiochain serve": [PYTHON, "-m", "aiochain", "serve", "--port", "0", "--latency", "0"],
    }
    results = {
        name: measure(cmd, args.seconds, args.connections, use_wrk) for name, cmd in servers.items()
    }
    base = results["minimal aiohttp hello"]
    lines = [
        f"### `aiochain serve` at {args.connections:,} connections, zero latency "
        f"(`bench/bench_server.py`)",
        "",
        "| server | requests | errors | req/s | server CPU us/req | rate vs hello |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['ok']:,.0f} | {r['bad']:.0f} | {r['rps']:,.0f} | "
            f"{r['cpu_us']:.0f} | {r['rps'] / base['rps']:.2f}x |"
        )
    lines += [
        "",
        f"- load from {'wrk' if use_wrk else 'a Python aiohttp client'}, "
        f"{args.seconds:g} s per server; each server alone in its own process",
        "- aim: at least half the minimal server's rate",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section("server", report)


if __name__ == "__main__":
    asyncio.run(asyncio.sleep(0))
    main()
