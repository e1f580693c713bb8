"""Embeddings: aiochain's `aembed_documents` and `aiochain map --embed` next to LangChain's
`OpenAIEmbeddings.aembed_documents`, in one run, against one server with latency and a request
limit.

    python bench/bench_embeddings.py [--texts 100000] [--latency 0.2] [--rpm 1200] [--write]

One `aiochain serve` in its own process answers `/v1/embeddings` (0.2 s a request, `--rpm`
requests a minute per key, refusing more with 429s). Each client runs in its own process, so
its CPU time is its own; the server's request counter is reset before each. Every client asks
for the same `--dimensions` of `text-embedding-3-small` and writes its vectors to a `.npy`
file, which must be equal, bit for bit, to the others'.

LangChain is given what its docs say for servers that are not OpenAI's:
`check_embedding_ctx_length=False` (else it sends token ids, and needs tiktoken's files from
the internet). It then sends its batches of `chunk_size` (1,000) one after another. Target:
aiochain at least 3x faster in wall time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, server_process, write_section

MODEL = "text-embedding-3-small"

LANGCHAIN = r"""
import asyncio, json, resource, sys, time
import numpy as np
from langchain_openai import OpenAIEmbeddings
path, url, dims, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
texts = [json.loads(line)["text"] for line in open(path)]
async def main():
    emb = OpenAIEmbeddings(model=MODEL, base_url=url, api_key="sk", dimensions=dims,
                           check_embedding_ctx_length=False)
    started = time.perf_counter()
    vectors = await emb.aembed_documents(texts)
    wall = time.perf_counter() - started
    np.save(out, np.asarray(vectors, dtype=np.float32))
    return wall
wall = asyncio.run(main())
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime}))
""".replace("MODEL", repr(MODEL))

AIOCHAIN = r"""
import json, resource, sys, time
import numpy as np
from aiochain import run
from aiochain.embeddings import OpenAIEmbeddings
path, url, dims, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
texts = [json.loads(line)["text"] for line in open(path)]
async def main():
    async with OpenAIEmbeddings(model=MODEL, base_url=url, api_key="sk", dimensions=dims) as emb:
        started = time.perf_counter()
        vectors = await emb.aembed_documents(texts)
        wall = time.perf_counter() - started
    np.save(out, np.asarray(vectors, dtype=np.float32))
    return wall
wall = run(main())
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime}))
""".replace("MODEL", repr(MODEL))


def _stats(root: str, *, reset: bool = False) -> dict[str, object]:
    request = urllib.request.Request(
        root + ("/stats/reset" if reset else "/stats"), method="POST" if reset else "GET"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        data: dict[str, object] = json.loads(answer.read())
        return data


def _client(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [PYTHON, "-c", code, *args], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _cli(source: Path, url: str, dims: int, out: Path) -> dict[str, float]:
    """`aiochain map --embed`, timed by its own summary's wall time (the run itself, after
    checking the input), CPU from the child's rusage."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [
            PYTHON,
            "-m",
            "aiochain",
            "map",
            "--embed",
            "--field",
            "text",
            "--input",
            str(source),
            "--output",
            str(out),
            "--base-url",
            url,
            "--model",
            MODEL,
            "--dimensions",
            str(dims),
            "--no-resume",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"OPENAI_API_KEY": "sk", "PATH": "/usr/bin:/bin"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    wall = next(
        float(line.split(":")[1].split()[0])
        for line in done.stderr.splitlines()
        if line.startswith("wall time:")
    )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rpm", type=float, default=1200)
    parser.add_argument("--dimensions", type=int, default=64)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    import numpy as np

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "texts.jsonl"
        source.write_text(
            "".join(
                json.dumps({"id": f"t{i}", "text": f"Short text number {i} about topic {i % 97}."})
                + "\n"
                for i in range(args.texts)
            )
        )
        serve = [
            PYTHON,
            "-m",
            "aiochain",
            "serve",
            "--port",
            "0",
            "--latency",
            str(args.latency),
            "--rpm",
            str(args.rpm),
        ]
        rows = []
        with server_process(serve) as (base_url, _):
            root = base_url.removesuffix("/v1")
            runs = [
                (
                    "LangChain OpenAIEmbeddings.aembed_documents",
                    "langchain.npy",
                    lambda out: _client(
                        LANGCHAIN, str(source), base_url, str(args.dimensions), out
                    ),
                ),
                (
                    "aiochain OpenAIEmbeddings.aembed_documents",
                    "aiochain.npy",
                    lambda out: _client(AIOCHAIN, str(source), base_url, str(args.dimensions), out),
                ),
                (
                    "aiochain map --embed (.npy, journal on)",
                    "map.npy",
                    lambda out: _cli(source, base_url, args.dimensions, Path(out)),
                ),
            ]
            for name, file, run in runs:
                _stats(root, reset=True)
                measured = run(str(work / file))
                stats = _stats(root)
                measured["requests"] = float(stats["requests_total"])  # type: ignore[arg-type]
                measured["429s"] = float(stats["rate_limited"])  # type: ignore[arg-type]
                rows.append((name, file, measured))
                print(name, measured, flush=True)
        reference = np.load(work / rows[0][1])
        lines = [
            "## Embeddings (`bench/bench_embeddings.py`)\n",
            f"{args.texts:,} short texts, `{MODEL}` at {args.dimensions} dimensions, one "
            f"`aiochain serve --latency {args.latency} --rpm {args.rpm:g}` in its own process; "
            "each client in its own process, one after another in the same run.\n",
            "| client | wall | client CPU | requests | 429s | vs LangChain (wall) "
            "| vectors equal |",
            "|---|---|---|---|---|---|---|",
        ]
        base_wall = rows[0][2]["wall"]
        for name, file, m in rows:
            equal = np.array_equal(np.load(work / file), reference)
            lines.append(
                f"| {name} | {m['wall']:.2f} s | {m['cpu']:.2f} s | {m['requests']:.0f} | "
                f"{m['429s']:.0f} | {base_wall / m['wall']:.1f}x faster | "
                f"{'yes' if equal else 'NO'} |"
            )
        lines.append(
            "\n- LangChain with `check_embedding_ctx_length=False`, as its docs say for servers "
            "other than OpenAI's; its batches of 1,000 go one after another\n"
            "- aiochain packs 2,048 texts a request and sends them concurrently under the "
            "limiter, which learns the server's rpm from its headers\n"
            "- map --embed's wall is the run itself (its summary's), journal and .npy included; "
            "CPU includes interpreter start-up\n"
            "- target: aiochain at least 3x faster than LangChain in wall time"
        )
        text = "\n".join(lines)
        print(text)
        if args.write:
            write_section("embeddings", text)


if __name__ == "__main__":
    main()
