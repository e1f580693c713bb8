"""`aiochain map --embed --batch`: a job's embeddings through OpenAI's Batch API
(`/v1/embeddings` lines), at batch price.

It is the chat `--batch` flow (`batch.py`, `batch_run.py`: remembered batches collected first,
coverage journaled, no record sent to a second batch) with the embedding job's own parts: one
request line a record (its text, in the body a live request sends, base64 float32), a row
holding the record's vector as the live path writes it, and the client on the job's
embeddings endpoint. The output is rebuilt from the journal at the end, as for live jobs.
"""

from __future__ import annotations

from binascii import b2a_base64
from typing import Any

from ..._exceptions import AiochainError, ConfigurationError, InputError
from ..._providers.embedding_requests import read_vectors
from ..._types import Usage
from ...batches import OpenAIBatchClient
from .batch import BatchableJob, BatchKind
from .journal import JournalRow
from .journal_rows import RecordTake, journal_row
from .records import Record

__all__ = ["EMBED_BATCH"]


def _request(
    job: BatchableJob, record: Record
) -> tuple[dict[str, Any], str] | tuple[str, str] | None:
    """The record's request line body (its one text, as a live request sends it), or why it
    cannot be sent; None for a text that may pass the model's context, which the live path
    cuts in pieces and averages (a batch line holds one request: it is sent live)."""
    text = job.text_of(record)  # type: ignore[attr-defined]
    if isinstance(text, str) and not text:
        text = InputError(f"record {record.id}: the text is empty; nothing to embed")
    if isinstance(text, AiochainError):
        return str(text), type(text).__name__
    if job.llm.is_cut(text):
        return None
    return job.llm.request_body(text), text


def _answer_row(
    job: BatchableJob, record: Record, body: dict[str, Any], price: tuple[float, float] | None
) -> JournalRow:
    """The row of a record the batch embedded: its vector (base64 float32), at batch price."""
    try:
        vector = read_vectors(body, 1, "the batch's answer")[0]
    except AiochainError as exc:
        return _failed_row(job, record, f"{type(exc).__name__}: {exc}", type(exc).__name__)
    used = body.get("usage")
    tokens = used.get("prompt_tokens") if isinstance(used, dict) else None
    tokens = tokens if type(tokens) is int and tokens >= 0 else 0
    usage = Usage(prompt_tokens=tokens, total_tokens=tokens, requests=1)
    cost = tokens * price[0] / 1_000_000 if price else 0.0
    job.stats.answered(usage, cost)  # the progress display counts the batch too
    take = RecordTake.batch_line(started=job.batch_started, usage=usage, cost=cost)
    vector_text = b2a_base64(vector, newline=False).decode()
    return journal_row(record, take, output=vector_text, output_key="vector", tell_via=True)


def _failed_row(job: BatchableJob, record: Record, error: str, kind: str) -> JournalRow:
    """The row of a record that failed for good: a batch line's error (one request), or a
    record without a text, never sent."""
    take = RecordTake.batch_line(started=job.batch_started, usage=None, cost=0.0)
    take.requests = 0 if kind == "InputError" else 1
    take.fail(error, kind)
    return journal_row(record, take, output_key="vector", tell_via=True)


def _client(job: BatchableJob) -> OpenAIBatchClient:
    """A batch client on the job's embeddings endpoint, key, connections and retry policy."""
    if job.options.provider != "openai":
        raise ConfigurationError("--embed --batch works with --provider openai")
    every = job.options.batch_poll
    return OpenAIBatchClient.for_model(
        job.llm, poll_interval=every, max_poll_interval=max(60.0, every)
    )


EMBED_BATCH = BatchKind(
    answer_row=_answer_row,
    failed_row=_failed_row,
    request_of=_request,
    client=_client,
    answers=False,
)
"""What `map --embed --batch` puts in its batches and makes of their lines."""
