"""The simulation server on the wire: the official openai client, streaming, rate limits, faults."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import openai
import pytest

from aiochain import (
    APIConnectionError,
    APITimeoutError,
    ChatOpenAI,
    ConfigurationError,
    OpenAI,
    RetryPolicy,
    ServerError,
)
from aiochain.sim import SimServer, count_tokens, tokenize
from aiochain.sim._ratelimit import Bucket, format_duration

StartSim = Callable[..., Awaitable[SimServer]]
TEXT = (
    "The internet began as ARPANET. Packet switching made it robust. TCP/IP unified networks. "
    "The web made it popular. Social media made it personal. Phones made it constant."
)
NO_RETRY = RetryPolicy(max_retries=0)


@pytest.fixture
async def client(sim: SimServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """The official openai client, pointed at the simulation server, without retries."""
    async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="sk-sim", max_retries=0) as c:
        yield c


# --- wire format, checked by the official client ---------------------------------------------


async def test_openai_chat_completion(client: openai.AsyncOpenAI) -> None:
    """Chat answers parse in the official client, with the documented answer and usage."""
    result = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Summarize."},
            {"role": "user", "content": TEXT},
        ],
    )
    answer = result.choices[0].message.content
    assert answer == "The internet began as ARPANET. Packet switching made it robust."
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.prompt_tokens == count_tokens("Summarize.") + count_tokens(TEXT)
    assert result.usage.completion_tokens == count_tokens(answer)
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens


async def test_openai_completion(client: openai.AsyncOpenAI) -> None:
    """The legacy completions endpoint parses in the official client."""
    result = await client.completions.create(
        model="gpt-3.5-turbo-instruct", prompt=f"Summarize the following text:\n\n{TEXT}"
    )
    assert (
        result.choices[0].text == "The internet began as ARPANET. Packet switching made it robust."
    )


@pytest.mark.parametrize("chat", [True, False])
async def test_stream_joins_to_the_non_streamed_text(
    client: openai.AsyncOpenAI, chat: bool
) -> None:
    """Streamed chunks join to exactly the non-streamed answer; usage comes last when asked."""
    if chat:
        kwargs: dict[str, Any] = {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": TEXT}],
        }
        whole = await client.chat.completions.create(**kwargs)
        full_text = whole.choices[0].message.content
        stream = await client.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
    else:
        kwargs = {"model": "gpt-3.5-turbo-instruct", "prompt": TEXT}
        whole = await client.completions.create(**kwargs)
        full_text = whole.choices[0].text
        stream = await client.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
    pieces: list[str] = []
    finish = None
    usage = None
    async for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            piece = choice.delta.content if chat else choice.text  # type: ignore[union-attr]
            pieces.append(piece or "")
            finish = choice.finish_reason or finish
    assert "".join(pieces) == full_text
    assert len([p for p in pieces if p]) == count_tokens(full_text)
    assert finish == "stop"
    assert usage is not None and whole.usage is not None
    assert usage.completion_tokens == whole.usage.completion_tokens


async def test_models_list(client: openai.AsyncOpenAI) -> None:
    """models.list() returns the served models."""
    models = [m.id async for m in client.models.list()]
    assert "gpt-4o-mini" in models and "gpt-3.5-turbo-instruct" in models


async def test_rate_limit_error_in_openai_client(start_sim: StartSim) -> None:
    """A request over the limit is a RateLimitError whose response carries the retry headers."""
    server = await start_sim(rpm=1)
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        await c.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "a"}]
        )
        with pytest.raises(openai.RateLimitError) as info:
            await c.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "b"}]
            )
    headers = info.value.response.headers
    assert float(headers["retry-after"]) >= 1
    assert 0 < float(headers["retry-after-ms"]) <= 60_000
    assert headers["x-ratelimit-limit-requests"] == "1"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert "x-ratelimit-reset-requests" in headers
    error = info.value.body
    assert isinstance(error, dict) and error["code"] == "rate_limit_exceeded"
    assert "message" in error and "type" in error


async def test_wrong_key_is_401_in_openai_client(start_sim: StartSim) -> None:
    """With --api-key, another bearer gets AuthenticationError; the key is not echoed whole."""
    server = await start_sim(api_key="sk-the-right-key")
    async with openai.AsyncOpenAI(
        base_url=server.base_url, api_key="sk-a-wrong-key-123", max_retries=0
    ) as c:
        with pytest.raises(openai.AuthenticationError) as info:
            await c.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
            )
        with pytest.raises(openai.AuthenticationError):
            await c.models.list()
    assert info.value.status_code == 401
    assert "sk-a-wrong-key-123" not in str(info.value)


async def test_json_mode_answers_valid_json(client: openai.AsyncOpenAI) -> None:
    """response_format json_object gets JSON, even when max_tokens cuts it."""
    for max_tokens in (None, 6):
        result = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": TEXT}],
            response_format={"type": "json_object"},
            max_tokens=max_tokens,
        )
        content = result.choices[0].message.content
        assert content is not None
        assert json.loads(content)["summary"].startswith("The internet")


async def test_json_schema_answers_fit_the_schema(client: openai.AsyncOpenAI) -> None:
    """response_format json_schema gets JSON fitting that schema (the first string holds the
    answer), on chat completions as on /v1/responses; streamed pieces join to it."""
    schema = {
        "type": "object",
        "properties": {
            "setup": {"type": "string"},
            "punchline": {"type": "string"},
            "rating": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
        "required": ["setup", "punchline", "rating"],
    }
    response_format: Any = {
        "type": "json_schema",
        "json_schema": {"name": "joke", "schema": schema},
    }
    messages: Any = [{"role": "user", "content": TEXT}]
    result = await client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, response_format=response_format
    )
    content = result.choices[0].message.content
    assert content is not None
    value = json.loads(content)
    assert value["setup"].startswith("The internet") and value["punchline"] == "punchline"
    assert value["rating"] == 1
    pieces = await client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, response_format=response_format, stream=True
    )
    assert "".join([c.choices[0].delta.content or "" async for c in pieces if c.choices]) == content


async def test_langchains_json_format_instructions_get_json(client: openai.AsyncOpenAI) -> None:
    """A prompt carrying LangChain's JSON format instructions (JsonOutputParser,
    PydanticOutputParser) is answered with JSON fitting their schema, as a model follows them;
    the answer text comes from the prompt without the instructions."""
    from aiochain.output_parsers import JsonOutputParser

    pydantic = pytest.importorskip("pydantic")

    class Joke(pydantic.BaseModel):
        setup: str
        punchline: str

    instructions = JsonOutputParser(pydantic_object=Joke).get_format_instructions()
    for prompt in (f"Answer the user query.\n{instructions}\n{TEXT}\n", f"{TEXT}\n{instructions}"):
        result = await client.completions.create(model="gpt-3.5-turbo-instruct", prompt=prompt)
        value = json.loads(result.choices[0].text)
        assert set(value) == {"setup", "punchline"}
        assert "JSON" not in value["setup"]


async def test_a_prompt_asking_for_json_gets_json(client: openai.AsyncOpenAI) -> None:
    """A prompt asking for JSON in words gets JSON mode's answer; one that only mentions JSON
    gets text."""
    for ask in ("Answer in JSON format.", "Return a JSON object.", "Respond in JSON."):
        result = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"{TEXT} {ask}"}]
        )
        content = result.choices[0].message.content
        assert content is not None
        assert json.loads(content)["summary"].startswith("The internet")
    plain = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "JSON is a text format. It is everywhere."}],
    )
    assert plain.choices[0].message.content == "JSON is a text format."


async def test_n_stop_and_max_tokens(client: openai.AsyncOpenAI) -> None:
    """n gives n choices; stop cuts at the stop string; max_tokens cuts with finish=length."""
    result = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}], n=3, stop=["ARPANET"]
    )
    assert [c.message.content for c in result.choices] == ["The internet began as"] * 3
    cut = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}], max_tokens=3
    )
    assert cut.choices[0].message.content == "The internet began"
    assert cut.choices[0].finish_reason == "length"
    assert cut.usage is not None and cut.usage.completion_tokens == 3


# --- time ----------------------------------------------------------------------------------


async def test_tokens_are_paced_and_non_streamed_waits_for_the_end(start_sim: StartSim) -> None:
    """At N tokens/s the stream spreads over (tokens-1)/N s; a plain answer arrives at its end."""
    server = await start_sim(latency=0.1, tokens_per_second=40)
    answer_tokens = count_tokens("The internet began as ARPANET. Packet switching made it robust.")
    spread = (answer_tokens - 1) / 40
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        started = time.monotonic()
        stream = await c.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}], stream=True
        )
        arrivals = [
            time.monotonic() - started
            async for chunk in stream
            if chunk.choices and chunk.choices[0].delta.content
        ]
        started = time.monotonic()
        await c.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}]
        )
        plain = time.monotonic() - started
    assert len(arrivals) == answer_tokens
    # Lower bounds only: sleeping never ends early, so these cannot flake.
    assert arrivals[0] >= 0.1
    assert arrivals[-1] - arrivals[0] >= spread * 0.9
    assert plain >= 0.1 + spread * 0.9


# --- rate limits ---------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_arithmetic() -> None:
    """A bucket holds `window` seconds of budget and refills at per_minute/60 per second."""
    clock = FakeClock()
    bucket = Bucket(600, window=1.0, clock=clock)  # 10 a second, holds 10
    passed = 0
    for _ in range(25):
        if bucket.wait_for(1) == 0:
            bucket.take(1)
            passed += 1
    assert passed == 10
    assert bucket.wait_for(1) == pytest.approx(0.1)
    clock.now += 0.5
    assert bucket.remaining() == 5
    clock.now += 10
    assert bucket.remaining() == 10  # never more than the capacity
    assert bucket.wait_for(601) is None  # more than a minute's budget never passes
    bucket.take(30)  # a large request leaves the bucket in debt...
    assert bucket.wait_for(1) == pytest.approx(2.1)  # ...repaid at 10 a second


def test_format_duration() -> None:
    """Reset durations are written as OpenAI writes them."""
    assert [format_duration(s) for s in (0.02, 1.5, 360.0)] == ["20ms", "1.5s", "6m0s"]


async def test_rpm_admits_the_window_then_refills(start_sim: StartSim) -> None:
    """At rpm=120 (2 a second, window 1 s) a burst of 6 lets 2 through; 1 s later 2 more."""
    clock = FakeClock()
    server = await start_sim(rpm=120, clock=clock)
    statuses = await burst(server, 6)
    assert sorted(statuses) == [200, 200, 429, 429, 429, 429]
    clock.now += 1.0
    assert sorted(await burst(server, 6)) == [200, 200, 429, 429, 429, 429]
    stats = server.stats()
    assert stats["rate_limited"] == 8
    assert stats["requests"]["chat.completions"] == {"200": 4, "429": 8}


async def test_tpm_counts_prompt_and_completion_tokens(start_sim: StartSim) -> None:
    """tpm spends prompt plus completion tokens; retry-after says when enough will be back."""
    clock = FakeClock()
    server = await start_sim(tpm=600, clock=clock)  # 10 tokens a second, holds 10
    text = "one two three."  # 3 prompt tokens, answer the same 3 tokens: 6 tokens a call
    async with aiohttp.ClientSession() as session:
        first = await post_chat(session, server, text)
        second = await post_chat(session, server, text)
    assert first[0] == 200 and second[0] == 429
    assert second[1]["x-ratelimit-remaining-tokens"] == "4"
    assert float(second[1]["retry-after-ms"]) == pytest.approx(200, abs=1)
    assert second[2]["error"]["type"] == "tokens"


async def test_limits_are_per_api_key(start_sim: StartSim) -> None:
    """Each bearer key has its own buckets."""
    server = await start_sim(rpm=60, clock=FakeClock())
    async with aiohttp.ClientSession() as session:
        codes = [
            (await post_chat(session, server, "x.", key=key))[0] for key in ("a", "b", "a", "b")
        ]
    assert codes == [200, 200, 429, 429]


async def test_rate_headers_on_every_answer(start_sim: StartSim) -> None:
    """Successful answers carry the requests and tokens header trios too."""
    server = await start_sim(rpm=600, tpm=100_000)
    async with aiohttp.ClientSession() as session:
        status, headers, _ = await post_chat(session, server, "x.")
    assert status == 200
    for kind in ("requests", "tokens"):
        for name in ("limit", "remaining", "reset"):
            assert f"x-ratelimit-{name}-{kind}" in headers


async def test_our_client_retries_through_429(start_sim: StartSim) -> None:
    """Our client honours retry-after and gets through a rate-limited server."""
    server = await start_sim(rpm=600)  # 10 a second
    async with ChatOpenAI(base_url=server.base_url, retry=RetryPolicy(max_retries=10)) as chat:
        answers = await asyncio.gather(*(chat.ainvoke(f"Call {i}.") for i in range(15)))
    assert [a.content for a in answers] == [f"Call {i}." for i in range(15)]
    assert server.stats()["rate_limited"] >= 5


# --- faults, seen through our own client ---------------------------------------------------


async def test_fail_rate_gives_server_errors(start_sim: StartSim) -> None:
    """--fail-rate 1 answers every request with --fail-status; our client raises ServerError."""
    server = await start_sim(fail_rate=1.0, fail_status=503)
    async with OpenAI(base_url=server.base_url, retry=NO_RETRY) as llm:
        with pytest.raises(ServerError) as info:
            await llm.ainvoke("x")
    assert info.value.status_code == 503
    assert server.stats()["faults"] == {"fail": 1}


async def test_drop_rate_cuts_connections(start_sim: StartSim) -> None:
    """--drop-rate 1 cuts every connection; our client raises APIConnectionError."""
    server = await start_sim(drop_rate=1.0)
    async with OpenAI(base_url=server.base_url, retry=NO_RETRY) as llm:
        with pytest.raises(APIConnectionError):
            await llm.ainvoke("x")
    assert server.stats()["requests"]["completions"] == {"dropped": 1}


async def test_hang_rate_needs_a_client_timeout(start_sim: StartSim) -> None:
    """--hang-rate 1 never answers; our client's timeout raises APITimeoutError."""
    server = await start_sim(hang_rate=1.0)
    async with OpenAI(base_url=server.base_url, timeout=0.2, retry=NO_RETRY) as llm:
        with pytest.raises(APITimeoutError):
            await llm.ainvoke("x")
    assert server.stats()["faults"] == {"hang": 1}


