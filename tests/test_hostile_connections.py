"""Connection-level misbehaviour: stale kept-alive connections, redirects (same origin and
elsewhere), base URLs with a query string (Azure's api-version, a key in the URL)."""

from __future__ import annotations

import logging
import traceback

import pytest
from aiohttp import web

from aiochain import (
    ChatAnthropic,
    ChatOpenAI,
    ConnectionDroppedError,
    RedirectError,
    RetryPolicy,
    RunStats,
    ServerUnreachableError,
)
from aiochain._pipeline.run_stats import current_stats
from aiochain.batches import OpenAIBatchClient
from aiochain.embeddings import OpenAIEmbeddings

from .conftest import free_port
from .hostile_kit import (
    KitServer,
    StartKit,
    anthropic_message,
    chat_answer,
    drop_on_reuse,
    hang_up,
    start_kit,
)

__all__ = ["start_kit"]

KEY = "sk-hostile-connections-0123456789"
NO_RETRY = RetryPolicy(max_retries=0)


async def answer(request: web.Request) -> web.StreamResponse:
    return web.json_response(chat_answer())


# --- stale kept-alive connections -------------------------------------------------------------


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
async def test_a_stale_kept_alive_connection_is_sent_again_without_a_retry(
    start_kit: StartKit, reset: bool
) -> None:
    """The server closes (or resets) a pooled connection as the next request arrives: with
    no retries allowed, every call still succeeds, sent once more on a fresh connection,
    and the limiter counts one request per call (nothing leaked, nothing charged twice)."""
    server = await start_kit(drop_on_reuse(answer, reset=reset))
    stats = RunStats()
    token = current_stats.set(stats)
    try:
        async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=NO_RETRY) as llm:
            for _ in range(4):
                assert (await llm.ainvoke("hi")).content == "fine"
            assert llm.rate_limiter.usage()["in_flight"] == 0
    finally:
        current_stats.reset(token)
    assert stats.retries == 0
    assert stats.requests == 4
    # Each call after the first met a stale connection, then a fresh one: 1 + 3 x 2 sends.
    assert len(server.requests) == 7


async def test_a_request_dropped_after_the_server_worked_on_it_is_not_sent_again(
    start_kit: StartKit,
) -> None:
    """A reused connection dropped a while after the request went (the server read it and
    worked on it: a proxy cutting a slow request, a crashed backend) is no stale connection:
    sending it again could do it twice, so with no retries allowed the call fails, and the
    server saw it once."""
    server = await start_kit(drop_on_reuse(answer, after=0.7))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=NO_RETRY) as llm:
        assert (await llm.ainvoke("warm up")).content == "fine"
        with pytest.raises(ConnectionDroppedError):
            await llm.ainvoke("slow")
        assert llm.rate_limiter.usage()["in_flight"] == 0
    assert [seen.json["messages"][-1]["content"] for seen in server.requests] == [
        "warm up",
        "slow",
    ]


async def test_a_stale_connection_is_resent_for_streams_too(start_kit: StartKit) -> None:
    """A stream request on a stale pooled connection is sent again the same way."""
    from .hostile_kit import chat_chunks, sse, stream

    async def handler(request: web.Request) -> web.StreamResponse:
        return await stream(request, sse(chat_chunks("fi", "ne")))

    server = await start_kit(drop_on_reuse(handler))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=NO_RETRY) as llm:
        for _ in range(3):
            assert "".join([c.content async for c in llm.astream("hi")]) == "fine"


async def test_a_fresh_connection_dropped_is_not_sent_again(start_kit: StartKit) -> None:
    """A connection made for this request and closed unanswered may have reached the
    server: it is a ConnectionDroppedError, spent against max_retries, never resent."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return hang_up(request)

    server = await start_kit(handler)
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=NO_RETRY) as llm:
        with pytest.raises(ConnectionDroppedError):
            await llm.ainvoke("hi")
    assert len(server.requests) == 1


# --- redirects ---------------------------------------------------------------------------------


async def test_a_same_origin_redirect_is_followed_with_its_body(start_kit: StartKit) -> None:
    """A 307 to another path of the same server is followed, method and body kept."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/v1/chat/completions":
            raise web.HTTPTemporaryRedirect("/v2/chat/completions")
        return web.json_response(chat_answer("moved"))

    server = await start_kit(handler)
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY) as llm:
        assert (await llm.ainvoke("hi")).content == "moved"
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/v1/chat/completions"),
        ("POST", "/v2/chat/completions"),
    ]
    assert server.requests[1].json["messages"][0]["content"] == "hi"


