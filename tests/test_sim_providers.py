"""The simulation server speaking Anthropic's Messages API and Azure OpenAI, checked by the
official `anthropic` package, `openai.AsyncAzureOpenAI` and raw aiohttp (issue 17)."""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import anthropic
import openai
import pytest

from aiochain.sim import SimServer, count_tokens

StartSim = Callable[..., Awaitable[SimServer]]
TEXT = (
    "The internet began as ARPANET. Packet switching made it robust. TCP/IP unified networks. "
    "The web made it popular. Social media made it personal. Phones made it constant."
)
ANSWER = "The internet began as ARPANET. Packet switching made it robust."
MODEL = "claude-haiku-4-5"
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
API_VERSION = "2024-10-21"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def claude(sim: SimServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """The official anthropic client, pointed at the simulation server, without retries."""
    async with anthropic.AsyncAnthropic(base_url=sim.root_url, api_key="k", max_retries=0) as c:
        yield c


def user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


# --- Anthropic: answers -------------------------------------------------------------------


async def test_anthropic_create(claude: anthropic.AsyncAnthropic) -> None:
    """A Message parses in the official client, with the documented answer, `system` counted
    in input_tokens, and no cache tokens without cache_control."""
    message = await claude.messages.create(
        model=MODEL, max_tokens=100, system="Summarize.", messages=user(TEXT)
    )
    assert message.content[0].type == "text" and message.content[0].text == ANSWER
    assert message.stop_reason == "end_turn" and message.model == MODEL
    assert message.usage.input_tokens == count_tokens("Summarize.") + count_tokens(TEXT)
    assert message.usage.output_tokens == count_tokens(ANSWER)
    assert message.usage.cache_creation_input_tokens == 0
    assert message.usage.cache_read_input_tokens == 0


async def test_anthropic_stream_joins_to_the_plain_answer(
    claude: anthropic.AsyncAnthropic,
) -> None:
    """Streamed text_deltas join to exactly the plain answer; the final usage agrees."""
    async with claude.messages.stream(model=MODEL, max_tokens=100, messages=user(TEXT)) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert text == ANSWER
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == count_tokens(ANSWER)


async def test_anthropic_stream_event_order(sim: SimServer) -> None:
    """The raw stream has Anthropic's named events in Anthropic's order."""
    body = {"model": MODEL, "max_tokens": 100, "stream": True, "messages": user("One two.")}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sim.root_url}/v1/messages", json=body, headers=HEADERS) as response,
    ):
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["request-id"]
        raw = (await response.read()).decode()
    events = [block.split("\n") for block in raw.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    datas = [json.loads(lines[1].removeprefix("data: ")) for lines in events]
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert [d["type"] for d in datas] == names
    assert datas[0]["message"]["content"] == [] and datas[0]["message"]["stop_reason"] is None
    assert [d["delta"] for d in datas[3:5]] == [
        {"type": "text_delta", "text": "One"},
        {"type": "text_delta", "text": " two."},
    ]
    assert datas[6]["delta"]["stop_reason"] == "end_turn"
    assert datas[6]["usage"] == {"output_tokens": 2}


async def test_anthropic_stop_reasons(claude: anthropic.AsyncAnthropic) -> None:
    """stop_sequences end with stop_reason stop_sequence and name it; max_tokens cuts."""
    stopped = await claude.messages.create(
        model=MODEL, max_tokens=100, stop_sequences=["ARPANET"], messages=user(TEXT)
    )
    assert stopped.content[0].text == "The internet began as"  # type: ignore[union-attr]
    assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "ARPANET")
    cut = await claude.messages.create(model=MODEL, max_tokens=3, messages=user(TEXT))
    assert cut.content[0].text == "The internet began"  # type: ignore[union-attr]
    assert cut.stop_reason == "max_tokens" and cut.usage.output_tokens == 3


async def test_anthropic_tool_use_round_trip(claude: anthropic.AsyncAnthropic) -> None:
    """A named tool is called (tool_use, arguments from the text); its tool_result comes back
    as a text answer; a streamed call assembles the same input from input_json_delta."""
    question = user("Call get_weather for city=Paris please.")
    called = await claude.messages.create(
        model=MODEL, max_tokens=100, tools=[WEATHER], messages=question
    )
    assert called.stop_reason == "tool_use"
    block = called.content[0]
    assert block.type == "tool_use" and block.name == "get_weather"
    assert block.input == {"city": "Paris"}
    answered = await claude.messages.create(
        model=MODEL,
        max_tokens=100,
        tools=[WEATHER],
        messages=[
            *question,
            {"role": "assistant", "content": [block.model_dump()]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "Sunny"}],
            },
        ],
    )
    assert answered.stop_reason == "end_turn"
    assert answered.content[0].text == "Based on the tools: get_weather: Sunny."  # type: ignore[union-attr]
    async with claude.messages.stream(
        model=MODEL, max_tokens=100, tools=[WEATHER], messages=question
    ) as stream:
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert final.content[0].type == "tool_use" and final.content[0].input == {"city": "Paris"}


