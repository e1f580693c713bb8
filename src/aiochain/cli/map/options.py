"""What a `aiochain map` job was asked to do (`MapOptions`), what it did (`MapSummary`), and
what identifies it for its journal."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from ..._pipeline.run_stats import RunStats
from .records import Source


@dataclass
class MapOptions:
    """Everything `aiochain map` was asked to do."""

    template: str
    input: str
    input_format: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    system: str | None = None
    output: str | None = None
    overwrite: bool = False  # replace an existing output that no journal says is the job's
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key: str | None = None
    concurrency: int = 64
    rpm: float | None = None
    tpm: float | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    json_mode: bool = False
    journal: str | None = None
    resume: bool = True
    cache: bool = False
    cache_path: str | None = None
    max_cost: float | None = None
    retries: int = 4
    max_wait: float = 120.0
    provider: str = "openai"
    api: str = "chat"  # --api: OpenAI's chat completions, or its Responses API
    api_version: str | None = None
    batch: bool = False
    batch_poll: float = 5.0
    batch_retry: bool = False
    report: str | None = None
    batch_progress: bool = True
    split: int | None = None
    overlap: int = 0
    split_field: str | None = None
    reduce_template: str | None = None
    timeout: float = 120.0
    simulate: float | None = None
    ordered: bool = False
    ray: str | None = None  # --ray: a cluster address, or "local"
    workers: int = 2
    embed: bool = False  # --embed: vectors instead of answers (see _embed_job)
    field: str | None = None  # --field: with --embed, the field holding the text
    dimensions: int | None = None
    chunk_size: int | None = None  # --chunk-size: with --embed, texts per request


@dataclass
class MapSummary:
    """What a run did, for the progress display, the summary table and the exit status."""

    items: int = 0
    ok: int = 0
    failed: int = 0
    resumed: int = 0
    cached: int = 0
    in_flight: int = 0
    skipped_for_budget: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    job_cost: float | None = None
    wall: float = 0.0
    indexing: float = 0.0
    p50: float | None = None
    p95: float | None = None
    rate_limited: int = 0
    chunks: int = 0
    via_batch: int = 0
    via_live: int = 0
    batches: str = ""  # with --batch: the batches' states and counts, for the progress line
    output: str = ""
    journal: str = ""
    stats: RunStats = field(default_factory=RunStats)
    # Failed records by error class, and each class's first error (for the closing line).
    failures: dict[str, int] = field(default_factory=dict)
    failure_examples: dict[str, str] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        return 0 if self.failed == 0 and self.skipped_for_budget == 0 else 1

    def count_failed(self, error_class: str | None, line: str) -> None:
        """Count a failed record from its row; the first error of each class is kept (read
        from its output line), so the closing line can say what went wrong."""
        self.failed += 1
        kind = error_class or "error"
        self.failures[kind] = self.failures.get(kind, 0) + 1
        if kind not in self.failure_examples and len(self.failure_examples) < 20:
            try:
                error = json.loads(line).get("error")
            except (ValueError, AttributeError):
                error = None
            self.failure_examples[kind] = error if isinstance(error, str) else kind

    def common_failure(self, limit: int = 200) -> str | None:
        """The first error of the most common class of failure, cut to `limit` characters."""
        if not self.failures:
            return None
        kind = max(self.failures, key=self.failures.__getitem__)
        example = " ".join(self.failure_examples.get(kind, kind).split())
        return example if len(example) <= limit else example[: limit - 3] + "..."


def job_description(options: MapOptions, endpoint: str) -> dict[str, Any]:
    """What identifies the job for the journal: a change in any of these is another job."""
    return {
        "template": options.template,
        "system": options.system,
        "model": options.model,
        **({"provider": options.provider} if options.provider != "openai" else {}),
        "max_tokens": options.max_tokens,
        "temperature": options.temperature,
        "json": options.json_mode,
        "endpoint": endpoint,
        **(
            {
                "split": options.split,
                "overlap": options.overlap,
                "split_field": options.split_field,
                "reduce_template": options.reduce_template,
            }
            if options.split
            else {}
        ),
    }


_SETTINGS = "input output concurrency rpm tpm max_cost retries max_wait timeout cache simulate"


def run_settings(options: MapOptions) -> dict[str, Any]:
    """How the run goes (limits and paths, never the key), kept in the journal for reports."""
    return {name: getattr(options, name) for name in _SETTINGS.split()} | {
        "run_started": time.time()
    }


def default_journal(options: MapOptions, job: dict[str, Any], source: Source) -> str:
    """Next to the output file; for standard output, a file in the working directory named
    after the job and the input, so two jobs never share (or wipe) one journal."""
    if options.output:
        return options.output + ".journal.sqlite"
    key = json.dumps([job, source.identity()], sort_keys=True)
    return f"aiochain-map-{hashlib.sha256(key.encode()).hexdigest()[:12]}.journal.sqlite"
