"""Protocol bugs at the seams (issue 23 items 5, 6, 8, 10; issue 24 items 5 and 7), each
against a real server on 127.0.0.1 that misbehaves the way the bug needs."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from aiochain import (
    APITimeoutError,
    BadResponseError,
    ChatAnthropic,
    ChatOpenAI,
    RateLimiter,
    RateLimitError,
    ResponseLimits,
    RetryPolicy,
    ServerError,
)
from aiochain._http.errors import status_error
from aiochain._http.sse import SSEParser
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer, completion_json, free_port, until

Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
StartSim = Callable[..., Awaitable[SimServer]]


@contextlib.asynccontextmanager
async def serving(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> AsyncIterator[str]:
    """A one-route aiohttp server; yields its OpenAI-style base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    finally:
        await runner.cleanup()


# --- SSE: an event name in one read, its data in the next (issue 23, item 5) ------------------


def test_an_event_name_survives_the_end_of_a_read() -> None:
    """`event:` ending one piece names the `data:` of the next, even when that piece is whole
    events (the parser's fast path dropped the name)."""
    parser = SSEParser()
    assert parser.feed(b"event: message_stop\n") == []
    assert parser.feed(b'data: {"type": "message_stop"}\n\n') == [
        (b"message_stop", b'{"type": "message_stop"}')
    ]


async def test_anthropic_stream_through_a_proxy_that_flushes_per_line(start_sim: StartSim) -> None:
    """ChatAnthropic streams whole through a proxy that forwards the simulator's stream one
    line per write (it ended in IncompleteStreamError after the whole answer)."""
    sim = await start_sim(latency=0.0)
    root = sim.base_url.removesuffix("/v1")

    async def proxy(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower().startswith(("x-", "anthropic", "content-type"))
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(root + request.path, data=body, headers=headers) as upstream,
        ):
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            pending: list[bytes] = []
            async for line in upstream.content:
                # Flush at each `event:` line and each event's end: the name then ends one
                # network read and its data comes in the next.
                pending.append(line)
                if line.startswith(b"event:") or line in (b"\n", b"\r\n"):
                    await response.write(b"".join(pending))
                    pending.clear()
                    await asyncio.sleep(0.002)
            await response.write(b"".join(pending))
            await response.write_eof()
            return response

    async with serving(proxy) as url:
        llm = ChatAnthropic(
            model="claude-haiku-4-5", base_url=url.removesuffix("/v1"), api_key="sk-test-key"
        )
        async with llm:
            pieces = [chunk.content async for chunk in llm.astream("Tell me a story.")]
    assert "".join(pieces)


# --- retry-after: 0 (issue 23, item 6) ---------------------------------------------------------


def test_retry_after_zero_is_absent_and_a_429_waits_at_least_a_floor() -> None:
    """`retry-after: 0` counts as absent (as the openai SDK does), and a 429 under a batch
    policy waits at least the floor before asking again (it asked again at once)."""
    error = status_error(429, b"{}", {"retry-after": "0"})
    assert isinstance(error, RateLimitError) and error.retry_after is None
    policy = RetryPolicy(max_service_wait=60.0)
    assert policy.service_wait(error, 0, lambda: 0.0) >= 0.25
    assert policy.wait_for(error, 0, lambda: 0.0) is not None
    assert policy.wait_for(error, 0, lambda: 0.0) >= 0.25  # type: ignore[operator]


async def test_retry_after_zero_does_not_flood_the_server(scripted: Scripted) -> None:
    """A server answering 429 with `retry-after: 0` for a whole second is asked a handful of
    times under map's policy, not thousands (3,716 requests in 2 s)."""
    server = await scripted(
        [Reply(429, {"error": {"message": "slow"}}, headers={"retry-after": "0"})]
    )
    policy = RetryPolicy(max_retries=2, max_service_wait=1.0)
    async with ChatOpenAI(base_url=server.base_url, api_key="sk-test-key", retry=policy) as llm:
        with pytest.raises(RateLimitError):
            await llm.ainvoke("hi")
    assert len(server.requests) <= 10


# --- max_total counts the first attempt (issue 23, item 8) ------------------------------------


async def test_max_total_counts_a_plain_calls_first_attempt(scripted: Scripted) -> None:
    """A first attempt that took 0.3 s of a 0.35 s max_total leaves no time for a retry, for
    plain calls as for streams (plain calls started the count after it)."""
    slow_failure = Reply(
        500, {"error": {"message": "boom"}}, headers={"retry-after": "0.1"}, delay=0.3
    )
    server = await scripted([slow_failure, Reply(200, completion_json("ok", chat=True))])
    policy = RetryPolicy(max_retries=3, max_total=0.35)
    async with ChatOpenAI(base_url=server.base_url, api_key="sk-test-key", retry=policy) as llm:
        with pytest.raises(ServerError):
            await llm.ainvoke("hi")
    assert len(server.requests) == 1


