"""Batch jobs on a clock the server can speed up: the timeline, faults and results shared by
OpenAI's Batch API and Anthropic's Message Batches.

Every line is answered when the batch is created (answers depend only on the request); the
clock only decides how much of that is visible. In simulated seconds (real seconds times
`batch_speed`): validating for 1 s, in progress for 0.05 s a request (at least 1 s) during
which results complete in a shuffled order, finalizing for 1 s, then completed. Faults, drawn
by seed when the batch is created: a share of lines fail (`batch_fail_rate`), a batch expires
when half its requests are done (`batch_expire_rate`), a batch stays in finalizing for ever
(`batch_stuck_rate`), a share of result lines is written cut short (`batch_malformed_rate`,
to rehearse a result file with bad lines). A cancelled batch keeps what was done when it was
cancelled.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

VALIDATING = 1.0
PER_REQUEST = 0.05
MIN_RUN = 1.0
FINALIZING = 1.0
CANCELLING = 1.0
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


class BatchSettings(Protocol):
    """The server options batches read."""

    batch_speed: float
    batch_fail_rate: float
    batch_expire_rate: float
    batch_stuck_rate: float
    batch_malformed_rate: float
    batch_token_limit: int | None


class LineResult(NamedTuple):
    """One request's outcome, decided at creation."""

    custom_id: str
    ok: bool
    status: int  # the HTTP status the request would have had
    body: Any  # the answer, or the error body


class Progress(NamedTuple):
    """What a batch shows at one moment."""

    status: str  # validating, failed, in_progress, finalizing, completed, expired,
    # cancelling, cancelled
    done: int  # requests finished (ok or failed), in result order
    times: dict[str, int]  # epoch seconds of each status reached so far


class BatchJob:
    """One batch: its results in the order they complete, its faults, and its clock."""

    def __init__(
        self,
        ident: str,
        results: list[LineResult],
        *,
        clock: Callable[[], float],
        speed: float,
        expire: bool = False,
        stuck: bool = False,
        errors: list[dict[str, Any]] | None = None,
        info: dict[str, Any] | None = None,
        malformed: frozenset[str] = frozenset(),
    ) -> None:
        self.ident = ident
        self.malformed = malformed  # custom_ids whose result line is written cut short
        self.results = results
        self.expire = expire
        self.stuck = stuck
        self.errors = errors or []  # validation errors: the batch fails after validating
        self.info = info or {}  # what the API needs to describe it (endpoint, file ids, ...)
        self._clock = clock
        self._speed = speed
        self._created = clock()
        self.created_at = int(time.time())
        self.cancelled_at: float | None = None
        self.files: dict[str, str] = {}  # output files, once made

    def _elapsed(self, until: float) -> float:
        return (until - self._created) * self._speed

    def _done_at(self, elapsed: float) -> int:
        count = len(self.results)
        run = max(MIN_RUN, count * PER_REQUEST)
        return max(0, min(count, math.floor(count * (elapsed - VALIDATING) / run)))

    def _at(self, elapsed: float) -> int:
        return self.created_at + math.ceil(elapsed)

    def cancel(self) -> bool:
        """Start cancelling; False when the batch has already ended."""
        if self.progress().status in TERMINAL or self.cancelled_at is not None:
            return False
        self.cancelled_at = self._clock()
        return True

    def progress(self, *, as_created: bool = False) -> Progress:
        """The batch's state now (or as it was made: what the create call answers, however
        fast the batch runs)."""
        elapsed = self._elapsed(self._created if as_created else self._clock())
        count = len(self.results)
        run = max(MIN_RUN, count * PER_REQUEST)
        times = {"created": self.created_at}
        if self.cancelled_at is not None:
            at = self._elapsed(self.cancelled_at)
            done = self._done_at(at) if not self.errors else 0
            times["cancelling"] = self._at(at)
            if elapsed < at + CANCELLING:
                return Progress("cancelling", done, times)
            times["cancelled"] = self._at(at + CANCELLING)
            return Progress("cancelled", done, times)
        if elapsed < VALIDATING:
            return Progress("validating", 0, times)
        if self.errors:
            times["failed"] = self._at(VALIDATING)
            return Progress("failed", 0, times)
        times["in_progress"] = self._at(VALIDATING)
        done = self._done_at(elapsed)
        half = count // 2
        if self.expire and done >= half:
            # Expired once half was done: as if the window closed then.
            times["expired"] = self._at(VALIDATING + run * half / max(count, 1))
            return Progress("expired", half, times)
        if elapsed < VALIDATING + run:
            return Progress("in_progress", done, times)
        times["finalizing"] = self._at(VALIDATING + run)
        if self.stuck or elapsed < VALIDATING + run + FINALIZING:
            return Progress("finalizing", count, times)
        times["completed"] = self._at(VALIDATING + run + FINALIZING)
        return Progress("completed", count, times)


class BatchPlanner:
    """Draws each new batch's faults and result order, by seed, apart from other draws."""

    def __init__(self, settings: BatchSettings, *, seed: int, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock
        self._rng = random.Random(seed + 3)

    def job(
        self,
        ident: str,
        results: list[LineResult],
        failure: Callable[[str], LineResult],
        *,
        errors: list[dict[str, Any]] | None = None,
        info: dict[str, Any] | None = None,
    ) -> BatchJob:
        """A batch of `results` (in input order): some lines failed by `failure(custom_id)`,
        all shuffled into the order they complete, perhaps to expire or stick."""
        settings, rng = self.settings, self._rng
        fail_rate = settings.batch_fail_rate
        planned = [
            failure(r.custom_id) if fail_rate and rng.random() < fail_rate else r for r in results
        ]
        rng.shuffle(planned)
        expire = bool(settings.batch_expire_rate) and rng.random() < settings.batch_expire_rate
        stuck = bool(settings.batch_stuck_rate) and rng.random() < settings.batch_stuck_rate
        bad_rate = settings.batch_malformed_rate
        malformed = frozenset(r.custom_id for r in planned if bad_rate and rng.random() < bad_rate)
        return BatchJob(
            ident,
            planned,
            clock=self.clock,
            speed=settings.batch_speed,
            expire=expire,
            stuck=stuck,
            errors=errors,
            info=info,
            malformed=malformed,
        )


def cut_short(line: bytes) -> bytes:
    """A result line cut off mid-way, as a broken writer leaves it: not JSON, but its start
    (with the `custom_id`) is there."""
    return line[: max(1, len(line) * 2 // 3)]
