"""A small kit of misbehaving HTTP servers on 127.0.0.1, for the tests/test_hostile_*.py files.

`KitServer` runs one aiohttp app whose handler a test writes (often with the answer builders
below) and records every request it read: its path with query, headers and JSON body. The
builders make the answers real servers give: OpenAI chat / completion answers and chunks,
Anthropic messages and events, Responses API objects, SSE bodies in the spellings servers
use (`\\r\\n` line ends, no `event:` lines, comments, data split over lines, no `[DONE]`).

`drop_on_reuse` makes a handler close a kept-alive connection at its second request without
answering, the way a server closes an idle connection just as the client sends on it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from .hostile import serve_app

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class KitServer:
    """An aiohttp app on 127.0.0.1 running `handler`; `requests` lists what it read."""

    handler: Handler
    requests: list[Seen] = field(default_factory=list)
    root: str = ""
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-style API root (`.../v1`)."""
        return self.root + "/v1"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.requests.append(Seen(request.method, request.path_qs, dict(request.headers), body))
        return await self.handler(request)

    async def start(self) -> KitServer:
        self._runner, self.root = await serve_app(self._handle)
        return self

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


# --- connection tricks ------------------------------------------------------------------------


def drop_on_reuse(handler: Handler, *, reset: bool = False, after: float = 0.0) -> Handler:
    """`handler`, except that a connection's second request is met by closing the connection
    unanswered (with a TCP reset when `reset`): a stale kept-alive connection; or, `after`
    seconds of work on it, a server (or proxy) that read the request and then dropped it."""
    served: set[int] = set()

    async def handle(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        key = id(transport)
        if key in served:
            served.discard(key)
            if after:
                await asyncio.sleep(after)
            if reset:
                sock = transport.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.close()
            raise asyncio.CancelledError
        served.add(key)
        return await handler(request)

    return handle


def hang_up(request: web.Request) -> web.StreamResponse:
    """Close the connection without any answer (a fresh connection dropped)."""
    assert request.transport is not None
    request.transport.close()
    raise asyncio.CancelledError


# --- answers ----------------------------------------------------------------------------------


def chat_answer(text: str = "fine", *, usage: Any = None, **extra: Any) -> dict[str, Any]:
    """A chat completion."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": usage or {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        **extra,
    }


def completion_answer(text: str = "fine", *, usage: Any = None) -> dict[str, Any]:
    """A (legacy) completion."""
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
        "usage": usage or {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


def anthropic_message(text: str = "fine", *, usage: Any = None) -> dict[str, Any]:
    """An Anthropic Message."""
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-5-haiku-latest",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage or {"input_tokens": 3, "output_tokens": 1},
    }


def response_object(text: str = "fine", *, usage: Any = None, **extra: Any) -> dict[str, Any]:
    """A Responses API response."""
    return {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "model": "gpt-4o-mini",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "usage": usage or {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
        **extra,
    }


def chat_chunk(content: str | None = None, *, finish: str | None = None) -> dict[str, Any]:
    """A chat completion chunk with `content` and/or a finish reason."""
    delta: dict[str, Any] = {} if content is None else {"content": content}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def chat_chunks(*pieces: str, finish: str | None = "stop") -> list[dict[str, Any]]:
    """A role chunk, one chunk per piece, then the finishing chunk (when `finish`)."""
    first = chat_chunk()
    first["choices"][0]["delta"] = {"role": "assistant", "content": ""}
    chunks = [first, *(chat_chunk(p) for p in pieces)]
    if finish is not None:
        chunks.append(chat_chunk(finish=finish))
    return chunks


def anthropic_events(*pieces: str) -> list[dict[str, Any]]:
    """An Anthropic stream's events for text `pieces`."""
    start = anthropic_message("")
    start["content"] = []
    start["stop_reason"] = None
    return [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
            for p in pieces
        ),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": len(pieces)},
        },
        {"type": "message_stop"},
    ]


def sse(
    events: Sequence[dict[str, Any] | bytes],
    *,
    done: bool = True,
    named: bool = False,
    crlf: bool = False,
    comments: bool = False,
    split_data: bool = False,
) -> bytes:
    """An SSE body: each event's `data:` (raw bytes as they are), then `[DONE]` when `done`.

    `named` adds `event:` lines (from each event's `type`), `crlf` uses `\\r\\n` line ends,
    `comments` puts `: keep-alive` lines between events, `split_data` writes each JSON
    object over several `data:` lines (one per key).
    """
    lines: list[bytes] = []
    for event in events:
        if comments:
            lines += [b": keep-alive", b""]
        if isinstance(event, bytes):
            lines += [event, b""]
            continue
        if named and "type" in event:
            lines.append(b"event: " + str(event["type"]).encode())
        text = json.dumps(event)
        if split_data:
            # `{"a": 1, "b": 2}` -> `data: {"a": 1,` / `data: "b": 2}`: joined by a newline,
            # which is white space to JSON.
            parts = text.split(", ")
            for position, part in enumerate(parts):
                comma = b"," if position < len(parts) - 1 else b""
                lines.append(b"data: " + part.encode() + comma)
        else:
            lines.append(b"data: " + text.encode())
        lines.append(b"")
    if done:
        lines += [b"data: [DONE]", b""]
    end = b"\r\n" if crlf else b"\n"
    return end.join(lines) + end


async def stream(
    request: web.Request,
    body: bytes,
    *,
    content_type: str | None = "text/event-stream",
    pieces: int = 1,
    reset_after: bool = False,
) -> web.StreamResponse:
    """Send `body` as a streamed answer (in `pieces` writes), then end it; `reset_after`
    breaks the connection instead of ending the body cleanly."""
    response = web.StreamResponse(headers={"Content-Type": content_type} if content_type else {})
    if content_type is None:
        response.headers.popall("Content-Type", None)
    await response.prepare(request)
    size = max(1, len(body) // pieces)
    for start in range(0, len(body), size):
        await response.write(body[start : start + size])
    if reset_after:
        assert request.transport is not None
        request.transport.abort()
        raise asyncio.CancelledError
    await response.write_eof()
    return response


def raw(
    body: bytes, status: int = 200, content_type: str = "application/json", **headers: str
) -> web.Response:
    """An answer with exactly `body`."""
    return web.Response(status=status, body=body, headers={"Content-Type": content_type, **headers})


StartKit = Callable[[Handler], Awaitable[KitServer]]


@pytest.fixture
async def start_kit() -> AsyncIterator[StartKit]:
    """Starts kit servers running the given handlers; all are closed after the test."""
    servers: list[KitServer] = []

    async def start(handler: Handler) -> KitServer:
        server = await KitServer(handler).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.aclose()


class BareServer:
    """A raw TCP server answering every request with exactly the bytes of `answer(body)`
    (an HTTP/1.1 response written by hand: no header aiohttp would add, such as a
    Content-Type), then closing the connection."""

    def __init__(self, answer: Callable[[bytes], bytes]) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.root = ""
        self._server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            self.requests.append(body)
            writer.write(self.answer(body))
            await writer.drain()
        finally:
            writer.close()

    async def start(self) -> BareServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.root = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def bare_response(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    """An HTTP/1.1 response with only `headers` (and Connection: close), body read to the
    end of the connection."""
    lines = [f"HTTP/1.1 {status}", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode() + body
