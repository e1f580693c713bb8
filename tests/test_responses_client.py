"""aiochain's `ChatOpenAI(use_responses_api=True)`: against the simulator, and against a small
scripted aiohttp app that records every request field and plays exact answers (issue 30)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import BaseModel

from aiochain import BadResponseError, ConfigurationError
from aiochain._exceptions import IncompleteStreamError, NotFoundError, StreamError
from aiochain._providers.openai_responses import wants_responses_api
from aiochain.chat_models import ChatOpenAI, ChatOpenAIResponses
from aiochain.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from aiochain.sim import SimServer
from tests.conftest import Reply, ScriptedServer

Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
TEXT = (
    "The internet began as ARPANET. Packet switching made it robust. TCP/IP unified networks. "
    "The web made it popular. Social media made it personal. Phones made it constant."
)
ANSWER = "The internet began as ARPANET. Packet switching made it robust."
SSE = {"Content-Type": "text/event-stream"}


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def model(url: str, **options: Any) -> ChatOpenAI:
    options.setdefault("model", "gpt-4o")
    return ChatOpenAI(base_url=url, api_key="k", max_retries=0, use_responses_api=True, **options)


def response_json(**overrides: Any) -> dict[str, Any]:
    """A minimal well-formed response object."""
    body: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "model": "gpt-4o",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "hi", "annotations": []}],
            }
        ],
        "usage": {
            "input_tokens": 5,
            "output_tokens": 3,
            "total_tokens": 8,
            "input_tokens_details": {"cached_tokens": 2},
            "output_tokens_details": {"reasoning_tokens": 1},
        },
    }
    body.update(overrides)
    return body


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(
        f"event: {e['type']}\ndata: {json.dumps({'sequence_number': i, **e})}\n\n".encode()
        for i, e in enumerate(events)
    )


# --- against the simulator ------------------------------------------------------------------


async def test_invoke_against_the_simulator(sim: SimServer) -> None:
    """A plain call: the answer's text, usage and response metadata (id, status, finish)."""
    message = await model(sim.base_url).ainvoke([SystemMessage("Be brief."), HumanMessage(TEXT)])
    assert isinstance(message, AIMessage) and message.text == ANSWER
    # content is the response's output as blocks, as langchain-openai gives it by default
    [block] = message.content
    assert block["type"] == "text" and block["text"] == ANSWER and block["annotations"] == []
    assert block["id"].startswith("msg_")
    assert message.id == message.response_metadata["id"]
    assert message.response_metadata["model_provider"] == "openai"
    assert message.usage is not None
    assert message.usage.completion_tokens == len(ANSWER.split())
    assert message.usage.prompt_tokens == len(TEXT.split()) + 2
    assert message.response_metadata["id"].startswith("resp_")
    assert message.response_metadata["finish_reason"] == "stop"


async def test_stream_against_the_simulator(sim: SimServer) -> None:
    """astream: AIMessageChunks joining to the plain answer, usage on the last chunk."""
    chunks = [chunk async for chunk in model(sim.base_url).astream(TEXT)]
    assert "".join(chunk.text for chunk in chunks) == ANSWER
    assert chunks[-1].usage_metadata == {
        "input_tokens": len(TEXT.split()),
        "output_tokens": len(ANSWER.split()),
        "total_tokens": len(TEXT.split()) + len(ANSWER.split()),
        "input_token_details": {"cache_read": 0},
        "output_token_details": {"reasoning": 0},
    }
    joined = chunks[0]
    for chunk in chunks[1:]:
        joined = joined + chunk
    [block] = joined.content  # the pieces merge into the plain answer's one text block
    assert block["text"] == ANSWER and block["id"].startswith("msg_") and block["index"] == 0
    assert chunks[-1].response_metadata["finish_reason"] == "stop"


