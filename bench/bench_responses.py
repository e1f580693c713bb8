"""CPU per call on OpenAI's Responses API next to chat completions (issue 30).

    python bench/bench_responses.py             # prints the table
    python bench/bench_responses.py --write     # also rewrites its section of bench/RESULTS.md

Benchmark 1 of `bench_runner.py` (2,000 calls, 64 in flight, zero latency, against `aiochain
serve` in another process), for four clients round-robin in one run: the hand-written aiohttp
baseline and `ChatOpenAI.amap` on `/v1/chat/completions`, then the same two on `/v1/responses`
(the baseline sending `input` and reading `output[0].content[0].text`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_section
from bench_runner import PLAIN, client, median_of, serve, table

LABELS = {
    "baseline": "hand-written aiohttp, chat completions (baseline)",
    "aiochain": "aiochain ChatOpenAI.amap, chat completions",
    "baseline-responses": "hand-written aiohttp, Responses API (baseline)",
    "aiochain-responses": "aiochain ChatOpenAI(use_responses_api=True).amap",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per client")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    n, c = args.calls, 64
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in LABELS}
    with serve("--latency", "0") as (url, _):
        for _ in range(args.repeat):
            for name in LABELS:
                runs[name].append(client(name, url, n, c, PLAIN))
    rows = []
    base = 0.0
    for name, label in LABELS.items():
        r = median_of(runs[name])
        if "error" in r:
            rows.append([label, "failed: " + r["error"], "", ""])
            continue
        per_call = r["cpu"] / r["n"] * 1e6
        if name.startswith("baseline"):
            base = per_call
        ok = "yes" if r["ok"] else "NO"
        rows.append([label, f"{per_call:.0f}", f"{per_call / base:.2f}x", ok])
    text = table(
        f"The Responses API in benchmark 1: {n:,} calls, {c} in flight, zero latency",
        ["client", "client CPU us/call", "vs its baseline", "answers right"],
        rows,
        [f"median of {args.repeat} runs, round-robin; each ratio is to the baseline above it"],
    )
    print(text)
    if args.write:
        write_section("responses", text)


if __name__ == "__main__":
    main()