# --- a connection dropped mid-request (issue 24, item 5) --------------------------------------


async def test_a_connection_dropped_mid_request_is_waited_out(scripted: Scripted) -> None:
    """Under a batch policy (max_service_wait) a server closing the connection mid-request is
    waited for like a refused connection, not counted as a failure (3 records failed)."""
    server = await scripted(
        [
            Reply(drop=True),
            Reply(drop=True),
            Reply(drop=True),
            Reply(200, completion_json("back", chat=True)),
        ]
    )
    policy = RetryPolicy(max_retries=0, max_service_wait=10.0)
    async with ChatOpenAI(base_url=server.base_url, api_key="sk-test-key", retry=policy) as llm:
        answer = await llm.ainvoke("hi")
    assert answer.content == "back"
    assert len(server.requests) == 4


async def test_a_server_killed_with_requests_in_flight_fails_nothing(start_sim: StartSim) -> None:
    """The server stops while every request is in flight (their connections cut) and comes
    back a second later on the same port: with no retries allowed, a batch policy still loses
    no request (cut connections failed records)."""
    port = free_port()
    server = await start_sim(port=port, latency=0.3)
    policy = RetryPolicy(max_retries=0, max_service_wait=30.0)
    limiter = RateLimiter(max_concurrency=16)
    async with ChatOpenAI(
        base_url=server.base_url, api_key="sk-test-key", retry=policy, rate_limiter=limiter
    ) as llm:

        async def outage() -> SimServer:
            await until(lambda: server.stats()["requests_total"] >= 16)
            await server.aclose()
            await asyncio.sleep(1.0)  # the outage itself: the server stays down a while
            return await start_sim(port=port, latency=0.05)

        restart = asyncio.create_task(outage())
        results = await llm.amap(
            [f"Document {i}." for i in range(32)], concurrency=16, return_exceptions=True
        )
        await restart
    assert not [r for r in results if isinstance(r, BaseException)]


# --- a truncated gzip body (issue 23, item 10) ------------------------------------------------


async def test_a_truncated_gzip_body_is_a_bad_response(scripted: Scripted) -> None:
    """A gzip body cut before its trailer is refused, not accepted (it was accepted)."""
    whole = gzip.compress(json.dumps(completion_json("ok", chat=True)).encode())
    server = await scripted(
        [
            Reply(
                200,
                raw=whole[:-8],
                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            )
        ]
    )
    async with ChatOpenAI(
        base_url=server.base_url, api_key="sk-test-key", retry=RetryPolicy(max_retries=0)
    ) as llm:
        with pytest.raises(BadResponseError, match="cut before its end"):
            await llm.ainvoke("hi")


# --- streams: content that is not text, and trickling (issue 24, item 7) ----------------------


@pytest.mark.parametrize("content", [5, ["a"], {"text": "a"}])
async def test_stream_content_that_is_not_text_is_a_bad_response(
    scripted: Scripted, content: object
) -> None:
    """A stream whose `delta.content` is a number (or any non-text) is a BadResponseError, not
    an empty answer."""
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": content}}],
    }
    body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
    server = await scripted([Reply(200, raw=body, headers={"Content-Type": "text/event-stream"})])
    async with ChatOpenAI(
        base_url=server.base_url, api_key="sk-test-key", retry=RetryPolicy(max_retries=0)
    ) as llm:
        with pytest.raises(BadResponseError, match="not text"):
            async for _ in llm.astream("hi"):
                pass


async def test_a_stream_that_trickles_is_cut_after_the_grace_period() -> None:
    """A stream sending a byte at a time is cut once its rate over the grace period is under
    ResponseLimits.stream_min_rate (it was held for its whole stream_seconds)."""
    stop = asyncio.Event()

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            for byte in b": " + b"x" * 2_000:  # a comment that never ends, bounded at 2,000 bytes
                if stop.is_set():
                    break
                await response.write(bytes([byte]))
                await asyncio.sleep(0.01)
        return response

    limits = ResponseLimits(stream_min_rate=1_000.0, stream_grace=0.3)
    async with serving(trickle) as url:
        llm = ChatOpenAI(
            base_url=url,
            api_key="sk-test-key",
            response_limits=limits,
            retry=RetryPolicy(max_retries=0),
        )
        async with llm:
            with pytest.raises(APITimeoutError, match="stream_min_rate"):
                async for _ in llm.astream("hi"):
                    pass
        stop.set()