async def test_anthropic_prompt_cache(claude: anthropic.AsyncAnthropic) -> None:
    """A cache_control breakpoint writes its prefix once, then reads it; input_tokens is
    the rest of the prompt."""
    system = [{"type": "text", "text": TEXT, "cache_control": {"type": "ephemeral"}}]
    first = await claude.messages.create(
        model=MODEL,
        max_tokens=50,
        system=system,
        messages=user("One two."),  # type: ignore[arg-type]
    )
    second = await claude.messages.create(
        model=MODEL,
        max_tokens=50,
        system=system,
        messages=user("Three four."),  # type: ignore[arg-type]
    )
    cached = count_tokens(TEXT)
    assert first.usage.cache_creation_input_tokens == cached
    assert first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == cached
    assert second.usage.cache_creation_input_tokens == 0
    assert second.usage.input_tokens == count_tokens("Three four.")


# --- Anthropic: refusals ------------------------------------------------------------------


HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


async def post_messages(
    server: SimServer, body: Any, headers: dict[str, str]
) -> tuple[int, Any, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.root_url}/v1/messages", json=body, headers=headers) as response,
    ):
        return response.status, response.headers, await response.json()


async def test_anthropic_headers_and_bodies_are_checked(start_sim: StartSim) -> None:
    """x-api-key and anthropic-version are required, max_tokens and a served model too; each
    refusal is Anthropic's error shape with the right type."""
    server = await start_sim(api_key="sk-ant-right")
    good = {"model": MODEL, "max_tokens": 10, "messages": user("x.")}
    right = {**HEADERS, "x-api-key": "sk-ant-right"}
    cases = [
        (good, {"anthropic-version": "2023-06-01"}, 401, "authentication_error"),
        (good, {**HEADERS, "x-api-key": "sk-ant-wrong"}, 401, "authentication_error"),
        (good, {"x-api-key": "sk-ant-right"}, 400, "invalid_request_error"),
        ({**good, "max_tokens": None}, right, 400, "invalid_request_error"),
        ({**good, "model": "claude-nope"}, right, 404, "not_found_error"),
        ({**good, "messages": []}, right, 400, "invalid_request_error"),
        ({**good, "messages": [{"role": "user"}]}, right, 400, "invalid_request_error"),
        (
            {**good, "tools": [{"name": "t", "input_schema": "x"}]},
            right,
            400,
            "invalid_request_error",
        ),
        (
            {
                **good,
                "messages": [
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": ["x"]}]}
                ],
            },
            right,
            400,
            "invalid_request_error",
        ),
    ]
    for body, headers, status, kind in cases:
        got_status, got_headers, error = await post_messages(server, body, headers)
        assert (got_status, error["type"], error["error"]["type"]) == (status, "error", kind)
        assert error["error"]["message"] and got_headers["request-id"]
    assert (await post_messages(server, good, right))[0] == 200


async def test_anthropic_429_with_rate_headers(start_sim: StartSim) -> None:
    """Over the limit: RateLimitError, rate_limit_error body, retry-after, and the four
    anthropic-ratelimit header families with RFC 3339 reset times."""
    server = await start_sim(rpm=1, tpm=10_000, clock=FakeClock())
    async with anthropic.AsyncAnthropic(
        base_url=server.root_url, api_key="k", max_retries=0
    ) as claude:
        ok = await claude.messages.with_raw_response.create(
            model=MODEL, max_tokens=10, messages=user("x.")
        )
        assert ok.headers["anthropic-ratelimit-requests-remaining"] == "0"
        with pytest.raises(anthropic.RateLimitError) as info:
            await claude.messages.create(model=MODEL, max_tokens=10, messages=user("y."))
    headers = info.value.response.headers
    assert int(headers["retry-after"]) >= 1
    for family in ("requests", "tokens", "input-tokens", "output-tokens"):
        assert f"anthropic-ratelimit-{family}-limit" in headers
        assert f"anthropic-ratelimit-{family}-remaining" in headers
        reset = headers[f"anthropic-ratelimit-{family}-reset"]
        assert reset.endswith("Z")
        assert datetime.datetime.fromisoformat(reset).tzinfo is not None
    assert headers["anthropic-ratelimit-requests-limit"] == "1"
    assert info.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


