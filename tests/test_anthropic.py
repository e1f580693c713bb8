"""ChatAnthropic against the simulation server's Messages API and scripted servers that check
every request's headers and body (issue 17)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import BaseModel

from aiochain import (
    AgentChain,
    AIMessageChunk,
    AuthenticationError,
    ChatAnthropic,
    ChatOpenAI,
    ConfigurationError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    StreamError,
    tool,
)
from aiochain.chat_models import ChatAnthropic as PublicChatAnthropic
from aiochain.language_models import BaseChatModel
from aiochain.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from aiochain.sim import SimServer, count_tokens

from .conftest import Reply, ScriptedServer

StartSim = Callable[..., Awaitable[SimServer]]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
TEXT = (
    "The internet began as ARPANET. Packet switching made it robust. TCP/IP unified networks. "
    "The web made it popular. Social media made it personal. Phones made it constant."
)
ANSWER = "The internet began as ARPANET. Packet switching made it robust."
MODEL = "claude-haiku-4-5"
KEY = "sk-ant-secret-key-0123456789"
SSE_HEADERS = {"Content-Type": "text/event-stream"}
PARIS = {"city": "Paris"}
FAST = RetryPolicy(max_retries=2, initial_wait=0.001, max_wait=0.001)


def claude(server: SimServer, **options: Any) -> ChatAnthropic:
    return ChatAnthropic(model=MODEL, base_url=server.root_url, api_key="k", **options)


def root(server: ScriptedServer) -> str:
    return server.base_url.removesuffix("/v1")


def message_json(text: str = "ok", **extra: Any) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 7, "output_tokens": 2},
        **extra,
    }


def error_json(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def events(*items: tuple[str, dict[str, Any]]) -> bytes:
    return b"".join(
        f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()
        for kind, data in items
    )


# --- the simulation server ------------------------------------------------------------------


async def test_create_against_the_simulator(sim: SimServer) -> None:
    """A plain call returns the answer, its usage (system counted), stop reason and model."""
    async with claude(sim) as llm:
        message = await llm.ainvoke([SystemMessage("Summarize."), HumanMessage(TEXT)])
    assert message.content == ANSWER
    assert message.response_metadata["stop_reason"] == "end_turn"
    assert message.response_metadata["model_name"] == MODEL
    assert message.usage is not None
    assert message.usage.prompt_tokens == count_tokens("Summarize.") + count_tokens(TEXT)
    assert message.usage.completion_tokens == count_tokens(ANSWER)
    assert llm.usage.requests == 1
    assert llm.cost is not None and llm.cost > 0


async def test_stream_joins_to_the_plain_answer(sim: SimServer) -> None:
    """Streamed AIMessageChunks join to exactly the plain answer; the last one carries the
    stream's usage (input from message_start, output from message_delta) and stop reason."""
    async with claude(sim) as llm:
        plain = await llm.ainvoke(TEXT)
        chunks = [piece async for piece in llm.astream(TEXT)]
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    last = chunks.pop()
    assert last.content == "" and last.response_metadata["stop_reason"] == "end_turn"
    assert last.usage_metadata == {
        "input_tokens": count_tokens(TEXT),
        "output_tokens": count_tokens(ANSWER),
        "total_tokens": count_tokens(TEXT) + count_tokens(ANSWER),
        # the API reports its prompt cache's counts; LangChain shows them, zero or not
        "input_token_details": {"cache_read": 0, "cache_creation": 0},
    }
    assert last.usage_metadata == plain.usage_metadata
    pieces = [c.content for c in chunks]
    assert len(pieces) > 3
    assert "".join(pieces) == plain.content == ANSWER
    assert llm.usage.requests == 2
    assert llm.usage.prompt_tokens == 2 * count_tokens(TEXT)
    assert llm.usage.completion_tokens == 2 * count_tokens(ANSWER)
    assert llm.usage.total_tokens == llm.usage.prompt_tokens + llm.usage.completion_tokens


