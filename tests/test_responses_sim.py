"""The simulation server's `/v1/responses` (OpenAI's Responses API), checked by the official
`openai` package, raw aiohttp and langchain-openai when installed (issue 30)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import openai
import pytest
from pydantic import BaseModel

from aiochain.sim import SimServer

from .conftest import PYTHON

StartSim = Callable[..., Awaitable[SimServer]]
TEXT = (
    "The internet began as ARPANET. Packet switching made it robust. TCP/IP unified networks. "
    "The web made it popular. Social media made it personal. Phones made it constant."
)
ANSWER = "The internet began as ARPANET. Packet switching made it robust."
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


@pytest.fixture
async def client(sim: SimServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """The official openai client, pointed at the simulation server, without retries."""
    async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="k", max_retries=0) as c:
        yield c


async def test_create_plain(client: openai.AsyncOpenAI) -> None:
    """A plain answer: one message item with output_text, usage in the Responses shape."""
    response = await client.responses.create(
        model="gpt-4o-mini", input=TEXT, instructions="Be brief."
    )
    assert response.object == "response" and response.status == "completed"
    assert response.id.startswith("resp_")
    assert response.output_text == ANSWER
    [item] = response.output
    assert item.type == "message" and item.content[0].type == "output_text"
    assert response.instructions == "Be brief."
    usage = response.usage
    assert usage is not None
    assert usage.input_tokens == len(TEXT.split()) + 2
    assert usage.output_tokens == len(ANSWER.split())
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.input_tokens_details.cached_tokens == 0
    assert usage.output_tokens_details.reasoning_tokens == 0


async def test_input_items_and_content_parts(client: openai.AsyncOpenAI) -> None:
    """Input items with input_text parts: the last user message is answered."""
    response = await client.responses.create(
        model="gpt-4o",
        input=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "input_text", "text": "Old question."}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Old answer."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": TEXT}]},
        ],
    )
    assert response.output_text == ANSWER


async def test_tool_call_round_trip(client: openai.AsyncOpenAI) -> None:
    """A function tool is called with call_id/name/arguments; its output gets a text answer."""
    first = await client.responses.create(
        model="gpt-4o", input="Please run get_weather for city=Paris.", tools=[WEATHER]
    )
    [call] = first.output
    assert call.type == "function_call" and call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Paris"}
    second = await client.responses.create(
        model="gpt-4o",
        tools=[WEATHER],
        input=[
            {"role": "user", "content": "Please run get_weather for city=Paris."},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
        ],
    )
    assert second.output_text == "Based on the tools: get_weather: sunny."


async def test_previous_response_id_carries_the_conversation(client: openai.AsyncOpenAI) -> None:
    """previous_response_id: the stored calls are answerable, the context counts as cached."""
    first = await client.responses.create(
        model="gpt-4o", input="Use get_weather please.", tools=[WEATHER]
    )
    call = first.output[0]
    assert call.type == "function_call"
    second = await client.responses.create(
        model="gpt-4o",
        previous_response_id=first.id,
        tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "rain"}],
    )
    assert second.output_text == "Based on the tools: get_weather: rain."
    assert second.previous_response_id == first.id
    assert first.usage is not None and second.usage is not None
    context = first.usage.input_tokens + first.usage.output_tokens
    assert second.usage.input_tokens_details.cached_tokens == context
    assert second.usage.input_tokens == context + 1


async def test_store_false_is_not_kept(client: openai.AsyncOpenAI) -> None:
    """A response made with store=False cannot be continued; an unknown id is a 404."""
    first = await client.responses.create(model="gpt-4o", input=TEXT, store=False)
    assert first.store is False
    with pytest.raises(openai.NotFoundError, match="not found"):
        await client.responses.create(model="gpt-4o", input="More.", previous_response_id=first.id)


async def test_json_schema_strict_is_honoured(client: openai.AsyncOpenAI) -> None:
    """text.format json_schema: the answer is JSON fitting the schema (parsed by the SDK)."""

    class Weather(BaseModel):
        city: str
        days: int
        tags: list[str]

    response = await client.responses.parse(model="gpt-4o", input=TEXT, text_format=Weather)
    parsed = response.output_parsed
    assert parsed is not None
    assert parsed.city == ANSWER and parsed.days == 1 and parsed.tags == ["tags"]


async def test_strict_schema_must_be_closed(client: openai.AsyncOpenAI) -> None:
    """strict json_schema without additionalProperties false, or with optional keys, is a 400."""
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    fmt = {"type": "json_schema", "name": "x", "schema": schema, "strict": True}
    with pytest.raises(openai.BadRequestError, match="additionalProperties"):
        await client.responses.create(model="gpt-4o", input="hi", text={"format": fmt})  # type: ignore[typeddict-item]
    schema = {**schema, "additionalProperties": False, "required": []}
    fmt = {**fmt, "schema": schema}
    with pytest.raises(openai.BadRequestError, match="required"):
        await client.responses.create(model="gpt-4o", input="hi", text={"format": fmt})  # type: ignore[typeddict-item]


async def test_reasoning_tokens(client: openai.AsyncOpenAI) -> None:
    """reasoning effort on a reasoning model: a reasoning item, tokens in output_tokens_details."""
    low = await client.responses.create(model="o4-mini", input=TEXT, reasoning={"effort": "low"})
    high = await client.responses.create(model="o4-mini", input=TEXT, reasoning={"effort": "high"})
    assert [item.type for item in low.output] == ["reasoning", "message"]
    assert low.usage is not None and high.usage is not None
    words = len(ANSWER.split())
    assert low.usage.output_tokens_details.reasoning_tokens == max(8, words)
    assert high.usage.output_tokens_details.reasoning_tokens == 4 * words
    assert high.usage.output_tokens == 5 * words
    assert high.reasoning is not None and high.reasoning.effort == "high"
    with pytest.raises(openai.BadRequestError, match=r"reasoning\.effort"):
        await client.responses.create(model="gpt-4o", input=TEXT, reasoning={"effort": "low"})


async def test_max_output_tokens_makes_it_incomplete(client: openai.AsyncOpenAI) -> None:
    """An answer cut by max_output_tokens is incomplete with reason max_output_tokens."""
    long_text = " ".join(f"word{i}" for i in range(40)) + "."
    response = await client.responses.create(model="gpt-4o", input=long_text, max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage is not None and response.usage.output_tokens == 16
    with pytest.raises(openai.BadRequestError, match="max_output_tokens"):
        await client.responses.create(model="gpt-4o", input=TEXT, max_output_tokens=5)


async def test_chat_shaped_tools_are_refused(client: openai.AsyncOpenAI) -> None:
    """Tools in the chat completions shape are a 400 naming tools[0].name, as on OpenAI."""
    tool = {"type": "function", "function": {"name": "f", "parameters": {}}}
    with pytest.raises(openai.BadRequestError, match=r"tools\[0\].name"):
        await client.responses.create(model="gpt-4o", input="hi", tools=[tool])  # type: ignore[list-item]


async def test_stream_events_in_order(client: openai.AsyncOpenAI) -> None:
    """responses.stream: every event in order, numbered 0..n, joining to the plain answer."""
    async with client.responses.stream(model="gpt-4o", input=TEXT) as stream:
        events = [event async for event in stream]
        final = await stream.get_final_response()
    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert kinds.count("response.output_text.delta") == len(ANSWER.split())
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == ANSWER == final.output_text
    assert final.usage is not None and final.usage.output_tokens == len(ANSWER.split())


async def test_stream_tool_call_and_incomplete(client: openai.AsyncOpenAI) -> None:
    """Streamed calls send arguments deltas and .done; a cut answer ends response.incomplete."""
    stream = await client.responses.create(
        model="gpt-4o", input="Call get_weather.", tools=[WEATHER], stream=True
    )
    events = [event async for event in stream]
    kinds = [event.type for event in events]
    assert kinds.count("response.function_call_arguments.delta") == 2
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(done.arguments) == {"city": "city"}
    assert kinds[-1] == "response.completed"
    long_text = " ".join(f"word{i}" for i in range(40)) + "."
    stream = await client.responses.create(
        model="gpt-4o", input=long_text, max_output_tokens=16, stream=True
    )
    events = [event async for event in stream]
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details is not None


async def test_raw_stream_has_event_lines_and_no_done(sim: SimServer) -> None:
    """The wire: `event:` and `data:` lines whose type matches, and no `[DONE]`."""
    body = {"model": "gpt-4o", "input": TEXT, "stream": True}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sim.base_url}/responses", json=body) as response,
    ):
        raw = (await response.read()).decode()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    blocks = [b for b in raw.split("\n\n") if b]
    for block in blocks:
        event_line, data_line = block.split("\n")
        assert json.loads(data_line.removeprefix("data: "))["type"] == event_line[7:]
    assert "[DONE]" not in raw


async def test_stream_cut_sends_error_and_failed(start_sim: StartSim) -> None:
    """A cut stream says `error` then `response.failed`, numbered on, and never completes."""
    server = await start_sim(stream_cut_rate=1.0)
    body = {"model": "gpt-4o", "input": TEXT, "stream": True}
    raw = b""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.base_url}/responses", json=body) as response,
    ):
        with pytest.raises(aiohttp.ClientPayloadError):
            async for line in response.content:
                raw += line
    datas = [json.loads(line[6:]) for line in raw.decode().split("\n") if line.startswith("data: ")]
    assert [d["type"] for d in datas[-2:]] == ["error", "response.failed"]
    assert [d["sequence_number"] for d in datas] == list(range(len(datas)))
    assert datas[-1]["response"]["status"] == "failed"
    assert b"response.completed" not in raw


async def test_429_with_rate_headers_and_faults(start_sim: StartSim) -> None:
    """Rate limits and faults work as on chat: a 429 with headers, a 500 from fail_rate."""
    server = await start_sim(rpm=1)
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        ok = await c.responses.with_raw_response.create(model="gpt-4o", input=TEXT)
        assert ok.headers["x-ratelimit-limit-requests"] == "1"
        with pytest.raises(openai.RateLimitError) as limited:
            await c.responses.create(model="gpt-4o", input=TEXT)
        assert "retry-after" in limited.value.response.headers
    failing = await start_sim(fail_rate=1.0)
    async with openai.AsyncOpenAI(base_url=failing.base_url, api_key="k", max_retries=0) as c:
        with pytest.raises(openai.InternalServerError):
            await c.responses.create(model="gpt-4o", input=TEXT)
    assert failing.stats()["faults"]["fail"] == 1


async def test_batch_with_responses_lines(start_sim: StartSim) -> None:
    """A batch of /v1/responses lines answers each line with a response object."""
    server = await start_sim(batch_speed=1000.0)
    lines = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/responses",
            "body": {"model": "gpt-4o", "input": TEXT},
        }
        for i in range(3)
    ]
    content = "\n".join(json.dumps(line) for line in lines).encode()
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        uploaded = await c.files.create(file=("in.jsonl", io.BytesIO(content)), purpose="batch")
        batch = await c.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/responses", completion_window="24h"
        )
        for _ in range(2000):
            batch = await c.batches.retrieve(batch.id)
            if batch.status in ("completed", "failed", "expired"):
                break
        assert batch.status == "completed" and batch.output_file_id is not None
        output = (await c.files.content(batch.output_file_id)).text
    rows = [json.loads(line) for line in output.splitlines()]
    assert sorted(row["custom_id"] for row in rows) == ["r0", "r1", "r2"]
    body: dict[str, Any] = rows[0]["response"]["body"]
    assert body["object"] == "response" and body["output"][0]["content"][0]["text"] == ANSWER


@pytest.mark.langchain
async def test_langchain_openai_use_responses_api(sim: SimServer) -> None:
    """langchain-openai's ChatOpenAI(use_responses_api=True) against the simulator: invoke,
    stream, tools and strict structured output."""
    langchain_openai = pytest.importorskip(
        "langchain_openai",
        reason="langchain-openai is not installed (not a dev dependency)",
        exc_type=ImportError,
    )
    import httpx

    async with httpx.AsyncClient() as http:
        model = langchain_openai.ChatOpenAI(
            model="gpt-4o",
            base_url=sim.base_url,
            api_key="k",
            use_responses_api=True,
            max_retries=0,
            http_async_client=http,
        )
        await _langchain_round(model)


@pytest.mark.langchain
async def test_content_matches_langchain_openai(sim: SimServer) -> None:
    """aiochain's ChatOpenAI(use_responses_api=True) and langchain-openai's, side by side on
    the same simulator: the same content blocks (ids aside), plain and streamed, with a web
    search and its citation, in the default output version and in v0."""
    langchain_openai = pytest.importorskip(
        "langchain_openai",
        reason="langchain-openai is not installed (not a dev dependency)",
        exc_type=ImportError,
    )
    import httpx

    from aiochain.chat_models import ChatOpenAI

    def shape(content: Any) -> Any:
        # Ids differ between two runs of the simulator (a counter); everything else must not.
        if isinstance(content, list):
            return [shape(item) for item in content]
        if isinstance(content, dict):
            return {shape(k): shape(v) for k, v in content.items()}
        if isinstance(content, str):
            return re.sub(r"^(resp|msg|fc|rs|ws|call)_sim\d+$", "ID", content)
        return content

    cases = [
        (version, model, tools)
        for version in (None, "v0", "v1")
        for model, tools in (
            ("gpt-4o", []),
            ("gpt-4o", [{"type": "web_search_preview"}]),
            ("o4-mini", [WEATHER]),  # a reasoning item, then a function call
        )
    ]
    async with httpx.AsyncClient() as http:
        for version, model, tools in cases:
            question = "Call get_weather city=Oslo." if tools == [WEATHER] else TEXT
            options: dict[str, Any] = {
                "model": model,
                "base_url": sim.base_url,
                "api_key": "k",
                "use_responses_api": True,
                "max_retries": 0,
                "output_version": version,
            }
            theirs = langchain_openai.ChatOpenAI(**options, http_async_client=http)
            async with ChatOpenAI(**options) as ours:
                lc = theirs.bind_tools(tools) if tools else theirs
                ac = ours.bind_tools(tools) if tools else ours
                case = (version, model, tools)
                want, got = await lc.ainvoke(question), await ac.ainvoke(question)
                assert shape(got.content) == shape(want.content), case
                assert got.text == want.text
                assert shape(got.additional_kwargs) == shape(want.additional_kwargs), case
                assert shape(got.content_blocks) == shape(want.content_blocks), case
                assert [c["args"] for c in got.tool_calls] == [c["args"] for c in want.tool_calls]
                lc_chunks = [c async for c in lc.astream(question)]
                ac_chunks = [c async for c in ac.astream(question)]
                lc_joined, ac_joined = lc_chunks[0], ac_chunks[0]
                for chunk in lc_chunks[1:]:
                    lc_joined = lc_joined + chunk
                for chunk in ac_chunks[1:]:
                    ac_joined = ac_joined + chunk
                assert ac_joined.text == lc_joined.text
                if version != "v1":  # v1 streams LangChain's own chunk types; see the notes
                    assert shape(ac_joined.content) == shape(lc_joined.content), case


async def _langchain_round(model: Any) -> None:
    message = await model.ainvoke(TEXT)
    assert message.text == ANSWER
    assert message.usage_metadata["output_tokens"] == len(ANSWER.split())
    chunks = [chunk async for chunk in model.astream(TEXT)]
    assert "".join(chunk.text for chunk in chunks) == ANSWER
    bound = model.bind_tools([WEATHER])
    called = await bound.ainvoke("Call get_weather city=Oslo.")
    assert called.tool_calls[0]["args"] == {"city": "Oslo"}

    class Weather(BaseModel):
        city: str
        days: int

    structured = model.with_structured_output(Weather, method="json_schema", strict=True)
    assert await structured.ainvoke(TEXT) == Weather(city=ANSWER, days=1)


async def test_web_search_tool(client: openai.AsyncOpenAI) -> None:
    """The built-in web_search tool: a web_search_call item, then text with a url_citation;
    the output sent back as input is accepted; tools the simulator does not play are refused
    in one clear 400."""
    response = await client.responses.create(
        model="gpt-4o", input=TEXT, tools=[{"type": "web_search_preview"}]
    )
    search, message = response.output
    assert search.type == "web_search_call" and search.status == "completed"
    assert message.type == "message"
    [annotation] = message.content[0].annotations
    assert annotation.type == "url_citation" and annotation.url.startswith("https://")
    assert annotation.end_index == len(response.output_text) == len(ANSWER)
    follow = await client.responses.create(
        model="gpt-4o",
        input=[
            *[item.model_dump() for item in response.output],
            {"role": "user", "content": "More?"},
        ],
        tools=[{"type": "web_search"}],
    )
    assert follow.output_text
    with pytest.raises(openai.BadRequestError, match="does not play the built-in tool"):
        await client.responses.create(
            model="gpt-4o", input=TEXT, tools=[{"type": "code_interpreter", "container": {}}]
        )


async def test_web_search_stream_events(client: openai.AsyncOpenAI) -> None:
    """A streamed search sends web_search_call.in_progress / searching / completed, then the
    text's deltas and its annotation.added, in sequence."""
    async with client.responses.stream(
        model="gpt-4o", input=TEXT, tools=[{"type": "web_search"}]
    ) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    searching = [
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
    ]
    assert [k for k in kinds if k.startswith("response.web_search_call")] == searching
    assert kinds.index("response.output_text.annotation.added") > kinds.index(
        "response.output_text.delta"
    )
    assert final.output[0].type == "web_search_call"
    assert final.output_text == ANSWER


