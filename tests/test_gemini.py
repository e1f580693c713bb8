"""ChatGoogleGenerativeAI against the simulation server's Gemini API, and against a scripted
aiohttp app that records what each request carried."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import BaseModel

from aiochain import (
    BadRequestError,
    BadResponseError,
    ConfigurationError,
    IncompleteStreamError,
)
from aiochain.chat_models import ChatGoogleGenerativeAI
from aiochain.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from aiochain.sim import SimServer
from aiochain.tools import tool

from .conftest import Reply, ScriptedServer

Start = Callable[..., Awaitable[SimServer]]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]


def answer_json(parts: list[dict[str, Any]], finish: str = "STOP", **usage: int) -> dict[str, Any]:
    """A GenerateContentResponse as Google sends it."""
    meta = {"promptTokenCount": 7, "candidatesTokenCount": 2, "totalTokenCount": 9, **usage}
    return {
        "candidates": [
            {"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}
        ],
        "usageMetadata": meta,
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r1",
    }


def root(server: ScriptedServer) -> str:
    return server.base_url.removesuffix("/v1")


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class City(BaseModel):
    """A city."""

    name: str
    population: int
    country: str | None = None


async def test_invoke_answers_with_usage_and_cost(sim: SimServer) -> None:
    """ainvoke returns the answer's text, its finish reason, its usage and a priced cost."""
    model = ChatGoogleGenerativeAI(
        model="gemini-2.0-flash", google_api_key="k", base_url=sim.root_url
    )
    message = await model.ainvoke("The sky is blue. Grass is green. Snow is white.")
    assert message.content == "The sky is blue."
    assert message.response_metadata["finish_reason"] == "STOP"
    assert message.response_metadata["model_name"] == "gemini-2.0-flash"
    usage = message.usage_metadata
    assert usage is not None and usage["input_tokens"] > 0 and usage["output_tokens"] == 4
    assert model.cost is not None and model.cost > 0


async def test_each_request_field_is_gemini_s(scripted: Scripted) -> None:
    """System instruction, history roles, every generationConfig option, the key header and
    the path are sent as Google's API names them; nothing OpenAI-shaped is sent."""
    server = await scripted([Reply(json=answer_json([{"text": "fine"}]))])
    model = ChatGoogleGenerativeAI(
        model="models/gemini-2.5-flash",
        google_api_key="secret-key-123",
        base_url=root(server),
        temperature=0.3,
        max_output_tokens=99,
        top_p=0.9,
        top_k=20,
        stop=["END"],
        thinking_budget=64,
    )
    message = await model.ainvoke(
        [
            SystemMessage("Be brief."),
            HumanMessage("Hi"),
            AIMessage("Hello!"),
            HumanMessage("How are you?"),
        ]
    )
    assert message.content == "fine"
    assert server.paths == ["/v1beta/models/gemini-2.5-flash:generateContent"]
    assert server.headers[0]["x-goog-api-key"] == "secret-key-123"
    body = server.requests[0]
    assert set(body) == {"systemInstruction", "contents", "generationConfig"}
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Hi"}]},
        {"role": "model", "parts": [{"text": "Hello!"}]},
        {"role": "user", "parts": [{"text": "How are you?"}]},
    ]
    assert body["generationConfig"] == {
        "temperature": 0.3,
        "maxOutputTokens": 99,
        "topP": 0.9,
        "topK": 20,
        "stopSequences": ["END"],
        "thinkingConfig": {"thinkingBudget": 64},
    }


async def test_call_options_merge_into_generation_config(scripted: Scripted) -> None:
    """Per-call stop= and temperature= go into generationConfig beside the model's own."""
    server = await scripted([Reply(json=answer_json([{"text": "ok"}]))])
    model = ChatGoogleGenerativeAI(google_api_key="k", base_url=root(server), top_k=3)
    await model.ainvoke("hi", stop="X", temperature=1.5)
    assert server.requests[0]["generationConfig"] == {
        "topK": 3,
        "stopSequences": ["X"],
        "temperature": 1.5,
    }


