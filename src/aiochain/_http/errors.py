"""Turning what a server or the network did into aiochain errors, in one place.

Everything here treats the server as hostile: its error body and headers are cut to a short
excerpt, its `retry-after` is checked for sense, and our own API key is removed from anything
of the server's that goes into an error (a server that echoes the key must not put it into a
log or a traceback).
"""

from __future__ import annotations

import errno
import math
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from .. import _json
from .._exceptions import (
    AiochainError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConnectionDroppedError,
    IncompleteStreamError,
    NotFoundError,
    QuotaExhaustedError,
    RateLimitError,
    ServerError,
    ServerUnreachableError,
)
from .google_rpc import long_quota, retry_delay
from .reset_times import exhausted_reset

# A connection the server reset or broke mid-request (the server went down, or restarts).
_DROPPED_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})

BODY_EXCERPT = 2000
"""Characters of a server's body kept in an error."""
MAX_RETRY_AFTER = 365 * 24 * 3600.0
"""The longest `retry-after` believed (a year); anything longer, or not a number, is ignored."""
REDACTED = "[redacted]"

_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


class Redactor:
    """Removes secrets (API keys) from text, bytes and decoded JSON a server sent us.

    Args:
        secrets: the values to remove; short ones (under 8 characters) are ignored, since
            removing them would mangle ordinary text and they are no real key.
    """

    __slots__ = ("_encoded", "_fixed", "_fresh", "_secrets", "active")

    def __init__(self, secrets: Iterable[str]) -> None:
        self._fixed = {s for s in secrets if len(s) >= 8}
        self._fresh: list[str] = []
        self._secrets: list[str] = []
        self._encoded: list[tuple[bytes, bytes]] = []
        self.active = False
        """Whether there is anything to remove."""
        self._index()

    def _index(self) -> None:
        self._secrets = sorted(self._fixed.union(self._fresh), key=len, reverse=True)
        self._encoded = [(s.encode(), REDACTED.encode()) for s in self._secrets]
        self.active = bool(self._secrets)

    def add(self, secret: str) -> None:
        """Remove `secret` too from now on: a token made afresh per request (Azure's Entra
        ID tokens); the 16 most recent are kept."""
        if len(secret) < 8 or secret in self._fixed or secret in self._fresh:
            return
        self._fresh = [*self._fresh[-15:], secret]
        self._index()

    def raw(self, body: bytes) -> bytes:
        """A body as the server sent it, without any secret (before it is decoded, so that
        nothing read from it can carry the key)."""
        for secret, replacement in self._encoded:
            if secret in body:
                body = body.replace(secret, replacement)
        return body

    def text(self, value: str) -> str:
        """`value` without any secret."""
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def data(self, value: Any) -> Any:
        """Decoded JSON (or any str / list / dict tree) without any secret."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(item) for item in value]
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        return value

    def error(self, exc: AiochainError) -> None:
        """Remove secrets from an error's message and the server data it carries, in place."""
        if not self._secrets:
            return
        exc.args = tuple(self.text(a) if isinstance(a, str) else a for a in exc.args)
        for name in ("message", "body", "partial"):
            if isinstance(getattr(exc, name, None), str | list | dict):
                setattr(exc, name, self.data(getattr(exc, name)))
        headers = getattr(exc, "headers", None)
        if headers:
            from multidict import CIMultiDict  # aiohttp's; header names stay case-insensitive

            exc.headers = CIMultiDict(  # type: ignore[attr-defined]
                (k, self.text(v)) for k, v in headers.items()
            )


def excerpt(raw: bytes, limit: int = BODY_EXCERPT) -> str:
    """The start of a body as text, for messages."""
    return raw[:limit].decode("utf-8", "replace")


_TAG = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)|<!--.*?(?:-->|$)|<[^>]*>?", re.I | re.S)
_SPACE = re.compile(r"\s+")
_MESSAGE = re.compile(r'"message"\s*:\s*"((?:[^"\\]|\\.){1,2000})')


