"""What `astream_events` costs per streamed chunk, aiochain next to LangChain, against
`aiochain serve` (zero latency) in another process.

    pip install -e '.[bench]'
    python bench/bench_events.py            # --quick for a taste, --write to update RESULTS.md

Each client runs in its own process and reports the CPU it spent streaming N answers of about
TOKENS chunks through `prompt | ChatOpenAI | StrOutputParser`, 16 at once: once with `astream`
(the chunks only) and once with `astream_events(version="v2")`, reading every event. The CPU
is divided by the model chunks streamed. aiochain runs with uvloop and orjson off, as LangChain
does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, server_process, write_section

PLAIN = {"AIOCHAIN_NO_UVLOOP": "1", "AIOCHAIN_PURE_JSON": "1"}
KEY, MODEL = "sk-bench", "gpt-4o-mini"
CLIENTS = ["aiochain astream", "aiochain astream_events", "langchain astream"]
CLIENTS += ["langchain astream_events"]
# Thirty ten-word sentences: the simulated answer is the first ten, cut at max_tokens.
PROMPT = "{topic}: " + " ".join(
    f"Sentence {i} has exactly ten words in it, counting this." for i in range(30)
)
CONCURRENT = 16


async def _run(name: str, url: str, n: int, tokens: int) -> dict[str, Any]:
    if name.startswith("aiochain"):
        from aiochain import ChatOpenAI, ChatPromptTemplate, StrOutputParser

        llm: Any = ChatOpenAI(base_url=url, api_key=KEY, model=MODEL, max_tokens=tokens)
    else:
        from langchain_core.output_parsers import StrOutputParser  # type: ignore[assignment]
        from langchain_core.prompts import ChatPromptTemplate  # type: ignore[assignment]
        from langchain_openai import ChatOpenAI as LCChat

        llm = LCChat(model=MODEL, base_url=url, api_key=KEY, max_retries=0, max_tokens=tokens)  # type: ignore[arg-type]
    chain = ChatPromptTemplate.from_template(PROMPT) | llm | StrOutputParser()
    events = name.endswith("astream_events")
    counts = {"chunks": 0, "events": 0, "text": ""}

    async def one(topic: str) -> None:
        if events:
            async for event in chain.astream_events({"topic": topic}, version="v2"):
                counts["events"] += 1
                if event["event"] == "on_chat_model_stream":
                    counts["chunks"] += 1
                elif event["event"] == "on_chain_end" and not event["parent_ids"]:
                    counts["text"] = event["data"]["output"]
        else:
            pieces = [piece async for piece in chain.astream({"topic": topic})]
            counts["chunks"] += len(pieces)  # one text piece per model chunk
            counts["text"] = "".join(pieces)

    async def batch(count: int) -> None:
        for start in range(0, count, CONCURRENT):
            await asyncio.gather(
                *(one(f"topic {i}") for i in range(start, min(count, start + CONCURRENT)))
            )

    await batch(CONCURRENT)  # warm-up
    counts.update(chunks=0, events=0)
    cpu, wall = time.process_time(), time.perf_counter()
    await batch(n)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if hasattr(llm, "aclose"):
        await llm.aclose()
    return {
        "client": name,
        "n": n,
        "chunks": counts["chunks"],
        "events": counts["events"],
        "ok": bool(counts["text"]),
        "cpu": cpu,
        "wall": wall,
    }


def client(name: str, url: str, n: int, tokens: int) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, __file__, "--client", name, url, str(n), str(tokens)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **PLAIN},
    )
    if done.returncode != 0:
        return {"client": name, "error": done.stderr.strip().splitlines()[-1][:200]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        name, url, n, tokens = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        print(json.dumps(asyncio.run(_run(name, url, n, tokens))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer answers, one round")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (median reported)")
    parser.add_argument("--tokens", type=int, default=100)
    args = parser.parse_args()
    n, rounds = (32, 1) if args.quick else (64, args.repeat)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CLIENTS}
    command = [PYTHON, "-m", "aiochain", "serve", "--port", "0", "--tokens-per-second", "0"]
    with server_process(command) as (url, _):
        for _ in range(rounds):  # round-robin, so that the machine's moods reach all alike
            for name in CLIENTS:
                runs[name].append(client(name, url, n, args.tokens))
    per_chunk: dict[str, float] = {}
    shown: dict[str, dict[str, Any]] = {}
    for name, results in runs.items():
        good = [r for r in results if "error" not in r]
        if not good:
            print(f"{name}: failed: {results[0]['error']}")
            continue
        per_chunk[name] = statistics.median(r["cpu"] / r["chunks"] * 1e6 for r in good)
        shown[name] = good[0]
        print(f"{name}: {per_chunk[name]:.1f} us/chunk, ok={good[0]['ok']}", flush=True)
    rows = []
    for name in CLIENTS:
        if name not in per_chunk:
            continue
        lib = name.split()[0]
        events = shown[name]["events"] / shown[name]["chunks"] if shown[name]["events"] else 0
        vs_astream = per_chunk[name] / per_chunk.get(f"{lib} astream", per_chunk[name])
        rows.append(
            f"| {name} | {per_chunk[name]:.1f} | {vs_astream:.2f}x | "
            f"{shown[name]['chunks'] / shown[name]['n']:.0f} | {events:.1f} |"
        )
    ratio = ""
    if "aiochain astream_events" in per_chunk and "langchain astream_events" in per_chunk:
        ratio = (
            f"- astream_events: aiochain spends {per_chunk['aiochain astream_events']:.1f} us "
            f"per chunk, LangChain {per_chunk['langchain astream_events']:.1f} us: "
            f"{per_chunk['langchain astream_events'] / per_chunk['aiochain astream_events']:.1f}x "
            "less CPU."
        )
    text = "\n".join(
        [
            "## astream_events (`bench/bench_events.py`)",
            "",
            f"{n} answers of about {args.tokens} chunks through `prompt | ChatOpenAI | "
            f"StrOutputParser`, {CONCURRENT} at once, zero latency; client CPU per model chunk, "
            f"median of {rounds} round(s).",
            "",
            "| client | CPU us/chunk | vs its own astream | chunks per answer | events per chunk |",
            "|---|---|---|---|---|",
            *rows,
            "",
            ratio,
            "- each model chunk gives three events (model, parser and chain stream) in both "
            "libraries, plus the start and end events of the four runs per answer.",
            "- client CPU varies by 10-20% between rounds on this shared 2-core machine; "
            "compare within one table.",
        ]
    )
    print(text)
    if args.write:
        write_section("events", text)


if __name__ == "__main__":
    main()
