"""The runner's benchmarks, every client side by side in one run, against `aiochain serve`.

    pip install -e '.[bench]'
    python bench/bench_runner.py                # all six; --only 1,4 for some; --quick for a taste
    python bench/bench_runner.py --write        # also rewrite bench/RESULTS.md

Each client runs in its own process (its CPU time is its own) against a simulation server in
another process on 127.0.0.1. Ratios are to the hand-written aiohttp baseline: one
ClientSession, a semaphore and asyncio.gather. "(fast)" rows run on uvloop with orjson (the
`fast` extra); the other aiochain rows run with both turned off.

1. Overhead: 2,000 calls, 64 in flight, zero latency: client CPU microseconds per call.
2. Latency hiding: 5,000 calls of 0.5 s, 1,000 in flight: wall time and wall / ideal.
3. Scale: 100,000 calls of 1 s, 10,000 in flight: wall and peak RSS.
4. Rate limits: server allows 1,200 rpm; 400 calls with rpm=1200 set, then with no limit set.
5. Faults: 5% of requests fail with 500, 1% of connections drop; every call must succeed.
6. Import: `import aiochain` next to `import aiohttp`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH, PYTHON, machine, server_process, write_section

PLAIN = {"AIOCHAIN_NO_UVLOOP": "1", "AIOCHAIN_PURE_JSON": "1"}
FAST = {"BENCH_LOOP": "uvloop"}
PEERS = ["openai", "openai-aiohttp", "langchain", "litellm"]
ANTHROPIC_PEERS = ["anthropic", "langchain-anthropic"]
LABELS = {
    "baseline": "hand-written aiohttp (baseline)",
    "aiochain": "aiochain ChatOpenAI.amap",
    "aiochain-chain": "aiochain prompt \\| chat \\| parser, amap",
    "openai": "openai SDK (httpx)",
    "openai-aiohttp": "openai SDK (aiohttp transport)",
    "langchain": "LangChain abatch (prompt \\| ChatOpenAI \\| parser)",
    "litellm": "LiteLLM acompletion",
    "baseline-anthropic": "hand-written aiohttp, Messages API (baseline)",
    "aiochain-anthropic": "aiochain ChatAnthropic.amap",
    "anthropic": "anthropic SDK (httpx)",
    "langchain-anthropic": "LangChain abatch (prompt \\| ChatAnthropic \\| parser)",
}


def serve(*options: str) -> Any:
    return server_process([PYTHON, "-m", "aiochain", "serve", "--port", "0", *options])


def client(
    name: str, url: str, n: int, concurrency: int, env: dict[str, str], timeout: float = 900
) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, str(BENCH / "_client.py"), name, url, str(n), str(concurrency)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
    )
    if done.returncode != 0:
        return {"client": name, "error": done.stderr.strip().splitlines()[-1][:120]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def stats_of(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=10) as response:
        return json.load(response)  # type: ignore[no-any-return]


def reset(url: str) -> None:
    request = urllib.request.Request(url.removesuffix("/v1") + "/stats/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    good = [r for r in runs if "error" not in r]
    if not good:
        return runs[0]
    result = dict(good[0])
    for key in ("cpu", "wall", "rss_mb"):
        result[key] = statistics.median(r[key] for r in good)
    return result


Table = list[list[str]]


def table(title: str, header: list[str], rows: Table, notes: list[str]) -> str:
    lines = [
        f"### {title}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def overhead(args: argparse.Namespace) -> str:
    n, c = (500, 64) if args.quick else (2000, 64)
    plan = [
        ("baseline", PLAIN, ""),
        ("aiochain", PLAIN, ""),
        ("aiochain-chain", PLAIN, ""),
        ("baseline", FAST, " (uvloop)"),
        ("aiochain", FAST, " (fast)"),
        ("aiochain-chain", FAST, " (fast)"),
    ]
    if args.before:
        # The same client code at an earlier commit, measured in the same rounds.
        old = {**PLAIN, "PYTHONPATH": str(source_at(args.before))}
        plan += [("aiochain", old, f" @{args.before}"), ("aiochain-chain", old, f" @{args.before}")]
    plan += [(peer, {}, "") for peer in PEERS if peer in args.peers]
    # Anthropic's Messages API on the same simulator, against its own baseline.
    plan += [("baseline-anthropic", PLAIN, ""), ("aiochain-anthropic", PLAIN, "")]
    plan += [(peer, {}, "") for peer in ANTHROPIC_PEERS if peer in args.peers]
    rows: Table = []
    base = None
    runs: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(plan))}
    with serve("--latency", "0") as (url, _):
        # Round-robin over the clients, so that the machine's ups and downs reach all alike.
        for round_number in range(args.repeat):
            for i, (name, env, _) in enumerate(plan):
                if round_number == 0 or name.startswith(("aiochain", "baseline")):
                    runs[i].append(client(name, url, n, c, env))
        for i, (name, _, suffix) in enumerate(plan):
            r = median_of(runs[i])
            if "error" in r:
                rows.append([LABELS[name] + suffix, "failed: " + r["error"], "", ""])
                continue
            per_call = r["cpu"] / r["n"] * 1e6
            if name.startswith("baseline") and not suffix:
                base = per_call  # the rows after a baseline compare with it
            ratio = f"{per_call / base:.2f}x" if base else ""
            rows.append(
                [LABELS[name] + suffix, f"{per_call:.0f}", ratio, "yes" if r["ok"] else "NO"]
            )
            print(f"  1 {name}{suffix}: {per_call:.0f} us/call", flush=True)
    return table(
        f"1. Overhead: {n:,} calls, {c} in flight, zero latency",
        ["client", "client CPU us/call", "vs baseline", "answers right"],
        rows,
        [
            f"median of {args.repeat} runs for aiochain and the baseline, one run for peers",
            "targets: aiochain <= 1.2x (aim parity); aiochain (fast) <= 0.8x of the default-loop "
            "baseline",
        ],
    )


def latency_hiding(args: argparse.Namespace) -> str:
    n, c, latency = (1000, 1000, 0.5) if args.quick else (5000, 1000, 0.5)
    ideal = n / c * latency
    plan = [("baseline", PLAIN, ""), ("aiochain", PLAIN, ""), ("aiochain", FAST, " (fast)")]
    if args.before:
        # The same client code at an earlier commit, measured in the same rounds.
        old = {**PLAIN, "PYTHONPATH": str(source_at(args.before))}
        plan += [("aiochain", old, f" @{args.before}"), ("aiochain-chain", old, f" @{args.before}")]
    plan += [(peer, {}, "") for peer in PEERS if peer in args.peers]
    # Anthropic's Messages API on the same simulator, against its own baseline.
    plan += [("baseline-anthropic", PLAIN, ""), ("aiochain-anthropic", PLAIN, "")]
    plan += [(peer, {}, "") for peer in ANTHROPIC_PEERS if peer in args.peers]
    rows: Table = []
    base = None
    with serve("--latency", str(latency)) as (url, _):
        for name, env, suffix in plan:
            r = client(name, url, n, c, {**env, "BENCH_NO_WARMUP": "1"})
            if "error" in r:
                rows.append([LABELS[name] + suffix, "failed: " + r["error"], "", ""])
                continue
            if name == "baseline":
                base = r["wall"]
            rows.append(
                [
                    LABELS[name] + suffix,
                    f"{r['wall']:.2f} s",
                    f"{r['wall'] / ideal:.2f}",
                    f"{r['wall'] / base:.2f}x" if base else "",
                ]
            )
            print(f"  2 {name}{suffix}: {r['wall']:.2f} s", flush=True)
    return table(
        f"2. Latency hiding: {n:,} calls of {latency} s, {c:,} in flight (ideal {ideal:.1f} s)",
        ["client", "wall", "wall / ideal", "vs baseline"],
        rows,
        ["target: aiochain within 1.1x of the baseline's wall"],
    )


def scale(args: argparse.Namespace) -> str:
    n, c, latency = (20_000, 2_000, 1.0) if args.quick else (100_000, 10_000, 1.0)
    rows: Table = []
    with serve("--latency", str(latency)) as (url, _):
        for name, env in (("aiochain", FAST), ("baseline", FAST)):
            r = client(name, url, n, c, {**env, "BENCH_NO_WARMUP": "1"}, timeout=1800)
            if "error" in r:
                rows.append([LABELS[name], "failed: " + r["error"], "", ""])
                continue
            rows.append(
                [
                    LABELS[name] + " (uvloop)",
                    f"{r['n']:,}",
                    f"{r['wall']:.1f} s",
                    f"{r['rss_mb']:.0f} MB",
                ]
            )
            print(f"  3 {name}: {r['wall']:.1f} s, {r['rss_mb']:.0f} MB", flush=True)
    return table(
        f"3. Scale: {n:,} calls of {latency:g} s, {c:,} in flight (ideal {n / c * latency:.0f} s)",
        ["client", "calls completed", "wall", "peak RSS"],
        rows,
        ["the server runs on the other core; at this size it is the limit on wall time"],
    )


def rate_limits(args: argparse.Namespace) -> str:
    n, rpm = (100, 1200) if args.quick else (400, 1200)
    allowed = n / (rpm / 60)
    rows: Table = []
    for label, env in (
        ("rpm=1200 set", {"BENCH_RPM": str(rpm)}),
        ("no limit set (learns)", {"BENCH_RETRIES": "10"}),
    ):
        with serve("--latency", "0", "--rpm", str(rpm)) as (url, _):
            r = client("aiochain", url, n, 64, {**PLAIN, **env, "BENCH_NO_WARMUP": "1"})
            served = stats_of(url)
        if "error" in r:
            rows.append([label, "failed: " + r["error"], "", "", ""])
            continue
        refused = served["rate_limited"]
        total = served["requests_total"]
        rows.append(
            [
                label,
                f"{r['n']}/{n}",
                f"{r['wall']:.2f} s",
                f"{r['wall'] / allowed:.3f}",
                f"{refused} of {total} ({100 * refused / total:.1f}%)",
            ]
        )
        print(f"  4 {label}: {r['wall']:.2f} s, {refused} x 429", flush=True)
    return table(
        f"4. Rate limits: server allows {rpm} rpm; {n} calls (the limit allows them in "
        f"{allowed:.0f} s)",
        ["client setting", "calls done", "wall", "wall / allowed", "429s"],
        rows,
        [
            "targets: with rpm set, <= 1.05x and under 1% 429; with no limit set, <= 1.3x",
            "the server's bucket holds one second of budget, so its first 20 requests pass at once",
        ],
    )


def faults(args: argparse.Namespace) -> str:
    n, retries = (500, 5) if args.quick else (2000, 5)
    with serve("--latency", "0", "--fail-rate", "0.05", "--drop-rate", "0.01", "--seed", "1") as (
        url,
        _,
    ):
        r = client(
            "aiochain", url, n, 64, {**PLAIN, "BENCH_RETRIES": str(retries), "BENCH_NO_WARMUP": "1"}
        )
        served = stats_of(url)
    if "error" in r:
        row = ["failed: " + r["error"], "", "", "", ""]
    else:
        row = [
            f"{r['n']}/{n}",
            str(served["requests_total"]),
            f"{served['faults'].get('fail', 0)} / {served['faults'].get('drop', 0)}",
            str(served["max_requests_per_prompt"]),
            str(1 + retries),
        ]
    print(f"  5 faults: {row}", flush=True)
    return table(
        f"5. Faults: 5% of requests answer 500, 1% of connections drop; {n:,} calls",
        [
            "calls succeeded",
            "requests sent",
            "500s / drops",
            "most requests for one call",
            "allowed (1 + retries)",
        ],
        [row],
        ["target: every call succeeds; no call sent more often than its retries allow"],
    )


def imports(args: argparse.Namespace) -> str:
    code = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"
    rows: Table = []
    for module in ("aiohttp", "aiochain"):
        times = [
            float(
                subprocess.run(
                    [PYTHON, "-c", code.format(module)], capture_output=True, text=True, check=True
                ).stdout
            )
            for _ in range(7)
        ]
        rows.append([f"import {module}", f"{statistics.median(times) * 1000:.0f} ms"])
        print(f"  6 import {module}: {statistics.median(times) * 1000:.0f} ms", flush=True)
    return table(
        "6. Import time (median of 7 fresh processes)",
        ["", "time"],
        rows,
        ["aiochain imports aiohttp when the first client is built, not at import"],
    )


def source_at(revision: str) -> Path:
    """The package's `src/` at a git revision, exported to a temporary folder."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="aiochain-before-"))
    archive = subprocess.run(
        ["git", "archive", revision, "src"], cwd=BENCH.parent, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


BENCHMARKS: dict[str, Callable[[argparse.Namespace], str]] = {
    "1": overhead,
    "2": latency_hiding,
    "3": scale,
    "4": rate_limits,
    "5": faults,
    "6": imports,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="aiochain runner benchmarks")
    parser.add_argument("--only", default="1,2,3,4,5,6", help="comma-separated numbers")
    parser.add_argument("--repeat", type=int, default=5, help="runs per client in benchmark 1")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a quick look")
    parser.add_argument(
        "--peers",
        default=",".join(PEERS + ANTHROPIC_PEERS),
        help="peer clients to include (comma-separated; empty for none)",
    )
    parser.add_argument(
        "--before",
        metavar="REV",
        help="benchmark 1 also measures aiochain at this git revision, in the same rounds",
    )
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    args.peers = [p for p in args.peers.split(",") if p]
    header = f"Measured {time.strftime('%Y-%m-%d')} on {machine()}."
    print(header, flush=True)
    sections = [BENCHMARKS[key](args) for key in args.only.split(",")]
    report = "\n".join(sections)
    print("\n" + report)
    if args.write:
        if args.only != "1,2,3,4,5,6" or args.quick or args.before:
            sys.exit("--write takes the full run only (no --only, --quick or --before)")
        write_section("runner", "## The runner (`bench/bench_runner.py`)\n\n" + report)
        print("updated bench/RESULTS.md")


if __name__ == "__main__":
    main()
