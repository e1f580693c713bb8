"""The rate limiter's throughput and refusal share, with and without client limits, for
requests and for tokens (issue 24).

Each scenario runs `ChatOpenAI` / `ChatAnthropic` calls, 64 in flight, through one
`RateLimiter` against a server on its own thread: `aiochain serve`'s simulator for request
limits and Anthropic, and tests/token_server.py (tokens per minute enforced one second at a
time, `max_tokens` settled as the providers do) for token limits. "Without client limits"
is how `aiochain map` runs: slow start, limits learned from the first answer's headers.
Bounded: about 30 s in all.

    python bench/bench_limits.py [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from aiochain import ChatAnthropic, ChatOpenAI, RateLimiter  # noqa: E402
from aiochain.sim import SimServer  # noqa: E402
from tests.token_server import TokenServer  # noqa: E402

CALLS = 300
CONCURRENCY = 64


@dataclass
class Outcome:
    scenario: str
    seconds: float
    ideal: float
    answered: int
    refused: int

    def row(self) -> str:
        share = self.refused / max(1, self.answered + self.refused)
        return (
            f"| {self.scenario} | {self.answered / self.seconds:.1f} | {self.seconds:.2f} | "
            f"{self.ideal:.2f} | {self.seconds / self.ideal:.2f}x | {100 * share:.1f}% |"
        )


async def run_calls(llm: Any) -> float:
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with slots:
            await llm.ainvoke(f"Summarize: Doc{i} is short.")

    started = time.monotonic()
    async with llm:
        await asyncio.gather(*(one(i) for i in range(CALLS)))
    return time.monotonic() - started


def limiter(limit: dict[str, float]) -> RateLimiter:
    # No limit given: as `aiochain map` runs, the first answer's headers set the pace.
    return RateLimiter(**limit, slow_start=not limit)  # type: ignore[arg-type]


def tokens_scenario(name: str, limit: dict[str, float]) -> Outcome:
    server = TokenServer(tpm=60_000, latency=0.05)
    with server.serve_in_thread() as url:
        llm = ChatOpenAI(model="m", base_url=url, api_key="sk-bench", rate_limiter=limiter(limit))
        seconds = asyncio.run(run_calls(llm))
    ideal = sum(u for _, u in server.used) / (server.tpm / 60)
    return Outcome(name, seconds, ideal, server.answered, server.refused)


def sim_scenario(name: str, provider: str, limit: dict[str, float], **sim: Any) -> Outcome:
    server = SimServer(latency=0.05, **sim)
    with server.serve_in_thread() as url:
        llm: Any
        if provider == "anthropic":
            llm = ChatAnthropic(
                model="claude-haiku-4-5",
                base_url=url.removesuffix("/v1"),
                api_key="sk-bench",
                max_tokens=1024,  # as `aiochain map --provider anthropic` sends
                rate_limiter=limiter(limit),
            )
        else:
            llm = ChatOpenAI(
                model="gpt-4o-mini", base_url=url, api_key="sk-bench", rate_limiter=limiter(limit)
            )
        seconds = asyncio.run(run_calls(llm))
        stats = server.stats()
    if "rpm" in sim:
        ideal = CALLS / (sim["rpm"] / 60)
    else:
        ideal = (stats["tokens_in"] + stats["tokens_out"]) / (sim["tpm"] / 60)
    return Outcome(name, seconds, ideal, CALLS, stats["rate_limited"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    outcomes = [
        sim_scenario("requests: rpm=3000 set", "openai", {"rpm": 3000}, rpm=3000),
        sim_scenario("requests: no client limit (learned)", "openai", {}, rpm=3000),
        tokens_scenario("tokens: tpm=60000 set (per-second server)", {"tpm": 60_000}),
        tokens_scenario("tokens: no client limit (learned)", {}),
        sim_scenario(
            "tokens, openai: tpm=50000 set (serve)", "openai", {"tpm": 50_000}, tpm=50_000
        ),
        sim_scenario(
            "tokens, anthropic max_tokens 1024: tpm=50000 set",
            "anthropic",
            {"tpm": 50_000},
            tpm=50_000,
        ),
        sim_scenario("tokens, anthropic max_tokens 1024: learned", "anthropic", {}, tpm=50_000),
    ]
    today = datetime.date.today().isoformat()
    lines = [
        "<!-- begin limits -->",
        f"_Measured {today} on {platform.machine()}, Python {platform.python_version()}._",
        "",
        "## Rate limits (`bench/bench_limits.py`)",
        "",
        f"{CALLS} calls, {CONCURRENCY} in flight, 50 ms latency; the ideal time is what the "
        "server's limit allows for the work done (requests, or tokens really used); under 1x "
        "is the half second of burst a full bucket lets go at the start.",
        "",
        "| scenario | answers/s | seconds | ideal s | vs ideal | 429s share |",
        "|---|---|---|---|---|---|",
        *(outcome.row() for outcome in outcomes),
        "<!-- end limits -->",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        results = BENCH / "RESULTS.md"
        old = results.read_text()
        if "<!-- begin limits -->" in old:
            head, rest = old.split("<!-- begin limits -->", 1)
            old = head + rest.split("<!-- end limits -->", 1)[1].lstrip("\n")
        results.write_text(old.rstrip("\n") + "\n\n" + text + "\n")


if __name__ == "__main__":
    main()
