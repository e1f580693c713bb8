"""A deliberately hostile OpenAI-compatible server, written apart from the simulation server:
each mode misbehaves in one way a real server (or a man in the middle) might.

`HostileServer.start(mode)` serves `mode` on every request until `heal()`, after which it
answers like a healthy server, so a test can check that the client is clean afterwards.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request, "HostileServer"], Awaitable[web.StreamResponse]]


async def serve_app(
    handle: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> tuple[web.AppRunner, str]:
    """An aiohttp app on 127.0.0.1 (any free port) sending every request to `handle`: its
    runner (for `cleanup()`) and its root URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def chat_answer(content: Any = "fine", **extra: Any) -> dict[str, Any]:
    message = {"role": "assistant", "content": content, **extra}
    return {
        "id": "x",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


def chunk(delta: dict[str, Any] | None = None, **extra: Any) -> bytes:
    event = {"choices": [{"index": 0, "delta": delta or {}}], **extra}
    return b"data: " + json.dumps(event).encode() + b"\n\n"


async def healthy(request: web.Request, server: HostileServer) -> web.StreamResponse:
    body = await request.json()
    if body.get("stream"):
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(chunk({"role": "assistant"}))
        await response.write(chunk({"content": "fine"}))
        await response.write(b"data: [DONE]\n\n")
        return response
    return web.json_response(chat_answer())


async def _sse(request: web.Request, *pieces: bytes, pause: float = 0.0) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for piece in pieces:
        await response.write(piece)
        if pause:
            await asyncio.sleep(pause)
    return response


def _raw(body: bytes, status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        status=status, body=body, headers={"Content-Type": "application/json", **headers}
    )


async def retry_after_a_day(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return web.json_response(
        {"error": {"message": "come back tomorrow"}}, status=429, headers={"retry-after": "86400"}
    )


async def retry_after_infinite(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return web.json_response(
        {"error": {"message": "slow"}}, status=429, headers={"retry-after-ms": "1e309"}
    )


async def usage_as_strings(request: web.Request, server: HostileServer) -> web.StreamResponse:
    answer = chat_answer()  # read as numbers: a server writing counts as text is no enemy
    answer["usage"] = {"prompt_tokens": "3", "completion_tokens": "1", "total_tokens": "4"}
    return web.json_response(answer)


async def negative_usage(request: web.Request, server: HostileServer) -> web.StreamResponse:
    answer = chat_answer()
    answer["usage"] = {"prompt_tokens": -1000, "completion_tokens": -5, "total_tokens": -1005}
    return web.json_response(answer)


async def absurd_limits(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return web.json_response(
        chat_answer(),
        headers={
            "x-ratelimit-limit-requests": "1e-9",
            "x-ratelimit-remaining-requests": "-1e12",
            "x-ratelimit-limit-tokens": "nan",
            "x-ratelimit-remaining-tokens": "inf",
        },
    )


async def trickle(request: web.Request, server: HostileServer) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(chunk({"content": "a"}))
    for _ in range(10_000):  # one byte every 20 ms: never idle, never done
        await response.write(b":")
        await asyncio.sleep(0.02)
    return response


async def stall(request: web.Request, server: HostileServer) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(chunk({"content": "a"}))
    await asyncio.sleep(3600)  # then nothing, for ever
    return response


async def huge_event(request: web.Request, server: HostileServer) -> web.StreamResponse:
    line = b"data: " + b"x" * (2 * 1024 * 1024)
    return await _sse(request, *[line[i : i + 65536] for i in range(0, len(line), 65536)])


async def gzip_bomb(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return _raw(_bomb(), **{"Content-Encoding": "gzip"})


@functools.cache
def _bomb() -> bytes:
    """About 50 KB of gzip that inflates to 50 MB."""
    return gzip.compress(b" " * (50 * 1024 * 1024), compresslevel=9)


async def deep_json(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return _raw(b"[" * 100_000)


async def deep_json_error(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return _raw(b'{"error": ' + b"[" * 100_000, status=500)


async def deep_json_event(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return await _sse(request, b"data: " + b"[" * 100_000 + b"\n\n")


async def huge_number(request: web.Request, server: HostileServer) -> web.StreamResponse:
    body = json.dumps(chat_answer()).replace('"prompt_tokens": 3', '"prompt_tokens": ' + "9" * 5000)
    return _raw(body.encode())


async def numeric_content(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return web.json_response(chat_answer(content=12345))


async def choices_not_objects(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return await _sse(request, b'data: {"choices": ["oops"]}\n\n', b"data: [DONE]\n\n")


async def stream_without_choices(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return await _sse(
        request, b'data: {"id": "x"}\n\n', b'data: {"id": "y"}\n\n', b"data: [DONE]\n\n"
    )


async def tool_function_string(request: web.Request, server: HostileServer) -> web.StreamResponse:
    calls = [{"id": "c1", "type": "function", "function": "get_weather"}]
    return web.json_response(chat_answer(content=None, tool_calls=calls))


async def tool_arguments_object(request: web.Request, server: HostileServer) -> web.StreamResponse:
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}]
    return web.json_response(chat_answer(content=None, tool_calls=calls))


async def tool_index_text(request: web.Request, server: HostileServer) -> web.StreamResponse:
    delta = {"tool_calls": [{"index": "zero", "id": "c1", "function": {"name": "f"}}]}
    return await _sse(request, chunk(delta), b"data: [DONE]\n\n")


async def error_null_chunks(request: web.Request, server: HostileServer) -> web.StreamResponse:
    return await _sse(
        request,
        chunk({"content": "fi"}, error=None),
        chunk({"content": "ne"}, error=None),
        b"data: [DONE]\n\n",
    )


async def crlf_split(request: web.Request, server: HostileServer) -> web.StreamResponse:
    first = json.dumps({"choices": [{"index": 0, "delta": {"content": "fi"}}]}).encode()
    # A two-line data event ("{" on one line, the rest on the next) and CR LF line ends, cut
    # between the CR and the LF.
    return await _sse(
        request,
        b"data: " + first + b"\r",
        b"\n\r",
        b'\ndata: {"choices": [{"index": 0,\r',
        b'\ndata:  "delta": {"content": "ne"}}]}\r\n\r',
        b"\ndata: [DONE]\r\n\r\n",
        pause=0.01,
    )


async def echo_key(request: web.Request, server: HostileServer) -> web.StreamResponse:
    key = request.headers.get("Authorization", "")
    return web.json_response(
        {"error": {"message": f"invalid key {key}", "key": key}},
        status=401,
        headers={"x-echo": key},
    )


async def echo_key_garbage(request: web.Request, server: HostileServer) -> web.StreamResponse:
    key = request.headers.get("Authorization", "")
    return _raw(f"<html>oops {key}</html>".encode())


async def echo_key_stream(request: web.Request, server: HostileServer) -> web.StreamResponse:
    key = request.headers.get("Authorization", "")
    error = json.dumps({"error": {"message": f"bad key {key}"}}).encode()
    return await _sse(request, chunk({"content": "a"}), b"data: " + error + b"\n\n")


async def redirect_loop(request: web.Request, server: HostileServer) -> web.StreamResponse:
    raise web.HTTPTemporaryRedirect(location=str(request.url))


MODES: dict[str, Handler] = {
    "retry_after_a_day": retry_after_a_day,
    "retry_after_infinite": retry_after_infinite,
    "usage_as_strings": usage_as_strings,
    "negative_usage": negative_usage,
    "absurd_limits": absurd_limits,
    "trickle": trickle,
    "stall": stall,
    "huge_event": huge_event,
    "gzip_bomb": gzip_bomb,
    "deep_json": deep_json,
    "deep_json_error": deep_json_error,
    "deep_json_event": deep_json_event,
    "huge_number": huge_number,
    "numeric_content": numeric_content,
    "choices_not_objects": choices_not_objects,
    "stream_without_choices": stream_without_choices,
    "tool_function_string": tool_function_string,
    "tool_arguments_object": tool_arguments_object,
    "tool_index_text": tool_index_text,
    "error_null_chunks": error_null_chunks,
    "crlf_split": crlf_split,
    "echo_key": echo_key,
    "echo_key_garbage": echo_key_garbage,
    "echo_key_stream": echo_key_stream,
    "redirect_loop": redirect_loop,
}


class HostileServer:
    """One hostile mode on 127.0.0.1 until healed."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.healed = False
        self.requests = 0
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    def heal(self) -> None:
        """Answer like a healthy server from now on."""
        self.healed = True

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self.healed:
            return await healthy(request, self)
        return await MODES[self.mode](request, self)

    async def start(self) -> HostileServer:
        self._runner, root = await serve_app(self._handle)
        self.base_url = root + "/v1"
        return self

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