async def test_parallel_tool_calls_false_calls_one(client: openai.AsyncOpenAI) -> None:
    """Two tools named: two function_call items, or only the first with parallel_tool_calls
    false."""
    other = {**WEATHER, "name": "get_time"}
    text = "Use get_weather and get_time."
    both = await client.responses.create(model="gpt-4o", input=text, tools=[WEATHER, other])
    assert [item.name for item in both.output] == ["get_weather", "get_time"]  # type: ignore[union-attr]
    one = await client.responses.create(
        model="gpt-4o", input=text, tools=[WEATHER, other], parallel_tool_calls=False
    )
    assert [item.name for item in one.output] == ["get_weather"]  # type: ignore[union-attr]


def test_official_client_against_aiochain_serve() -> None:
    """`aiochain serve` in its own process: responses.create and responses.stream (sync)."""
    process = subprocess.Popen(
        [PYTHON, "-m", "aiochain", "serve", "--port", "0", "--latency", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split(" at ", 1)[1].split()[0]
        with openai.OpenAI(base_url=base_url, api_key="k", max_retries=0) as client:
            created = client.responses.create(model="gpt-4o-mini", input=TEXT)
            assert created.output_text == ANSWER
            with client.responses.stream(model="gpt-4o-mini", input=TEXT) as stream:
                kinds = [event.type for event in stream]
                final = stream.get_final_response()
        assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
        assert final.output_text == ANSWER
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
