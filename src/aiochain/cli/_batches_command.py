"""`aiochain batches list | status ID | cancel ID | collect ID [-o FILE]`: batches of OpenAI's
Batch API (or, with `--provider anthropic` / `gemini`, Anthropic's Message Batches or Gemini's
batch mode) made anywhere (by
`aiochain map --batch`, `abatch_api`, or another tool), from the command line.

The key comes from the environment only (never an argument, which `ps` would show); the server
from `--base-url` or the environment.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
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
    _add_endpoint_options(parser, default="openai")
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
    # `aiochain batches list --base-url URL` is how people type it: the endpoint's options are
    # accepted after the action too (SUPPRESS: not given there, the ones before it stand).
    for action in actions.choices.values():
        _add_endpoint_options(action, default=argparse.SUPPRESS)
    collect.add_argument("id", help="the batch id")
    collect.add_argument("-o", "--output", help="output file (default: standard output)")
    collect.add_argument("--wait", action="store_true", help="poll until the batch ends first")
    collect.add_argument(
        "--journal",
        help="the journal of the `aiochain map --batch` job that made the batch: each row then "
        "says the record_id its custom_id stands for",
    )


def _add_endpoint_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument(
        "--provider",
        choices=("openai", "anthropic", "gemini"),
        default=default,
        help="OpenAI's Batch API (default; key $OPENAI_API_KEY), Anthropic's Message "
        "Batches (key $ANTHROPIC_API_KEY) or Gemini's batch mode (key $GOOGLE_API_KEY)",
    )
    parser.add_argument(
        "--base-url",
        default=None if default != argparse.SUPPRESS else default,
        help="API root (default $OPENAI_BASE_URL / $ANTHROPIC_BASE_URL, or the provider's)",
    )


def run_batches_command(args: argparse.Namespace) -> int:
    """Run `aiochain batches ...`; returns the exit status."""
    from ..runnables._sync import run

    mapping: dict[str, str] = {}
    if getattr(args, "journal", None):
        from .map.batch_cover import record_ids

        if not Path(args.journal).is_file():
            raise UsageError(f"{args.journal}: no such journal")
        mapping = record_ids(args.journal, args.id)
        if not mapping:
            raise UsageError(f"{args.journal} knows no batch {args.id}")
    if args.action != "collect" or args.output is None:
        return run(_main(args, mapping, None))
    try:
        with Path(args.output).open("wb") as stream:
            return run(_main(args, mapping, stream))
    except OSError as exc:
        raise UsageError(f"{args.output}: cannot write: {exc.strerror}") from None


async def _main(args: argparse.Namespace, mapping: dict[str, str], stream: IO[bytes] | None) -> int:
    from ..batches import AnthropicBatchClient, GeminiBatchClient, OpenAIBatchClient

    if args.action == "list" and args.limit > 100:
        raise UsageError(f"--limit is at most 100, got {args.limit}")
    kind = AnthropicBatchClient if args.provider == "anthropic" else OpenAIBatchClient
    base_url = args.base_url
    if base_url and args.provider == "anthropic":
        # As `map --provider anthropic`: the API root, with or without its `/v1`.
        base_url = base_url.rstrip("/").removesuffix("/v1")
    maker: Any = kind
    if args.provider == "gemini":
        # As `map --provider gemini`: the API root, with or without its version; a client
        # that only reads, lists and cancels (no model).
        if base_url:
            base_url = base_url.rstrip("/").removesuffix("/v1beta").removesuffix("/v1")
        if args.action == "list" and args.after:
            raise UsageError("--after is not supported with --provider gemini")
        maker = lambda url: GeminiBatchClient(None, url)  # noqa: E731
    async with maker(base_url) as client:
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
        counts = [0, 0]  # answered, without an answer

        async def rows() -> AsyncIterator[JSONDict]:
            seen: set[str] = set()
            async for line in client.result_lines(status):
                if line.custom_id in seen:
                    continue
                seen.add(line.custom_id)
                row: JSONDict = {"custom_id": line.custom_id}
                if mapping:
                    row["record_id"] = mapping.get(line.custom_id)
                if line.body is not None:
                    row["response"] = line.body
                    counts[0] += 1
                elif line.error is not None:
                    error = line.error
                    row["error"] = {
                        "code": error.code,
                        "message": str(error),
                        "status_code": error.status_code,
                    }
                    counts[1] += 1
                yield row

        await _write(rows(), stream)
    where = args.output or "standard output"
    print(
        f"{status.describe()}: {counts[0]} answered, {counts[1]} without an answer, written "
        f"to {where}",
        file=sys.stderr,
    )
    return 1 if counts[1] or status.status == "failed" else 0


async def _write(rows: AsyncIterator[JSONDict], stream: IO[bytes] | None) -> None:
    """Write each row as a JSON line as it comes (a batch's rows are never held whole)."""
    from .. import _json

    target = sys.stdout.buffer if stream is None else stream
    async for row in rows:
        target.write(_json.dumps(row) + b"\n")
    target.flush()