async def test_on_token_streams_and_stop_sequences(sim: SimServer) -> None:
    """on_token gets every piece; stop= per call is sent as stop_sequences."""
    seen: list[str] = []
    async with claude(sim, on_token=seen.append) as llm:
        message = await llm.ainvoke(TEXT, stop=["ARPANET"])
    assert message.content == "The internet began as" == "".join(seen)


async def test_agent_tool_round_trip(sim: SimServer) -> None:
    """AgentChain runs unchanged on ChatAnthropic: tool_use becomes a call, the ToolMessage a
    tool_result, and the model's final text the output."""

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"{city}: sunny"

    async with claude(sim) as llm:
        agent = AgentChain(llm=llm, tools=[get_weather])
        result = await agent.ainvoke({"input": "Call get_weather for city=Paris please."})
    assert result["output"] == "Based on the tools: get_weather: Paris: sunny."
    calls = result["transcript"].tool_calls
    assert [(c.name, c.args, c.ok) for c in calls] == [("get_weather", {"city": "Paris"}, True)]


async def test_streamed_tool_calls_through_on_token(sim: SimServer) -> None:
    """A streamed tool_use assembles its input from input_json_delta pieces."""
    async with claude(sim, on_token=lambda _: None) as llm:
        bound = llm.bind_tools([_weather_schema()], tool_choice="get_weather")
        message = await bound.ainvoke("Call get_weather for city=Paris please.")
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]


async def test_structured_output(sim: SimServer) -> None:
    """with_structured_output forces the schema's tool and parses its input."""

    class Weather(BaseModel):
        """The weather in a city."""

        city: str

    async with claude(sim) as llm:
        answer = await llm.with_structured_output(Weather).ainvoke("city=Paris")
    assert isinstance(answer, Weather)


async def test_prompt_cache_usage(sim: SimServer) -> None:
    """cache_control in system blocks passes through; cache writes then reads are input tokens
    of the usage, and the raw counts are in response_metadata."""
    system = [{"type": "text", "text": TEXT, "cache_control": {"type": "ephemeral"}}]
    async with claude(sim) as llm:
        first = await llm.ainvoke([SystemMessage(system), HumanMessage("Hello there.")])  # type: ignore[arg-type]
        second = await llm.ainvoke([SystemMessage(system), HumanMessage("Hello there.")])  # type: ignore[arg-type]
    assert first.response_metadata["usage"]["cache_creation_input_tokens"] > 0
    assert second.response_metadata["usage"]["cache_read_input_tokens"] > 0
    assert first.usage is not None and second.usage is not None
    assert first.usage.prompt_tokens == second.usage.prompt_tokens > count_tokens(TEXT)


async def test_limits_learned_from_anthropic_headers(start_sim: StartSim) -> None:
    """The limiter adopts the anthropic-ratelimit-requests/tokens limits of an answer."""
    server = await start_sim(rpm=600, tpm=100_000)
    async with claude(server) as llm:
        await llm.ainvoke("Hello there.")
    assert llm.rate_limiter.rpm == 600
    assert llm.rate_limiter.tpm == 100_000


async def test_fallbacks_across_providers(start_sim: StartSim, scripted: Scripted) -> None:
    """ChatOpenAI failing every request falls back to ChatAnthropic, which answers."""
    broken = await scripted([Reply(500, {"error": {"message": "down"}})])
    server = await start_sim()
    openai_llm = ChatOpenAI(base_url=broken.base_url, api_key="k", max_retries=0)
    async with openai_llm, claude(server) as anthropic_llm:
        chain = openai_llm.with_fallbacks([anthropic_llm])
        answers = await chain.abatch([TEXT, TEXT, TEXT])
    assert [a.content for a in answers] == [ANSWER] * 3
    assert len(broken.requests) == 3


# --- what is sent -----------------------------------------------------------------------------


