"""Map-reduce summary of a 300,000-word document: aiochain vs LangChain, same server, same run.

    python bench/bench_summarize.py [--words 300000] [--concurrency 64] [--latency 0.5] [--write]

One `aiochain serve --latency 0.5` in its own process answers both clients, each run in its own
process. The document is generated (seeded) and cut by `RecursiveCharacterTextSplitter(
chunk_size=4000, chunk_overlap=200)`; both clients get the same chunks and LangChain's default
summarize prompts, cap requests in flight at `--concurrency` (aiochain: `max_concurrency`;
LangChain: the connection limit of its httpx client), and count tokens for `token_max` (3000)
the same way: four characters per token (tiktoken's data cannot be downloaded here).

The ideal wall time is the number of dependent rounds times the latency: the map waves
(chunks / concurrency, rounded up), plus, for each collapse level, its groups / concurrency
rounded up, plus the final combine. Collapse groups are the same for both clients (same
prompts, same counting, same answers); aiochain sends the groups of a level together,
LangChain one after another.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from _common import PYTHON, machine, server_process, write_section

from aiochain.text_splitter import RecursiveCharacterTextSplitter

WORDS = (
    "network packet router protocol address server client browser page link cable "
    "fiber satellite signal bandwidth latency message mail search engine index archive "
    "research university government company user developer standard layer stack "
    "connection session encryption key certificate domain name system traffic growth"
)
VOCABULARY = WORDS.split()

AIOCHAIN = r"""
import asyncio, json, logging, sys, time
from aiochain import ChatOpenAI, run
from aiochain.chains import load_summarize_chain
from aiochain.documents import Document
from aiochain.text_splitter._tokenizer import estimate_tokens
chunks_path, url, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
chunks = json.load(open(chunks_path))
levels = []
class Levels(logging.Handler):
    def emit(self, record):
        if record.msg.startswith("collapsed to"):
            levels.append(record.args[0])
logger = logging.getLogger("aiochain")
logger.setLevel(logging.DEBUG)
logger.addHandler(Levels())
logger.propagate = False
async def main():
    docs = [Document(c) for c in chunks]
    async with ChatOpenAI(base_url=url, api_key="sk", max_concurrency=concurrency) as llm:
        chain = load_summarize_chain(llm, chain_type="map_reduce", token_counter=estimate_tokens)
        started = time.perf_counter()
        result = await chain.ainvoke({"input_documents": docs})
        wall = time.perf_counter() - started
    print(json.dumps({"wall": wall, "levels": levels, "chars": len(result["output_text"])}))
run(main())
"""

LANGCHAIN = r"""
import asyncio, json, sys, time, warnings
warnings.filterwarnings("ignore")
import httpx
from langchain_classic.chains.summarize import load_summarize_chain
from langchain_core.documents import Document
from langchain_openai import ChatOpenAI
chunks_path, url, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
chunks = json.load(open(chunks_path))
def estimate_ids(text):
    return [0] * (-(-len(text) // 4))
async def main():
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=600) as http:
        llm = ChatOpenAI(model="gpt-4o-mini", base_url=url, api_key="sk", max_retries=2,
                         http_async_client=http, custom_get_token_ids=estimate_ids)
        chain = load_summarize_chain(llm, chain_type="map_reduce")
        docs = [Document(page_content=c) for c in chunks]
        started = time.perf_counter()
        result = await chain.ainvoke({"input_documents": docs})
        wall = time.perf_counter() - started
    print(json.dumps({"wall": wall, "chars": len(result["output_text"])}))
asyncio.run(main())
"""


def document(words: int) -> str:
    """A seeded text of `words` words in sentences and paragraphs."""
    rng = random.Random(16)
    paragraphs, count = [], 0
    while count < words:
        sentences = []
        for _ in range(rng.randint(3, 8)):
            length = rng.randint(6, 20)
            sentences.append(" ".join(rng.choices(VOCABULARY, k=length)).capitalize() + ".")
            count += length
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def stats(url: str, reset: bool = False) -> dict[str, Any]:
    base = url.removesuffix("/v1")
    if reset:
        request = urllib.request.Request(base + "/stats/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()
        return {}
    with urllib.request.urlopen(base + "/stats", timeout=10) as response:
        return json.load(response)  # type: ignore[no-any-return]


def run_client(code: str, chunks_path: Path, url: str, concurrency: int) -> dict[str, Any]:
    stats(url, reset=True)
    done = subprocess.run(
        [PYTHON, "-c", code, str(chunks_path), url, str(concurrency)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:160]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    served = stats(url)
    result["requests"] = served["requests_total"]
    result["max_in_flight"] = served["max_in_flight"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=300_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--skip-langchain", action="store_true")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    text = document(args.words)
    chunks = RecursiveCharacterTextSplitter(chunk_size=4000, chunk_overlap=200).split_text(text)
    chunks_path = Path("/tmp") / f"bench_summarize_{args.words}.json"
    chunks_path.write_text(json.dumps(chunks))
    command = [PYTHON, "-m", "aiochain", "serve", "--port", "0", "--latency", str(args.latency)]
    with server_process(command) as (url, _):
        ours = run_client(AIOCHAIN, chunks_path, url, args.concurrency)
        theirs = (
            {"error": "skipped"}
            if args.skip_langchain
            else run_client(LANGCHAIN, chunks_path, url, args.concurrency)
        )
    if "error" in ours:
        sys.exit(f"aiochain failed: {ours['error']}")
    waves = -(-len(chunks) // args.concurrency)
    levels = ours["levels"]
    rounds = waves + sum(-(-n // args.concurrency) for n in levels) + 1
    ideal = rounds * args.latency
    serial_rounds = waves + sum(levels) + 1  # collapse groups one after another
    rows = [("aiochain `load_summarize_chain`", ours)]
    rows.append(("LangChain `load_summarize_chain` (langchain-classic)", theirs))
    table = []
    for label, result in rows:
        if "error" in result:
            table.append(f"| {label} | failed: {result['error']} | | | | |")
            continue
        table.append(
            f"| {label} | {result['wall']:.1f} s | {result['wall'] / ideal:.2f} | "
            f"{result['requests']} | {result['max_in_flight']} | "
            f"{result['wall'] / ours['wall']:.2f}x |"
        )
    report = "\n".join(
        [
            f"### Map-reduce summary of a {args.words:,}-word document: {len(chunks)} chunks, "
            f"{args.concurrency} in flight, {args.latency:g} s latency "
            "(`bench/bench_summarize.py`)",
            "",
            f"Ideal {ideal:.1f} s: {rounds} rounds = {waves} map waves + collapse levels of "
            f"{', '.join(map(str, levels)) or 'no'} groups + 1 final combine.",
            "",
            "| client | wall | wall / ideal | requests | max in flight | vs aiochain |",
            "|---|---|---|---|---|---|",
            *table,
            "",
            "- both: the same chunks, LangChain's default prompts, token_max 3000 counted at "
            "four characters per token, one run each in its own process",
            f"- LangChain collapses one group at a time: {serial_rounds} rounds at best "
            f"({serial_rounds * args.latency:.1f} s)",
            "",
        ]
    )
    print(f"{machine()}\n\n{report}")
    if args.write:
        write_section("summarize", report)


if __name__ == "__main__":
    main()
