"""Streaming: 1,000 concurrent streams of 100 tokens, every client side by side in one run.

    python bench/bench_streaming.py [--streams 1000] [--tokens 100] [--write]

Against `aiochain serve --latency 0.5 --tokens-per-second 100` in its own process. Prints the
client CPU per chunk (ratio to a hand-written aiohttp SSE reader) and the time to the first
chunk beyond the server's own latency, p50 and p99. Each client runs in its own process, on the
default event loop with the standard json module.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH, PYTHON, machine, server_process, write_section

LABELS = {
    "baseline": "hand-written aiohttp SSE reader (baseline)",
    "aiochain": "aiochain ChatOpenAI.astream",
    "openai": "openai SDK stream=True",
}
LATENCY = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    env = {**os.environ, "AIOCHAIN_NO_UVLOOP": "1", "AIOCHAIN_PURE_JSON": "1"}
    results: dict[str, list[dict]] = {name: [] for name in LABELS}
    command = [
        PYTHON,
        "-m",
        "aiochain",
        "serve",
        "--port",
        "0",
        "--latency",
        str(LATENCY),
        "--tokens-per-second",
        "100",
    ]
    with server_process(command) as (url, _):
        for _ in range(args.repeat):
            for name in LABELS:
                out = subprocess.run(
                    [
                        PYTHON,
                        str(BENCH / "_stream_client.py"),
                        name,
                        url,
                        str(args.streams),
                        str(args.tokens),
                    ],
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=600,
                )
                if out.returncode != 0:
                    sys.exit(f"{name} failed: {out.stderr.strip()[-300:]}")
                results[name].append(json.loads(out.stdout))
                print(f"  {name}: done", flush=True)
    rows = []
    base = None
    for name, runs in results.items():
        per_chunk = statistics.median(r["cpu"] / r["chunks"] * 1e6 for r in runs)
        firsts = sorted(t - LATENCY for r in runs for t in r["first"])
        p50 = firsts[len(firsts) // 2] * 1000
        p99 = firsts[int(len(firsts) * 0.99)] * 1000
        base = base or per_chunk
        chunks = runs[0]["chunks"]
        rows.append(
            f"| {LABELS[name]} | {chunks:,} | {per_chunk:.1f} | {per_chunk / base:.2f}x "
            f"| {p50:.0f} ms | {p99:.0f} ms |"
        )
    report = "\n".join(
        [
            f"### Streaming: {args.streams:,} concurrent streams of {args.tokens} tokens "
            f"(server latency {LATENCY} s, 100 tokens/s, `bench/bench_streaming.py`)",
            "",
            "| client | chunks per run | client CPU us/chunk | vs baseline | time to first chunk "
            "beyond latency, p50 | p99 |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"- median of {args.repeat} runs for CPU; first-chunk times pooled over all runs",
            "- target: aiochain within 1.3x of the hand-written reader's CPU per chunk",
            "",
        ]
    )
    print(f"Measured {time.strftime('%Y-%m-%d')} on {machine()}.\n\n{report}")
    if args.write:
        write_section("streaming", report)


if __name__ == "__main__":
    main()
