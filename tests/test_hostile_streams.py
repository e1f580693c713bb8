"""Streams as real servers send them: without `[DONE]`, cut mid-answer, with an error event
first, labelled oddly (`; charset=utf-8`, no Content-Type, a whole JSON answer), and in the
SSE spellings our simulator never uses (no `event:` lines, `\\r\\n`, comments, split data)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from aiochain import (
    BadResponseError,
    ChatAnthropic,
    ChatOpenAI,
    IncompleteStreamError,
    OpenAI,
    RetryPolicy,
    StreamError,
)

from .hostile_kit import (
    BareServer,
    StartKit,
    anthropic_events,
    anthropic_message,
    bare_response,
    chat_answer,
    chat_chunks,
    completion_answer,
    raw,
    response_object,
    sse,
    start_kit,
    stream,
)

__all__ = ["start_kit"]

KEY = "sk-hostile-streams-0123456789"
RETRY = RetryPolicy(max_retries=2, initial_wait=0.0, max_wait=0.0)


def plays(*bodies: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
    """A handler answering the n-th request with the n-th body maker (the last repeats)."""
    calls = [0]

    async def handle(request: web.Request) -> web.StreamResponse:
        maker = bodies[min(calls[0], len(bodies) - 1)]
        calls[0] += 1
        result: web.StreamResponse = await maker(request)
        return result

    return handle


def streams(body: bytes, **options: Any) -> Callable[[web.Request], Any]:
    async def make(request: web.Request) -> web.StreamResponse:
        return await stream(request, body, **options)

    return make


async def chat_text(base_url: str, retry: RetryPolicy = RETRY, **options: Any) -> str:
    async with ChatOpenAI(base_url=base_url, api_key=KEY, retry=retry, **options) as llm:
        return "".join([str(chunk.content) async for chunk in llm.astream("hi")])


# --- ends without [DONE] ----------------------------------------------------------------------


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
async def test_a_finished_answer_without_done_is_accepted(start_kit: StartKit, reset: bool) -> None:
    """A stream that gave its finish_reason and then ended (or broke) without `[DONE]` is a
    whole answer."""
    body = sse(chat_chunks("fi", "ne"), done=False)
    server = await start_kit(plays(streams(body, reset_after=reset)))
    assert await chat_text(server.base_url) == "fine"
    assert len(server.requests) == 1


async def test_a_completion_stream_without_done_is_accepted(start_kit: StartKit) -> None:
    """OpenAI completions alike: a finish_reason ends the answer."""
    chunks = [
        {"choices": [{"index": 0, "text": "fi", "finish_reason": None}]},
        {"choices": [{"index": 0, "text": "ne", "finish_reason": "stop"}]},
    ]
    server = await start_kit(plays(streams(sse(chunks, done=False))))
    async with OpenAI(base_url=server.base_url, api_key=KEY) as llm:
        assert "".join([piece async for piece in llm.astream("hi")]) == "fine"


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
async def test_a_stream_cut_mid_answer_raises_after_its_content(
    start_kit: StartKit, reset: bool
) -> None:
    """Cut after some text and before any finish: IncompleteStreamError (retryable, with
    the partial text), never a silently short answer; not retried, as the caller holds text."""
    body = sse(chat_chunks("fi", "ne", finish=None), done=False)
    server = await start_kit(plays(streams(body, reset_after=reset)))
    with pytest.raises(IncompleteStreamError) as info:
        await chat_text(server.base_url)
    assert info.value.partial == "fine"
    assert len(server.requests) == 1


async def test_a_stream_cut_before_any_content_is_retried(start_kit: StartKit) -> None:
    """Cut after the role chunk only: nothing reached the caller, so it is retried."""
    cut = sse(chat_chunks(finish=None), done=False)
    whole = sse(chat_chunks("fi", "ne"))
    server = await start_kit(plays(streams(cut, reset_after=True), streams(whole)))
    assert await chat_text(server.base_url) == "fine"
    assert len(server.requests) == 2


# --- error events -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        {"error": {"message": "boom", "type": "server_error", "code": None}},
        {"error": {"message": "busy", "code": 503}},
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    ],
    ids=["openai", "code", "anthropic-shape"],
)
async def test_a_server_error_event_first_is_retried(
    start_kit: StartKit, error: dict[str, Any]
) -> None:
    """A 5xx-like error event before any content is retried like a 5xx status."""
    server = await start_kit(plays(streams(sse([error])), streams(sse(chat_chunks("ok")))))
    assert await chat_text(server.base_url) == "ok"
    assert len(server.requests) == 2


async def test_a_client_error_event_is_not_retried(start_kit: StartKit) -> None:
    """An error event that is the request's fault is raised at once."""
    error = {"error": {"message": "bad model", "type": "invalid_request_error"}}
    server = await start_kit(plays(streams(sse([error]))))
    with pytest.raises(StreamError, match="bad model") as info:
        await chat_text(server.base_url)
    assert not info.value.retryable
    assert len(server.requests) == 1


