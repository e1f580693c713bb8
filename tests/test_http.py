"""Every error kind, produced by a real local HTTP server, and which ones are retried."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from aiochain import (
    AiochainError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BadResponseError,
    ChatOpenAI,
    NotFoundError,
    OpenAI,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from aiochain._http.errors import parse_retry_after
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer, completion_json, free_port

Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
FAST_RETRY = RetryPolicy(max_retries=2, initial_wait=0.01, max_wait=0.02)


def error_body(message: str) -> dict[str, object]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": None}}


async def test_401_is_authentication_error_and_not_retried(scripted: Scripted) -> None:
    """401 raises AuthenticationError at once, carrying status and message."""
    server = await scripted([Reply(401, error_body("Incorrect API key provided"))])
    async with OpenAI(base_url=server.base_url, api_key="bad", retry=FAST_RETRY) as llm:
        with pytest.raises(AuthenticationError) as info:
            await llm.ainvoke("hi")
    assert info.value.status_code == 401
    assert info.value.message == "Incorrect API key provided"
    assert len(server.requests) == 1


async def test_400_carries_the_server_message_and_body(scripted: Scripted) -> None:
    """400 raises BadRequestError with the server's own message, body and headers."""
    body = error_body("'messages' must be a non-empty array")
    server = await scripted([Reply(400, body, headers={"x-request-id": "req-1"})])
    async with ChatOpenAI(base_url=server.base_url, retry=FAST_RETRY) as chat:
        with pytest.raises(BadRequestError) as info:
            await chat.ainvoke("hi")
    assert "'messages' must be a non-empty array" in str(info.value)
    assert info.value.body == body
    assert info.value.headers["x-request-id"] == "req-1"
    assert len(server.requests) == 1


async def test_429_with_retry_after_then_success(scripted: Scripted) -> None:
    """429 is retried after the server's retry-after-ms, then the answer comes through."""
    server = await scripted(
        [
            Reply(429, error_body("Rate limit reached"), headers={"retry-after-ms": "300"}),
            Reply(json=completion_json("finally")),
        ]
    )
    arrivals: list[float] = []
    async with OpenAI(base_url=server.base_url, retry=FAST_RETRY) as llm:
        started = time.monotonic()
        assert await llm.ainvoke("hi") == "finally"
        arrivals.append(time.monotonic() - started)
    assert len(server.requests) == 2
    # The backoff alone would have waited at most 0.02 s; retry-after asked for 0.3 s.
    assert arrivals[0] >= 0.3


async def test_429_exhausted_raises_rate_limit_error_with_retry_after(scripted: Scripted) -> None:
    """When retries run out, RateLimitError carries the server's retry-after."""
    server = await scripted([Reply(429, error_body("slow down"), headers={"retry-after": "0.01"})])
    async with OpenAI(base_url=server.base_url, retry=FAST_RETRY) as llm:
        with pytest.raises(RateLimitError) as info:
            await llm.ainvoke("hi")
    assert info.value.retry_after == 0.01
    assert len(server.requests) == 3


async def test_500_until_retries_run_out(scripted: Scripted) -> None:
    """5xx is retried max_retries times, then ServerError is raised."""
    server = await scripted([Reply(500, error_body("The server had an error"))])
    async with OpenAI(base_url=server.base_url, retry=FAST_RETRY) as llm:
        with pytest.raises(ServerError) as info:
            await llm.ainvoke("hi")
    assert info.value.status_code == 500
    assert len(server.requests) == 3


async def test_503_then_success(scripted: Scripted) -> None:
    """A passing 5xx is absorbed by a retry."""
    server = await scripted([Reply(503, error_body("overloaded")), Reply(json=completion_json())])
    async with OpenAI(base_url=server.base_url, retry=FAST_RETRY) as llm:
        assert await llm.ainvoke("hi") == "ok"
    assert len(server.requests) == 2


async def test_connection_refused() -> None:
    """Nobody listening raises APIConnectionError (after retries), chained to aiohttp's error."""
    url = f"http://127.0.0.1:{free_port()}/v1"
    async with OpenAI(base_url=url, retry=FAST_RETRY) as llm:
        with pytest.raises(APIConnectionError) as info:
            await llm.ainvoke("hi")
    assert "cannot connect" in str(info.value)
    assert isinstance(info.value.__cause__, aiohttp.ClientConnectorError)


