"""Every error aiochain raises, under one root.

    AiochainError
    ├── UsageError                  a mistake in the calling program (also a ValueError)
    │   ├── TemplateError           a malformed or unsafe prompt template
    │   ├── MissingVariablesError   a template or chain was given too few or unknown variables
    │   ├── ConfigurationError      a bad option value, or no API key where one is needed
    │   ├── SyncInAsyncError        (no longer raised: sync calls in a running loop block)
    │   ├── DocumentLoadError       a file to load is missing, unreadable or malformed
    │   ├── InputError              a `map` input file is unreadable, malformed or empty
    │   ├── OutputError             a `map` output cannot be written, or would overwrite an input
    │   ├── JournalError            a `map` journal cannot be used (damaged, unreadable)
    │   ├── JournalMismatchError    a `map` journal belongs to another job
    │   └── RequestTooLargeError    a request can never fit the per-minute token limit
    ├── APIError                    the remote service failed us
    │   ├── APIConnectionError      no connection, or it broke mid-request
    │   │   ├── ServerUnreachableError  no connection could be made (refused, unreachable)
    │   │   ├── ConnectionDroppedError  the server closed or reset the connection mid-request
    │   │   ├── APITimeoutError     no complete answer within the timeout
    │   │   ├── IncompleteStreamError  a stream ended before [DONE] (carries partial)
    │   │   └── RedirectError       a redirect not followed (to another host, a loop)
    │   ├── APIStatusError          an HTTP error status (carries status_code, body, headers)
    │   │   ├── BadRequestError     400 and other 4xx without a class of their own
    │   │   ├── AuthenticationError 401 or 403
    │   │   ├── NotFoundError       404 (an unknown model, a wrong base URL)
    │   │   ├── RateLimitError      429 (carries retry_after)
    │   │   └── ServerError         5xx
    │   ├── BadResponseError        a 2xx answer that is not JSON or not shaped as expected
    │   │                           (carries retryable: an empty or cut body is retried)
    │   ├── BatchRequestError       a Batch API request without an answer (failed, expired,
    │   │                           cancelled, never run); carries custom_id, code, retryable
    │   ├── StreamError             an error object arrived in a stream (carries retryable)
    │   └── CredentialError         a credential provider (azure_ad_token_provider) failed
    ├── OutputParserError           the model's text does not parse (carries llm_output)
    ├── ToolArgumentsError          a model called a tool with arguments that do not fit it
    ├── ToolException               a tool's own failure, for the model (`_tool_errors.py`)
    ├── DeadlineExceededError       a run's overall deadline passed (also a TimeoutError)
    ├── MaxStepsError               an agent reached max_steps without an answer (transcript)
    └── SimServerError              the simulation server cannot start (port taken, ...)

Programmer mistakes (`UsageError`) are never retried; of the `APIError`s, connection errors,
timeouts, 429 and 5xx are retried (see `_retry.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AiochainError(Exception):
    """The root of every error aiochain raises."""


class UsageError(AiochainError, ValueError):
    """Raised when the calling program uses aiochain wrongly; fix the code, do not retry."""


class TemplateError(UsageError):
    """Raised when a prompt template is malformed or uses a field form that is not allowed."""


class MissingVariablesError(UsageError):
    """Raised when a template or chain is given missing or unknown input variables.

    Attributes:
        missing: the names that were required but not given.
        unexpected: the names that were given but are not used.
    """

    def __init__(
        self, message: str, *, missing: list[str] | None = None, unexpected: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.missing = missing or []
        self.unexpected = unexpected or []


class ConfigurationError(UsageError):
    """Raised for a bad option value, or when no API key is available for the public API."""


class DocumentLoadError(UsageError):
    """Raised when a document loader cannot read or parse a file; names the file and line."""


class SyncInAsyncError(UsageError):
    """Was raised when a sync method was called inside a running loop; such calls now block on
    a helper thread, as LangChain's do. Kept so that code catching it still imports."""


class InputError(UsageError):
    """Raised when an input file cannot be read or is malformed; says which file and line."""


class OutputError(UsageError):
    """Raised when a `map` output cannot be written (a missing folder, a directory, no
    permission) or would overwrite the input or the journal."""


class JournalError(UsageError):
    """Raised when a `map` journal cannot be opened, read or written (a damaged or foreign file,
    a full disk); says which file and how to start over."""


class JournalMismatchError(UsageError):
    """Raised when a journal was written by a job with another template, model or parameters."""


class RequestTooLargeError(UsageError):
    """Raised when a request needs more tokens than the per-minute token limit allows (set,
    or stated by the server), so that it can never be sent: it fails at once instead of
    being retried. Split the input (`aiochain map --split TOKENS`) or lower `max_tokens`.

    Attributes:
        tokens: the tokens the request needs, as the provider counts them (an estimate).
        limit: the per-minute token limit.
    """

    def __init__(self, message: str, *, tokens: float, limit: float) -> None:
        super().__init__(message)
        self.tokens = tokens
        self.limit = limit


class APIError(AiochainError):
    """Raised when the remote LLM service fails; the subclasses say how."""


class APIConnectionError(APIError):
    """Raised when the connection cannot be made or breaks before a full answer arrives."""


class ServerUnreachableError(APIConnectionError):
    """Raised when no connection to the server could be made (refused, unreachable, no such
    host): the server is down or the address is wrong, as opposed to a request that broke."""


class ConnectionDroppedError(APIConnectionError):
    """Raised when the server closed or reset the connection before its answer was complete
    (a server going down mid-request, or restarting). Retried as a refused connection is:
    under `RetryPolicy.max_service_wait` it waits for the server instead of failing."""