def one_line(text: str, limit: int = 200) -> str:
    """`text` as one short line for a message: HTML tags (and scripts, styles and comments)
    removed, entities decoded, white space collapsed, cut to `limit` characters with "..."."""
    text = text[: limit * 64]  # a bound on the work, whatever the server sent
    if "<" in text:
        import html

        text = html.unescape(_TAG.sub(" ", text))
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def transport_error(exc: BaseException, url: str, timeout: float | None) -> APIConnectionError:
    """The aiochain error for an aiohttp or timeout failure talking to `url`."""
    import aiohttp

    if isinstance(exc, TimeoutError):
        return APITimeoutError(f"no complete answer from {url} within {timeout} s")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ServerUnreachableError(f"cannot connect to {url}: {exc.os_error.strerror or exc}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ConnectionDroppedError(f"{url} closed the connection before answering")
    if isinstance(exc, aiohttp.ClientOSError) and exc.errno in _DROPPED_ERRNOS:
        return ConnectionDroppedError(f"{url} reset the connection: {exc.strerror or exc}")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return IncompleteStreamError(f"the answer from {url} was cut before its end")
    return APIConnectionError(f"connection to {url} failed: {type(exc).__name__}: {str(exc)[:300]}")


def carries_request(exc: BaseException) -> bool:
    """Whether an aiohttp error holds the request (and so its headers, with the key)."""
    return hasattr(exc, "request_info")


def status_error(status: int, raw: bytes, headers: Mapping[str, str]) -> APIStatusError:
    """The aiochain error for an HTTP error status, carrying the server's message and body."""
    body: Any
    try:
        body = _json.loads(raw[: BODY_EXCERPT * 8])
    except ValueError:
        body = excerpt(raw)
    message: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message")
        elif isinstance(error, str):
            message = error
    if not isinstance(message, str) and isinstance(body, str) and body.lstrip()[:1] == "{":
        # JSON too long to decode whole (a megabyte message): its message's start will do.
        found = _MESSAGE.search(body)
        message = found.group(1).replace("\\n", " ").replace('\\"', '"') if found else None
    if isinstance(message, str) and message:
        message = one_line(message, 500)
    else:  # not the API's JSON: a proxy's HTML page, plain text, or nothing
        message = one_line(excerpt(raw, 200 * 64)) or "(empty body)"
    if status >= 500:
        cls: type[APIStatusError] = ServerError
    else:
        cls = _STATUS_CLASSES.get(status, BadRequestError)
    retry_after = parse_retry_after(headers)
    if status == 429 and isinstance(body, dict) and "error" in body:
        # Gemini says when to come back, and which quota ran out, only in the body.
        if (daily := long_quota(body)) is not None:
            error = QuotaExhaustedError(daily[1], status_code=status, body=body, headers=headers)
            error.quota_id = daily[0]
            return error
        if retry_after is None:
            retry_after = retry_delay(body)
    return cls(
        message,
        status_code=status,
        body=body,
        headers=headers,
        retry_after=retry_after,
    )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI sends it) or `retry-after`, else from
    the reset time of a used-up limit (OpenAI's `x-ratelimit-reset-*` durations, Anthropic's
    `anthropic-ratelimit-*-reset` times), else None.

    `retry-after` may be a number of seconds or an HTTP date (RFC 9110). Values that are not
    finite numbers, or are not positive (`retry-after: 0`, a date in the past: the openai
    SDK ignores them too; honoured, they make a retry loop with no wait), or further away
    than a year, are ignored.
    """
    value = headers.get("retry-after-ms")
    if value:
        seconds = _seconds(value, 1000.0)
        if seconds is not None:
            return seconds
    value = headers.get("retry-after")
    if not value:
        return exhausted_reset(headers)
    seconds = _seconds(value, 1.0)
    if seconds is not None or _is_number(value):
        return seconds
    import email.utils  # rare: only HTTP-date values need it

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    seconds = when.timestamp() - time.time()
    return seconds if 0.0 < seconds <= MAX_RETRY_AFTER else None


def _seconds(text: str, per_second: float) -> float | None:
    try:
        number = float(text[:40]) / per_second
    except ValueError:
        return None
    if not math.isfinite(number) or not 0.0 < number <= MAX_RETRY_AFTER:
        return None
    return number


def _is_number(text: str) -> bool:
    try:
        float(text[:40])
    except ValueError:
        return False
    return True


# The error types and codes of streams' error events that are the server's trouble (OpenAI's
# `server_error`, Anthropic's `api_error` / `overloaded_error` / `rate_limit_error`, ...).
_SERVER_SIDE_TYPES = frozenset(
    {
        "server_error",
        "api_error",
        "overloaded_error",
        "rate_limit_error",
        "rate_limit_exceeded",
        "internal_error",
        "internal_server_error",
        "service_unavailable",
        "timeout",
        "overloaded",
    }
)


def server_side(error: Any) -> bool:
    """Whether an error object of a stream says the server failed (a 5xx, 429 or 408 code or
    status, or a type or code naming such trouble), so that asking again may succeed."""
    if not isinstance(error, dict):
        return False
    for name in ("code", "status", "status_code"):
        value = error.get(name)
        if type(value) is str and value.isdigit():
            value = int(value)
        if type(value) is int:
            if value >= 500 or value in (408, 429):
                return True
        elif isinstance(value, str) and value.lower() in _SERVER_SIDE_TYPES:
            return True
    kind = error.get("type")
    return isinstance(kind, str) and kind.lower() in _SERVER_SIDE_TYPES
