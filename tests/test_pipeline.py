"""The one request pipeline: plain and streamed calls share retry policy, budget, limiter
accounting, header learning and statistics (scripted real servers on 127.0.0.1)."""

from __future__ import annotations

import ast
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import aiochain
from aiochain import ChatOpenAI, RateLimiter, RetryPolicy, RunStats, ServerError

from .conftest import Reply, ScriptedServer, completion_json

Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
SSE = {"Content-Type": "text/event-stream"}


def sse(*events: str) -> bytes:
    return b"".join(f"data: {e}\n\n".encode() for e in (*events, "[DONE]"))


def chunk(text: str) -> str:
    return json.dumps({"choices": [{"index": 0, "delta": {"content": text}}]})


class FrozenClock:
    """A clock that only moves when told, so bucket levels are exact."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def collect(llm: ChatOpenAI, prompt: str = "hi") -> str:
    return "".join([piece.content async for piece in llm.astream(prompt)])


@pytest.mark.parametrize("streamed", [False, True])
async def test_both_kinds_of_call_obey_max_total(scripted: Scripted, streamed: bool) -> None:
    """With a retry-after of 0.3 s and max_total 0.75 s, plain and streamed calls alike make
    three attempts (a fourth would pass max_total), although max_retries allows ten."""
    server = await scripted(
        [Reply(503, {"error": {"message": "busy"}}, headers={"retry-after-ms": "300"})]
    )
    policy = RetryPolicy(max_retries=10, max_total=0.75, budget_ratio=None)
    async with ChatOpenAI(base_url=server.base_url, retry=policy) as llm:
        with pytest.raises(ServerError):
            if streamed:
                await collect(llm)
            else:
                await llm.ainvoke("hi")
    assert len(server.requests) == 3
    assert server.requests[0].get("stream", False) is streamed


@pytest.mark.parametrize("with_usage", [False, True])
async def test_a_stream_accounts_tokens_like_a_plain_call(
    scripted: Scripted, with_usage: bool
) -> None:
    """A stream without usage keeps its tpm estimate reserved, exactly as a plain call without
    usage does; with usage, both are charged what they used."""
    usage = {"prompt_tokens": 10, "completion_tokens": 30, "total_tokens": 40}
    plain_body = completion_json("hello", chat=True)
    events = [chunk("hello")]
    if with_usage:
        plain_body["usage"] = usage
        events.append(json.dumps({"choices": [], "usage": usage}))
    else:
        del plain_body["usage"]
    levels = []
    for reply in (Reply(200, plain_body), Reply(200, raw=sse(*events), headers=SSE)):
        server = await scripted([reply])
        clock = FrozenClock()
        limiter = RateLimiter(tpm=60_000, clock=clock)  # holds 500 tokens at once
        async with ChatOpenAI(
            base_url=server.base_url, rate_limiter=limiter, max_tokens=100
        ) as llm:
            if reply.raw is None:
                assert (await llm.ainvoke("hi")).content == "hello"
            else:
                assert await collect(llm) == "hello"
        levels.append(limiter.usage()["tpm_in_use"])
        assert limiter.in_flight == 0
    plain, streamed = levels
    assert plain == streamed
    if with_usage:
        assert plain == pytest.approx(40 / 500)
    else:
        assert plain > 100 / 500  # max_tokens plus the prompt's estimate stay reserved


async def test_a_streams_429_is_counted_and_learned(scripted: Scripted) -> None:
    """A streamed call (on_token set) refused with 429 then answered: the run counts one
    refusal, one retry, two requests, nothing left retrying; the limiter learned the limits
    from the 429 and from the stream's own answer headers."""
    limits = {"x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "5"}
    server = await scripted(
        [
            Reply(
                429, {"error": {"message": "slow down"}}, headers={**limits, "retry-after-ms": "20"}
            ),
            Reply(
                200,
                raw=sse(chunk("a"), chunk("b")),
                headers={**SSE, **limits, "x-ratelimit-limit-tokens": "90000"},
            ),
        ]
    )
    stats = RunStats()
    pieces: list[str] = []
    async with ChatOpenAI(base_url=server.base_url, on_token=pieces.append) as llm:
        [reply] = await llm.amap(["hi"], progress=stats, concurrency=1)
        learned = dict(llm.rate_limiter.learned)
    assert reply.content == "ab" and pieces == ["a", "b"]
    assert (stats.requests, stats.rate_limited, stats.retries, stats.retrying) == (2, 1, 1, 0)
    # The requests limit came with the 429; the tokens limit only with the stream's answer.
    assert learned == {"requests": 600.0, "tokens": 90000.0}
    assert all(body["stream"] for body in server.requests)


def test_the_package_has_one_retry_loop() -> None:
    """Only `retry.call_with_retry` asks a policy for waits: no second retry loop exists."""
    package = Path(aiochain.__file__).parent
    callers = set()
    for path in package.rglob("*.py"):
        if path.parts[-2] == "sim":
            continue  # the simulation server shares nothing with the client
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("wait_for", "take_from_budget"):
                callers.add(path.relative_to(package).as_posix())
            if isinstance(node, ast.Name) and node.id == "take_from_budget":
                callers.add(path.relative_to(package).as_posix())
    assert callers == {"_pipeline/retry.py"}


async def test_the_aiochain_logger_tells_retries_pauses_and_limits_never_the_key(
    scripted: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    """At debug the `aiochain` logger says why and how long each retry waits, each 429 pause
    and each learned limit; nothing is logged at INFO or above; the key appears nowhere."""
    key = "sk-test-do-not-log-4242"
    limits = {"x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "5"}
    server = await scripted(
        [
            Reply(
                429, {"error": {"message": "slow down"}}, headers={**limits, "retry-after-ms": "20"}
            ),
            Reply(200, completion_json("fine", chat=True)),
        ]
    )
    with caplog.at_level(logging.DEBUG, logger="aiochain"):
        async with ChatOpenAI(base_url=server.base_url, api_key=key) as llm:
            assert (await llm.ainvoke("hi")).content == "fine"
            assert (await llm.ainvoke("again")).content == "fine"
    mine = [r for r in caplog.records if r.name.startswith("aiochain")]
    text = "\n".join(r.getMessage() for r in mine)
    assert "retry 1 of 2" in text and "RateLimitError" in text
    assert "pauses for 0.02 s" in text
    assert "requests limit: 600 per minute" in text
    assert all(r.levelno == logging.DEBUG for r in mine)
    assert key not in text
    assert server.headers[0]["Authorization"] == f"Bearer {key}"
