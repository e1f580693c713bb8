"""`aiochain demo`: the tutorial's two summaries, offline, one by one and then concurrently;
then `aiochain map` over the 1,000 bundled documents on the simulated API."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..chains import LLMChain
from ..chat_models import ChatAnthropic, ChatGoogleGenerativeAI
from ..llms import AzureOpenAI, OpenAI
from ..prompts import PromptTemplate
from ..sim import SimServer

DOCUMENTS = (
    "This is a very long document about the history of the internet, detailing its origins, "
    "key milestones, and future potential. It covers ARPANET, TCP/IP, the World Wide Web, and "
    "the rise of social media.",
    "This document explores the intricate world of quantum physics, explaining concepts like "
    "superposition, entanglement, and quantum tunneling. It delves into their implications for "
    "computing and cryptography.",
)


def _model(provider: str, base_url: str) -> Any:
    """The tutorial's model on the simulated API of `provider`."""
    root = base_url.removesuffix("/v1")
    if provider == "anthropic":
        return ChatAnthropic(
            model="claude-haiku-4-5", temperature=0.7, base_url=root, api_key="sim"
        )
    if provider == "gemini":
        return ChatGoogleGenerativeAI(
            model="gemini-2.0-flash", temperature=0.7, base_url=root, google_api_key="sim"
        )
    if provider == "azure":
        return AzureOpenAI(
            azure_endpoint=root,
            azure_deployment="gpt-3.5-turbo-instruct",
            api_version="2024-10-21",
            api_key="sim",
            temperature=0.7,
        )
    return OpenAI(temperature=0.7, base_url=base_url, api_key="sim")


def run_demo(*, latency: float, provider: str = "openai") -> None:
    """Summarize the two documents with `run()` one after the other, then with `arun()` and
    `asyncio.gather`, against an in-process simulation server of `provider`'s API; print both
    and the timings."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    names = {
        "openai": "OpenAI",
        "anthropic": "Anthropic Messages",
        "azure": "Azure OpenAI",
        "gemini": "Google Gemini",
    }
    with SimServer(latency=latency).serve_in_thread() as base_url:
        console.print(
            f"[dim]simulated {names[provider]} API at {base_url.removesuffix('/v1')}, "
            f"{latency:g} s per call[/dim]"
        )
        llm = _model(provider, base_url)
        prompt = PromptTemplate.from_template("Summarize the following text:\n\n{text}")
        chain = LLMChain(llm=llm, prompt=prompt)

        started = time.perf_counter()
        one_by_one = [chain.run(text=document) for document in DOCUMENTS]
        sequential = time.perf_counter() - started

        async def both() -> list[str]:
            tasks = [asyncio.create_task(chain.arun(text=document)) for document in DOCUMENTS]
            return list(await asyncio.gather(*tasks))

        started = time.perf_counter()
        summaries = asyncio.run(both())
        concurrent = time.perf_counter() - started

    if summaries != one_by_one:
        console.print("[yellow]note: the two runs answered differently[/yellow]")
    for number, summary in enumerate(summaries, 1):
        console.print(f"[bold]Summary {number}:[/bold] {summary}")
    table = Table(title="two LLM calls")
    table.add_column("how")
    table.add_column("wall time", justify="right")
    table.add_row("chain.run() one after the other", f"{sequential:.2f} s")
    table.add_row("chain.arun() with asyncio.gather", f"{concurrent:.2f} s")
    console.print(table)
    if concurrent > 0:
        console.print(f"gather overlapped the waits: {sequential / concurrent:.1f}x faster.\n")
    run_map_demo(latency=latency, console=console, provider=provider)


def run_map_demo(*, latency: float, console: Any, provider: str = "openai") -> None:
    """`aiochain map` over the bundled documents, 250 calls in flight, on the simulated API."""
    from .map.command import execute
    from .map.job import MapOptions

    documents = Path(__file__).parent / "data" / "documents.jsonl"
    count = sum(1 for line in documents.read_text().splitlines() if line.strip())
    console.print(
        f"[bold]Now {count:,} documents[/bold] with `aiochain map`, 250 in flight "
        f"(each call still takes {latency:g} s):"
    )
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "summaries.jsonl"
        options = MapOptions(
            template="Summarize the following text:\n\n{text}",
            input=str(documents),
            output=str(output),
            simulate=latency,
            concurrency=250,
            ordered=True,
            provider=provider,
            model={"anthropic": "claude-haiku-4-5", "gemini": "gemini-2.0-flash"}.get(
                provider, "gpt-4o-mini"
            ),
        )
        summary = execute(options, fancy=sys.stderr.isatty())
        first = json.loads(output.read_text().splitlines()[0])
    # The answer's text, not its JSON line cut at 150 characters (which ended mid-object).
    text = first["output"] if isinstance(first.get("output"), str) else first.get("error")
    console.print(f"first summary ({first['id']}): {text}", markup=False, highlight=False)
    console.print(
        f"{summary.ok:,} summaries in {summary.wall:.1f} s; one call at a time would take about "
        f"{_duration(count * latency)}. Try it on your files: aiochain map --help\n"
        "Point OPENAI_BASE_URL / OPENAI_API_KEY at a real server to do the same for real."
    )


def _duration(seconds: float) -> str:
    """`seconds` in the unit that reads best ("17 minutes", "40 s"; not "0 minutes")."""
    return f"{seconds / 60:.0f} minutes" if seconds >= 120 else f"{seconds:.0f} s"