async def test_headers_and_body(scripted: Scripted) -> None:
    """x-api-key and anthropic-version headers; system lifted out of the messages; defaults
    (max_tokens 1024) and options in Anthropic's names; no Authorization header."""
    server = await scripted([Reply(json=message_json("hi"))])
    llm = ChatAnthropic(
        model=MODEL,
        base_url=root(server),
        api_key=KEY,
        temperature=0.5,
        top_k=5,
        stop=["END"],
        default_headers={"anthropic-beta": "prompt-caching-2024-07-31"},
    )
    async with llm:
        message = await llm.ainvoke([("system", "Be brief."), ("human", "Hello")])
    assert message.content == "hi"
    headers, body = server.headers[0], server.requests[0]
    assert server.paths == ["/v1/messages"]
    assert headers["x-api-key"] == KEY
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["anthropic-beta"] == "prompt-caching-2024-07-31"
    assert "Authorization" not in headers
    assert body == {
        "model": MODEL,
        "max_tokens": 1024,
        "temperature": 0.5,
        "top_k": 5,
        "stop_sequences": ["END"],
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hello"}],
    }


async def test_tool_messages_become_tool_result_blocks(scripted: Scripted) -> None:
    """An AIMessage's tool calls are tool_use blocks; ToolMessages one user turn of
    tool_result blocks; tools go out with input_schema and tool_choice in Anthropic's form."""
    server = await scripted([Reply(json=message_json("done"))])
    call = {"id": "toolu_1", "name": "get_weather", "args": {"city": "Paris"}}
    conversation = [
        HumanMessage("Weather?"),
        AIMessage("Let me look.", tool_calls=[call, {**call, "id": "toolu_2"}]),
        ToolMessage("sunny", tool_call_id="toolu_1"),
        ToolMessage("rainy", tool_call_id="toolu_2"),
    ]
    async with ChatAnthropic(model=MODEL, base_url=root(server), api_key=KEY) as llm:
        await llm.bind_tools([_weather_schema()], tool_choice="any").ainvoke(conversation)
    body = server.requests[0]
    assert body["tools"][0]["name"] == "get_weather"
    assert body["tools"][0]["input_schema"]["properties"] == {"city": {"type": "string"}}
    assert body["tool_choice"] == {"type": "any"}
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Let me look."},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
            {
                "type": "tool_use",
                "id": "toolu_2",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
        ],
    }
    assert body["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": "rainy"},
        ],
    }


async def test_content_blocks_pass_through(scripted: Scripted) -> None:
    """A message given with content blocks (cache_control, images) is sent as it is."""
    server = await scripted([Reply(json=message_json())])
    blocks = [{"type": "text", "text": "Long context", "cache_control": {"type": "ephemeral"}}]
    async with ChatAnthropic(model=MODEL, base_url=root(server), api_key=KEY) as llm:
        await llm.ainvoke([{"role": "user", "content": blocks}])
    assert server.requests[0]["messages"] == [{"role": "user", "content": blocks}]


# --- errors, retries, limits ------------------------------------------------------------------


async def test_429_and_529_are_retried(scripted: Scripted) -> None:
    """429 rate_limit_error (with retry-after) and 529 overloaded_error are retried; the
    third attempt answers."""
    server = await scripted(
        [
            Reply(429, error_json("rate_limit_error", "slow down"), headers={"retry-after": "0"}),
            Reply(529, error_json("overloaded_error", "Overloaded")),
            Reply(json=message_json("fine")),
        ]
    )
    async with ChatAnthropic(model=MODEL, base_url=root(server), api_key=KEY, retry=FAST) as llm:
        message = await llm.ainvoke("Hi")
    assert message.content == "fine"
    assert len(server.requests) == 3
    assert llm.rate_limiter.rate_limited == 1


