"""`aiochain map`'s flags, help and epilog: what the command accepts (`_map_command.py` runs
it)."""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Callable
from typing import Any

from .providers import PROVIDERS
from .records import FORMATS

EPILOG = """\
the API key comes from the environment only: $OPENAI_API_KEY, or the variable --provider
names (the base URL from --base-url or $OPENAI_BASE_URL).

--template and --system turn the escapes \\n, \\t and \\\\ into a newline, a tab and a backslash,
so --template "Summarize:\\n\\n{text}" works in any shell; --template-file is read as it is.
Values that are not strings (numbers, lists, objects, null) go into the prompt as JSON.

ids: a record's own "id" field (JSON Lines, CSV); else, for a file, <resolved path>:<line>
(the line where the record starts: the same whatever the path's spelling); for a directory,
the file's path inside it; for standard input, <stdin>:<line>.

an existing --output is replaced only by its own job (its journal is there), else refused
unless --overwrite; a run that stops before anything was answered leaves no output or journal.

exit status: 0 every record done; 1 some records failed or were not sent (budget), or the job
stopped (an unknown model, a refused key); 2 a usage error (a bad option, input or path), sent
nothing; 130 interrupted by Ctrl-C, 143 by SIGTERM (both commit what finished and print the
command that resumes); 141 the output was closed (a pipe).
"""


_PLACEHOLDER = re.compile(r"<[^<>\n]*>")


class _ParagraphFormatter(argparse.HelpFormatter):
    """Fills the description and the epilog paragraph by paragraph to the terminal's width:
    argparse's default runs the paragraphs together, RawDescriptionHelpFormatter kept lines
    of up to 94 characters that an 80-column terminal broke mid-word."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
        # A placeholder (`<resolved path>`) is never broken: its spaces are hidden from
        # textwrap as NULs while filling.
        kept = [_PLACEHOLDER.sub(lambda m: m.group().replace(" ", "\0"), p) for p in paragraphs]
        return "\n\n".join(
            textwrap.fill(p, width, initial_indent=indent, subsequent_indent=indent) for p in kept
        ).replace("\0", " ")


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
        formatter_class=_ParagraphFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--template", help="the prompt, with {field} placeholders (\\\\n: a newline)"
    )
    source.add_argument("--template-file", help="a file holding the prompt, read as it is")
    source.add_argument("--field", help="with --embed: the field whose text is embedded")
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
        "--overwrite",
        action="store_true",
        help="replace an existing --output that no journal says this job wrote (else refused)",
    )
    parser.add_argument(
        "--ordered",
        action="store_true",
        help="write the whole output in input order at the end (to a file or standard output)",
    )
    parser.add_argument(
        "--provider",
        choices=PROVIDERS,
        default="openai",
        help="the API: openai (or any compatible server), anthropic, azure, gemini (default "
        "openai); keys from OPENAI_API_KEY, ANTHROPIC_API_KEY, AZURE_OPENAI_API_KEY or "
        "GOOGLE_API_KEY / GEMINI_API_KEY",
    )
    parser.add_argument(
        "--model",
        help="the model (default gpt-4o-mini; claude-haiku-4-5 with --provider anthropic, "
        "gemini-2.5-flash with --provider gemini); "
        "with --provider azure, the deployment name (required)",
    )
    parser.add_argument(
        "--api",
        choices=("chat", "responses"),
        default="chat",
        help="with --provider openai: chat completions (default) or the Responses API",
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
    embed = parser.add_argument_group("embeddings")
    embed.add_argument(
        "--embed",
        action="store_true",
        help="embed each record's text (--field, or --template filled) instead of prompting; "
        "--output by extension: .npy (a float32 matrix, ids in <name>.ids.txt), .parquet "
        "(id, vector), else JSON Lines; default model text-embedding-3-small. .npy and "
        ".parquet need pip install 'aiochain[embeddings]'",
    )
    embed.add_argument(
        "--dimensions", type=positive_int, help="with --embed: the vectors' length (-3 models)"
    )
    embed.add_argument(
        "--chunk-size",
        type=number(int, 1, 2048, "an integer from 1 to 2048"),
        help="with --embed: the most texts per request (default 2048, OpenAI's limit)",
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