async def test_faults_mix_by_rate_and_seed(start_sim: StartSim) -> None:
    """Fault draws follow the rates, repeat for a seed, and retries get every call through."""
    counts = []
    for _ in range(2):
        server = await start_sim(fail_rate=0.1, drop_rate=0.05, seed=7)
        async with OpenAI(
            base_url=server.base_url,
            retry=RetryPolicy(max_retries=8, initial_wait=0.001, max_wait=0.002),
        ) as llm:
            texts = await asyncio.gather(*(llm.ainvoke(f"Doc {i}.") for i in range(100)))
        assert texts == [f"Doc {i}." for i in range(100)]
        counts.append(server.stats()["faults"])
    assert counts[0] == counts[1]
    assert 3 <= counts[0]["fail"] <= 25 and 1 <= counts[0]["drop"] <= 15


async def test_stream_cut_before_done(start_sim: StartSim) -> None:
    """--stream-cut-rate 1 cuts a stream halfway: no [DONE], and the reader sees a broken body."""
    server = await start_sim(stream_cut_rate=1.0)
    body = b""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.base_url}/chat/completions",
            json={
                "model": "gpt-4o-mini",
                "stream": True,
                "messages": [{"role": "user", "content": TEXT}],
            },
        ) as response,
    ):
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            async for line in response.content:
                body += line
    assert b"data: " in body
    assert b"[DONE]" not in body
    assert server.stats()["faults"] == {"stream_cut": 1}


