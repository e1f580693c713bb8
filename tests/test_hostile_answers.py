"""Whole answers as real servers get them wrong: usage counts as text or floats, 200s that
are empty, cut or not an object, error pages of HTML or megabytes, rate-limit reset headers
in every spelling, Responses answers without `object` / `id`."""

from __future__ import annotations

import datetime
import traceback
from typing import Any

import pytest
from aiohttp import web

from aiochain import (
    BadResponseError,
    ChatAnthropic,
    ChatOpenAI,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from aiochain._http.errors import one_line, parse_retry_after
from aiochain._providers.anthropic_wire import read_anthropic_usage
from aiochain._providers.openai_responses_wire import read_responses_usage
from aiochain._providers.openai_wire import read_openai_usage

from .hostile_kit import (
    StartKit,
    anthropic_message,
    chat_answer,
    raw,
    response_object,
    start_kit,
)

__all__ = ["start_kit"]

KEY = "sk-hostile-answers-0123456789"
NO_RETRY = RetryPolicy(max_retries=0)
RETRY = RetryPolicy(max_retries=2, initial_wait=0.0, max_wait=0.0)


def answering(*replies: web.StreamResponse | Any) -> Any:
    """A handler giving the n-th reply to the n-th request (the last repeats); a reply that
    is not a response is sent as JSON."""
    calls = [0]

    async def handle(request: web.Request) -> web.StreamResponse:
        reply = replies[min(calls[0], len(replies) - 1)]
        calls[0] += 1
        if callable(reply):
            reply = reply()
        if isinstance(reply, web.StreamResponse):
            return reply
        return web.json_response(reply)

    return handle


# --- usage counts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "usage", "expected"),
    [
        (read_openai_usage, {"prompt_tokens": "12", "completion_tokens": 3.0}, (12, 3, 15)),
        (read_openai_usage, {"prompt_tokens": 12.0, "completion_tokens": " 3 "}, (12, 3, 15)),
        (read_anthropic_usage, {"input_tokens": "12", "output_tokens": 3.0}, (12, 3, 15)),
        (read_responses_usage, {"input_tokens": "12", "output_tokens": 3.0}, (12, 3, 15)),
        (read_responses_usage, {"input_tokens": 1, "total_tokens": "15.0"}, (1, 0, 15)),
    ],
)  # fmt: skip
def test_usage_counts_as_text_or_floats_are_ints(
    read: Any, usage: dict[str, Any], expected: tuple[int, int, int]
) -> None:
    """`"12"` and `12.0` are 12, in every wire format's one usage reader."""
    holder = (
        {"type": "message", "usage": usage} if read is read_anthropic_usage else {"usage": usage}
    )
    got = read(holder)
    assert (got.prompt_tokens, got.completion_tokens, got.total_tokens) == expected
    assert all(type(n) is int for n in expected)


@pytest.mark.parametrize(
    "count", [-1, "-3", True, False, 1.5, "12.5", "many", 10**12, "nan", "1e400", [], {}]
)
@pytest.mark.parametrize("read", [read_openai_usage, read_anthropic_usage, read_responses_usage])
def test_insane_usage_counts_are_refused(read: Any, count: Any) -> None:
    """Negative, true/false, fractional, absurd or non-numeric counts are BadResponseError
    with a clear message, in every wire format."""
    name = {read_openai_usage: "prompt_tokens"}.get(read, "input_tokens")
    holder: dict[str, Any] = {"usage": {name: count}}
    if read is read_anthropic_usage:
        holder["type"] = "message"
    with pytest.raises(BadResponseError, match="not a sane whole number"):
        read(holder)


async def test_usage_as_text_reaches_the_answer_and_the_totals(start_kit: StartKit) -> None:
    """A server writing counts as strings: the call succeeds and counts them."""
    usage = {"prompt_tokens": "7", "completion_tokens": "2", "total_tokens": "9"}
    server = await start_kit(answering(chat_answer(usage=usage)))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY) as llm:
        reply = await llm.ainvoke("hi")
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["total_tokens"] == 9


# --- 200 answers that are not answers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "retried"),
    [
        (b"", True),
        (b"   \n", True),
        (b'["not", "an", "object"]', False),
        (b"42", False),
        (b"<html><body><h1>It works!</h1></body></html>", False),
    ],
    ids=["empty", "blank", "list", "number", "html"],
)
async def test_a_200_that_is_no_json_object(
    start_kit: StartKit, body: bytes, retried: bool
) -> None:
    """Empty bodies are retried (a hiccup); whole bodies that are no JSON object are not:
    each ends in one short line of BadResponseError."""
    server = await start_kit(answering(lambda: raw(body)))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=RETRY) as llm:
        with pytest.raises(BadResponseError) as info:
            await llm.ainvoke("hi")
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    assert "<h1>" not in message
    assert len(server.requests) == (3 if retried else 1)