async def test_tools_round_trip_against_the_simulator(sim: SimServer) -> None:
    """bind_tools: calls come back as tool_calls; tool results go as function_call_output."""
    bound = model(sim.base_url).bind_tools([get_weather])
    asked = HumanMessage("Please call get_weather city=Paris.")
    called = await bound.ainvoke([asked])
    [call] = called.tool_calls
    assert call["name"] == "get_weather" and call["args"] == {"city": "Paris"}
    assert called.response_metadata["finish_reason"] == "tool_calls"
    result = ToolMessage("sunny", tool_call_id=call["id"])
    answer = await bound.ainvoke([asked, called, result])
    assert answer.text == "Based on the tools: get_weather: sunny."
    streamed = [chunk async for chunk in bound.astream([asked])]
    joined = streamed[0]
    for chunk in streamed[1:]:
        joined = joined + chunk
    assert joined.tool_calls[0]["args"] == {"city": "Paris"}


async def test_structured_output_against_the_simulator(sim: SimServer) -> None:
    """with_structured_output goes through text.format json_schema (strict) and parses."""

    class Weather(BaseModel):
        city: str
        days: int

    weather = await model(sim.base_url).with_structured_output(Weather).ainvoke(TEXT)
    assert weather == Weather(city=ANSWER, days=1)


async def test_reasoning_and_incomplete_against_the_simulator(sim: SimServer) -> None:
    """reasoning= counts reasoning tokens; max_tokens cuts the answer to finish_reason length."""
    async with model(sim.base_url, model="o4-mini", reasoning={"effort": "high"}) as reasoner:
        message = await reasoner.ainvoke(TEXT)
    words = len(ANSWER.split())
    assert message.response_metadata["token_details"]["reasoning_tokens"] == 4 * words
    assert message.usage is not None and message.usage.completion_tokens == 5 * words
    long_text = " ".join(f"word{i}" for i in range(40)) + "."
    async with model(sim.base_url, max_tokens=16) as short:
        cut = await short.ainvoke(long_text)
        chunks = [chunk async for chunk in short.astream(long_text)]
    assert cut.response_metadata["finish_reason"] == "length"
    assert cut.response_metadata["status"] == "incomplete"
    assert chunks[-1].response_metadata["finish_reason"] == "length"


async def test_store_and_previous_response_id_against_the_simulator(sim: SimServer) -> None:
    """store=False by default (nothing to continue from); store=True + previous_response_id."""
    async with model(sim.base_url) as chat:
        first = await chat.ainvoke(TEXT)
    gone = first.response_metadata["id"]
    async with model(sim.base_url, previous_response_id=gone) as chat:
        with pytest.raises(NotFoundError, match="not found"):
            await chat.ainvoke("More.")
    async with model(sim.base_url, store=True) as chat:
        kept = await chat.ainvoke(TEXT)
    kept_id = kept.response_metadata["id"]
    async with model(sim.base_url, store=True, previous_response_id=kept_id) as chat:
        follow = await chat.ainvoke("More.")
    assert follow.response_metadata["token_details"]["cached_tokens"] > 0


async def test_stream_failure_is_a_stream_error(start_sim: Callable[..., Any]) -> None:
    """A stream that says error / response.failed is raised, never a short answer."""
    server = await start_sim(stream_cut_rate=1.0)
    async with model(server.base_url) as chat:
        with pytest.raises(StreamError):
            async for _ in chat.astream(TEXT):
                pass


# --- against a scripted app that records every field ---------------------------------------


async def test_every_request_field(scripted: Scripted) -> None:
    """The request: input items, instructions, max_output_tokens, flat tools, tool_choice,
    reasoning, store false, previous_response_id, temperature, top_p, text.format."""
    server = await scripted([Reply(json=response_json())])
    chat = ChatOpenAI(
        base_url=server.base_url,
        api_key="k",
        model="o4-mini",
        reasoning={"effort": "low"},
        previous_response_id="resp_0",
        max_tokens=50,
        temperature=0.5,
        top_p=0.9,
    )
    assert isinstance(chat, ChatOpenAIResponses)
    bound = chat.bind_tools([get_weather], tool_choice="get_weather")
    call = {"id": "call_1", "name": "get_weather", "args": {"city": "Oslo"}}
    message = await bound.ainvoke(
        [
            SystemMessage("Be brief."),
            HumanMessage("Weather?"),
            AIMessage("", tool_calls=[call]),
            ToolMessage("rain", tool_call_id="call_1"),
        ]
    )
    assert message.text == "hi"
    assert server.paths == ["/v1/responses"]
    body = server.requests[0]
    assert body["model"] == "o4-mini"
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        {"role": "user", "content": "Weather?"},
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city": "Oslo"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "rain"},
    ]
    assert body["max_output_tokens"] == 50 and "max_tokens" not in body
    [tool] = body["tools"]
    assert tool["type"] == "function" and tool["name"] == "get_weather"
    assert tool["parameters"]["properties"] == {"city": {"type": "string"}}
    assert "function" not in tool
    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert body["reasoning"] == {"effort": "low"}
    assert body["store"] is False
    assert body["previous_response_id"] == "resp_0"
    assert body["temperature"] == 0.5 and body["top_p"] == 0.9
    assert "messages" not in body and "stream" not in body
    assert set(body) == {
        "model",
        "instructions",
        "input",
        "max_output_tokens",
        "tools",
        "tool_choice",
        "reasoning",
        "store",
        "previous_response_id",
        "temperature",
        "top_p",
    }