async def elsewhere(start_kit: StartKit, status: int = 307) -> tuple[KitServer, KitServer]:
    """A server that redirects everything to another origin (another port), and that one."""
    other = await start_kit(answer)

    async def handler(request: web.Request) -> web.StreamResponse:
        location = other.root + request.path_qs
        return web.Response(status=status, headers={"Location": location})

    return await start_kit(handler), other


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_origin_is_refused(
    start_kit: StartKit, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    """A redirect to another host or port is not followed: the key goes nowhere else, the
    call fails at once with RedirectError (not retried) naming the other origin."""
    caplog.set_level(logging.DEBUG, logger="aiochain")
    server, other = await elsewhere(start_kit, status)
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY) as llm:
        with pytest.raises(RedirectError) as info:
            await llm.ainvoke("hi")
    assert other.requests == []
    assert len(server.requests) == 1
    assert info.value.status_code == status
    assert other.root in str(info.value)
    assert KEY not in "".join(traceback.format_exception(info.value))


async def test_anthropic_x_api_key_never_follows_a_redirect_elsewhere(
    start_kit: StartKit,
) -> None:
    """aiohttp's own redirects drop only Authorization: x-api-key would go along. Ours
    follow none to another origin."""
    other = await start_kit(lambda request: _json(anthropic_message()))

    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect(other.root + request.path_qs)

    server = await start_kit(handler)
    async with ChatAnthropic(
        base_url=server.root, api_key=KEY, model="claude-3-5-haiku-latest"
    ) as llm:
        with pytest.raises(RedirectError):
            await llm.ainvoke("hi")
    assert other.requests == []


async def _json(data: object) -> web.StreamResponse:
    return web.json_response(data)


async def test_batch_file_requests_never_follow_a_redirect_elsewhere(start_kit: StartKit) -> None:
    """The Batch API client's GETs (aiohttp would follow those by default) refuse a redirect
    to another origin too."""
    server, other = await elsewhere(start_kit)
    async with OpenAIBatchClient(base_url=server.base_url, api_key=KEY) as client:
        with pytest.raises(RedirectError):
            await client.transport.request("GET", "/batches/batch_1")
    assert other.requests == []


async def test_a_redirect_loop_ends_with_redirect_error(start_kit: StartKit) -> None:
    """A same-origin redirect to itself stops after a few hops."""

    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect(request.path_qs)

    server = await start_kit(handler)
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY) as llm:
        with pytest.raises(RedirectError, match="more than"):
            await llm.ainvoke("hi")
    assert 2 <= len(server.requests) <= 10


# --- base URLs with a query string ------------------------------------------------------------


async def test_paths_go_before_the_base_urls_query(start_kit: StartKit) -> None:
    """`...?api-version=X` as base_url: the request goes to `.../chat/completions?api-version=X`
    (and embeddings alike), with the query's values as they were."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/embeddings"):
            return web.json_response(
                {"data": [{"index": 0, "embedding": [0.5, 0.5]}], "usage": {"prompt_tokens": 1}}
            )
        return web.json_response(chat_answer())

    server = await start_kit(handler)
    base = server.base_url + "/?api-version=2024-10-21"
    async with ChatOpenAI(base_url=base, api_key=KEY) as llm:
        assert (await llm.ainvoke("hi")).content == "fine"
    async with OpenAIEmbeddings(base_url=base, api_key=KEY) as embedder:
        assert await embedder.aembed_query("hi") == [0.5, 0.5]
    assert [r.path for r in server.requests] == [
        "/v1/chat/completions?api-version=2024-10-21",
        "/v1/embeddings?api-version=2024-10-21",
    ]


async def test_a_key_in_the_base_url_is_sent_but_never_shown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`?api-key=K` in base_url reaches the server, but a connection error's message, its
    chain and the retry log lines show `[redacted]` instead of K."""
    caplog.set_level(logging.DEBUG, logger="aiochain")
    secret = "azure-key-in-the-url-0123456789"
    base = f"http://127.0.0.1:{free_port()}/v1?api-version=1&api-key={secret}"
    retry = RetryPolicy(max_retries=1, initial_wait=0.0, max_wait=0.0)
    async with ChatOpenAI(base_url=base, api_key="sk-other-key-0123456789", retry=retry) as llm:
        with pytest.raises(ServerUnreachableError) as info:
            await llm.ainvoke("hi")
        assert secret not in repr(llm._pipeline.transport.base_url)
    shown = "".join(traceback.format_exception(info.value))
    assert "api-key=[redacted]" in str(info.value)
    assert "/chat/completions?" in str(info.value)
    assert secret not in shown
    assert all(secret not in r.getMessage() for r in caplog.records)


async def test_a_key_in_the_base_url_reaches_the_server(start_kit: StartKit) -> None:
    """The key in the URL is not redacted on the wire: the server gets it."""
    server = await start_kit(answer)
    async with ChatOpenAI(base_url=server.base_url + "?api-key=k-123", api_key=KEY) as llm:
        await llm.ainvoke("hi")
    assert server.requests[0].path == "/v1/chat/completions?api-key=k-123"