# --- requests the server refuses -----------------------------------------------------------


async def test_bad_requests(sim: SimServer) -> None:
    """Malformed bodies, missing models and wrong paths get OpenAI-shaped JSON errors."""
    async with aiohttp.ClientSession() as session:
        cases = [
            ("/chat/completions", b"{not json", 400),
            ("/chat/completions", b'{"messages": [{"role": "user", "content": "x"}]}', 400),
            ("/chat/completions", b'{"model": "gpt-4o-mini", "messages": []}', 400),
            (
                "/chat/completions",
                b'{"model": "nope", "messages": [{"role":"user","content":"x"}]}',
                404,
            ),
            ("/completions", b'{"model": "gpt-4o-mini", "prompt": 5}', 400),
            ("/completions", b'{"model": "gpt-4o-mini", "prompt": "x", "max_tokens": 0}', 400),
            ("/completions", b'{"model": "gpt-4o-mini", "prompt": "x", "temperature": 9}', 400),
            ("/embeddings", b"{}", 400),  # no model (embeddings are served since issue 29)
            ("/audio/speech", b"{}", 404),
        ]
        for path, body, status in cases:
            async with session.post(sim.base_url + path, data=body) as response:
                assert response.status == status, (path, body)
                error = (await response.json())["error"]
                assert error["message"] and error["type"], (path, body)
        base = sim.base_url.removesuffix("/v1")
        async with session.post(base + "/chat/completions", data=b"{}") as response:
            assert "under /v1" in (await response.json())["error"]["message"]