async def test_anthropic_529_overloaded(start_sim: StartSim) -> None:
    """--overload-rate answers 529 overloaded_error on the Messages API (503 on OpenAI's)."""
    server = await start_sim(overload_rate=1.0)
    async with anthropic.AsyncAnthropic(
        base_url=server.root_url, api_key="k", max_retries=0
    ) as claude:
        with pytest.raises(anthropic.APIStatusError) as info:
            await claude.messages.create(model=MODEL, max_tokens=10, messages=user("x."))
    assert info.value.status_code == 529
    assert info.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        with pytest.raises(openai.InternalServerError) as oai:
            await c.chat.completions.create(model="gpt-4o-mini", messages=user("x."))
    assert oai.value.status_code == 503
    assert server.stats()["faults"] == {"overload": 2}


async def test_anthropic_stream_cut_sends_an_error_event(start_sim: StartSim) -> None:
    """A cut Anthropic stream says `event: error` (overloaded_error) and never message_stop."""
    server = await start_sim(stream_cut_rate=1.0)
    body = {"model": MODEL, "max_tokens": 100, "stream": True, "messages": user(TEXT)}
    raw = b""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.root_url}/v1/messages", json=body, headers=HEADERS) as response,
    ):
        with pytest.raises(aiohttp.ClientPayloadError):
            async for line in response.content:
                raw += line
    assert b"event: error" in raw and b"overloaded_error" in raw
    assert b"message_stop" not in raw


# --- Azure OpenAI ---------------------------------------------------------------------------


async def test_azure_chat_and_completions(sim: SimServer) -> None:
    """AsyncAzureOpenAI gets OpenAI's answers; the deployment name is the model."""
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=sim.root_url, api_key="az-key", api_version=API_VERSION, max_retries=0
    ) as azure:
        chat = await azure.chat.completions.create(model="gpt-4o-mini", messages=user(TEXT))
        assert chat.model == "gpt-4o-mini" and chat.choices[0].message.content == ANSWER
        stream = await azure.chat.completions.create(
            model="gpt-4o-mini", messages=user(TEXT), stream=True
        )
        pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        assert "".join(pieces) == ANSWER
        legacy = await azure.completions.create(model="gpt-3.5-turbo-instruct", prompt=TEXT)
        assert legacy.choices[0].text == ANSWER
    requests = sim.stats()["requests"]
    assert requests["azure.chat.completions"] == {"200": 2}
    assert requests["azure.completions"] == {"200": 1}


async def test_azure_refusals(start_sim: StartSim) -> None:
    """Azure's ways: no api-version is 404 "Resource not found", a missing or wrong api-key
    is 401, an unknown deployment is DeploymentNotFound, and 429s carry retry-after."""
    server = await start_sim(api_key="az-right", rpm=1, clock=FakeClock())
    url = f"{server.root_url}/openai/deployments/gpt-4o-mini/chat/completions"
    body = {"messages": user("x.")}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body, headers={"api-key": "az-right"}) as response:
            assert response.status == 404
            assert await response.json() == {
                "error": {
                    "code": "404",
                    "message": "Resource not found",
                    "param": None,
                    "type": "invalid_request_error",
                }
            }
        query = {"api-version": API_VERSION}
        async with session.post(url, json=body, params=query) as response:
            assert response.status == 401
            assert (await response.json())["error"]["code"] == "401"
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=server.root_url, api_key="az-right", api_version=API_VERSION, max_retries=0
    ) as azure:
        with pytest.raises(openai.NotFoundError) as missing:
            await azure.chat.completions.create(model="no-such-deployment", messages=user("x."))
        assert missing.value.code == "DeploymentNotFound"
        await azure.chat.completions.create(model="gpt-4o-mini", messages=user("x."))
        with pytest.raises(openai.RateLimitError) as limited:
            await azure.chat.completions.create(model="gpt-4o-mini", messages=user("y."))
    assert limited.value.code == "429"
    assert int(limited.value.response.headers["retry-after"]) >= 1
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=server.root_url, api_key="az-wrong", api_version=API_VERSION, max_retries=0
    ) as azure:
        with pytest.raises(openai.AuthenticationError):
            await azure.chat.completions.create(model="gpt-4o-mini", messages=user("x."))
