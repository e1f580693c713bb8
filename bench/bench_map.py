"""`aiochain map` (journal on) next to `amap` over the same records, in the same run.

    python bench/bench_map.py [--records 100000] [--concurrency 64] [--write]

Both send the same chat requests to one `aiochain serve --latency 0` in its own process, on the
same event loop settings, and are timed over the run itself (the CLI's own "wall time", which
excludes interpreter start-up). They alternate for `--rounds` rounds and each keeps its best
run, so that the machine's ups and downs do not decide the ratio. Target: the CLI keeps at least
80% of amap's throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, machine, server_process, write_section

TEMPLATE = "Summarize the following text:\n\n{text}"

AMAP = r"""
import asyncio, json, sys, time
from aiochain import ChatOpenAI, PromptTemplate, run
path, url, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
records = [json.loads(line) for line in open(path)]
async def main():
    async with ChatOpenAI(base_url=url, api_key="sk", max_retries=4) as chat:
        chain = PromptTemplate.from_template(sys.argv[4]) | chat
        started = time.perf_counter()
        results = await chain.amap(({"text": r["text"]} for r in records), concurrency=concurrency)
        print(json.dumps({"n": len(results), "wall": time.perf_counter() - started}))
run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "records.jsonl"
        source.write_text(
            "".join(
                json.dumps({"id": f"r{i}", "text": f"Record {i} is short. It ends here."}) + "\n"
                for i in range(args.records)
            )
        )
        with server_process(
            [PYTHON, "-m", "aiochain", "serve", "--port", "0", "--latency", "0"]
        ) as (url, _):
            amap_walls, cli_walls = [], []
            for _ in range(args.rounds):
                amap = json.loads(
                    subprocess.run(
                        [PYTHON, "-c", AMAP, str(source), url, str(args.concurrency), TEMPLATE],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                )
                amap_walls.append(amap["wall"])
                cli = subprocess.run(
                    [
                        PYTHON,
                        "-m",
                        "aiochain",
                        "map",
                        "--base-url",
                        url,
                        "--template",
                        TEMPLATE,
                        "--input",
                        str(source),
                        "--no-resume",
                        "--output",
                        str(Path(folder) / "out.jsonl"),
                        "--concurrency",
                        str(args.concurrency),
                    ],
                    capture_output=True,
                    text=True,
                    # No progress lines, only the summary (with its wall time) at the end.
                    env={**os.environ, "AIOCHAIN_PROGRESS_SECONDS": "3600"},
                )
                if cli.returncode != 0:
                    sys.exit(f"aiochain map failed: {cli.stderr[-500:]}")
                match = re.search(r"wall time: ([\d.]+) s", cli.stderr)
                assert match is not None
                cli_walls.append(float(match.group(1)))
                checked = re.search(r"input check: ([\d.]+) s", cli.stderr)
                assert checked is not None
                indexing = float(checked.group(1))
                written = len((Path(folder) / "out.jsonl").read_text().splitlines())
            amap["wall"], wall = min(amap_walls), min(cli_walls)
    amap_rate = amap["n"] / amap["wall"]
    cli_rate = written / wall
    report = "\n".join(
        [
            f"### `aiochain map` vs `amap`: {args.records:,} short records, zero latency, "
            f"{args.concurrency} in flight (`bench/bench_map.py`)",
            "",
            "| | records | wall | records/s | vs amap |",
            "|---|---|---|---|---|",
            f"| `chain.amap` | {amap['n']:,} | {amap['wall']:.1f} s | {amap_rate:,.0f} | 1.00x |",
            f"| `aiochain map` (journal, group commit) | {written:,} | {wall:.1f} s | "
            f"{cli_rate:,.0f} | {cli_rate / amap_rate:.2f}x |",
            "",
            f"- best of {args.rounds} alternating runs each",
            "- target: the CLI with its journal keeps at least 80% of amap's throughput",
            "- the CLI's wall time is its run after the input check (as amap's excludes loading "
            "its records) and includes group commit: each row committed on the journal's thread "
            f"before its worker takes the next record; the input check took {indexing:.1f} s",
            "",
        ]
    )
    print(f"{machine()}\n\n{report}")
    if args.write:
        write_section("map", report)


if __name__ == "__main__":
    main()