async def test_structured_output_request_field(scripted: Scripted) -> None:
    """with_structured_output sends text.format json_schema with name, schema and strict."""
    server = await scripted([Reply(json=response_json(output=[]))])
    answer = {"type": "output_text", "text": '{"city": "Oslo"}', "annotations": []}
    server.replies = [
        Reply(
            json=response_json(
                output=[{"type": "message", "role": "assistant", "content": [answer]}]
            )
        )
    ]

    class Place(BaseModel):
        city: str

    structured = model(server.base_url).with_structured_output(Place, strict=True)
    place = await structured.ainvoke("Where?")
    assert place == Place(city="Oslo")
    fmt = server.requests[0]["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["name"] == "Place" and fmt["strict"] is True
    assert fmt["schema"]["additionalProperties"] is False
    assert "response_format" not in server.requests[0]


async def test_streamed_request_and_events(scripted: Scripted) -> None:
    """A stream asks `stream: true` (no stream_options) and reads the events in order."""
    completed = response_json()
    raw = sse(
        {"type": "response.created", "response": {**completed, "status": "in_progress"}},
        {"type": "response.output_text.delta", "delta": "h", "item_id": "m", "output_index": 0},
        {"type": "response.output_text.delta", "delta": "i", "item_id": "m", "output_index": 0},
        {"type": "response.completed", "response": completed},
    )
    server = await scripted([Reply(raw=raw, headers=SSE)])
    chunks = [chunk async for chunk in model(server.base_url).astream("Hi")]
    assert [c.content for c in chunks] == [
        [{"type": "text", "text": "h", "index": 0}],
        [{"type": "text", "text": "i", "index": 0}],
        [],  # the last chunk (usage, metadata): no blocks, a list as every chunk's content
    ]
    # the token details reach a streamed answer's usage as a plain answer's
    assert chunks[-1].usage_metadata == {
        "input_tokens": 5,
        "output_tokens": 3,
        "total_tokens": 8,
        "input_token_details": {"cache_read": 2},
        "output_token_details": {"reasoning": 1},
    }
    assert server.requests[0]["stream"] is True and "stream_options" not in server.requests[0]


@pytest.mark.parametrize(
    ("events", "error"),
    [
        ([{"type": "error", "code": "server_error", "message": "boom"}], StreamError),
        (
            [
                {
                    "type": "response.failed",
                    "response": response_json(
                        status="failed", error={"code": "server_error", "message": "boom"}
                    ),
                }
            ],
            StreamError,
        ),
        ([{"type": "response.output_text.delta", "delta": 5, "output_index": 0}], BadResponseError),
        (
            [{"type": "response.output_text.delta", "delta": "h", "output_index": 0}],
            IncompleteStreamError,
        ),
        (
            [{"type": "response.output_text.delta", "delta": "h", "sequence_number": 0}],
            BadResponseError,
        ),
    ],
)
async def test_bad_streams(scripted: Scripted, events: list[dict[str, Any]], error: type) -> None:
    """error / response.failed events, malformed deltas, events out of sequence_number order
    and streams without an end raise."""
    first = {"type": "response.output_text.delta", "delta": "a", "output_index": 0}
    server = await scripted([Reply(raw=sse(first, *events), headers=SSE)])
    with pytest.raises(error):
        async for _ in model(server.base_url).astream("Hi"):
            pass


@pytest.mark.parametrize(
    "answer",
    [
        {"object": "chat.completion", "choices": []},
        response_json(status="failed", error={"message": "boom"}),
        response_json(status="queued"),
        response_json(output="text"),
        response_json(output=[{"type": "function_call", "name": "f", "arguments": "{}"}]),
        response_json(output=[{"type": "message", "content": [{"type": "output_text"}]}]),
        response_json(usage={"input_tokens": "-5", "output_tokens": 1}),
    ],
)
async def test_malformed_answers(scripted: Scripted, answer: dict[str, Any]) -> None:
    """Answers that are not well-formed responses are BadResponseError."""
    server = await scripted([Reply(json=answer)])
    with pytest.raises(BadResponseError):
        await model(server.base_url).ainvoke("Hi")


# --- the switch -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, False),
        ({"model": "gpt-4o"}, False),
        ({"use_responses_api": True}, True),
        ({"use_responses_api": False, "reasoning": {"effort": "low"}}, False),
        ({"output_version": "responses/v1"}, True),
        ({"output_version": "v0"}, False),
        ({"reasoning": {"effort": "low"}}, True),
        ({"include": ["reasoning.encrypted_content"]}, True),
        ({"truncation": "auto"}, True),
        ({"previous_response_id": "resp_1"}, True),
        ({"use_previous_response_id": True}, True),
        ({"model": "gpt-5-pro"}, True),
        ({"model": "gpt-5.1-codex-mini"}, True),
        ({"model_kwargs": {"text": {"verbosity": "low"}}}, True),
        ({"model_kwargs": {"seed": 1}}, False),
    ],
)
def test_switch_rules(options: dict[str, Any], expected: bool) -> None:
    """LangChain's rules for speaking the Responses API when use_responses_api is not given."""
    assert wants_responses_api(options) is expected
    built = ChatOpenAI(base_url="http://127.0.0.1:9/v1", api_key="k", **options)
    assert isinstance(built, ChatOpenAIResponses) is expected
    assert isinstance(built, ChatOpenAI)