async def test_error_bodies_give_their_message_and_class(scripted: Scripted) -> None:
    """Anthropic's error body yields its message; 529 is a ServerError, 429 a RateLimitError."""
    server = await scripted([Reply(529, error_json("overloaded_error", "Overloaded"))])
    async with ChatAnthropic(model=MODEL, base_url=root(server), api_key=KEY, max_retries=0) as llm:
        with pytest.raises(ServerError) as info:
            await llm.ainvoke("Hi")
    assert info.value.status_code == 529 and str(info.value) == "529: Overloaded"
    limited = await scripted([Reply(429, error_json("rate_limit_error", "Number of requests"))])
    async with ChatAnthropic(
        model=MODEL, base_url=root(limited), api_key=KEY, max_retries=0
    ) as llm:
        with pytest.raises(RateLimitError, match="Number of requests"):
            await llm.ainvoke("Hi")


async def test_limits_and_pause_learned_from_a_429(scripted: Scripted) -> None:
    """A 429's anthropic-ratelimit-* headers set the limiter's rpm and tpm."""
    headers = {
        "retry-after": "0",
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:00Z",
        "anthropic-ratelimit-tokens-limit": "40000",
        "anthropic-ratelimit-tokens-remaining": "39000",
        "anthropic-ratelimit-input-tokens-limit": "30000",
    }
    server = await scripted([Reply(429, error_json("rate_limit_error", "slow"), headers=headers)])
    async with ChatAnthropic(model=MODEL, base_url=root(server), api_key=KEY, max_retries=0) as llm:
        with pytest.raises(RateLimitError):
            await llm.ainvoke("Hi")
    assert (llm.rate_limiter.rpm, llm.rate_limiter.tpm) == (50, 40000)


async def test_the_key_is_never_in_errors(scripted: Scripted) -> None:
    """A server echoing the key gets it redacted from the error; repr never shows it."""
    server = await scripted([Reply(401, error_json("authentication_error", f"bad key {KEY}"))])
    llm = ChatAnthropic(model=MODEL, base_url=root(server), api_key=KEY)
    async with llm:
        with pytest.raises(AuthenticationError) as info:
            await llm.ainvoke("Hi")
    assert KEY not in str(info.value) and KEY not in str(info.value.body)
    assert KEY not in repr(llm)


async def test_stream_events_and_mid_stream_error(scripted: Scripted) -> None:
    """ping and unknown events are skipped; the stream ends at message_stop without [DONE];
    an error event after content raises StreamError."""
    start = {"message": {**message_json(), "content": [], "usage": {"input_tokens": 5}}}
    good = events(
        ("message_start", start),
        ("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        ("ping", {}),
        ("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
        ("some_future_event", {}),
        ("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "lo"}}),
        ("content_block_stop", {"index": 0}),
        ("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}}),
        ("message_stop", {}),
    )
    bad = events(
        ("message_start", start),
        ("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
        ("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}}),
    )
    server = await scripted(
        [Reply(raw=good, headers=SSE_HEADERS), Reply(raw=bad, headers=SSE_HEADERS)]
    )
    async with ChatAnthropic(model=MODEL, base_url=root(server), api_key=KEY) as llm:
        assert [p.content async for p in llm.astream("Hi") if p.content] == ["Hel", "lo"]
        assert (llm.usage.prompt_tokens, llm.usage.completion_tokens) == (5, 2)
        assert llm.usage.total_tokens == 7
        with pytest.raises(StreamError, match="Overloaded"):
            _ = [p async for p in llm.astream("Hi")]
    assert server.requests[0]["stream"] is True


def test_options_and_exports() -> None:
    """Public where LangChain users look; bad options fail at construction; no key for
    Anthropic's own URL fails at the call, naming the variable."""
    assert PublicChatAnthropic is ChatAnthropic
    assert isinstance(ChatAnthropic(api_key="x"), BaseChatModel)
    with pytest.raises(ConfigurationError):
        ChatAnthropic(api_key="x", temperature=1.5)
    with pytest.raises(ConfigurationError):
        ChatAnthropic(api_key="x", max_tokens=0)


async def test_no_key_for_anthropic_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a key and with Anthropic's URL, the call fails at once, naming the variable."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        await ChatAnthropic().ainvoke("Hi")


def _weather_schema() -> dict[str, Any]:
    return {
        "title": "get_weather",
        "description": "The weather in a city.",
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    }
