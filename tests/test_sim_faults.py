"""The simulation server's hostile faults on the wire: malformed answers, slow bodies and
extreme retry-after (issue 13), observed with raw aiohttp and the official openai client."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import openai
import pytest

from aiochain import ConfigurationError
from aiochain.sim import SimServer

from .conftest import PYTHON

StartSim = Callable[..., Awaitable[SimServer]]
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi there."}]}


async def post(
    session: aiohttp.ClientSession, server: SimServer, body: dict[str, Any]
) -> tuple[int, Any, bytes]:
    async with session.post(f"{server.base_url}/chat/completions", json=body) as response:
        return response.status, response.headers, await response.read()


async def test_malformed_answers_vary_by_seeded_draw(start_sim: StartSim) -> None:
    """--malformed-rate 1 answers 200 with a malformed body of many kinds, named in x-sim-fault,
    and the same seed draws the same kinds."""
    runs = []
    for _ in range(2):
        server = await start_sim(malformed_rate=1.0, seed=3)
        async with aiohttp.ClientSession() as session:
            answers = [await post(session, server, CHAT) for _ in range(40)]
        runs.append([headers["x-sim-fault"] for _, headers, _ in answers])
        assert {status for status, _, _ in answers} == {200}
        assert server.stats()["faults"] == {"malformed": 40}
        for _, headers, body in answers:
            check_malformed(headers["x-sim-fault"].removeprefix("malformed/"), headers, body)
    assert runs[0] == runs[1]
    assert len(Counter(runs[0])) >= 7


def check_malformed(kind: str, headers: Any, body: bytes) -> None:
    """Each kind's body is broken the way its name says (a plain, non-streamed answer)."""
    if kind == "html":
        assert headers["Content-Type"].startswith("text/html")
        assert body.startswith(b"<!DOCTYPE html>")
        return
    assert headers["Content-Type"].startswith("application/json")
    if kind == "empty_body":
        assert body == b""
    elif kind == "truncated_json":
        with pytest.raises(ValueError):
            json.loads(body)
    elif kind == "deep_nesting":
        assert b"[" * 10_000 in body
    elif kind == "huge_number":
        assert b'"completion_tokens":' + b"9" * 5000 + b"," in body  # too long for int()
    else:
        data = json.loads(body)
        if kind == "wrong_shape":
            assert data["choices"] == ["oops"]
        elif kind == "usage_strings":
            assert all(isinstance(v, str) for v in data["usage"].values())
        elif kind == "numeric_content":
            assert data["choices"][0]["message"]["content"] == 42
        else:
            assert kind == "no_choices" and data["choices"] == []


async def test_malformed_streams_end_in_done_but_carry_nonsense(start_sim: StartSim) -> None:
    """Streamed requests get malformed event streams (or an HTML page, or nothing)."""
    server = await start_sim(malformed_rate=1.0, seed=5)
    kinds: Counter[str] = Counter()
    async with aiohttp.ClientSession() as session:
        for _ in range(30):
            _, headers, body = await post(session, server, {**CHAT, "stream": True})
            kind = headers["x-sim-fault"].removeprefix("malformed/")
            kinds[kind] += 1
            if kind in ("html", "empty_body"):
                continue
            assert headers["Content-Type"].startswith("text/event-stream")
            assert body.endswith(b"data: [DONE]\n\n")
            events = [e.removeprefix(b"data: ") for e in body.split(b"\n\n") if e][:-1]
            if kind == "wrong_shape":
                assert json.loads(events[0])["choices"] == ["oops"]
            elif kind == "no_choices":
                assert all(json.loads(e)["choices"] == [] for e in events)
    assert len(kinds) >= 6


async def test_slow_body_trickles_a_valid_answer(start_sim: StartSim) -> None:
    """--slow-body-rate 1 sends the headers, then the body a byte at a time; it is still the
    right answer, plain or streamed, for the official client."""
    server = await start_sim(slow_body_rate=1.0, slow_body_pause=0.0005)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.base_url}/chat/completions", json=CHAT) as response,
    ):
        assert response.headers["x-sim-fault"] == "slow_body"
        length = int(response.headers["Content-Length"])
        pieces = [piece async for piece in response.content.iter_any()]
    body = b"".join(pieces)
    assert len(body) == length
    assert len(pieces) >= 10  # arrived in many pieces, not in one
    assert json.loads(body)["choices"][0]["message"]["content"] == "Hi there."
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        whole = await c.chat.completions.create(**CHAT)  # type: ignore[call-overload]
        stream = await c.chat.completions.create(**CHAT, stream=True)  # type: ignore[call-overload]
        pieces_text = [
            chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices
        ]
    assert whole.choices[0].message.content == "".join(pieces_text) == "Hi there."
    assert server.stats()["faults"] == {"slow_body": 3}


async def test_retry_after_max_sends_extreme_waits(start_sim: StartSim) -> None:
    """With --retry-after-max, 429s say to come back after up to that many seconds: often
    exactly that, else between the honest wait and it; retry-after-ms agrees."""
    server = await start_sim(fail_rate=1.0, fail_status=429, retry_after_max=86400, seed=1)
    waits = []
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        for _ in range(20):
            with pytest.raises(openai.RateLimitError) as info:
                await c.chat.completions.create(**CHAT)  # type: ignore[call-overload]
            headers = info.value.response.headers
            seconds = int(headers["retry-after"])
            assert 1 <= seconds <= 86400
            assert seconds - 1 < int(headers["retry-after-ms"]) / 1000 <= seconds
            waits.append(seconds)
    assert 86400 in waits
    assert any(w < 86400 for w in waits)
    assert server.stats()["faults"] == {"fail": 20, "extreme_retry_after": 20}


async def test_retry_after_max_stretches_rate_limit_waits(start_sim: StartSim) -> None:
    """A real rate-limit 429 keeps its headers but its retry-after grows, up to the maximum."""
    server = await start_sim(rpm=1, retry_after_max=3600)
    async with aiohttp.ClientSession() as session:
        assert (await post(session, server, CHAT))[0] == 200
        status, headers, body = await post(session, server, CHAT)
    assert status == 429
    assert json.loads(body)["error"]["code"] == "rate_limit_exceeded"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert 1 <= int(headers["retry-after"]) <= 3600


@pytest.mark.parametrize(
    "options",
    [
        {"malformed_rate": 1.5},
        {"slow_body_rate": -0.1},
        {"slow_body_pause": -1},
        {"retry_after_max": 0.5},
    ],
)
def test_bad_hostile_options(options: dict[str, Any]) -> None:
    """Out-of-range hostile options are refused with ConfigurationError."""
    with pytest.raises(ConfigurationError):
        SimServer(**options)


def test_bad_hostile_flags_are_one_line_and_status_2() -> None:
    """Bad values of the new serve flags get a one-line error and exit status 2."""
    for args in (("--malformed-rate", "2"), ("--slow-body-rate", "x"), ("--retry-after-max", "0")):
        done = subprocess.run(
            [PYTHON, "-m", "aiochain", "serve", *args], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, args
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert args[0] in done.stderr