def test_chat_completions_keeps_reasoning_effort() -> None:
    """use_responses_api=False with reasoning sends reasoning_effort on chat completions."""
    chat = ChatOpenAI(
        base_url="http://127.0.0.1:9/v1", use_responses_api=False, reasoning={"effort": "low"}
    )
    assert chat._base_payload["reasoning_effort"] == "low"
    assert chat._path == "/chat/completions"


async def test_stop_is_refused(sim: SimServer) -> None:
    """`stop` has no place in the Responses API: a clear ConfigurationError, nothing sent."""
    with pytest.raises(ConfigurationError, match="stop"):
        await model(sim.base_url, stop=["x"]).ainvoke(TEXT)


async def test_batch_api_sends_responses_lines(start_sim: Callable[..., Any]) -> None:
    """abatch_api on the Responses API: /v1/responses lines, answers with their usage."""
    server = await start_sim(batch_speed=1000.0)
    async with model(server.base_url) as chat:
        answers = await chat.abatch_api([TEXT, "Hello there. Second."], poll_interval=0.01)
    first, second = answers
    assert isinstance(first, AIMessage) and first.text == ANSWER
    assert isinstance(second, AIMessage) and second.text == "Hello there."
    assert first.usage is not None and first.usage.completion_tokens == len(ANSWER.split())
    [batch] = server._openai_batches.batches.values()
    assert batch.info["endpoint"] == "/v1/responses"


@pytest.mark.parametrize("stream", [False, True])
async def test_every_malformed_kind_is_refused(start_sim: Callable[..., Any], stream: bool) -> None:
    """The simulator's malformed Responses answers (every kind) are BadResponseError."""
    server = await start_sim(malformed_rate=1.0, seed=3)
    async with model(server.base_url) as chat:
        for _ in range(60):
            with pytest.raises(BadResponseError):
                if stream:
                    async for _chunk in chat.astream(TEXT):
                        pass
                else:
                    await chat.ainvoke(TEXT)
    assert server.stats()["faults"]["malformed"] == 60


