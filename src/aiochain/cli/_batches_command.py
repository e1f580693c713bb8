"""`aiochain batches list | status ID | cancel ID | collect ID [-o FILE]`: batches of OpenAI's
Batch API (or, with `--provider anthropic`, Anthropic's Message Batches) made anywhere (by
`aiochain map --batch`, `abatch_api`, or another tool), from the command line.

The key comes from the environment only (never an argument, which `ps` would show); the server
from `--base-url` or the environment.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO, Any

from .._exceptions import UsageError
from .._types import JSONDict


def add_batches_parser(commands: Any, positive_int: Any) -> None:
    """Add `batches` and its subcommands to the CLI's subcommands."""
    parser = commands.add_parser(
        "batches",
        help="list, inspect, cancel and collect OpenAI Batch API batches",
        description="Batches of OpenAI's Batch API (or a compatible server), made by aiochain "
        "or elsewhere. The key is read from $OPENAI_API_KEY.",
    )
    parser.add_argument(
        "--provider",
        choices=("openai", "anthropic"),
        default="openai",
        help="OpenAI's Batch API (default; key $OPENAI_API_KEY) or Anthropic's Message "
        "Batches (key $ANTHROPIC_API_KEY)",
    )
    parser.add_argument(
        "--base-url",
        help="API root (default $OPENAI_BASE_URL / $ANTHROPIC_BASE_URL, or the provider's)",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    listing = actions.add_parser("list", help="one line per batch, newest first")
    listing.add_argument("--limit", type=positive_int, default=20, help="at most 100 (default 20)")
    listing.add_argument("--after", help="the last id of the previous page")
    for name, text in (("status", "show a batch's state"), ("cancel", "cancel a batch")):
        actions.add_parser(name, help=text).add_argument("id", help="the batch id")
    collect = actions.add_parser(
        "collect",
        help="write an ended batch's answers and errors as JSON Lines, merged by custom_id",
    )
    collect.add_argument("id", help="the batch id")
    collect.add_argument("-o", "--output", help="output file (default: standard output)")
    collect.add_argument("--wait", action="store_true", help="poll until the batch ends first")


def run_batches_command(args: argparse.Namespace) -> int:
    """Run `aiochain batches ...`; returns the exit status."""
    from .._sync import run

    return run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    from ..batches import AnthropicBatchClient, OpenAIBatchClient

    if args.action == "list" and args.limit > 100:
        raise UsageError(f"--limit is at most 100, got {args.limit}")
    kind = AnthropicBatchClient if args.provider == "anthropic" else OpenAIBatchClient
    async with kind(args.base_url) as client:
        if args.action == "list":
            for status in await client.list_batches(limit=args.limit, after=args.after):
                print(status.describe())
            return 0
        if args.action == "status":
            print((await client.retrieve(args.id)).describe())
            return 0
        if args.action == "cancel":
            print((await client.cancel(args.id)).describe())
            return 0
        status = await client.wait(args.id) if args.wait else await client.retrieve(args.id)
        if status.stuck or not status.terminal:
            print(
                f"aiochain batches: error: {status.describe()}; collect it once it has ended "
                "(or use --wait)",
                file=sys.stderr,
            )
            return 1
        outcome = await client.collect(status)
    rows: list[JSONDict] = [{"custom_id": c, "response": b} for c, b in outcome.results.items()]
    for custom_id, error in outcome.errors.items():
        detail = {"code": error.code, "message": str(error), "status_code": error.status_code}
        rows.append({"custom_id": custom_id, "error": detail})
    _write(rows, args.output)
    where = args.output or "standard output"
    print(
        f"{status.describe()}: {len(outcome.results)} answered, {len(outcome.errors)} "
        f"without an answer, written to {where}",
        file=sys.stderr,
    )
    return 1 if outcome.errors or status.status == "failed" else 0


def _write(rows: list[JSONDict], output: str | None) -> None:
    from .. import _json

    def dump(stream: IO[bytes]) -> None:
        for row in rows:
            stream.write(_json.dumps(row) + b"\n")

    if output is None:
        dump(sys.stdout.buffer)
        sys.stdout.flush()
        return
    try:
        with Path(output).open("wb") as stream:
            dump(stream)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write: {exc.strerror}") from None