async def test_timeout(scripted: Scripted) -> None:
    """A server slower than the timeout raises APITimeoutError after its retries."""
    server = await scripted([Reply(json=completion_json(), delay=30)])
    async with OpenAI(base_url=server.base_url, timeout=0.2, retry=FAST_RETRY) as llm:
        with pytest.raises(APITimeoutError) as info:
            await llm.ainvoke("hi")
    assert "0.2 s" in str(info.value)
    assert len(server.requests) == 3


async def test_dropped_connection(scripted: Scripted) -> None:
    """A connection cut before the answer is a connection error, retried."""
    server = await scripted([Reply(drop=True), Reply(json=completion_json("second"))])
    async with OpenAI(base_url=server.base_url, retry=FAST_RETRY) as llm:
        assert await llm.ainvoke("hi") == "second"
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(raw=b"<html>Bad Gateway</html>"),
        Reply(raw=b'{"choices": [{"index": 0, "te'),
        Reply(json=["not", "an", "object"]),
        Reply(json={"id": "x", "choices": []}),
        Reply(json={"choices": [{"index": 0}]}),
    ],
)
async def test_malformed_answers_are_bad_response_errors(scripted: Scripted, reply: Reply) -> None:
    """A 200 that is not JSON, or lacks choices or text, raises BadResponseError, not retried."""
    server = await scripted([reply])
    async with OpenAI(base_url=server.base_url, retry=FAST_RETRY) as llm:
        with pytest.raises(BadResponseError):
            await llm.ainvoke("hi")
    assert len(server.requests) == 1


async def test_unknown_model_is_not_found(start_sim: Callable[..., Awaitable[SimServer]]) -> None:
    """An unknown model gets 404 from the simulation server: NotFoundError with its message."""
    server = await start_sim()
    async with ChatOpenAI(base_url=server.base_url, model="gpt-nonexistent") as chat:
        with pytest.raises(NotFoundError, match="gpt-nonexistent"):
            await chat.ainvoke("hi")


async def test_wrong_key_against_sim(start_sim: Callable[..., Awaitable[SimServer]]) -> None:
    """The simulation server's --api-key makes other bearers fail with 401."""
    server = await start_sim(api_key="sk-right")
    async with ChatOpenAI(base_url=server.base_url, api_key="sk-wrong") as chat:
        with pytest.raises(AuthenticationError):
            await chat.ainvoke("hi")
    async with ChatOpenAI(base_url=server.base_url, api_key="sk-right") as chat:
        assert (await chat.ainvoke("Right key.")).content == "Right key."


def test_every_error_is_an_aiochain_error() -> None:
    """The whole tree is rooted at AiochainError."""
    for cls in (
        APIConnectionError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        BadResponseError,
        NotFoundError,
        RateLimitError,
        ServerError,
    ):
        assert issubclass(cls, AiochainError)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),  # past: as absent
        ({"retry-after": "0"}, None),  # not positive: as absent (issue 23, item 6)
        ({"retry-after": "-3"}, None),
        ({"retry-after-ms": "0", "retry-after": "2"}, 2.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    """retry-after-ms wins; seconds and HTTP dates are understood; junk, zero and past
    times are ignored."""
    assert parse_retry_after(headers) == expected


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compressed_error_body_still_gives_its_message(
    scripted: Callable[[list[Reply]], Awaitable[ScriptedServer]], encoding: str
) -> None:
    """An error answer compressed with gzip or deflate is inflated for its message, as a
    successful answer is."""
    import gzip
    import json
    import zlib

    body = json.dumps({"error": {"message": "the model is resting"}}).encode()
    packed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    server = await scripted(
        [
            Reply(
                400,
                raw=packed,
                headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
            )
        ]
    )
    from aiochain import BadRequestError, ChatOpenAI

    async with ChatOpenAI(base_url=server.base_url, max_retries=0) as llm:
        with pytest.raises(BadRequestError, match="the model is resting"):
            await llm.ainvoke("hi")
