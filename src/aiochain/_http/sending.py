"""Sending one request: again on a fresh connection when a pooled one turns out closed by the
server (see `connections`), to the target of a same-origin redirect, and the error of an
error status. aiohttp's own redirect following is off: it drops only `Authorization` on the
way to another host, not `x-api-key` or `api-key`, so it would hand our key to whatever host
a server (or a man in the middle) names.

Nothing here imports aiohttp: the transport imports it when it is first built.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import RedirectError
from .body import inflated_start
from .errors import Redactor, status_error
from .urls import shown_url

if TYPE_CHECKING:
    import aiohttp

logger = logging.getLogger("aiochain")

MAX_REDIRECTS = 5
"""The most redirects followed for one request."""


def resendable(data: object) -> bool:
    """Whether a request body can be sent again (bytes or none; not a streamed form)."""
    return data is None or isinstance(data, bytes)


def redirect_target(url: str, location: str, status: int, hops: int, resend: bool) -> str:
    """Where a redirect from `url` leads, when it is followed: only to the same origin
    (scheme, host and port), where our key headers were meant to go, at most
    `MAX_REDIRECTS` times, and only for a body that can be sent again.

    Raises:
        RedirectError: a redirect that is not followed.
    """
    from yarl import URL

    shown = shown_url(url.partition("?")[0])
    if not location:
        raise RedirectError(
            f"{shown} answered {status} (a redirect) without a Location", status_code=status
        )
    try:
        source = URL(url)
        target = source.join(URL(location[:2000]))
        same_origin = target.origin() == source.origin()
    except ValueError:
        raise RedirectError(
            f"{shown} answered {status} with a Location that is not a URL", status_code=status
        ) from None
    where = shown_url(str(target))
    if not same_origin:
        raise RedirectError(
            f"{shown} redirects ({status}) to another origin, {shown_url(str(target.origin()))}:"
            " not followed, so that the API key is sent only where it was meant to go; set "
            "base_url to the server's own address",
            status_code=status,
            location=where,
        )
    if hops >= MAX_REDIRECTS:
        raise RedirectError(
            f"{shown} redirected more than {MAX_REDIRECTS} times (a redirect loop?)",
            status_code=status,
            location=where,
        )
    if not resend:
        raise RedirectError(
            f"{shown} redirects ({status}) an upload, which cannot be sent again",
            status_code=status,
            location=where,
        )
    return str(target)


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    data: bytes | aiohttp.Payload | None,
    headers: Mapping[str, str] | None,
    options: dict[str, Any],
    redactor: Redactor,
    stale_errors: tuple[type[BaseException], ...],
) -> aiohttp.ClientResponse:
    """Send one request and return its response, whose status is a success: sent once
    more on a fresh connection when a pooled one turns out closed by the server (the
    request never reached it, so no retry is spent and no limiter is asked again), and
    following same-origin redirects. `options` go to aiohttp as they are (a timeout).

    Raises:
        APIStatusError: an error status (the response is released).
        RedirectError: a redirect elsewhere, without a Location, or too many.
    """
    request = functools.partial(
        session.request, method, url, data=data, headers=headers, allow_redirects=False, **options
    )
    sent = time.monotonic()
    try:
        response = await request()
    except stale_errors as exc:
        from .connections import was_stale

        if not was_stale(exc, time.monotonic() - sent) or not resendable(data):
            raise
        logger.debug("%s: a kept-alive connection was closed; sending again", shown_url(url))
        response = await request()
    if response.status >= 300:
        response = await _not_ok(session, response, method, url, data, headers, options, redactor)
    return response


async def _not_ok(
    session: aiohttp.ClientSession,
    response: aiohttp.ClientResponse,
    method: str,
    url: str,
    data: bytes | aiohttp.Payload | None,
    headers: Mapping[str, str] | None,
    options: dict[str, Any],
    redactor: Redactor,
) -> aiohttp.ClientResponse:
    """Follow same-origin redirects, then raise the error of an error status."""
    hops = 0
    while 300 <= response.status < 400:
        status = response.status
        location = response.headers.get("Location", "")
        response.release()
        target = redirect_target(url, location, status, hops, resendable(data))
        if status == 303:
            method, data = "GET", None
        url = target
        hops += 1
        response = await session.request(
            method, url, data=data, headers=headers, allow_redirects=False, **options
        )
    if response.status >= 300:
        try:
            raw = await error_body(response, redactor)
        finally:
            response.release()
        raise status_error(response.status, raw, response.headers)
    return response


async def error_body(response: aiohttp.ClientResponse, redactor: Redactor) -> bytes:
    """The start of an error answer's body, inflated if need be (an excerpt is all an error
    keeps), without our secrets (removed before any excerpt is cut from it, so that no
    part of a key survives at a cut)."""
    try:
        raw = await response.content.read(64 * 1024)
    except Exception:  # the connection broke: the status alone must do
        return b""
    raw = inflated_start(raw, response.headers.get("Content-Encoding", "identity"), 64 * 1024)
    return redactor.raw(raw) if redactor.active else raw


__all__ = ["MAX_REDIRECTS", "error_body", "redirect_target", "resendable", "send"]
