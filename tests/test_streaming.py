"""Streaming: astream for models and chains, SSE edge cases, early exit, limits, on_token."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiochain import (
    AIMessageChunk,
    BadResponseError,
    ChatOpenAI,
    IncompleteStreamError,
    JsonOutputParser,
    LLMChain,
    OpenAI,
    PromptTemplate,
    RetryPolicy,
    StreamError,
    StrOutputParser,
)
from aiochain.sim import SimServer, count_tokens

from .conftest import Reply, ScriptedServer, until

StartSim = Callable[..., Awaitable[SimServer]]
StartThreaded = Callable[..., SimServer]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
TEXT = (
    "Streams arrive piece by piece over the network. Each piece is one token. "
    "Clients join them. Nothing may be lost. Nothing may be doubled. The end is marked."
)
FAST_RETRY = RetryPolicy(max_retries=2, initial_wait=0.001, max_wait=0.002)


@pytest.mark.parametrize("model", [OpenAI, ChatOpenAI])
async def test_joined_chunks_equal_the_answer(start_sim: StartSim, model: Any) -> None:
    """Streamed pieces join to exactly the non-streamed answer; usage matches the server. The
    completion model streams strings; the chat model streams AIMessageChunks, the last one
    carrying usage_metadata and the finish reason, as LangChain's do."""
    server = await start_sim()
    async with model(base_url=server.base_url) as llm:
        whole = await llm.ainvoke(TEXT)
        whole_text = whole if isinstance(whole, str) else whole.content
        pieces = [piece async for piece in llm.astream(TEXT)]
        usage = llm.usage
    if model is ChatOpenAI:
        assert all(isinstance(p, AIMessageChunk) for p in pieces)
        last = pieces.pop()
        assert last.content == ""
        assert last.usage_metadata == {
            "input_tokens": usage.prompt_tokens // 2,
            "output_tokens": usage.completion_tokens // 2,
            "total_tokens": (usage.prompt_tokens + usage.completion_tokens) // 2,
        }
        assert last.response_metadata["finish_reason"] == "stop"
        joined = pieces[0]
        for piece in pieces[1:]:
            joined = joined + piece
        assert joined.content == whole_text
        pieces = [p.content for p in pieces]
    else:
        assert all(isinstance(p, str) for p in pieces)
    assert len(pieces) == count_tokens(whole_text) > 5
    assert "".join(pieces) == whole_text
    stats = server.stats()
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        stats["tokens_in"],
        stats["tokens_out"],
    )
    assert usage.requests == 2


async def test_first_piece_comes_before_the_last_is_produced(start_sim: StartSim) -> None:
    """At N tokens a second, pieces are not buffered: they span (tokens-1)/N seconds."""
    server = await start_sim(latency=0.05, tokens_per_second=50)
    arrivals = []
    async with ChatOpenAI(base_url=server.base_url) as chat:
        started = time.monotonic()
        async for _ in chat.astream(TEXT):
            arrivals.append(time.monotonic() - started)
    spread = (len(arrivals) - 1) / 50
    # Lower bounds only (sleeping never ends early), so these cannot flake.
    assert arrivals[0] >= 0.05
    assert arrivals[-1] - arrivals[0] >= spread * 0.9


def sse(*events: Any, done: bool = True, newline: str = "\n") -> bytes:
    """A raw SSE body from chat chunks (dicts), raw strings, or text pieces."""
    out = []
    for event in events:
        if isinstance(event, str) and event.startswith(("data:", ":", "event:")):
            out.append(event)
        elif isinstance(event, dict):
            out.append("data: " + json.dumps(event))
        else:
            chunk = {"choices": [{"index": 0, "delta": {"content": event}}]}
            out.append("data: " + json.dumps(chunk))
    if done:
        out.append("data: [DONE]")
    return (newline * 2).join(out).replace("\n", newline).encode() + (newline * 2).encode()


SSE_HEADERS = {"Content-Type": "text/event-stream"}


async def stream_from(server: ScriptedServer) -> list[str]:
    """The text pieces of a chat stream (the last chunk, usage only, is left out)."""
    async with ChatOpenAI(base_url=server.base_url, retry=FAST_RETRY) as chat:
        return [piece.content async for piece in chat.astream("x") if piece.content]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
async def test_sse_comments_keepalives_and_line_ends(scripted: Scripted, newline: str) -> None:
    """Comments and keep-alives are skipped; CRLF line ends work like LF."""
    body = sse(": keep-alive", "Hello", ": ping", " world", newline=newline)
    server = await scripted([Reply(raw=body, headers=SSE_HEADERS)])
    assert await stream_from(server) == ["Hello", " world"]


