"""Hostile servers: every call ends, in bounded time, with an `AiochainError` (or the right
answer); the client is clean afterwards (a healthy call on the same client succeeds at once);
our key appears in no message, traceback or log line.

The server is `tests/hostile.py`, written apart from the simulation server. A call's time is
bounded by `asyncio.timeout`: a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from aiochain import (
    AiochainError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadResponseError,
    ChatOpenAI,
    RateLimitError,
    ResponseLimits,
    RetryPolicy,
    ServerError,
    StreamError,
)

from .hostile import HostileServer

KEY = "sk-hostile-test-key-0123456789"
TIMEOUT = 2.0
RETRIES = 1
# Every call must end within timeout x (retries + 1), plus a margin for the waits between.
BOUND = TIMEOUT * (RETRIES + 1) + 3.0

Start = Callable[[str], Awaitable[HostileServer]]


@pytest.fixture
async def hostile() -> AsyncIterator[Start]:
    servers: list[HostileServer] = []

    async def start(mode: str) -> HostileServer:
        server = await HostileServer(mode).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.aclose()


def client(server: HostileServer, **options: Any) -> ChatOpenAI:
    options.setdefault("max_concurrency", 2)
    return ChatOpenAI(
        base_url=server.base_url,
        api_key=KEY,
        timeout=TIMEOUT,
        retry=RetryPolicy(max_retries=RETRIES, initial_wait=0.01, max_wait=0.05),
        **options,
    )


async def call(llm: ChatOpenAI, *, stream: bool) -> str:
    async with asyncio.timeout(BOUND):
        if stream:
            return "".join([piece.content async for piece in llm.astream("hi")])
        return (await llm.ainvoke("hi")).content


def no_key_in(exc: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    """The key is in neither the error, its chain, its attributes, its traceback nor the log."""
    shown = "".join(traceback.format_exception(exc))
    seen: list[str] = [shown, repr(vars(exc))]
    cause: BaseException | None = exc
    while cause is not None:
        seen.append(repr(vars(cause)) if hasattr(cause, "__dict__") else repr(cause))
        request_info = getattr(cause, "request_info", None)
        if request_info is not None:
            seen.append(repr(request_info.headers))
        cause = cause.__cause__ or cause.__context__
    seen.extend(r.getMessage() for r in caplog.records)
    assert not any(KEY in text for text in seen)


async def check_clean_afterwards(server: HostileServer, llm: ChatOpenAI, *, stream: bool) -> None:
    """Healed, the same client answers at once: no slot leaked, no pause, no absurd limit."""
    server.heal()
    usage = llm.rate_limiter.usage()
    assert usage["in_flight"] == 0
    assert usage["paused_for"] <= 1.0  # at most the default pause of an unexplained 429
    assert await call(llm, stream=stream) == "fine"


CASES = [
    # (mode, streamed, the error expected: None for the right answer)
    ("retry_after_a_day", False, RateLimitError),
    ("retry_after_infinite", False, RateLimitError),
    ("usage_as_strings", False, None),  # "3" is 3 (some compatible servers write so)
    ("negative_usage", False, BadResponseError),
    ("absurd_limits", False, None),
    ("trickle", True, APITimeoutError),
    ("huge_event", True, BadResponseError),
    ("gzip_bomb", False, BadResponseError),
    ("deep_json", False, BadResponseError),
    ("deep_json_error", False, ServerError),
    ("deep_json_event", True, BadResponseError),
    ("huge_number", False, BadResponseError),
    ("numeric_content", False, BadResponseError),
    ("choices_not_objects", True, BadResponseError),
    ("stream_without_choices", True, BadResponseError),
    ("tool_function_string", False, BadResponseError),
    ("tool_index_text", False, BadResponseError),  # streamed: on_token is set
    ("error_null_chunks", True, None),
    ("crlf_split", True, None),
    ("echo_key", False, AuthenticationError),
    ("echo_key_garbage", False, BadResponseError),
    ("echo_key_stream", True, StreamError),
    ("redirect_loop", False, APIConnectionError),
]


@pytest.mark.parametrize(("mode", "stream", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_hostile_mode_ends_cleanly(
    hostile: Start,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    stream: bool,
    expected: type[AiochainError] | None,
) -> None:
    """Each hostile answer ends the call with the expected aiochain error (or the right
    answer) within its time bound; then the same client is clean; the key shows nowhere."""
    caplog.set_level(logging.DEBUG, logger="aiochain")
    server = await hostile(mode)
    limits = ResponseLimits(max_bytes=1024 * 1024, max_event_bytes=512 * 1024, stream_seconds=1.0)
    on_token = [] if mode == "tool_index_text" else None
    async with client(
        server, response_limits=limits, on_token=on_token.append if on_token is not None else None
    ) as llm:
        if expected is None:
            assert await call(llm, stream=stream) == "fine"
        else:
            with pytest.raises(expected) as info:
                await call(llm, stream=stream)
            no_key_in(info.value, caplog)
        await check_clean_afterwards(server, llm, stream=stream)
    assert all(KEY not in r.getMessage() for r in caplog.records)


async def test_a_retry_after_of_a_day_fails_at_once_and_says_when(hostile: Start) -> None:
    """A 429 asking for a day is not waited for, retried or shared: the call fails at once
    saying when to come back, and the limiter does not pause the other callers."""
    server = await hostile("retry_after_a_day")
    async with client(server) as llm:
        with pytest.raises(RateLimitError) as info:
            await call(llm, stream=False)
        assert "come back in 24.0 h" in str(info.value)
        assert server.requests == 1
        assert llm.rate_limiter.usage()["paused_for"] == 0


async def test_absurd_rate_limit_headers_are_ignored(hostile: Start) -> None:
    """Limits of 1e-9 requests a minute, negative remainders, NaN and infinity teach nothing."""
    server = await hostile("absurd_limits")
    async with client(server) as llm:
        for _ in range(3):
            assert await call(llm, stream=False) == "fine"
        assert llm.rate_limiter.learned == {}
        assert llm.rate_limiter.rpm is None and llm.rate_limiter.tpm is None


async def test_malformed_usage_never_leaks_a_slot(hostile: Start) -> None:
    """Answers whose usage is malformed release their slot: after many more of them than the
    concurrency cap, a healthy call still gets one at once."""
    server = await hostile("negative_usage")
    async with client(server, max_concurrency=2) as llm:
        for _ in range(6):
            with pytest.raises(BadResponseError):
                await call(llm, stream=False)
        await check_clean_afterwards(server, llm, stream=False)


async def test_tool_arguments_sent_as_an_object_are_taken(hostile: Start) -> None:
    """Arguments sent as a JSON object instead of a JSON string (some servers do) are used."""
    server = await hostile("tool_arguments_object")
    async with client(server) as llm:
        async with asyncio.timeout(BOUND):
            reply = await llm.ainvoke("hi")
    assert reply.tool_calls[0]["args"] == {"x": 1}
    assert "error" not in reply.tool_calls[0]


async def test_a_redirect_loop_keeps_the_key_out_of_the_chain(
    hostile: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp's TooManyRedirects holds the request and its Authorization header: it is not
    chained to our error, so the key cannot be reached from it."""
    server = await hostile("redirect_loop")
    async with client(server) as llm:
        with pytest.raises(APIConnectionError) as info:
            await call(llm, stream=False)
    assert info.value.__cause__ is None
    no_key_in(info.value, caplog)


async def test_a_stalled_stream_ends_without_a_timeout(hostile: Start) -> None:
    """With no per-request timeout, a stream that stops sending still ends by its total time
    (the wait for the next bytes is bounded by it)."""
    server = await hostile("stall")
    limits = ResponseLimits(stream_seconds=1.0)
    async with ChatOpenAI(
        base_url=server.base_url, api_key=KEY, timeout=None, response_limits=limits, max_retries=0
    ) as llm:
        async with asyncio.timeout(BOUND):
            with pytest.raises(APITimeoutError):
                await call(llm, stream=True)