async def test_stats_and_health(start_sim: StartSim) -> None:
    """/stats counts requests by endpoint and status, tokens, and the in-flight peak."""
    server = await start_sim(latency=0.2)
    async with ChatOpenAI(base_url=server.base_url) as chat:
        await asyncio.gather(*(chat.ainvoke("One two.") for _ in range(4)))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.base_url.removesuffix("/v1") + "/stats") as response:
            stats = await response.json()
        async with session.get(server.base_url.removesuffix("/v1") + "/health") as response:
            assert (await response.json()) == {"status": "ok"}
    assert stats["requests"] == {"chat.completions": {"200": 4}}
    assert stats["max_in_flight"] == 4 and stats["in_flight"] == 0
    assert stats["tokens_in"] == 8 and stats["tokens_out"] == 8
    assert stats["distinct_prompts"] == 1 and stats["max_requests_per_prompt"] == 4


def test_tokenizer_round_trips() -> None:
    """Tokens join back to the text (less trailing space); counts match."""
    text = "  Hello,  world!\nNew line. "
    assert "".join(tokenize(text)) == text.rstrip()
    assert count_tokens(text) == len(tokenize(text)) == 4


@pytest.mark.parametrize(
    "options",
    [
        {"latency": -1},
        {"rpm": 0},
        {"fail_rate": 1.5},
        {"fail_rate": 0.6, "drop_rate": 0.6},
        {"fail_status": 200},
        {"port": 70000},
    ],
)
def test_bad_options(options: dict[str, Any]) -> None:
    """Out-of-range options are refused with ConfigurationError."""
    with pytest.raises(ConfigurationError):
        SimServer(**options)


# --- helpers -------------------------------------------------------------------------------


async def post_chat(
    session: aiohttp.ClientSession, server: SimServer, text: str, *, key: str = "k"
) -> tuple[int, Any, Any]:
    async with session.post(
        f"{server.base_url}/chat/completions",
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]},
        headers={"Authorization": f"Bearer {key}"},
    ) as response:
        return response.status, response.headers, await response.json()


async def burst(server: SimServer, count: int) -> list[int]:
    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(*(post_chat(session, server, "x.") for _ in range(count)))
    return [status for status, _, _ in results]