async def test_sse_multiline_data(scripted: Scripted) -> None:
    """Several data: lines of one event are joined with newlines before decoding."""
    chunk = json.dumps({"choices": [{"index": 0, "delta": {"content": "joined"}}]}, indent=1)
    event = "\n".join("data: " + line for line in chunk.splitlines())
    server = await scripted([Reply(raw=sse(event), headers=SSE_HEADERS)])
    assert await stream_from(server) == ["joined"]


async def test_sse_error_object_mid_stream(scripted: Scripted) -> None:
    """An error object in the middle of a stream raises StreamError with the server's text."""
    error = {"error": {"message": "The model overloaded mid-answer", "type": "server_error"}}
    server = await scripted([Reply(raw=sse("Half", error), headers=SSE_HEADERS)])
    with pytest.raises(StreamError, match="overloaded mid-answer"):
        await stream_from(server)


async def test_sse_error_event_mid_stream(scripted: Scripted) -> None:
    """An `event: error` raises StreamError too."""
    body = sse("Half", 'event: error\ndata: {"message": "bad things"}')
    server = await scripted([Reply(raw=body, headers=SSE_HEADERS)])
    with pytest.raises(StreamError, match="bad things"):
        await stream_from(server)


async def test_stream_without_done_is_incomplete(scripted: Scripted) -> None:
    """A body that ends before [DONE] raises IncompleteStreamError holding the partial text."""
    server = await scripted([Reply(raw=sse("One", " two", done=False), headers=SSE_HEADERS)])
    with pytest.raises(IncompleteStreamError) as info:
        await stream_from(server)
    assert info.value.partial == "One two"


async def test_stream_cut_by_the_server(start_sim: StartSim) -> None:
    """A connection cut midway (the simulation's stream-cut fault) is an IncompleteStreamError
    with the partial text, not a short answer."""
    server = await start_sim(stream_cut_rate=1.0)
    async with ChatOpenAI(base_url=server.base_url, retry=FAST_RETRY) as chat:
        whole_server = await start_sim()
        async with ChatOpenAI(base_url=whole_server.base_url) as reference:
            whole = (await reference.ainvoke(TEXT)).content
        with pytest.raises(IncompleteStreamError) as info:
            async for _ in chat.astream(TEXT):
                pass
    assert info.value.partial
    assert whole.startswith(info.value.partial) and info.value.partial != whole


async def test_stream_request_answered_with_json_is_bad_response(scripted: Scripted) -> None:
    """A server that ignores `stream` and answers plain JSON without choices is reported,
    not misread (a whole answer with choices is read: tests/test_hostile_streams.py)."""
    server = await scripted([Reply(json={"choices": []})])
    with pytest.raises(BadResponseError, match="without choices"):
        await stream_from(server)


async def test_errors_before_the_first_piece_are_retried(scripted: Scripted) -> None:
    """A 429 or 5xx before any text is retried like any request."""
    server = await scripted(
        [
            Reply(429, {"error": {"message": "slow"}}, headers={"retry-after-ms": "1"}),
            Reply(503, {"error": {"message": "busy"}}),
            Reply(raw=sse("After", " retries"), headers=SSE_HEADERS),
        ]
    )
    assert await stream_from(server) == ["After", " retries"]
    assert [r.get("stream") for r in server.requests] == [True, True, True]
    assert server.requests[0]["stream_options"] == {"include_usage": True}


async def test_breaking_out_early_closes_the_connection(
    start_threaded_sim: StartThreaded,
) -> None:
    """Leaving the loop early closes the response: the server sees the client go."""
    server = start_threaded_sim(tokens_per_second=5)
    async with ChatOpenAI(base_url=server.base_url) as chat:
        async with contextlib.aclosing(chat.astream(TEXT)) as pieces:
            async for _ in pieces:
                break
        await until(lambda: server.stats()["in_flight"] == 0)
        assert chat.rate_limiter.in_flight == 0
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_streams_hold_their_concurrency_slot(start_sim: StartSim) -> None:
    """A stream keeps its limiter slot until it ends, so max_concurrency caps streams too."""
    server = await start_sim(tokens_per_second=200)
    async with ChatOpenAI(base_url=server.base_url, max_concurrency=2) as chat:
        events = [e async for e in chat.as_completed([TEXT] * 6, concurrency=6, stream=True)]
    assert server.stats()["max_in_flight"] == 2
    assert sum(1 for _, chunk in events if chunk is None) == 6


