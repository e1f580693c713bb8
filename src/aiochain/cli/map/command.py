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
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ..._exceptions import APIError, UsageError
from ..._pipeline.run_stats import RunStats
from .._cli_words import cli_words
from .job import Backend, MapOptions, MapSummary
from .option_checks import check_option_pairs
from .providers import DEFAULT_MODELS, KEY_VARIABLES

EMBEDDING_MODEL = "text-embedding-3-small"
_ESCAPE = re.compile(r"\\([nt\\])")


def unescape(text: str) -> str:
    r"""Turn `\n`, `\t` and `\\` typed on a command line into a newline, a tab, a backslash."""
    return _ESCAPE.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), "\\"), text)


class Terminated(KeyboardInterrupt):
    """Raised by `execute` after the job stopped because of SIGTERM (`kill`, a container or a
    CI runner stopping it): handled as Ctrl-C, with the resume line, and exit status 143."""


def execute(
    options: MapOptions,
    *,
    fancy: bool,
    quiet: bool = False,
    started: list[MapSummary] | None = None,
) -> MapSummary:
    """Run a map job on a fresh event loop with its progress display; return its summary.
    `started` receives the summary once the input is checked (what a job that stops with an
    error had done).

    The first Ctrl-C or SIGTERM cancels the job (which commits what finished and closes its
    files); more of them while it stops are ignored, so cleanup is never cut short by a
    traceback.

    Raises:
        KeyboardInterrupt: after the job stopped because of Ctrl-C.
        Terminated: after the job stopped because of SIGTERM.
    """
    from ...runnables._sync import run
    from .job import run_map
    from .progress import watch

    stopped_by: int = signal.SIGINT  # the signal that stopped the job

    async def main() -> MapSummary | None:
        watcher: asyncio.Task[None] | None = None
        loop = asyncio.get_running_loop()
        job = asyncio.current_task()
        interrupted = False

        def on_interrupt(signum: int) -> None:
            nonlocal interrupted, stopped_by
            if not interrupted and job is not None:
                interrupted = True
                stopped_by = signum
                job.cancel()

        def on_start(summary: MapSummary, stats: RunStats, limiter: Any) -> None:
            nonlocal watcher
            if started is not None:
                started.append(summary)
            if not quiet:
                watcher = asyncio.create_task(watch(summary, stats, limiter, fancy=fancy))

        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, on_interrupt, signum)
        backend: Backend | None = None
        if options.ray is not None:  # imported only here: plain `map` never imports ray
            from .ray_backend import refuse_with_ray
            from .ray_backend import run_on_ray as backend

            refuse_with_ray(options)
        try:
            return await run_map(options, on_start=on_start, backend=backend)
        except (asyncio.CancelledError, Exception):
            if interrupted:  # what Ctrl-C broke on its way (a Ray worker it stopped) included
                return None
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)

    summary = run(main())
    if summary is None:
        raise Terminated if stopped_by == signal.SIGTERM else KeyboardInterrupt
    return summary


def run_map_command(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    """Run `aiochain map`; returns the exit status."""
    from .progress import print_summary

    check_option_pairs(args)
    if args.field is not None and not args.embed:
        raise UsageError("--field needs --embed (a prompt takes --template)")
    if (args.dimensions is not None or args.chunk_size is not None) and not args.embed:
        raise UsageError("--dimensions and --chunk-size need --embed")
    if args.template_file:
        try:
            template = Path(args.template_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UsageError(f"{args.template_file}: cannot read: {reason}") from None
    else:
        template = unescape(args.template) if args.template is not None else ""
    if args.field is None and not template.strip():
        # Most often a shell variable that was not set (--template "$PROMPT"): every record
        # would be sent as the same empty prompt, and paid for.
        flag = "--template-file" if args.template_file else "--template"
        raise UsageError(
            f"{flag} is empty: nothing to send; give the prompt, e.g. 'Summarize: {{text}}'"
        )
    options = MapOptions(
        template=template,
        input=args.input,
        input_format=args.input_format,
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        system=unescape(args.system) if args.system else None,
        output=args.output,
        overwrite=args.overwrite,
        model=args.model
        or (EMBEDDING_MODEL if args.embed and args.provider == "openai" else None)
        or DEFAULT_MODELS.get(args.provider)
        or _need_deployment(),
        base_url=args.base_url,
        api_key=os.environ.get(KEY_VARIABLES[args.provider]),
        provider=args.provider,
        api=args.api,
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
        embed=args.embed,
        field=args.field,
        dimensions=args.dimensions,
        chunk_size=args.chunk_size,
    )
    quiet = bool(args.quiet)
    fancy = sys.stderr.isatty() and not quiet
    resume = shlex.join(["aiochain", *(argv if argv is not None else sys.argv[1:])])
    started: list[MapSummary] = []
    try:
        summary = execute(options, fancy=fancy, quiet=quiet, started=started)
    except APIError as exc:
        # A refused key, an unknown model, a server gone for --max-wait: the job stops. Say
        # that what it had finished is kept, or a user takes the error for a lost job.
        kept = started[0].ok if started else 0
        if args.debug or not kept:
            raise
        message = cli_words(str(exc), args.provider)
        print(
            f"aiochain map: error: {message} ({kept} record(s) done are kept in "
            f"{started[0].journal}; rerun the same command to resume once that is fixed)",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt as stop:
        for signum in (signal.SIGINT, signal.SIGTERM):  # a late one must not cut this short
            signal.signal(signum, signal.SIG_IGN)
        what = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
        print(
            f"{what}; what finished is in the journal. Resume with:\n  {resume}",
            file=sys.stderr,
        )
        return 143 if isinstance(stop, Terminated) else 130
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            if args.debug:
                raise
            # A full disk or a vanished folder while writing the output: what was committed
            # is in the journal, and the rerun rebuilds the output from it.
            # A write() error names no file: it is the output's ("No space left on device"
            # alone said neither where nor that nothing was lost).
            name = exc.filename or args.output or "<stdout>"
            print(
                f"aiochain map: error: {name}: {exc.strerror or exc}; what finished is in the "
                "journal: rerun the same command to resume and rebuild the output",
                file=sys.stderr,
            )
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
        from .job_files import write_report_at_end

        if not write_report_at_end(summary.journal, args.report):
            return 1
    if summary.skipped_for_budget:
        spent = f" (${summary.job_cost:.4f} spent by this job)" if summary.job_cost else ""
        print(
            f"stopped at the --max-cost budget{spent} with {summary.skipped_for_budget} "
            "record(s) not sent; rerun the same command with a higher --max-cost to continue",
            file=sys.stderr,
        )
    elif summary.failed:
        where = "'error' in the output"
        if options.embed and Path(options.output or "").suffix.lower() in (".npy", ".parquet"):
            where = f"aiochain report {summary.journal}"  # vectors only in those files
        common = summary.common_failure()
        example = f", most with: {common}" if common else ""
        print(
            f"{summary.failed} record(s) failed{example} (see {where}); rerun the same "
            "command to retry only those",
            file=sys.stderr,
        )
    return summary.exit_status


def _need_deployment() -> NoReturn:
    raise UsageError("--provider azure needs --model, the name of the deployment to use")
