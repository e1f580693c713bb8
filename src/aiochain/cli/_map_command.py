"""`aiochain map`: the command line around `_map_job.run_map`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import re
import shlex
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .._exceptions import UsageError
from .._progress import RunStats
from ._map_job import Backend, MapOptions, MapSummary
from ._providers import DEFAULT_MODELS, KEY_VARIABLES, PROVIDERS
from ._records import FORMATS

EPILOG = """\
the API key comes from $OPENAI_API_KEY (the base URL from --base-url or $OPENAI_BASE_URL).

--template and --system turn the escapes \\n, \\t and \\\\ into a newline, a tab and a backslash,
so --template "Summarize:\\n\\n{text}" works in any shell; --template-file is read as it is.
Values that are not strings (numbers, lists, objects, null) go into the prompt as JSON.

ids: a record's own "id" field (JSON Lines, CSV); else, for a file, <resolved path>:<line>
(the line where the record starts: the same whatever the path's spelling); for a directory,
the file's path inside it; for standard input, <stdin>:<line>.

exit status: 0 every record done; 1 some records failed or were not sent (budget), or the job
stopped (an unknown model, a refused key); 2 a usage error (a bad option, input or path), sent
nothing; 130 interrupted (rerun the same command to resume); 141 the output was closed (a pipe).
"""
_ESCAPE = re.compile(r"\\([nt\\])")


def unescape(text: str) -> str:
    r"""Turn `\n`, `\t` and `\\` typed on a command line into a newline, a tab, a backslash."""
    return _ESCAPE.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), "\\"), text)


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
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--template", help="the prompt, with {field} placeholders (\\\\n: a newline)"
    )
    source.add_argument("--template-file", help="a file holding the prompt, read as it is")
    parser.add_argument("--system", help="a system message sent before each prompt")
    parser.add_argument("--input", required=True, help="a file, a directory, or - for stdin")
    parser.add_argument("--input-format", choices=FORMATS, help="default: from the name")
    parser.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="for a directory: only files matching this (repeatable), e.g. '*.md'",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="for a directory: leave out files matching this (repeatable)",
    )
    parser.add_argument("--output", help="JSON Lines output file (default: standard output)")
    parser.add_argument(
        "--ordered",
        action="store_true",
        help="write the whole output in input order at the end (to a file or standard output)",
    )
    parser.add_argument(
        "--provider",
        choices=PROVIDERS,
        default="openai",
        help="the API: openai (or any compatible server), anthropic, azure (default openai); "
        "keys from OPENAI_API_KEY, ANTHROPIC_API_KEY or AZURE_OPENAI_API_KEY",
    )
    parser.add_argument(
        "--model",
        help="the model (default gpt-4o-mini; claude-haiku-4-5 with --provider anthropic, "
        "gemini-2.5-flash with --provider gemini); "
        "with --provider azure, the deployment name (required)",
    )
    parser.add_argument("--api-version", help="Azure's api-version (default $OPENAI_API_VERSION)")
    parser.add_argument("--base-url", help="API root (default $OPENAI_BASE_URL or OpenAI's)")
    parser.add_argument("--concurrency", type=positive_int, default=64, help="default 64")
    parser.add_argument("--rpm", type=positive, help="requests per minute to stay under")
    parser.add_argument(
        "--tpm",
        type=number(float, 100, None, "a number of tokens per minute >= 100"),
        help="tokens per minute to stay under (at least 100: one request must fit)",
    )
    parser.add_argument("--max-tokens", type=positive_int, help="most tokens per answer")
    parser.add_argument("--temperature", type=temperature)
    parser.add_argument("--json", action="store_true", help="ask for and check JSON answers")
    parser.add_argument(
        "--journal",
        help="journal file (default: next to the output; for standard output, "
        "aiochain-map-<job hash>.journal.sqlite here)",
    )
    parser.add_argument(
        "--no-resume", action="store_true", help="start this job over, emptying its journal"
    )
    parser.add_argument(
        "--cache",
        action="store_true",
        help="answer identical requests from a local cache ($AIOCHAIN_CACHE)",
    )
    parser.add_argument(
        "--max-cost",
        type=positive,
        metavar="USD",
        help="a budget for the whole job, across reruns: stop sending once the spend would pass it",
    )
    parser.add_argument(
        "--retries",
        type=not_negative_int,
        default=4,
        help="retries of a failed request (default 4); 429s and outages do not count",
    )
    batch = parser.add_argument_group("half price: the Batch API")
    batch.add_argument(
        "--batch",
        action="store_true",
        help="send the requests through the provider's Batch API (OpenAI, Anthropic): half "
        "the price, answers within 24 hours; rerun the same command to resume polling",
    )
    batch.add_argument(
        "--batch-retry",
        action="store_true",
        help="resubmit what a batch leaves unanswered (expired, cancelled, failed lines worth "
        "retrying) as one more batch, instead of sending it live",
    )
    batch.add_argument(
        "--batch-poll",
        type=positive,
        default=5.0,
        metavar="SECONDS",
        help="how often batches are checked at first (default 5; backs off to 60)",
    )
    long = parser.add_argument_group("long documents")
    long.add_argument(
        "--split",
        type=positive_int,
        metavar="TOKENS",
        help="split records longer than this many tokens into chunks, map each chunk, then "
        "reduce the answers to one line per record",
    )
    long.add_argument(
        "--overlap",
        type=not_negative_int,
        default=0,
        metavar="TOKENS",
        help="tokens neighbouring chunks share (default 0)",
    )
    long.add_argument(
        "--split-field",
        metavar="FIELD",
        help="the field to split (default: the template's only field, else text)",
    )
    long.add_argument(
        "--reduce-template",
        help="combines the chunk answers, with {text}; default a concise summary of them",
    )
    parser.add_argument(
        "--max-wait",
        type=positive,
        default=120.0,
        metavar="SECONDS",
        help="while the server refuses (429) or cannot be reached, wait for it up to this "
        "long without an answer, then stop the job, resumable (default 120)",
    )
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
        "--quiet", action="store_true", help="no progress and no summary; errors only"
    )
    parser.add_argument(
        "--report", metavar="HTML", help="at the end, write the job's report (see aiochain report)"
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="answer on a Ray cluster (pip install 'aiochain[ray]'): a new local one without "
        "ADDRESS, else ray://host:10001 or auto; --rpm/--tpm hold for the whole cluster",
    )
    parser.add_argument(
        "--workers", type=positive_int, default=2, help="with --ray: worker actors (default 2)"
    )


def execute(options: MapOptions, *, fancy: bool, quiet: bool = False) -> MapSummary:
    """Run a map job on a fresh event loop with its progress display; return its summary.

    The first Ctrl-C cancels the job (which commits what finished and closes its files); more
    Ctrl-Cs while it stops are ignored, so cleanup is never cut short by a traceback.

    Raises:
        KeyboardInterrupt: after the job stopped because of Ctrl-C.
    """
    from .._sync import run
    from ._map_job import run_map
    from ._map_progress import watch

    async def main() -> MapSummary | None:
        watcher: asyncio.Task[None] | None = None
        loop = asyncio.get_running_loop()
        job = asyncio.current_task()
        interrupted = False

        def on_interrupt() -> None:
            nonlocal interrupted
            if not interrupted and job is not None:
                interrupted = True
                job.cancel()

        def on_start(summary: MapSummary, stats: RunStats, limiter: Any) -> None:
            nonlocal watcher
            if not quiet:
                watcher = asyncio.create_task(watch(summary, stats, limiter, fancy=fancy))

        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, on_interrupt)
        backend: Backend | None = None
        if options.ray is not None:  # imported only here: plain `map` never imports ray
            from ._ray_backend import refuse_with_ray
            from ._ray_backend import run_on_ray as backend

            refuse_with_ray(options)
        try:
            return await run_map(options, on_start=on_start, backend=backend)
        except asyncio.CancelledError:
            if interrupted:
                return None
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)

    summary = run(main())
    if summary is None:
        raise KeyboardInterrupt
    return summary


def run_map_command(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    """Run `aiochain map`; returns the exit status."""
    from ._map_progress import print_summary

    if args.template_file:
        try:
            template = Path(args.template_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UsageError(f"{args.template_file}: cannot read: {reason}") from None
    else:
        template = unescape(args.template)
    options = MapOptions(
        template=template,
        input=args.input,
        input_format=args.input_format,
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        system=unescape(args.system) if args.system else None,
        output=args.output,
        model=args.model or DEFAULT_MODELS.get(args.provider) or _need_deployment(),
        base_url=args.base_url,
        api_key=os.environ.get(KEY_VARIABLES[args.provider]),
        provider=args.provider,
        api_version=args.api_version,
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
        max_wait=args.max_wait,
        batch=args.batch,
        batch_poll=args.batch_poll,
        batch_retry=args.batch_retry,
        report=args.report,
        batch_progress=not args.quiet,
        split=args.split,
        overlap=args.overlap,
        split_field=args.split_field,
        reduce_template=unescape(args.reduce_template) if args.reduce_template else None,
        timeout=args.timeout,
        simulate=args.simulate,
        ordered=args.ordered,
        ray=args.ray,
        workers=args.workers,
    )
    quiet = bool(args.quiet)
    fancy = sys.stderr.isatty() and not quiet
    resume = shlex.join(["aiochain", *(argv if argv is not None else sys.argv[1:])])
    try:
        summary = execute(options, fancy=fancy, quiet=quiet)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C must not cut this short
        print(
            f"interrupted; what finished is in the journal. Resume with:\n  {resume}",
            file=sys.stderr,
        )
        return 130
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            if args.debug:
                raise
            # A full disk or a vanished folder while writing the output: what was committed
            # is in the journal, and the rerun rebuilds the output from it.
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"aiochain map: error: {where}{exc.strerror or exc}", file=sys.stderr)
            return 1
        # The reader of standard output went away (`| head`): stop quietly, as `cat` does;
        # what finished is in the journal. Point stdout at /dev/null so that the interpreter's
        # last flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    if not quiet:
        print_summary(summary, fancy=fancy)
    if args.report:
        from ._report_command import write_report

        write_report(summary.journal, args.report)
    if summary.skipped_for_budget:
        spent = f" (${summary.job_cost:.4f} spent by this job)" if summary.job_cost else ""
        print(
            f"stopped at the --max-cost budget{spent} with {summary.skipped_for_budget} "
            "record(s) not sent; rerun the same command with a higher --max-cost to continue",
            file=sys.stderr,
        )
    elif summary.failed:
        print(
            f"{summary.failed} record(s) failed (see 'error' in the output); rerun the same "
            "command to retry only those",
            file=sys.stderr,
        )
    return summary.exit_status


def _need_deployment() -> NoReturn:
    raise UsageError("--provider azure needs --model, the name of the deployment to use")
