"""The files of OpenAI's Batch API: request lines with stable ids, shards within the limits,
and the output and error files merged back by `custom_id`.

Everything here is pure (no HTTP), so the same lines and shards come out of the same requests
in every run: that is what lets a resumed run recognise the batches it already paid for.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import _json
from .._exceptions import BatchRequestError, ConfigurationError
from .._http.errors import excerpt
from .._types import JSONDict

MAX_REQUESTS = 50_000
"""Requests in one OpenAI batch input file."""
MAX_FILE_BYTES = 200 * 1024 * 1024
"""Bytes of one OpenAI batch input file."""
MAX_ID_LENGTH = 64
"""The longest `custom_id` we make (Anthropic allows 64 characters of [a-zA-Z0-9_-])."""


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """One request of a batch: its `custom_id` and the body sent to the endpoint.

    Build it with `BatchRequest.make(key, body)` to get an id that is the same in every run.
    """

    custom_id: str
    body: JSONDict

    @classmethod
    def make(cls, key: str, body: JSONDict) -> BatchRequest:
        """A request whose `custom_id` is derived from the caller's `key` (a record id, an
        input's index) and the whole body (prompt, model, parameters): the same key and body
        always give the same id, and a changed prompt or model gives another."""
        canonical = json.dumps([key, body], sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:40]
        return cls(f"req-{digest}", body)


@dataclass(frozen=True, slots=True)
class Shard:
    """The requests of one batch, as encoded lines.

    Attributes:
        custom_ids: the ids of its requests, in input order.
        lines: each request as the provider wants it (a JSON line, a JSON object).
        key: a digest of its ids, stored in a batch's metadata to recognise it on resume.
    """

    custom_ids: tuple[str, ...]
    lines: tuple[bytes, ...]
    key: str

    @property
    def content(self) -> bytes:
        """The lines as a JSON Lines file."""
        return b"\n".join(self.lines) + b"\n"


def openai_line(url: str) -> Callable[[BatchRequest], bytes]:
    """The encoder of OpenAI's request lines for the endpoint `url`."""

    def encode(request: BatchRequest) -> bytes:
        return _json.dumps(
            {"custom_id": request.custom_id, "method": "POST", "url": url, "body": request.body}
        )

    return encode


def shard_requests(
    requests: Sequence[BatchRequest],
    *,
    encode: Callable[[BatchRequest], bytes],
    max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_FILE_BYTES,
) -> list[Shard]:
    """Cut `requests` into batches of at most `max_requests` lines and `max_bytes` bytes
    (a byte a line for its separator; a little room is kept for the body around the lines).

    Raises:
        ConfigurationError: repeated `custom_id`s, or one request larger than `max_bytes`.
    """
    if max_requests < 1 or max_bytes < 1:
        raise ConfigurationError("max_requests and max_bytes must be >= 1")
    room = max_bytes - 64 if max_bytes > 1024 else max_bytes
    seen: set[str] = set()
    shards: list[Shard] = []
    ids: list[str] = []
    lines: list[bytes] = []
    size = 0
    for request in requests:
        if request.custom_id in seen:
            raise ConfigurationError(f"custom_id {request.custom_id!r} is repeated")
        seen.add(request.custom_id)
        line = encode(request)
        if len(line) + 1 > room:
            raise ConfigurationError(
                f"request {request.custom_id} is {len(line):,} bytes, over the batch limit"
            )
        if ids and (len(ids) >= max_requests or size + len(line) + 1 > room):
            shards.append(_shard(ids, lines))
            ids, lines, size = [], [], 0
        ids.append(request.custom_id)
        lines.append(line)
        size += len(line) + 1
    if ids:
        shards.append(_shard(ids, lines))
    return shards


def _shard(ids: list[str], lines: list[bytes]) -> Shard:
    key = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:32]
    return Shard(tuple(ids), tuple(lines), key)


@dataclass(frozen=True, slots=True)
class ResultLine:
    """One line of a result file: the answer body of `custom_id`, or its error."""

    custom_id: str
    body: JSONDict | None = None
    error: BatchRequestError | None = None


_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*("(?:[^"\\]|\\.){1,600}")')


def custom_id_of(text: bytes) -> str | None:
    """The `custom_id` of a line that is not a whole result (cut short, say), when it shows."""
    match = _CUSTOM_ID.search(text[:4096])
    if match is None:
        return None
    try:
        value = _json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) and value else None