class APITimeoutError(APIConnectionError):
    """Raised when no complete answer arrives within the configured timeout."""


class IncompleteStreamError(APIConnectionError):
    """Raised when an answer's body (a stream, usually) ends before it is complete.

    Attributes:
        partial: the text received before the cut, so that nothing is silently short.
    """

    def __init__(self, message: str, *, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


class RedirectError(APIConnectionError):
    """Raised when a server answers with a redirect that is not followed: to another host
    (our key is sent to the server it was given for, nowhere else), without a `Location`,
    or in a loop. Never retried: asking again gets the same redirect.

    Attributes:
        status_code: the redirect's HTTP status.
        location: where it pointed (key-like query values redacted).
    """

    def __init__(self, message: str, *, status_code: int, location: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.location = location


class APIStatusError(APIError):
    """Raised for an HTTP error status; the subclass names the kind.

    Attributes:
        status_code: the HTTP status.
        body: the decoded JSON body, or the raw text when it is not JSON.
        headers: the response headers.
        message: the server's own error message when it sent one.
        retry_after: seconds the server asked us to wait, from `retry-after-ms` or
            `retry-after`, else None.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status_code}: {message}")
        self.message = message
        self.status_code = status_code
        self.body = body
        self.headers: Mapping[str, str] = headers or {}
        self.retry_after = retry_after


class BadRequestError(APIStatusError):
    """Raised for 400 and for other 4xx statuses without a class of their own."""


class AuthenticationError(APIStatusError):
    """Raised for 401 (bad or missing key) and 403 (not allowed)."""


class NotFoundError(APIStatusError):
    """Raised for 404: usually an unknown model or a base URL without `/v1`."""


class RateLimitError(APIStatusError):
    """Raised for 429 once retries are used up; `retry_after` says how long the server asked."""


class QuotaExhaustedError(APIStatusError):
    """Raised at once, never retried, for a 429 whose quota will not come back for hours
    (Gemini's per-day quotas, named in `google.rpc.QuotaFailure`): retrying would waste the
    rest of the day. A `map` job stops on it; rerun it once the quota has reset.

    Attributes:
        quota_id: the quota that ran out, as the server names it
            (`GenerateRequestsPerDayPerProjectPerModel-FreeTier`).
    """

    quota_id: str = ""


class ServerError(APIStatusError):
    """Raised for 5xx statuses once retries are used up."""


class BadResponseError(APIError):
    """Raised when a successful status carries a body that is not JSON or lacks expected fields.

    Attributes:
        body: the raw body text (cut to 2,000 characters).
        retryable: whether asking again may well succeed: True for an empty body or JSON
            cut before its end (a connection or proxy glitch), False for an answer that is
            whole but wrong (HTML, JSON of another shape), which comes back the same.
    """

    def __init__(self, message: str, *, body: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.body = body
        self.retryable = retryable


class CredentialError(APIError):
    """Raised when a credential provider (`azure_ad_token_provider`) raises or returns no
    token; the provider's own exception is the cause (`__cause__`)."""


class BatchRequestError(APIError):
    """Raised (or put in the request's slot) when a request sent through a Batch API has no
    answer: its line failed, its batch expired, was cancelled, failed or is stuck.

    Attributes:
        custom_id: the request's id in the batch.
        code: why: the server's error code (`batch_expired`, `batch_cancelled`,
            `server_error`, ...), or ours (`batch_failed`, `batch_stuck`, `missing`).
        status_code: the HTTP status the request had, when it ran and failed; else None.
        body: the server's error body or object, as it was sent.
        batch_id: the batch it was in.
        retryable: whether sending the request again (live or in a new batch) may succeed;
            False for a request the server refused as malformed (a 4xx).
    """

    def __init__(
        self,
        message: str,
        *,
        custom_id: str,
        code: str,
        status_code: int | None = None,
        body: Any = None,
        batch_id: str | None = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(message)
        self.custom_id = custom_id
        self.code = code
        self.status_code = status_code
        self.body = body
        self.batch_id = batch_id
        self.retryable = retryable


class DeadlineExceededError(AiochainError, TimeoutError):
    """Raised (or put in the slot of each unfinished input) when a run's deadline passes."""


class MaxStepsError(AiochainError):
    """Raised when an agent makes `max_steps` model calls without a final answer.

    Attributes:
        transcript: everything the run did, for inspection.
    """

    def __init__(self, message: str, *, transcript: Any) -> None:
        super().__init__(message)
        self.transcript = transcript


class SimServerError(AiochainError):
    """Raised when the simulation server cannot start, for example when its port is taken."""


class StreamError(APIError):
    """Raised when a server sends an error object in a stream (or as a 200 answer to one).

    Attributes:
        body: the error event as it was sent.
        retryable: whether the error is the server's trouble (a 5xx or 429 code, a
            `server_error`, `api_error` or `overloaded_error` type): retried like those
            statuses while nothing of the answer reached the caller.
    """

    def __init__(self, message: str, *, body: Any = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.body = body
        self.retryable = retryable


class OutputParserError(AiochainError, ValueError):
    """Raised when an output parser cannot parse the model's text.

    Attributes:
        llm_output: the raw text that failed to parse.
    """

    def __init__(self, message: str, *, llm_output: str) -> None:
        super().__init__(message)
        self.llm_output = llm_output


class ToolArgumentsError(AiochainError, ValueError):
    """Raised when a tool is called with arguments that do not fit its schema.

    Models make this mistake, not programmers: an agent turns it into an error message the
    model sees, so it can correct the call.
    """