async def test_an_error_event_after_content_is_raised_never_duplicated(
    start_kit: StartKit,
) -> None:
    """After content reached the caller, an error event is raised, not retried: no text is
    given twice."""
    error = {"error": {"message": "boom", "type": "server_error"}}
    body = sse([*chat_chunks("fi", finish=None), error])
    server = await start_kit(plays(streams(body), streams(sse(chat_chunks("fine")))))
    seen: list[str] = []
    with pytest.raises(StreamError, match="boom"):
        async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=RETRY) as llm:
            async for chunk in llm.astream("hi"):
                seen.append(str(chunk.content))
    assert "".join(seen) == "fi"
    assert len(server.requests) == 1


# --- content types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/event-stream; charset=utf-8", "text/event-stream;charset=UTF-8", "text/plain"],
)
async def test_streams_are_read_whatever_their_label(
    start_kit: StartKit, content_type: str | None
) -> None:
    """A charset parameter, or a generic type, still reads as a stream."""
    body = sse(chat_chunks("fi", "ne"))
    server = await start_kit(plays(streams(body, content_type=content_type)))
    assert await chat_text(server.base_url) == "fine"


async def test_a_whole_chat_answer_to_a_stream_request_is_read(start_kit: StartKit) -> None:
    """A server ignoring `stream: true` answers one chat completion: it is read, its usage
    and tool calls too."""
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}]
    answer = chat_answer("fine")
    answer["choices"][0]["message"]["tool_calls"] = calls

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(answer)

    server = await start_kit(handler)
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY) as llm:
        chunks = [chunk async for chunk in llm.astream("hi")]
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole = whole + chunk
    assert whole.content == "fine"
    assert whole.tool_calls[0]["args"] == {"x": 1}
    assert whole.usage_metadata is not None and whole.usage_metadata["total_tokens"] == 4


@pytest.mark.parametrize("content_type", ["application/json", "application/octet-stream"])
async def test_whole_answers_to_stream_requests_for_every_api(
    start_kit: StartKit, content_type: str | None
) -> None:
    """Completions, Anthropic and Responses answers to stream requests are read as well,
    labelled JSON or with a generic type."""
    import json

    def answers(data: dict[str, Any]) -> Callable[[web.Request], Any]:
        return streams(json.dumps(data).encode(), content_type=content_type)

    server = await start_kit(plays(answers(completion_answer("one"))))
    async with OpenAI(base_url=server.base_url, api_key=KEY) as llm:
        assert "".join([p async for p in llm.astream("hi")]) == "one"
    server = await start_kit(plays(answers(anthropic_message("two"))))
    async with ChatAnthropic(
        base_url=server.root, api_key=KEY, model="claude-3-5-haiku-latest"
    ) as claude:
        assert "".join([str(c.content) async for c in claude.astream("hi")]) == "two"
    server = await start_kit(plays(answers(response_object("three"))))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, use_responses_api=True) as llm:
        assert (await _streamed_text(llm)) == "three"


async def _streamed_text(llm: ChatOpenAI) -> str:
    whole = None
    async for chunk in llm.astream("hi"):
        whole = chunk if whole is None else whole + chunk
    assert whole is not None
    return whole.text


