"""`aiochain map --batch`: the job's requests through the provider's Batch API, at half price.

Flow: build every pending record's request (the same body a live call sends) -> check
`--max-cost` at batch prices before anything is uploaded -> upload and create the batches,
writing each file and batch id into the journal before polling (a killed run resumes polling
the same batches instead of paying again) -> poll, one progress line per batch -> merge each
batch's answers as it ends, partial results of expired and cancelled batches included -> the
requests left without an answer that may be retried are sent live (by the job, with the usual
limits), or with `--batch-retry` first resubmitted as one more batch; the others are failed
rows. Every output row says `"via": "batch"` or `"via": "live"`.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

from .._exceptions import (
    AiochainError,
    APIStatusError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
)
from .._tokens import CHARS_PER_TOKEN, DEFAULT_COMPLETION_TOKENS
from .._usage import Usage
from ..batches import AnthropicBatchClient, BatchRequest, OpenAIBatchClient
from ..chat_models import ChatAnthropic
from ..messages import HumanMessage
from ..pricing import cost_for, price_of
from ._journal import JournalRow
from ._journal_rows import RecordTake, journal_row
from ._record_prompts import json_output, missing_variables, prompt_values
from ._records import Record


class BatchableJob(Protocol):
    """What of the map job a batch run uses (`_map_job._Job`)."""

    options: Any
    llm: Any
    journal: Any
    budget: Any
    summary: Any
    stats: Any
    template: Any
    system: Any
    via: str | None

    def pending_records(self) -> list[Record]: ...


async def run_batch(job: BatchableJob) -> tuple[list[JournalRow], list[Record]]:
    """Run the job's pending records through the Batch API; return the rows to commit and
    the records to send live. Runs before the job's group commit starts: the journal's
    thread is free to record the batch ids as they are made."""
    options = job.options
    records = job.pending_records()
    if not records:
        return [], []
    requests: list[BatchRequest] = []
    by_id: dict[str, Record] = {}
    estimate = 0.0
    price = price_of(options.model, batch=True)
    unsendable: list[JournalRow] = []
    for record in records:
        missing = missing_variables(job.template, record)
        if missing is not None:  # fails alone, unsent, as on the live path
            unsendable.append(_failed_row(record, missing))
            continue
        prompt = job.template.format(**prompt_values(job.template, record))
        messages: Any = [job.system, HumanMessage(prompt)] if job.system else prompt
        request = BatchRequest.make(record.digest, job.llm._payload(messages))
        requests.append(request)
        by_id[request.custom_id] = record
        if price is not None:
            answer = options.max_tokens or DEFAULT_COMPLETION_TOKENS
            estimate += cost_for(price, len(prompt) / CHARS_PER_TOKEN, answer)
    if options.max_cost is not None and job.journal.spent + estimate > options.max_cost:
        raise ConfigurationError(
            f"the batch would cost about ${estimate:.4f} at batch prices, and with "
            f"${job.journal.spent:.4f} spent the job would pass --max-cost ${options.max_cost}; "
            "raise --max-cost or run fewer records"
        )
    if not requests:
        return unsendable, []
    rows, retry = await _round(job, requests, by_id, price, "batch")
    rows += unsendable
    if retry and options.batch_retry:
        # What the first batch left (expired, cancelled, failed for a reason worth retrying)
        # goes into one more batch; what that one leaves is sent live.
        again = {r.digest for r in retry}
        rows_2, retry = await _round(
            job, [q for q in requests if by_id[q.custom_id].digest in again], by_id, price, "retry"
        )
        rows += rows_2
    job.summary.via_batch += sum(1 for row in rows if row.ok)
    return rows, retry


async def _round(
    job: BatchableJob,
    requests: list[BatchRequest],
    by_id: dict[str, Record],
    price: tuple[float, float] | None,
    name: str,
) -> tuple[list[JournalRow], list[Record]]:
    """One batch round: submit (or resume, from the ids the journal keeps under `name`), poll,
    merge; the rows answered or failed for good, and the records worth another try."""
    kind = "batch" if name == "batch" else f"{name}-batch"
    resume = await job.journal.call(job.journal.remembered, kind)

    async def record_id(what: str, ident: str) -> None:
        await job.journal.call(
            job.journal.remember, what if name == "batch" else f"{name}-{what}", ident
        )

    async with _client(job) as client:
        outcome = await client.run(
            requests,
            record=record_id,
            resume=resume,
            on_progress=_progress_line if job.options.batch_progress else None,
        )
    if not outcome.results and requests:
        # Every request refused as the live path would stop on (an unknown model, a refused
        # key): stop the job, as it does, instead of failing every record.
        errors = [outcome.errors.get(q.custom_id) for q in requests]
        codes = {getattr(e, "status_code", None) for e in errors}
        if len(codes) == 1 and (code := codes.pop()) in _STOPS:
            raise _STOPS[code](str(errors[0]), status_code=code)
    rows, retry = [], []
    for request in requests:
        record = by_id[request.custom_id]
        body = outcome.results.get(request.custom_id)
        if body is not None:
            rows.append(_answer_row(job, record, body, price))
            continue
        error = outcome.errors[request.custom_id]
        if error.retryable:
            retry.append(record)
        else:
            rows.append(_failed_row(record, f"{type(error).__name__}: {error}"))
    return rows, retry


_STOPS: dict[int, type[APIStatusError]] = {
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
}


def _answer_row(
    job: BatchableJob, record: Record, body: dict[str, Any], price: tuple[float, float] | None
) -> JournalRow:
    """The row of a record the batch answered, at batch price."""
    try:
        usage = job.llm._pipeline._read_usage(body) or Usage()
        generation = job.llm._generations(body, usage)[0]
    except AiochainError as exc:
        return _failed_row(record, f"{type(exc).__name__}: {exc}", job, type(exc).__name__)
    cost = cost_for(price, usage.prompt_tokens, usage.completion_tokens) if price else 0.0
    job.stats.answered(usage, cost)  # the progress display counts the batch too
    job.budget.spent += cost
    started = getattr(job, "batch_started", None)
    take = RecordTake.batch_line(started=started, usage=usage, cost=cost)
    output: Any = generation.text
    if job.options.json_mode:
        output, not_json = json_output(generation.text)
        if not_json is not None:
            take.fail(f"the answer is not valid JSON: {not_json}", type(not_json).__name__)
    return journal_row(record, take, output=output, tell_via=True)


def _failed_row(
    record: Record, error: str, job: BatchableJob | None = None, kind: str | None = None
) -> JournalRow:
    # Callers pass "Class: message" for a batch line that failed, and missing_variables()'s
    # "record ...: missing template variable(s) ..." for a record that was never sent.
    unsent = kind is None and error.startswith("record ")
    take = RecordTake.batch_line(started=getattr(job, "batch_started", None), usage=None, cost=0.0)
    take.requests = 0 if unsent else 1
    if unsent:
        kind = "MissingVariablesError"
    take.fail(error, kind or error.partition(":")[0])
    return journal_row(record, take, tell_via=True)


def _client(job: BatchableJob) -> OpenAIBatchClient | AnthropicBatchClient:
    every = job.options.batch_poll
    poll = {"poll_interval": every, "max_poll_interval": max(60.0, every)}
    if isinstance(job.llm, ChatAnthropic):
        return AnthropicBatchClient(job.llm.base_url, job.options.api_key, **poll)
    if job.options.provider != "openai":
        raise ConfigurationError("--batch works with --provider openai or anthropic")
    return OpenAIBatchClient.for_model(job.llm, **poll)


def _progress_line(status: Any) -> None:
    print(f"aiochain map: {status.describe()}", file=sys.stderr, flush=True)
