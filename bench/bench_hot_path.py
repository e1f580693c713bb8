"""The model call's hot path in Python function calls: how many calls (Python and C) the client
thread makes per `ainvoke`, for each provider, now and at an earlier revision, side by side.

    python bench/bench_hot_path.py --before main

CPU time on a shared machine swings by a third between runs; a count of calls does not depend
on the load, so it shows whether a change added work to every call (issue 23: one model-call
prologue, and no callback work unless someone listens). The simulator runs on its own thread,
whose calls are not counted; what varies a little between runs is how often a call waits.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON

CALLS = 200

CLIENT = """
import asyncio, json, sys
from aiochain import ChatAnthropic, ChatOpenAI, OpenAI
from aiochain.sim import SimServer

N = __N__

async def main():
    server = SimServer()
    out = {}
    with server.serve_in_thread() as url:
        models = {
            "ChatOpenAI": ChatOpenAI(base_url=url),
            "ChatOpenAI(use_responses_api=True)": ChatOpenAI(base_url=url, use_responses_api=True),
            "OpenAI": OpenAI(base_url=url),
            "ChatAnthropic": ChatAnthropic(
                base_url=server.root_url, api_key="bench-key-0123", model="claude-haiku-4-5"
            ),
        }
        for name, model in models.items():
            for _ in range(20):
                await model.ainvoke("warm up")
            calls = 0

            def count(frame, event, arg):
                nonlocal calls
                if event in ("call", "c_call"):
                    calls += 1

            sys.setprofile(count)
            for _ in range(N):
                await model.ainvoke("Hello there, how are you.")
            sys.setprofile(None)
            out[name] = calls / N
            await model.aclose()
    print(json.dumps(out))

asyncio.run(main())
""".replace("__N__", str(CALLS))


def measure(pythonpath: str | None) -> dict[str, float]:
    env = {**os.environ, "AIOCHAIN_NO_UVLOOP": "1"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    done = subprocess.run(
        [PYTHON, "-c", CLIENT], capture_output=True, text=True, timeout=300, env=env, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Python calls per model call, before and after")
    parser.add_argument("--before", metavar="REV", help="also measure this git revision")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, alternating")
    args = parser.parse_args()
    old = None
    if args.before:
        from bench_runner import source_at

        old = str(source_at(args.before))
    runs: dict[str, list[dict[str, float]]] = {"now": [], "before": []}
    for _ in range(args.repeat):
        runs["now"].append(measure(None))
        if old:
            runs["before"].append(measure(old))
    print(f"| model | calls per ainvoke (now) |{' @' + args.before + ' |' if old else ''}")
    print(f"|---|---|{'---|' if old else ''}")
    for name in runs["now"][0]:
        now = min(r[name] for r in runs["now"])
        row = f"| {name} | {now:.0f} |"
        if old:
            row += f" {min(r[name] for r in runs['before']):.0f} |"
        print(row)
    print(f"\n- {CALLS} calls each, fewest of {args.repeat} runs (fewest waits)")


if __name__ == "__main__":
    main()