async def test_stream_yields_chunks_and_usage_with_thoughts(start_sim: Start) -> None:
    """astream yields AIMessageChunks of text, then a last chunk with usage (thinking counted
    as output) and the finish reason."""
    server = await start_sim()
    model = ChatGoogleGenerativeAI(model="gemini-2.5-flash", api_key="k", base_url=server.root_url)
    chunks = [c async for c in model.astream("One two three four. Five six. Seven eight.")]
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert len(chunks) > 3
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole = whole + chunk
    assert whole.content == "One two three four."
    last = chunks[-1]
    assert last.response_metadata["finish_reason"] == "STOP"
    assert last.usage_metadata is not None
    answer_tokens = len(chunks) - 1  # the simulator sends a token a chunk
    reasoning = last.usage_metadata["output_token_details"]["reasoning"]
    assert reasoning > 0
    assert last.usage_metadata["output_tokens"] == answer_tokens + reasoning


async def test_stream_goes_to_the_sse_endpoint_and_a_cut_stream_fails(
    scripted: Scripted,
) -> None:
    """Streams ask streamGenerateContent?alt=sse; a stream that ends without a finishReason
    is incomplete, not a short answer."""
    piece = answer_json([{"text": "half"}])
    del piece["candidates"][0]["finishReason"]
    server = await scripted([Reply(raw=sse(piece), headers={"Content-Type": "text/event-stream"})])
    model = ChatGoogleGenerativeAI(google_api_key="k", base_url=root(server), max_retries=0)
    with pytest.raises(IncompleteStreamError) as caught:
        async for _ in model.astream("hi"):
            pass
    assert caught.value.partial == "half"
    assert server.paths[0] == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"


async def test_tool_call_round_trip_against_the_simulator(sim: SimServer) -> None:
    """bind_tools offers functionDeclarations; the call comes back with args and an id; its
    ToolMessage goes back as a functionResponse and the model answers from it."""
    model = ChatGoogleGenerativeAI(api_key="k", base_url=sim.root_url).bind_tools([get_weather])
    history: list[Any] = [HumanMessage("get_weather city=Paris")]
    first = await model.ainvoke(history)
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    call = first.tool_calls[0]
    assert call["id"]
    result = await get_weather.ainvoke(call["args"])
    history += [first, ToolMessage(result, tool_call_id=call["id"])]
    second = await model.ainvoke(history)
    assert second.content == "Based on the tools: get_weather: sunny in Paris."


async def test_tool_request_fields(scripted: Scripted) -> None:
    """Tools go as functionDeclarations with Gemini's schema, tool_choice as toolConfig, and
    results as functionResponse parts named after their call, in one user turn."""
    call_part = {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}}
    server = await scripted(
        [
            Reply(json=answer_json([call_part, call_part])),
            Reply(json=answer_json([{"text": "done"}])),
        ]
    )
    model = ChatGoogleGenerativeAI(google_api_key="k", base_url=root(server)).bind_tools(
        [get_weather], tool_choice="get_weather"
    )
    first = await model.ainvoke("weather?")
    ids = [c["id"] for c in first.tool_calls]
    assert len(set(ids)) == 2
    results = [ToolMessage("cold", tool_call_id=i) for i in ids]
    await model.ainvoke([HumanMessage("weather?"), first, *results])
    body = server.requests[0]
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "The weather in a city.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {"city": {"type": "STRING"}},
                        "required": ["city"],
                    },
                }
            ]
        }
    ]
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
    }
    contents = server.requests[1]["contents"]
    assert contents[1] == {"role": "model", "parts": [call_part, call_part]}
    response = {"functionResponse": {"name": "get_weather", "response": {"result": "cold"}}}
    assert contents[2] == {"role": "user", "parts": [response, response]}