async def test_as_completed_streams_interleave(start_sim: StartSim) -> None:
    """as_completed(stream=True) yields (index, piece) from every stream as pieces arrive."""
    server = await start_sim(tokens_per_second=100)
    texts = [f"Stream {i} starts here. It continues. And ends." for i in range(4)]
    async with ChatOpenAI(base_url=server.base_url) as chat:
        expected = [(await chat.ainvoke(t)).content for t in texts]
        events = [e async for e in chat.as_completed(texts, concurrency=4, stream=True)]
    joined: dict[int, str] = {i: "" for i in range(4)}
    for index, piece in events:
        if piece is not None:
            assert isinstance(piece, AIMessageChunk)
            joined[index] += piece.content
    assert [joined[i] for i in range(4)] == expected
    first_done = next(n for n, (_, piece) in enumerate(events) if piece is None)
    assert len({index for index, _ in events[:first_done]}) > 1  # interleaved, not one by one


async def test_chain_streams(start_sim: StartSim) -> None:
    """LLMChain and prompt | llm | StrOutputParser stream pieces; a JSON parser yields ever more
    complete dicts (issue 14), the last the whole answer."""
    server = await start_sim()
    prompt = PromptTemplate.from_template("{text}")
    async with ChatOpenAI(base_url=server.base_url) as chat:
        whole = (await chat.ainvoke(TEXT)).content
        from_chain = [p async for p in LLMChain(llm=chat, prompt=prompt).astream({"text": TEXT})]
        from_pipe = [p async for p in (prompt | chat | StrOutputParser()).astream({"text": TEXT})]
        async with ChatOpenAI(
            base_url=server.base_url, model_kwargs={"response_format": {"type": "json_object"}}
        ) as json_chat:
            parsed = [p async for p in (prompt | json_chat | JsonOutputParser()).astream(TEXT)]
    assert "".join(from_chain) == "".join(from_pipe) == whole
    assert len(from_chain) > 1 and len(from_pipe) > 1
    assert len(parsed) > 2 and parsed[-1]["summary"] == whole
    summaries = [p.get("summary", "") for p in parsed]
    assert all(whole.startswith(s) for s in summaries) and summaries == sorted(summaries, key=len)


async def test_on_token_from_a_chain(start_sim: StartSim) -> None:
    """on_token sees every piece while arun still returns the whole answer."""
    server = await start_sim()
    tokens: list[str] = []
    async with OpenAI(base_url=server.base_url, on_token=tokens.append) as llm:
        chain = LLMChain(llm=llm, prompt=PromptTemplate.from_template("{text}"))
        answer = await chain.arun(TEXT)
        assert llm.usage.completion_tokens == server.stats()["tokens_out"]
    assert len(tokens) > 1
    assert "".join(tokens) == answer


def test_sync_stream(sim_in_thread: str) -> None:
    """stream() works from sync code and closes cleanly when left early."""
    llm = OpenAI(base_url=sim_in_thread)
    pieces = list(llm.stream(TEXT))
    assert "".join(pieces) == llm.invoke(TEXT)
    for _ in llm.stream(TEXT):
        break


async def test_sync_stream_inside_a_loop_streams(sim_in_thread: str) -> None:
    """stream() inside a running loop (a notebook cell) yields the pieces as they come from a
    helper thread, joining to the answer; leaving early stops it cleanly."""
    llm = OpenAI(base_url=sim_in_thread)
    pieces = list(llm.stream(TEXT))
    assert len(pieces) > 1 and "".join(pieces) == llm.invoke(TEXT)
    for _ in llm.stream(TEXT):
        break
    assert llm.invoke("Still. Fine.") == "Still."


async def test_on_token_usage_is_per_call_when_calls_overlap(start_sim: StartSim) -> None:
    """Each answer's usage is its own, even while other calls on the client are streaming."""
    server = await start_sim(tokens_per_second=200)
    texts = ["One two three. Four.", "Alpha beta gamma delta epsilon zeta. Eta theta."]
    async with ChatOpenAI(base_url=server.base_url, on_token=lambda _: None) as chat:
        replies = await asyncio.gather(*(chat.ainvoke(t) for t in texts))
    for text, reply in zip(texts, replies, strict=True):
        assert reply.usage.prompt_tokens == count_tokens(text)
        assert reply.usage.completion_tokens == count_tokens(reply.content)