def malformed_line(text: bytes, *, batch_id: str, number: int) -> ResultLine | None:
    """The error of a line that is not a batch result: that request's error (retryable: asking
    again may get a whole answer), or None when the line does not show whose it is."""
    custom_id = custom_id_of(text)
    if custom_id is None:
        return None
    message = (
        f"{custom_id}: line {number} of a result file of {batch_id} is not a batch result: "
        f"{excerpt(text, 80)!r}"
    )
    error = BatchRequestError(
        message, custom_id=custom_id, code="malformed_line", body=excerpt(text), batch_id=batch_id
    )
    return ResultLine(custom_id, error=error)


def read_openai_line(text: bytes, *, batch_id: str, number: int) -> ResultLine | None:
    """One line of an OpenAI output or error file; a line that is not shaped as a result
    is its request's error (`malformed_line`), or None when it is blank or names no request."""
    if not text.strip():
        return None
    try:
        row = _json.loads(text)
    except ValueError:
        return malformed_line(text, batch_id=batch_id, number=number)
    custom_id = row.get("custom_id") if isinstance(row, dict) else None
    if not isinstance(custom_id, str) or not custom_id:
        return malformed_line(text, batch_id=batch_id, number=number)
    response, error = row.get("response"), row.get("error")
    if isinstance(response, dict):
        status, body = response.get("status_code"), response.get("body")
        if type(status) is not int or not 100 <= status <= 599:
            return malformed_line(text, batch_id=batch_id, number=number)
        if status < 300 and isinstance(body, dict):
            return ResultLine(custom_id, body=body)
        return ResultLine(custom_id, error=_line_error(custom_id, batch_id, status, body))
    if isinstance(error, dict):
        code = str(error.get("code") or "batch_error")[:80]
        message = str(error.get("message") or code)[:500]
        failure = BatchRequestError(
            f"{custom_id}: {message}", custom_id=custom_id, code=code, body=error,
            batch_id=batch_id,
        )  # fmt: skip
        return ResultLine(custom_id, error=failure)
    return malformed_line(text, batch_id=batch_id, number=number)


def merge_line(
    line: ResultLine | None, results: dict[str, JSONDict], errors: dict[str, Any]
) -> None:
    """Merge one read line into `results` / `errors` (an answer wins over an error)."""
    if line is None:
        return
    if line.body is not None:
        results[line.custom_id] = line.body
        errors.pop(line.custom_id, None)
    elif line.custom_id not in results:
        errors[line.custom_id] = line.error


def read_result_file(
    raw: bytes, *, batch_id: str, results: dict[str, JSONDict], errors: dict[str, Any]
) -> None:
    """Merge an output or error file into `results` (custom_id -> answer body) and `errors`
    (custom_id -> `BatchRequestError`). A line that is not a result costs only its own
    request (`malformed_line`); one that names no request is skipped (its request then has
    no row, and is reported missing)."""
    for number, text in enumerate(raw.splitlines(), start=1):
        merge_line(read_openai_line(text, batch_id=batch_id, number=number), results, errors)


def _line_error(custom_id: str, batch_id: str, status: int, body: Any) -> BatchRequestError:
    """The error of a line that ran and failed with `status`."""
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    code = error.get("code") or error.get("type") if isinstance(error, dict) else None
    return BatchRequestError(
        f"{custom_id}: {status}: {str(message or 'failed')[:500]}",
        custom_id=custom_id,
        code=str(code or "request_failed")[:80],
        status_code=status,
        body=body,
        batch_id=batch_id,
        # A malformed request fails again; 408, 409, 429 and 5xx may not.
        retryable=status >= 500 or status in (408, 409, 429),
    )


def missing_errors(
    custom_ids: Iterable[str],
    *,
    batch_id: str,
    code: str,
    message: str,
    retryable: bool = True,
    body: Any = None,
) -> dict[str, BatchRequestError]:
    """An error for each request with no row in any result file (a batch that failed or
    is stuck)."""
    return {
        custom_id: BatchRequestError(
            f"{custom_id}: {message}",
            custom_id=custom_id,
            code=code,
            body=body,
            batch_id=batch_id,
            retryable=retryable,
        )
        for custom_id in custom_ids
    }