async def test_use_previous_response_id(scripted: Scripted, sim: SimServer) -> None:
    """use_previous_response_id sends only the messages after the last answered response, with
    its id; it stores responses by default, so the simulator can continue from them."""
    server = await scripted([Reply(json=response_json())])
    earlier = AIMessage("Old answer.", response_metadata={"id": "resp_9"})
    conversation = [HumanMessage("Old question."), earlier, HumanMessage("New question.")]
    async with model(server.base_url, use_previous_response_id=True) as chat:
        await chat.ainvoke(conversation)
    body = server.requests[0]
    assert body["previous_response_id"] == "resp_9" and body["store"] is True
    assert body["input"] == [{"role": "user", "content": "New question."}]
    async with model(sim.base_url, use_previous_response_id=True) as chat:
        first = await chat.ainvoke([HumanMessage(TEXT)])
        second = await chat.ainvoke([HumanMessage(TEXT), first, HumanMessage("More. Text.")])
    assert second.response_metadata["token_details"]["cached_tokens"] > 0


async def test_previous_response_id_is_only_a_responses_id(scripted: Scripted) -> None:
    """A chat completion's answer (id `chatcmpl-...` in its response_metadata) names nothing
    the Responses API stored: the whole conversation is sent, as langchain-openai does."""
    server = await scripted([Reply(json=response_json())])
    earlier = AIMessage("Old answer.", response_metadata={"id": "chatcmpl-9"})
    conversation = [HumanMessage("Old question."), earlier, HumanMessage("New question.")]
    async with model(server.base_url, use_previous_response_id=True) as chat:
        await chat.ainvoke(conversation)
    body = server.requests[0]
    assert "previous_response_id" not in body
    assert [item["content"] for item in body["input"]] == [
        "Old question.",
        "Old answer.",
        "New question.",
    ]


async def test_streamed_answer_keeps_its_response_id(sim: SimServer) -> None:
    """A streamed Responses answer carries its id in response_metadata too (what
    use_previous_response_id looks for), and its last chunk is marked as LangChain's is."""
    async with model(sim.base_url, use_previous_response_id=True) as chat:
        chunks = [chunk async for chunk in chat.astream(TEXT)]
        joined = chunks[0]
        for chunk in chunks[1:]:
            joined = joined + chunk
        assert chunks[-1].chunk_position == "last"
        assert joined.response_metadata["id"].startswith("resp_") and joined.id
        answer = AIMessage(joined.content, response_metadata=joined.response_metadata)
        await chat.ainvoke([HumanMessage(TEXT), answer, HumanMessage("More. Text.")])


def test_azure_refuses_a_per_call_switch_to_responses() -> None:
    """An Azure deployment's model serves chat completions: a Responses-only field or a
    built-in tool asked per call is refused at once, not sent to the chat path."""
    from aiochain.chat_models import AzureChatOpenAI

    azure = AzureChatOpenAI(
        azure_endpoint="http://127.0.0.1:9", azure_deployment="d", api_version="v", api_key="k"
    )
    with pytest.raises(ConfigurationError, match="reasoning needs OpenAI's Responses API"):
        azure.bind(reasoning={"effort": "low"})
    with pytest.raises(ConfigurationError, match="a built-in tool"):
        azure.bind_tools([{"type": "web_search_preview"}])
    assert type(azure.bind(temperature=0.1)).__name__ != "ChatOpenAIResponses"


async def test_tool_choice_names_a_built_in_tool(scripted: Scripted) -> None:
    """tool_choice may name a built-in tool by its type, as langchain-openai allows: the
    request asks for `{"type": ...}`; a name that is no tool at all is refused."""
    server = await scripted([Reply(json=response_json())])
    chat = ChatOpenAI(base_url=server.base_url, api_key="k", max_retries=0, model="gpt-4o")
    bound = chat.bind_tools(
        [{"type": "web_search_preview"}, get_weather], tool_choice="web_search_preview"
    )
    async with bound:
        await bound.ainvoke("News?")
    body = server.requests[0]
    assert body["tool_choice"] == {"type": "web_search_preview"}
    assert [tool["type"] for tool in body["tools"]] == ["web_search_preview", "function"]
    with pytest.raises(ConfigurationError, match="'nope' is not among"):
        chat.bind_tools([get_weather], tool_choice="nope")
