"""Reading a response body within bounds: its size (counted after decompression), and for
streams its total duration.

aiohttp's own decompression inflates whatever a server sends in one go, so a 100 KB gzip body
that inflates to 100 MB would block the event loop for seconds and hold 100 MB. The transport
turns it off and the body is inflated here, a bounded piece at a time, so a body over the limit
is refused after inflating just past the limit.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._exceptions import APITimeoutError, BadResponseError

if TYPE_CHECKING:
    import aiohttp

ACCEPT_ENCODING = "gzip, deflate"
"""What we ask servers for: the encodings inflated here (not brotli or zstd)."""
_PIECE = 256 * 1024  # the most bytes inflated at once


@dataclass(frozen=True, slots=True)
class ResponseLimits:
    """Bounds on what a server may send; generous defaults, far above any real answer.

    Attributes:
        max_bytes: the largest body, plain or streamed, after decompression.
        max_event_bytes: the largest single server-sent event of a stream.
        stream_seconds: the longest a stream may take from request to end (the call's
            `timeout` bounds each wait for the next bytes); None for no limit.
        stream_min_rate: the fewest bytes a second a stream must deliver, on average over
            each `stream_grace` seconds after its first bytes; a stream that trickles slower
            is cut with `APITimeoutError` (web servers guard against slow clients the same
            way: nginx's `send_timeout`, Apache's `RequestReadTimeout ... MinRate`). Silence
            before the first bytes (a model thinking) is bounded by the timeout, not by this.
            None: no minimum.
        stream_grace: seconds a stream runs before its rate is judged, and the span the
            rate is averaged over.
    """

    max_bytes: int = 64 * 1024 * 1024
    max_event_bytes: int = 16 * 1024 * 1024
    stream_seconds: float | None = 600.0
    stream_min_rate: float | None = 16.0
    stream_grace: float = 30.0


async def read_body(response: aiohttp.ClientResponse, url: str, limits: ResponseLimits) -> bytes:
    """The whole body, inflated, or `BadResponseError` once it passes `limits.max_bytes`."""
    length = response.content_length
    if (
        length is not None
        and length <= limits.max_bytes
        and "Content-Encoding" not in response.headers
    ):
        # The common case, in one await: aiohttp reads exactly Content-Length bytes.
        return await response.read()
    parts = [piece async for piece in iter_body(response, url, limits, deadline=None)]
    return parts[0] if len(parts) == 1 else b"".join(parts)


async def iter_body(
    response: aiohttp.ClientResponse,
    url: str,
    limits: ResponseLimits,
    *,
    deadline: float | None,
) -> AsyncIterator[bytes]:
    """The body's pieces as they arrive, inflated, within `limits`.

    Args:
        response: the response, read with aiohttp's decompression off.
        url: names the server in errors.
        limits: the bounds.
        deadline: a `time.monotonic()` instant past which reading stops with
            `APITimeoutError`, or None.
    """
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    inflater = _inflater(encoding, url)
    total = 0
    min_rate = limits.stream_min_rate if deadline is not None else None
    span_start = 0.0  # the rate of a stream is judged over spans of stream_grace seconds
    span_bytes = 0
    async for raw in response.content.iter_any():
        if deadline is not None:
            now = time.monotonic()
            if now > deadline:
                raise APITimeoutError(
                    f"the stream from {url} took longer than {limits.stream_seconds} s"
                )
            if min_rate is not None:
                if not span_start:
                    span_start = now
                elif now - span_start >= limits.stream_grace:
                    if span_bytes < min_rate * (now - span_start):
                        raise APITimeoutError(
                            f"the stream from {url} sent {span_bytes} bytes in "
                            f"{now - span_start:.0f} s, under the minimum of {min_rate:g} a "
                            "second (ResponseLimits.stream_min_rate)"
                        )
                    span_start, span_bytes = now, 0
                span_bytes += len(raw)
        if inflater is None:
            pieces = [raw]
        else:
            pieces = _inflate(inflater, raw, limits.max_bytes - total + 1)
        for piece in pieces:
            total += len(piece)
            if total > limits.max_bytes:
                raise BadResponseError(
                    f"{url} sent a body larger than {limits.max_bytes:,} bytes"
                    + (" once inflated" if inflater is not None else "")
                )
            yield piece
    if inflater is not None and not inflater.eof:
        raise BadResponseError(
            f"{url} sent a compressed body cut before its end ({encoding[:20]} stream not finished)"
        )


def inflated_start(raw: bytes, encoding: str, limit: int) -> bytes:
    """The start of a body (an error answer's excerpt) inflated as its Content-Encoding
    says, at most `limit` bytes; raw when the encoding is unknown."""
    try:
        inflater = _inflater(encoding.strip().lower(), "")
    except BadResponseError:
        return raw
    if inflater is None:
        return raw
    try:
        return b"".join(_inflate(inflater, raw, limit))[:limit]
    except BadResponseError:
        return b"(a compressed body that does not inflate)"


def _inflater(encoding: str, url: str) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise BadResponseError(f"{url} answered in an encoding we did not ask for: {encoding[:40]!r}")


def _inflate(inflater: zlib._Decompress, raw: bytes, room: int) -> list[bytes]:
    """Inflate `raw` a bounded piece at a time; stop once more than `room` bytes came out."""
    pieces = []
    data = raw
    produced = 0
    try:
        while data and produced <= room:
            piece = inflater.decompress(data, _PIECE)
            pieces.append(piece)
            produced += len(piece)
            data = inflater.unconsumed_tail
    except zlib.error as exc:
        raise BadResponseError(f"a compressed body does not inflate: {exc}") from exc
    return pieces