async def test_structured_output_sends_a_response_schema(
    sim: SimServer, scripted: Scripted
) -> None:
    """with_structured_output asks for JSON with a responseSchema in Gemini's subset (no
    $defs, no additionalProperties, nullable) and parses the answer into the class."""
    async with ChatGoogleGenerativeAI(api_key="k", base_url=sim.root_url) as model:
        city = await model.with_structured_output(City).ainvoke("name=Oslo population=700000")
    assert city == City(name="Oslo", population=700000, country=None)
    server = await scripted([Reply(json=answer_json([{"text": '{"name": "A", "population": 1}'}]))])
    async with ChatGoogleGenerativeAI(api_key="k", base_url=root(server)) as model:
        await model.with_structured_output(City).ainvoke("x")
    config = server.requests[0]["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config["responseSchema"]
    assert schema["type"] == "OBJECT" and schema["required"] == ["name", "population"]
    assert schema["properties"]["country"] == {
        "nullable": True,
        "type": "STRING",
        "default": None,
        "title": "Country",
    }


async def test_structured_output_by_function_calling(sim: SimServer) -> None:
    """method="function_calling" makes the model call the schema as its one tool."""
    model = ChatGoogleGenerativeAI(api_key="k", base_url=sim.root_url)
    structured = model.with_structured_output(City, method="function_calling")
    city = await structured.ainvoke("name=Rome population=3")
    assert city == City(name="Rome", population=3)


async def test_usage_reports_thoughts_and_cached_tokens(sim: SimServer) -> None:
    """Thinking tokens count as output and show as output_token_details.reasoning; a long
    repeated prefix is read from the implicit cache (input_token_details.cache_read)."""
    model = ChatGoogleGenerativeAI(api_key="k", base_url=sim.root_url, thinking_budget=5)
    system = SystemMessage("Context sentence here. " * 400)
    first = await model.ainvoke([system, HumanMessage("Question one.")])
    second = await model.ainvoke([system, HumanMessage("Question two.")])
    assert first.usage_metadata is not None and second.usage_metadata is not None
    assert first.usage_metadata["output_token_details"] == {"reasoning": 5}
    assert "input_token_details" not in first.usage_metadata
    cached = second.usage_metadata["input_token_details"]["cache_read"]
    assert 1024 <= cached < second.usage_metadata["input_tokens"]


async def test_thinking_that_uses_every_token_is_an_empty_answer(sim: SimServer) -> None:
    """An answer with MAX_TOKENS and no parts (all spent on thinking) is "" with that
    finish reason, not a malformed answer."""
    model = ChatGoogleGenerativeAI(api_key="k", base_url=sim.root_url, max_output_tokens=4)
    message = await model.ainvoke("Explain. " * 40)
    assert message.content == ""
    assert message.response_metadata["finish_reason"] == "MAX_TOKENS"


async def test_key_from_the_environment_and_none(
    scripted: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$GOOGLE_API_KEY, else $GEMINI_API_KEY, is the key; with neither a call fails at once."""
    server = await scripted([Reply(json=answer_json([{"text": "ok"}]))])
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-env-key")
    async with ChatGoogleGenerativeAI(base_url=root(server)) as model:
        await model.ainvoke("hi")
    monkeypatch.setenv("GOOGLE_API_KEY", "google-env-key")
    async with ChatGoogleGenerativeAI(base_url=root(server)) as model:
        await model.ainvoke("hi")
    assert [h["x-goog-api-key"] for h in server.headers] == ["gemini-env-key", "google-env-key"]
    monkeypatch.delenv("GOOGLE_API_KEY")
    monkeypatch.delenv("GEMINI_API_KEY")
    async with ChatGoogleGenerativeAI(base_url=root(server)) as model:
        with pytest.raises(ConfigurationError, match="GOOGLE_API_KEY"):
            await model.ainvoke("hi")
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"candidates": "x"},
        {"candidates": [{"content": {"parts": [{"text": 5}]}}]},
        {"candidates": [{"content": {"parts": [{"functionCall": {"args": {}}}]}}]},
        {"usageMetadata": {"promptTokenCount": "many"}, "candidates": []},
        {"something": "else"},
    ],
)
async def test_malformed_answers_are_bad_responses(scripted: Scripted, body: Any) -> None:
    """Answers that are not GenerateContentResponses fail as BadResponseError."""
    server = await scripted([Reply(json=body)])
    async with ChatGoogleGenerativeAI(api_key="k", base_url=root(server)) as model:
        with pytest.raises(BadResponseError):
            await model.ainvoke("hi")


async def test_gemini_3_thought_signatures_go_back_with_their_calls(sim: SimServer) -> None:
    """Gemini 3 signs its function calls; the signature is kept on the tool call and sent
    back, which the API requires (a history without it is a 400)."""
    model = ChatGoogleGenerativeAI(
        model="gemini-3-pro-preview", api_key="k", base_url=sim.root_url
    ).bind_tools([get_weather])
    first = await model.ainvoke("get_weather city=Rome")
    call = first.tool_calls[0]
    assert call["thought_signature"]
    result = ToolMessage("warm", tool_call_id=call["id"])
    second = await model.ainvoke([HumanMessage("get_weather city=Rome"), first, result])
    assert second.content == "Based on the tools: get_weather: warm."
    del call["thought_signature"]
    with pytest.raises(BadRequestError, match="thought_signature"):
        await model.ainvoke([HumanMessage("get_weather city=Rome"), first, result])