async def test_a_200_cut_before_its_end_is_retried(start_kit: StartKit) -> None:
    """JSON cut off with the connection (no Content-Length: read to the close) is retried,
    and the next whole answer is taken."""
    cut = b'{"id": "x", "choices": [{"index": 0, "message": {"role": "assis'

    async def handler(request: web.Request) -> web.StreamResponse:
        if len(server.requests) == 1:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
            await response.write(cut)
            await response.write_eof()
            return response
        return web.json_response(chat_answer("whole"))

    server = await start_kit(handler)
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=RETRY) as llm:
        assert (await llm.ainvoke("hi")).content == "whole"
    assert len(server.requests) == 2


# --- error bodies -----------------------------------------------------------------------------

PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title>"
    b"<style>body { color: red; }</style><script>var k = 1;</script></head>\n"
    b"<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n"
    + b"<p>"
    + b"padding " * 20000
    + b"</p></body></html>"
)


async def test_an_html_error_page_is_one_short_line(start_kit: StartKit) -> None:
    """A proxy's 502 page: ServerError whose message is the status and a short excerpt, tags,
    styles and scripts gone; the body kept is cut too."""
    server = await start_kit(answering(lambda: raw(PAGE, 502, "text/html")))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=NO_RETRY) as llm:
        with pytest.raises(ServerError) as info:
            await llm.ainvoke("hi")
    message = str(info.value)
    assert message.startswith("502: 502 Bad Gateway")
    assert "nginx" in message
    assert "<" not in message and "color" not in message and "var k" not in message
    assert "\n" not in message and len(message) <= 210
    assert len(str(info.value.body)) <= 2000


async def test_a_huge_json_error_message_is_cut_to_one_line(start_kit: StartKit) -> None:
    """A JSON error whose message is megabytes over many lines: one line, cut."""
    error = {"error": {"message": "line one\nline two\n" + "x" * 2_000_000}}
    server = await start_kit(answering(lambda: web.json_response(error, status=400)))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=NO_RETRY) as llm:
        with pytest.raises(Exception) as info:
            await llm.ainvoke("hi")
    message = str(info.value)
    assert message.startswith("400: line one line two")
    assert "\n" not in message and len(message) <= 510


async def test_an_error_page_echoing_the_key_never_shows_it(start_kit: StartKit) -> None:
    """A page that prints the request's key, at the very place the excerpt is cut: no part
    of the key is in the message or the traceback."""

    async def handler(request: web.Request) -> web.StreamResponse:
        auth = request.headers["Authorization"]
        lead = "x" * (200 - 10)  # the key straddles the 200th character
        return raw(f"<p>{lead}{auth}</p>".encode(), 500, "text/html")

    server = await start_kit(handler)
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=NO_RETRY) as llm:
        with pytest.raises(ServerError) as info:
            await llm.ainvoke("hi")
    shown = "".join(traceback.format_exception(info.value)) + repr(vars(info.value))
    assert KEY[:12] not in shown


def test_one_line_strips_tags_and_entities() -> None:
    """Tags, scripts and comments go, entities are decoded, white space collapses."""
    text = "<b>Bad</b>&nbsp;&amp; <!-- x --> <script>evil()</script>\n\n gateway"
    assert one_line(text) == "Bad & gateway"
    assert one_line("a" * 500, 20) == "a" * 17 + "..."


# --- rate-limit reset headers -----------------------------------------------------------------


def _in(seconds: float) -> str:
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    return when.isoformat()


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"x-ratelimit-reset-requests": "1s", "x-ratelimit-remaining-requests": "0"}, 1.0, 1.0),
        ({"x-ratelimit-reset-tokens": "6m0s", "x-ratelimit-remaining-tokens": "0"}, 360.0, 360.0),
        ({"x-ratelimit-reset-requests": "20ms"}, 0.02, 0.02),
        ({"x-ratelimit-reset-tokens": "1h2m3.5s"}, 3723.5, 3723.5),
        (
            {
                "x-ratelimit-reset-requests": "2s",
                "x-ratelimit-remaining-requests": "5",
                "x-ratelimit-reset-tokens": "30ms",
                "x-ratelimit-remaining-tokens": "0",
            },
            0.03,
            0.03,
        ),
        ({"anthropic-ratelimit-requests-reset": "in 30"}, 25.0, 30.0),
        ({"anthropic-ratelimit-tokens-reset": "in 10"}, 5.0, 10.0),
        ({"retry-after": "3", "x-ratelimit-reset-requests": "9s"}, 3.0, 3.0),
        ({"retry-after-ms": "250", "x-ratelimit-reset-requests": "9s"}, 0.25, 0.25),
    ],
)  # fmt: skip
def test_reset_headers_say_how_long_a_429_waits(
    headers: dict[str, str], low: float, high: float
) -> None:
    """retry-after(-ms) first; else the reset of a used-up limit, OpenAI's durations and
    Anthropic's RFC 3339 times alike (a limit with something left is not the one that
    refused)."""
    headers = {k: _in(float(v[3:])) if v.startswith("in ") else v for k, v in headers.items()}
    seconds = parse_retry_after(headers)
    assert seconds is not None and low <= seconds <= high


