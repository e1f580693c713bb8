"""What a batch looks like between polls (`BatchStatus`) and what batches answered, merged
(`BatchOutcome`): the leaf types of `aiochain.batches`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import BadResponseError, BatchRequestError
from .._providers.anthropic_wire import read_anthropic_usage
from .._providers.openai_wire import read_openai_usage
from .._types import JSONDict, Usage
from ..pricing import cost_of
from ._openai_files import missing_errors

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """A batch as the server described it at one poll.

    Attributes:
        id: the batch id.
        status: validating, in_progress, finalizing, completed, failed, expired, cancelling
            or cancelled.
        total, completed, failed: the server's `request_counts`.
        input_file_id, output_file_id, error_file_id: its files (the last two once it ended).
        errors: validation errors of a failed batch (`code`, `message`, `line` each).
        metadata: the metadata it was created with.
        created_at: when it was created (epoch seconds; 0 when the server did not say).
        results_url: where an ended Message Batch's results are (Anthropic).
        stuck: set by us when it stayed in `finalizing` past `stuck_after`.
    """

    id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: tuple[JSONDict, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: int = 0
    stuck: bool = False
    results_url: str | None = None

    @property
    def terminal(self) -> bool:
        """Whether the batch has ended (and has its result files)."""
        return self.status in TERMINAL

    def describe(self) -> str:
        """One line: id, state, and how many requests are done."""
        state = "stuck in finalizing" if self.stuck else self.status
        line = f"{self.id} {state} {self.completed + self.failed}/{self.total}"
        if self.failed:
            line += f" ({self.failed} failed)"
        if self.errors:
            first = self.errors[0]
            line += f": {first.get('code')}: {str(first.get('message'))[:200]}"
        return line

    @classmethod
    def from_json(cls, data: JSONDict) -> BatchStatus:
        """The status in a batch object, checked (`BadResponseError` when malformed)."""
        ident, status = data.get("id"), data.get("status")
        counts = data.get("request_counts") or {}
        errors = (
            (data.get("errors") or {}).get("data") if isinstance(data.get("errors"), dict) else []
        )
        numbers: list[Any] = [
            counts.get(k, 0) if isinstance(counts, dict) else None for k in _COUNTS
        ]
        files = [data.get(k) for k in ("input_file_id", "output_file_id", "error_file_id")]
        metadata = data.get("metadata") or {}
        if (
            not isinstance(ident, str)
            or not isinstance(status, str)
            or not all(type(n) is int and 0 <= n <= 10**9 for n in numbers)
            or not all(f is None or isinstance(f, str) for f in files)
            or not isinstance(errors, list | None)
            or not isinstance(metadata, dict)
        ):
            raise BadResponseError(f"a malformed batch object: {str(data)[:200]}", body=str(data))
        created = data.get("created_at")
        return cls(
            ident[:200],
            status[:40],
            total=numbers[0],
            completed=numbers[1],
            failed=numbers[2],
            input_file_id=files[0],
            output_file_id=files[1],
            error_file_id=files[2],
            errors=tuple(e for e in errors or [] if isinstance(e, dict))[:100],
            metadata={str(k): str(v)[:512] for k, v in list(metadata.items())[:16]},
            created_at=created if type(created) is int else 0,
        )


_COUNTS = ("total", "completed", "failed")


@dataclass(slots=True)
class BatchOutcome:
    """What batches answered, merged by `custom_id`.

    Attributes:
        results: custom_id -> the endpoint's answer body, for every request answered.
        errors: custom_id -> `BatchRequestError`, for every request without an answer.
        batches: the last status of each batch.
    """

    results: dict[str, JSONDict] = field(default_factory=dict)
    errors: dict[str, BatchRequestError] = field(default_factory=dict)
    batches: list[BatchStatus] = field(default_factory=list)

    def usage(self) -> Usage:
        """The tokens of every answer, read by its provider's one usage reader, as live calls
        read them (Anthropic's prompt-cache reads and writes count as prompt tokens); answers
        whose counts are not sane are skipped."""
        total = Usage()
        for body in self.results.values():
            reader = read_anthropic_usage if body.get("type") == "message" else read_openai_usage
            try:
                usage = reader(body)
            except BadResponseError:
                continue
            if usage is not None:
                usage.requests = 1
                total.add(usage)
        return total

    def cost(self, model: str) -> float | None:
        """Estimated dollars of the answers at `model`'s batch price, or None when unknown."""
        usage = self.usage()
        return cost_of(model, usage.prompt_tokens, usage.completion_tokens, batch=True)

    def retryable(self) -> list[str]:
        """The custom_ids worth sending again (live, or in a new batch)."""
        return [cid for cid, error in self.errors.items() if error.retryable]


def epoch_seconds(value: Any) -> int:
    """An RFC 3339 time (Anthropic's and Gemini's batch times) as epoch seconds (0 when it
    is not one)."""
    if not isinstance(value, str):
        return 0
    try:
        moment = datetime.datetime.fromisoformat(value[:40].replace("Z", "+00:00"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp())


def unanswered_errors(status: BatchStatus, custom_ids: list[str]) -> dict[str, BatchRequestError]:
    if status.stuck:
        message = f"batch {status.id} is stuck in finalizing; it may still finish"
        return missing_errors(custom_ids, batch_id=status.id, code="batch_stuck", message=message)
    if status.status == "failed":
        codes = {str(e.get("code")) for e in status.errors}
        return missing_errors(
            custom_ids,
            batch_id=status.id,
            code="batch_failed",
            message=f"batch {status.id} failed: {status.describe()}",
            retryable=codes <= {"token_limit_exceeded"},
            body=list(status.errors),
        )
    message = f"batch {status.id} ended {status.status} without a row for it"
    return missing_errors(custom_ids, batch_id=status.id, code="missing", message=message)
