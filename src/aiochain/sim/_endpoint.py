"""What every answering endpoint of the simulation server shares, whatever API it speaks.

Counting each request by outcome, turning a refusal into the API's error answer, cutting the
connection for a dropped or hung request, the latency before the first token and the pace of
the tokens after it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Protocol

from aiohttp import web

from ._admission import Admission, Dropped, Settings
from ._json import loads
from ._request import Reject
from ._stats import Stats

SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means "
    "you aren't using your HTTP library correctly.)"
)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body; 400 otherwise."""
    try:
        body = loads(await request.read())
    except ValueError:
        raise Reject(400, _BAD_JSON) from None
    if not isinstance(body, dict):
        raise Reject(400, "The request body must be a JSON object.")
    return body


class EndpointSettings(Settings, Protocol):
    """The server options the endpoints read, besides admission's."""

    tokens_per_second: float
    slow_body_pause: float


class Endpoint:
    """The shared flow; subclasses speak one API (its payloads and its error shape).

    Args:
        settings: the server's options, read live.
        admission: the server's auth, buckets and faults.
        stats: the server's counters.
        ids: the server's one sequence of answer ids.
        models: the model names served.
    """

    def __init__(
        self,
        settings: EndpointSettings,
        admission: Admission,
        stats: Stats,
        ids: Iterator[int],
        models: frozenset[str],
    ) -> None:
        self.settings = settings
        self.admission = admission
        self.stats = stats
        self.ids = ids
        self.models = models

    def refuse(self, reject: Reject) -> web.Response:
        """The API's error answer for `reject`."""
        raise NotImplementedError

    def overloaded(self) -> Reject:
        """The API's refusal when it is overloaded (`overload_rate`)."""
        raise NotImplementedError

    async def serve(
        self,
        request: web.Request,
        name: str,
        answer: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Answer `request` with `answer`, counted under `name` by its outcome."""
        stats = self.stats
        stats.enter()
        outcome = "cancelled"
        try:
            response = await answer(request)
            outcome = str(response.status)
            return response
        except Reject as reject:
            outcome = str(reject.status)
            return self.refuse(reject)
        except Dropped as dropped:
            outcome = dropped.outcome
            transport = request.transport
            if transport is not None:
                transport.close()
            raise asyncio.CancelledError from None
        except ConnectionResetError:
            # The client went away mid-stream; there is nobody to answer.
            outcome = "client_closed"
            raise asyncio.CancelledError from None
        finally:
            stats.leave(name, outcome)

    def whole_delay(self, longest: int) -> float:
        """How long a stream of `longest` tokens would take: a plain answer's delay."""
        delay = self.admission.latency()
        tps = self.settings.tokens_per_second
        if tps > 0 and longest > 1:
            delay += (longest - 1) / tps
        return delay

    async def wait_whole(self, longest: int) -> None:
        """Wait `whole_delay(longest)`."""
        delay = self.whole_delay(longest)
        if delay > 0:
            await asyncio.sleep(delay)

    async def reply(
        self,
        request: web.Request,
        body: bytes,
        headers: dict[str, str],
        *,
        content_type: str = "application/json",
    ) -> web.StreamResponse:
        """Send a whole answer; with `slow_body_rate`, the headers and then a byte at a time."""
        if not self.admission.slow_body():
            return web.Response(body=body, headers={**headers, "Content-Type": content_type})
        return await self.trickle(request, body, headers, content_type=content_type)

    async def trickle(
        self,
        request: web.Request,
        body: bytes,
        headers: dict[str, str],
        *,
        content_type: str = "application/json",
    ) -> web.StreamResponse:
        """Send a whole answer slowly: the headers, then a byte every `slow_body_pause` s."""
        response = web.StreamResponse(
            headers={
                **headers,
                "Content-Type": content_type,
                "Content-Length": str(len(body)),
                "x-sim-fault": "slow_body",
            }
        )
        await response.prepare(request)
        await self._trickle(response, body)
        await response.write_eof()
        return response

    async def _trickle(self, response: web.StreamResponse, data: bytes) -> None:
        pause = self.settings.slow_body_pause
        for start in range(len(data)):
            await response.write(data[start : start + 1])
            if pause > 0:
                await asyncio.sleep(pause)

    async def stream(
        self,
        request: web.Request,
        headers: dict[str, str],
        head: Sequence[bytes],
        steps: Sequence[tuple[bytes, int]],
        tail: Sequence[bytes],
        *,
        tokens: int,
        cuttable: bool = True,
        cut_tail: Sequence[bytes] = (),
    ) -> web.StreamResponse:
        """Send `head`, then one step per token position at the server's pace, then `tail`.

        Each step is the events of one position and how many tokens they carry. With
        `stream_cut_rate` the stream may be cut after its middle step, without its tail; with
        `slow_body_rate` its bytes may trickle one at a time.
        `tokens` is what the whole stream counts in `tokens_out`; an answer that is not
        `cuttable` (tool calls, sent at once) draws no cut; `cut_tail` is what a cut stream
        says before the connection goes (Anthropic's `error` event).
        """
        slow = self.admission.slow_body()
        if slow:
            headers = {**headers, "x-sim-fault": "slow_body"}
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        write = functools.partial(self._trickle, response) if slow else response.write
        cut = cuttable and self.admission.cut_stream()
        loop = asyncio.get_running_loop()
        delay = self.admission.latency()
        if delay > 0:
            await asyncio.sleep(delay)
        started = loop.time()
        tps = self.settings.tokens_per_second
        longest = len(steps)
        pending = list(head)
        sent_tokens = 0
        for position, (events, count) in enumerate(steps):
            pending.append(events)
            sent_tokens += count
            if cut and position >= longest // 2:
                await write(b"".join([*pending, *cut_tail]))
                self.stats.faults["stream_cut"] += 1
                self.stats.tokens_out += sent_tokens
                raise Dropped("stream_cut")
            if tps > 0 and position + 1 < longest:
                await write(b"".join(pending))
                pending.clear()
                wait = started + (position + 1) / tps - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
        pending.extend(tail)
        await write(b"".join(pending))
        await response.write_eof()
        self.stats.tokens_out += tokens
        return response
