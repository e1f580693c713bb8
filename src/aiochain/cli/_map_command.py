"""`aiochain map`: the command line around `_mapjob.run_map`."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._exceptions import UsageError
from .._progress import RunStats
from ._map_job import MapOptions, MapSummary
from ._records import FORMATS


def add_map_parser(commands: Any, number: Callable[..., Callable[[str], Any]]) -> None:
    """Add `map` and its options to the CLI's subcommands."""
    positive_int = number(int, 1, None, "an integer >= 1")
    positive = number(float, 1e-9, None, "a number > 0")
    not_negative_int = number(int, 0, None, "an integer >= 0")
    temperature = number(float, 0.0, 2.0, "a temperature from 0 to 2")
    parser = commands.add_parser(
        "map",
        help="run a prompt over every record of a file, resumably",
        description="Run a prompt over every record of an input, with progress, a crash-safe "
        "journal (rerun the same command to resume), an optional cache and a budget.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--template", help="the prompt, with {field} placeholders")
    source.add_argument("--template-file", help="a file holding the prompt")
    parser.add_argument("--system", help="a system message sent before each prompt")
    parser.add_argument("--input", required=True, help="a file, a directory, or - for stdin")
    parser.add_argument("--input-format", choices=FORMATS, help="default: from the name")
    parser.add_argument("--output", help="JSON Lines output file (default: standard output)")
    parser.add_argument("--ordered", action="store_true", help="write the output in input order")
    parser.add_argument("--model", default="gpt-4o-mini", help="default gpt-4o-mini")
    parser.add_argument("--base-url", help="API root (default $OPENAI_BASE_URL or OpenAI's)")
    parser.add_argument("--concurrency", type=positive_int, default=64, help="default 64")
    parser.add_argument("--rpm", type=positive, help="requests per minute to stay under")
    parser.add_argument("--tpm", type=positive, help="tokens per minute to stay under")
    parser.add_argument("--max-tokens", type=positive_int, help="most tokens per answer")
    parser.add_argument("--temperature", type=temperature)
    parser.add_argument("--json", action="store_true", help="ask for and check JSON answers")
    parser.add_argument("--journal", help="journal file (default: next to the output)")
    parser.add_argument("--no-resume", action="store_true", help="start over, ignoring the journal")
    parser.add_argument(
        "--cache",
        action="store_true",
        help="answer identical requests from a local cache ($AIOCHAIN_CACHE)",
    )
    parser.add_argument(
        "--max-cost",
        type=positive,
        metavar="USD",
        help="stop sending once the estimated spend would pass this",
    )
    parser.add_argument("--retries", type=not_negative_int, default=4, help="default 4")
    parser.add_argument("--timeout", type=positive, default=120.0, help="seconds per request")
    parser.add_argument(
        "--simulate",
        type=number(float, 0.0, None, "seconds >= 0"),
        nargs="?",
        const=0.5,
        metavar="LATENCY",
        help="run against an in-process simulated API (default latency 0.5 s)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="plain progress lines instead of a progress bar"
    )


def execute(options: MapOptions, *, fancy: bool) -> MapSummary:
    """Run a map job on a fresh event loop with its progress display; return its summary."""
    from .._sync import run
    from ._map_job import run_map
    from ._map_progress import watch

    async def main() -> MapSummary:
        watcher: asyncio.Task[None] | None = None

        def on_start(summary: MapSummary, stats: RunStats, limiter: Any) -> None:
            nonlocal watcher
            watcher = asyncio.create_task(watch(summary, stats, limiter, fancy=fancy))

        try:
            return await run_map(options, on_start=on_start)
        finally:
            if watcher is not None:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)

    return run(main())


def run_map_command(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    """Run `aiochain map`; returns the exit status."""
    from ._map_progress import print_summary

    if args.template_file:
        try:
            template = Path(args.template_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.template_file}: cannot read: {exc.strerror}") from None
    else:
        template = args.template
    options = MapOptions(
        template=template,
        input=args.input,
        input_format=args.input_format,
        system=args.system,
        output=args.output,
        model=args.model,
        base_url=args.base_url,
        api_key=os.environ.get("OPENAI_API_KEY"),
        concurrency=args.concurrency,
        rpm=args.rpm,
        tpm=args.tpm,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        json_mode=args.json,
        journal=args.journal,
        resume=not args.no_resume,
        cache=args.cache,
        max_cost=args.max_cost,
        retries=args.retries,
        timeout=args.timeout,
        simulate=args.simulate,
        quiet=args.quiet,
        ordered=args.ordered,
    )
    fancy = sys.stderr.isatty() and not args.quiet
    resume = shlex.join(["aiochain", *(argv if argv is not None else sys.argv[1:])])
    try:
        summary = execute(options, fancy=fancy)
    except KeyboardInterrupt:
        print(
            f"interrupted; what finished is in the journal. Resume with:\n  {resume}",
            file=sys.stderr,
        )
        return 130
    print_summary(summary, fancy=fancy)
    if summary.skipped_for_budget:
        print(
            f"stopped at the --max-cost budget with {summary.skipped_for_budget} record(s) not "
            "sent; rerun the same command with a higher --max-cost to continue",
            file=sys.stderr,
        )
    elif summary.failed:
        print(
            f"{summary.failed} record(s) failed (see 'error' in the output); rerun the same "
            "command to retry only those",
            file=sys.stderr,
        )
    return summary.exit_status
