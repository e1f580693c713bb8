"""The `aiochain` command: `demo`, `map`, `batches`, `report` and `serve`, and `--version`.

Thin by design: parse, call the library, and turn an `AiochainError` into one line on stderr
with exit status 1 (2 for usage errors). `--debug` shows the traceback. Each command imports
what it needs (rich, the simulation server) only when it runs.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .._exceptions import AiochainError, UsageError
from ._cli_words import cli_words


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (`aiochain serve: error: ...`), status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _number(
    kind: Callable[[str], Any], low: float | None, high: float | None, what: str
) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if (
            not math.isfinite(value)
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    return parse


_SECONDS = _number(float, 0.0, None, "a number of seconds >= 0")
_RATE = _number(float, 0.0, 1.0, "a fraction from 0 to 1")
_POSITIVE = _number(float, 1e-9, None, "a number > 0")
_PORT = _number(int, 0, 65535, "a port from 0 to 65535")
_STATUS = _number(int, 400, 599, "an HTTP error status from 400 to 599")


def _version() -> str:
    from .. import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `aiochain` command."""
    parser = _Parser(prog="aiochain", description="Run LLM chains concurrently with asyncio.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--version", action="version", version=f"aiochain {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    demo = commands.add_parser(
        "demo", help="run the tutorial's two summaries offline, one by one and concurrently"
    )
    demo.add_argument(
        "--latency", type=_SECONDS, default=1.0, help="simulated seconds per call (default 1)"
    )
    demo.add_argument(
        "--provider",
        choices=("openai", "anthropic", "azure", "gemini"),
        default="openai",
        help="the simulated API the demo talks to (default openai)",
    )

    from .map.arguments import add_map_parser

    add_map_parser(commands, _number)

    from ._batches_command import add_batches_parser

    add_batches_parser(commands, _number(int, 1, None, "an integer >= 1"))

    from .report.command import add_report_parser

    add_report_parser(commands)

    serve = commands.add_parser(
        "serve",
        help="run the OpenAI-compatible simulation server (also Anthropic's, Azure's and "
        "Gemini's APIs)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_PORT, default=8000, help="port (default 8000; 0: any)")
    serve.add_argument(
        "--latency", type=_SECONDS, default=0.5, help="seconds to the first token (default 0.5)"
    )
    serve.add_argument(
        "--latency-jitter",
        type=_SECONDS,
        default=0.0,
        help="latency varies by up to this many seconds either way",
    )
    serve.add_argument(
        "--tokens-per-second",
        type=_SECONDS,
        default=0.0,
        help="pace of tokens after the first (default 0: all at once)",
    )
    serve.add_argument("--rpm", type=_POSITIVE, help="requests per minute per API key")
    serve.add_argument("--tpm", type=_POSITIVE, help="tokens per minute per API key")
    serve.add_argument(
        "--fail-rate",
        type=_RATE,
        default=0.0,
        help="share of requests that fail with --fail-status",
    )
    serve.add_argument(
        "--fail-status", type=_STATUS, default=500, help="status of injected failures (default 500)"
    )
    serve.add_argument(
        "--drop-rate", type=_RATE, default=0.0, help="share of requests whose connection is cut"
    )
    serve.add_argument(
        "--hang-rate", type=_RATE, default=0.0, help="share of requests never answered"
    )
    serve.add_argument(
        "--overload-rate",
        type=_RATE,
        default=0.0,
        help="share of requests refused as overloaded (529 overloaded_error on the Anthropic "
        "Messages API, 503 on OpenAI's)",
    )
    serve.add_argument(
        "--stream-cut-rate", type=_RATE, default=0.0, help="share of streams cut before [DONE]"
    )
    serve.add_argument(
        "--malformed-rate",
        type=_RATE,
        default=0.0,
        help="share of answers that are malformed with status 200 (wrong shapes, truncated "
        "JSON, HTML pages, deeply nested JSON, usage as strings, numeric content, ...; the "
        "x-sim-fault header names the kind)",
    )
    serve.add_argument(
        "--slow-body-rate",
        type=_RATE,
        default=0.0,
        help="share of answers whose body trickles: headers, then a byte at a time",
    )
    serve.add_argument(
        "--slow-body-pause",
        type=_SECONDS,
        default=1.0,
        help="seconds between the bytes of a slow body (default 1)",
    )
    serve.add_argument(
        "--retry-after-max",
        type=_number(float, 1.0, None, "a number of seconds >= 1"),
        metavar="SECONDS",
        help="make every 429 extreme: retry-after is this (half the time) or drawn up to it; "
        "the largest retry-after sent (try 86400)",
    )
    serve.add_argument(
        "--batch-speed",
        type=_POSITIVE,
        default=1.0,
        help="how much faster batches run than the simulated timeline (default 1: validating "
        "1 s, 0.05 s a request, finalizing 1 s)",
    )
    serve.add_argument(
        "--batch-fail-rate", type=_RATE, default=0.0, help="share of batch lines that fail"
    )
    serve.add_argument(
        "--batch-expire-rate",
        type=_RATE,
        default=0.0,
        help="share of batches that expire when half done (the rest: batch_expired)",
    )
    serve.add_argument(
        "--batch-stuck-rate",
        type=_RATE,
        default=0.0,
        help="share of batches stuck in finalizing for ever",
    )
    serve.add_argument(
        "--batch-malformed-rate",
        type=_RATE,
        default=0.0,
        help="share of batch result lines written cut short, to rehearse bad lines",
    )
    serve.add_argument(
        "--batch-token-limit",
        type=_number(int, 1, None, "an integer >= 1"),
        metavar="TOKENS",
        help="most prompt tokens one batch may enqueue (more: token_limit_exceeded)",
    )
    serve.add_argument(
        "--gemini-rpd",
        type=_number(int, 1, None, "an integer >= 1"),
        metavar="N",
        help="Gemini requests per day per key and model (more: 429 with a per-day quota)",
    )
    serve.add_argument("--api-key", help="require this bearer key (others get 401)")
    serve.add_argument("--seed", type=int, default=0, help="seed of fault and jitter draws")
    serve.add_argument(
        "--models", help="comma-separated model names to serve (default: common OpenAI names)"
    )
    _debug_anywhere(commands)
    return parser


def _debug_anywhere(commands: Any) -> None:
    """Accept --debug after a command too (`aiochain map ... --debug`), where people type it;
    SUPPRESS keeps a subcommand from resetting a --debug given before it."""
    for sub in commands.choices.values():
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _debug_anywhere(action)


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse `argv`; an unknown flag is reported by the (sub)command it was given to, with the
    nearest flag that command has (`aiochain map: error: unrecognized arguments: --concurency;
    did you mean --concurrency?`)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        command = _innermost(parser, args)
        message = f"unrecognized arguments: {' '.join(extra)}"
        flags = [flag for action in command._actions for flag in action.option_strings]
        typo = next((word.split("=")[0] for word in extra if word.startswith("--")), None)
        near = difflib.get_close_matches(typo, flags, n=1) if typo else []
        if near:
            message += f"; did you mean {near[0]}?"
        command.error(message)
    return args


def _innermost(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    """The parser of the (sub)command that `args` ran (`aiochain batches list`'s, say)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = getattr(args, action.dest, None)
            if chosen in action.choices:
                return _innermost(action.choices[chosen], args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    given = sys.argv[1:] if argv is None else list(argv)
    if not given or given == ["--debug"]:
        # `aiochain` alone: what a new user wants is the list of commands, not an error.
        parser.print_help(sys.stderr)
        print("\nStart with `aiochain demo` (offline, no key needed).", file=sys.stderr)
        return 2
    args = _parse(parser, argv)
    try:
        _check_text(args)
        status = _run(args, argv)
        sys.stdout.flush()  # what is still buffered meets a closed pipe here, not at exit
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of standard output went away (`aiochain batches list | head -1`): stop
        # quietly, as `cat` does, for every command that prints lists or rows.
        return quiet_broken_pipe()
    except AiochainError as exc:
        if args.debug:
            raise
        message = cli_words(str(exc), getattr(args, "provider", None))
        print(f"aiochain {args.command}: error: {message}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    return status


_TEXT_OPTIONS = ("template", "system", "reduce_template")
"""Options that are text sent to the model (paths may hold any bytes: they stay paths)."""


def _check_text(args: argparse.Namespace) -> None:
    """Refuse a text option holding bytes that are not UTF-8 (Python passes them on as lone
    surrogates, which no request body, journal or output can hold)."""
    for name in _TEXT_OPTIONS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            bad = next((c for c in value if "\ud800" <= c <= "\udfff"), None)
            if bad is not None:
                flag = "--" + name.replace("_", "-")
                raise UsageError(f"{flag} is not UTF-8 text (byte 0x{ord(bad) & 0xFF:02x})")


def _run(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    if args.command == "demo":
        from ._demo import run_demo

        run_demo(latency=args.latency, provider=args.provider)
    elif args.command == "serve":
        from ._serve import run_serve

        run_serve(args)
    elif args.command == "map":
        from .map.command import run_map_command

        return run_map_command(args, argv)
    elif args.command == "batches":
        from ._batches_command import run_batches_command

        return run_batches_command(args)
    elif args.command == "report":
        from .report.command import run_report_command

        return run_report_command(args)
    return 0


def quiet_broken_pipe() -> int:
    """Point standard output at /dev/null (the interpreter's last flush must not complain)
    and return 141, the status of a process whose pipe closed."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141