async def test_a_json_error_answer_to_a_stream_request_is_its_error(start_kit: StartKit) -> None:
    """A 200 JSON error object instead of a stream is raised as the server's error."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": {"message": "model not loaded", "code": 400}})

    server = await start_kit(handler)
    with pytest.raises(StreamError, match="model not loaded"):
        await chat_text(server.base_url)


async def test_an_html_answer_to_a_stream_request_is_one_clear_line(start_kit: StartKit) -> None:
    """An HTML page instead of a stream: BadResponseError naming the type, one line, tags
    stripped."""
    page = b"<html><head><title>Portal</title></head>\n<body><h1>Sign in</h1></body></html>"

    async def handler(request: web.Request) -> web.StreamResponse:
        return raw(page, content_type="text/html")

    server = await start_kit(handler)
    with pytest.raises(BadResponseError) as info:
        await chat_text(server.base_url)
    message = str(info.value)
    assert "text/html" in message and "Sign in" in message
    assert "<" not in message.split("events:")[-1] and "\n" not in message


# --- SSE spellings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [{"crlf": True}, {"comments": True}, {"split_data": True}, {"crlf": True, "comments": True}],
    ids=["crlf", "comments", "split-data", "crlf-comments"],
)
async def test_sse_spellings_of_chat_streams(
    start_kit: StartKit, spelling: dict[str, bool]
) -> None:
    """`\\r\\n` line ends, `: keep-alive` comments and JSON split over `data:` lines, sent a
    few bytes at a time, read as the same answer."""
    body = sse(chat_chunks("fi", "ne"), **spelling)
    server = await start_kit(plays(streams(body, pieces=max(1, len(body) // 7))))
    assert await chat_text(server.base_url) == "fine"


@pytest.mark.parametrize("named", [True, False], ids=["event-lines", "no-event-lines"])
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
async def test_anthropic_streams_with_and_without_event_lines(
    start_kit: StartKit, named: bool, crlf: bool
) -> None:
    """Anthropic's stream read with or without its `event:` lines (proxies drop them), and
    ending at message_stop without `[DONE]`."""
    body = sse(anthropic_events("fi", "ne"), named=named, crlf=crlf, done=False)
    server = await start_kit(plays(streams(body, pieces=5)))
    async with ChatAnthropic(
        base_url=server.root, api_key=KEY, model="claude-3-5-haiku-latest"
    ) as claude:
        assert "".join([str(c.content) async for c in claude.astream("hi")]) == "fine"


async def test_an_anthropic_stream_without_message_stop_is_whole_after_its_stop_reason(
    start_kit: StartKit,
) -> None:
    """A message_delta with its stop_reason finishes the answer, message_stop or not."""
    body = sse(anthropic_events("fine")[:-1], named=True, done=False)
    server = await start_kit(plays(streams(body)))
    async with ChatAnthropic(
        base_url=server.root, api_key=KEY, model="claude-3-5-haiku-latest"
    ) as claude:
        assert "".join([str(c.content) async for c in claude.astream("hi")]) == "fine"


async def test_an_unnamed_responses_error_event_is_raised(start_kit: StartKit) -> None:
    """The Responses API's `{"type": "error", ...}` without an `event:` line is an error."""
    error = {"type": "error", "code": "invalid_prompt", "message": "no such thing"}
    server = await start_kit(plays(streams(sse([error], done=False))))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, use_responses_api=True) as llm:
        with pytest.raises(StreamError, match="no such thing"):
            await _streamed_text(llm)


@pytest.mark.parametrize("whole", [False, True], ids=["events", "json"])
async def test_an_answer_without_any_content_type_is_read(whole: bool) -> None:
    """No Content-Type header at all: the first bytes tell a JSON answer from events."""
    import json

    body = json.dumps(chat_answer()).encode() if whole else sse(chat_chunks("fi", "ne"))
    server = await BareServer(lambda request: bare_response(body)).start()
    try:
        assert await chat_text(server.base_url) == "fine"
    finally:
        await server.aclose()