@pytest.mark.parametrize(
    "headers",
    [
        {"x-ratelimit-reset-requests": "soon"},
        {"x-ratelimit-reset-requests": "-1s"},
        {"x-ratelimit-reset-requests": "1s", "x-ratelimit-remaining-requests": "3"},
        {"x-ratelimit-reset-tokens": "99999h"},
        {"anthropic-ratelimit-requests-reset": "2020-01-01T00:00:00Z"},
        {"anthropic-ratelimit-requests-reset": "tomorrow"},
    ],
)
def test_malformed_or_irrelevant_resets_say_nothing(headers: dict[str, str]) -> None:
    """Junk, negative, past, absurd resets, or a limit with something left: no wait."""
    assert parse_retry_after(headers) is None


async def test_a_429_is_waited_out_by_its_reset_header(start_kit: StartKit) -> None:
    """A 429 saying only `x-ratelimit-reset-requests: 20ms` is retried (after that wait)
    and the call succeeds."""
    limited = web.json_response(
        {"error": {"message": "slow down"}},
        status=429,
        headers={"x-ratelimit-reset-requests": "20ms", "x-ratelimit-remaining-requests": "0"},
    )
    server = await start_kit(answering(limited, chat_answer("after")))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=RETRY) as llm:
        assert (await llm.ainvoke("hi")).content == "after"
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "3600"},
        {"x-ratelimit-reset-tokens": "1h0m0s", "x-ratelimit-remaining-tokens": "0"},
        {"anthropic-ratelimit-tokens-reset": "in 3600"},
    ],
)  # fmt: skip
async def test_a_server_cannot_make_a_call_sleep_for_an_hour(
    start_kit: StartKit, headers: dict[str, str]
) -> None:
    """A 429 asking for an hour (in any header) is past the cap (`max_retry_after`): the call
    fails at once saying when to come back, the limiter does not pause for it."""
    headers = {k: _in(float(v[3:])) if v.startswith("in ") else v for k, v in headers.items()}
    limited = web.json_response({"error": {"message": "later"}}, status=429, headers=headers)
    server = await start_kit(answering(limited))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, retry=RETRY) as llm:
        with pytest.raises(RateLimitError, match="come back in"):
            await llm.ainvoke("hi")
        assert llm.rate_limiter.usage()["paused_for"] == 0
    assert len(server.requests) == 1


# --- Responses API answers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "drop", [("object",), ("id",), ("object", "id"), ("status",), ("object", "id", "model")]
)
async def test_responses_answers_without_object_or_id_are_read(
    start_kit: StartKit, drop: tuple[str, ...]
) -> None:
    """vLLM- or Ollama-style responses missing `object`, `id` or `status` are still read."""
    answer = response_object("fine")
    for name in drop:
        answer.pop(name)
    server = await start_kit(answering(answer))
    async with ChatOpenAI(base_url=server.base_url, api_key=KEY, use_responses_api=True) as llm:
        reply = await llm.ainvoke("hi")
    assert reply.text == "fine"


@pytest.mark.parametrize(
    "answer",
    [
        {"object": "chat.completion", "status": "completed", "output": []},
        {"status": "completed", "output": "fine"},
        {"status": "completed"},
        {"output": []},
        {"id": 7, "status": "completed", "output": []},
        {"status": "queued", "output": []},
    ],
)
async def test_garbage_responses_answers_are_refused(
    start_kit: StartKit, answer: dict[str, Any]
) -> None:
    """Something else (another object, no output list, a bad id or status): BadResponseError."""
    server = await start_kit(answering(answer))
    async with ChatOpenAI(
        base_url=server.base_url, api_key=KEY, use_responses_api=True, retry=NO_RETRY
    ) as llm:
        with pytest.raises(BadResponseError):
            await llm.ainvoke("hi")


async def test_anthropic_usage_as_text_is_read(start_kit: StartKit) -> None:
    """Anthropic-compatible servers writing counts as text work too."""
    message = anthropic_message(usage={"input_tokens": "5", "output_tokens": 2.0})
    server = await start_kit(answering(message))
    async with ChatAnthropic(
        base_url=server.root, api_key=KEY, model="claude-3-5-haiku-latest"
    ) as claude:
        reply = await claude.ainvoke("hi")
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["input_tokens"] == 5
    assert reply.usage_metadata["output_tokens"] == 2
