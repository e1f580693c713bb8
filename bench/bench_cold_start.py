"""Cold start: a fresh interpreter that imports aiochain and makes one call, next to a
hand-written aiohttp script doing the same, both against `aiochain serve` on 127.0.0.1.

    python bench/bench_cold_start.py            # --rounds 15 by default; --write for RESULTS.md

The seed tutorial is a two-call script and every CLI command pays the same start, so the process
CPU of a whole short run is what a user waits for. Each script runs in its own process; its user
plus system CPU is read from the OS once it exits (RUSAGE_CHILDREN deltas). The rounds alternate
the scripts so a busy machine slows both alike; the median is reported. A third row reports
`import aiochain` alone, against `import aiohttp` alone: aiochain's own import cost is the
difference.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, machine, server_process, write_section

BASELINE = """
import asyncio, os, aiohttp
async def main():
    async with aiohttp.ClientSession() as session:
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}]}
        headers = {"Authorization": "Bearer sk-bench"}
        async with session.post(os.environ["OPENAI_BASE_URL"] + "/chat/completions",
                                json=body, headers=headers) as response:
            data = await response.json()
    print(data["choices"][0]["message"]["content"][:20])
asyncio.run(main())
"""

AIOCHAIN = """
import asyncio
from aiochain import ChatOpenAI
async def main():
    async with ChatOpenAI(api_key="sk-bench") as llm:
        answer = await llm.ainvoke("Say hi")
    print(answer.content[:20])
asyncio.run(main())
"""

IMPORT_AIOCHAIN = "import aiohttp, aiochain"
IMPORT_AIOHTTP = "import aiohttp"


def child_cpu(code: str, env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code)], env=env, check=True, stdout=subprocess.DEVNULL
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    scripts = {
        "hand-written aiohttp script, one call": BASELINE,
        "aiochain script (ChatOpenAI.ainvoke), one call": AIOCHAIN,
        "import aiohttp": IMPORT_AIOHTTP,
        "import aiochain": IMPORT_AIOCHAIN,  # beside aiohttp: its own cost is the difference
    }
    # An installed package is byte-compiled (pip does it); a checkout under
    # PYTHONDONTWRITEBYTECODE would compile its changed modules on every start instead.
    import aiochain

    compileall.compile_dir(os.path.dirname(aiochain.__file__), quiet=1)
    times: dict[str, list[float]] = {name: [] for name in scripts}
    with server_process([PYTHON, "-m", "aiochain", "serve", "--port", "0"]) as (url, _pid):
        env = {**os.environ, "OPENAI_BASE_URL": url, "AIOCHAIN_NO_UVLOOP": "1"}
        for code in scripts.values():  # warm the OS file cache once
            child_cpu(code, env)
        for _ in range(args.rounds):
            for name, code in scripts.items():
                times[name].append(child_cpu(code, env))
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    base = median["hand-written aiohttp script, one call"]
    lines = [
        f"Median process CPU (user + system) of {args.rounds} alternated rounds; {machine()}.",
        "",
        "| script | CPU ms | ratio |",
        "|---|---:|---:|",
    ]
    for name in list(scripts)[:2]:
        lines.append(f"| {name} | {median[name]:.0f} | {median[name] / base:.2f}x |")
    own = median["import aiochain"] - median["import aiohttp"]
    lines += [
        f"| `import aiohttp` alone | {median['import aiohttp']:.0f} | |",
        f"| `import aiohttp, aiochain` | {median['import aiochain']:.0f} | |",
        "",
        f"`import aiochain` costs {own:.0f} ms of its own beyond aiohttp (the difference of "
        "the two).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("Cold start", text)


if __name__ == "__main__":
    main()
