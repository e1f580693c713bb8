"""The one builder of `aiochain map`'s journal rows: what a record took becomes its row.

Every way a record is answered (live, `--split`, `--batch`, a `--ray` worker) fills one
`RecordTake` (times, requests, 429s, tokens, cost, the error) and hands it to `journal_row`,
which encodes the output line and the columns `aiochain report` reads. The summary and the
report both read these rows, so what a job says it did is the same whichever path it took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ... import _json
from ..._pipeline.run_stats import CallCounts
from ..._types import Usage
from .journal import JournalRow
from .records import Record, without_lone_surrogates

VIAS = ("live", "split", "batch", "ray")
"""How a record can be answered (the journal's `via` column)."""


@dataclass(slots=True)
class RecordTake:
    """What answering one record took.

    Attributes:
        via: how it was answered, one of `VIAS`.
        started: when the job took it up (Unix seconds): time in the job counts from here,
            time queued behind the limiter included.
        ended: when its answer (or error) was in.
        requests: HTTP requests sent for it (answered or refused; every chunk and reduce
            request of a split record; one line of a batch).
        rate_limited: 429s among them.
        prompt_tokens: tokens sent, from the answers' usage.
        completion_tokens: tokens received.
        cost: dollars spent on it (0 when the price is unknown or a cache answered).
        cached: a cache answered it (no request, no cost).
        answers: each answered request's send time (Unix seconds), seconds from being sent,
            and tokens in and out: the report's request latency and the times of a split
            record's chunks.
        error: why it failed (None when it did not).
        error_class: the class of that error.
    """

    via: str = "live"
    started: float | None = None
    ended: float | None = None
    requests: int = 0
    rate_limited: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cached: bool = False
    answers: list[tuple[float, float, int, int]] = field(default_factory=list)
    error: str | None = None
    error_class: str | None = None

    @classmethod
    def batch_line(cls, *, started: float | None, usage: Usage | None, cost: float) -> RecordTake:
        """A record answered (or failed) by one line of a provider batch submitted at
        `started`; it ends now, when its answer is merged."""
        ended = time.time()
        take = cls("batch", ended if started is None else started, ended, requests=1, cost=cost)
        take.use(usage)
        return take

    def use(self, usage: Usage | None) -> None:
        """Count the tokens of `usage` (none when it is None)."""
        if usage is not None:
            self.prompt_tokens = usage.prompt_tokens
            self.completion_tokens = usage.completion_tokens

    def count(self, call: CallCounts) -> None:
        """Take the requests, 429s and answers the request path counted for the record."""
        self.requests = call.requests
        self.rate_limited = call.rate_limited
        self.answers = call.answers
        # Not `call.cached`: one chunk of a split record answered by the cache does not make
        # the record cached (`cached` says no request was sent for it at all).

    def fail(self, error: str, error_class: str) -> None:
        """The record failed with `error` (of class `error_class`)."""
        self.error, self.error_class = error, error_class

    @property
    def request_seconds(self) -> float | None:
        """Seconds the answering request took from being sent (the last answered one)."""
        return self.answers[-1][1] if self.answers else None


def _line(value: dict[str, Any]) -> str:
    """The output line of a row. An answer holding a lone surrogate (a server may send a
    `\\ud800` escape) cannot be UTF-8: it is written with U+FFFD in its place."""
    try:
        return _json.dumps(value).decode()
    except (TypeError, ValueError):  # orjson's JSONEncodeError is a TypeError
        return _json.dumps(without_lone_surrogates(value)).decode()


def journal_row(
    record: Record,
    take: RecordTake,
    *,
    output: Any = None,
    tell_via: bool = False,
    output_key: str = "output",
) -> JournalRow:
    """The journal row (and output line) of `record`, from what it took.

    A cached row says `"cached": true` and reports zero usage: it cost nothing this time, so
    summing the output's usage gives what was really spent. With `tell_via` (a `--batch`
    job) the line says `"via": "batch"` or `"live"`. The answer goes under `output_key`
    (`"vector"` for a `map --embed` job).
    """
    ok = take.error is None
    usage: dict[str, int] | None = None
    if take.cached:
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    elif ok or take.prompt_tokens or take.completion_tokens:
        usage = {
            "prompt_tokens": take.prompt_tokens,
            "completion_tokens": take.completion_tokens,
            "total_tokens": take.prompt_tokens + take.completion_tokens,
        }
    value: dict[str, Any] = {"id": record.id, output_key: output if ok else None, "usage": usage}
    if take.cached:
        value["cached"] = True
    if not ok:
        value["error"] = take.error
    if tell_via:
        value["via"] = "batch" if take.via == "batch" else "live"
    return JournalRow(
        record.digest,
        record.index,
        record.id,
        ok,
        take.cached,
        _line(value),
        take.cost,
        started=take.started,
        ended=take.ended,
        attempts=take.requests,
        rate_limited=take.rate_limited,
        prompt_tokens=0 if take.cached else take.prompt_tokens,
        completion_tokens=0 if take.cached else take.completion_tokens,
        error_class=take.error_class,
        via=take.via,
        request_seconds=take.request_seconds,
        answers=_json.dumps(take.answers).decode() if len(take.answers) > 1 else None,
    )


__all__ = ["VIAS", "RecordTake", "journal_row"]
