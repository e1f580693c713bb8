"""Shared fixtures: real servers on 127.0.0.1, and a guard that refuses any other address."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from aiochain.sim import SimServer

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT.parent / "shared" / "seed"

# --- the network guard: tests may talk to this machine only --------------------------------

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(host: Any) -> bool:
    if host in (None, "localhost", ""):
        return True
    if isinstance(host, bytes):
        host = host.decode()
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local(host):
        raise OSError(f"tests may not resolve {host!r}: only 127.0.0.1 is reachable")
    return _real_getaddrinfo(host, *args, **kwargs)


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise OSError(f"tests may not connect to {address!r}: only 127.0.0.1 is reachable")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]

# Tests must not pick up a developer's real key or server.
os.environ.pop("OPENAI_API_KEY", None)
os.environ.pop("OPENAI_BASE_URL", None)


# --- the simulation server ------------------------------------------------------------------


@pytest.fixture
async def start_sim() -> AsyncIterator[Callable[..., Awaitable[SimServer]]]:
    """Starts simulation servers with the given options; all are closed after the test."""
    servers: list[SimServer] = []

    async def start(**options: Any) -> SimServer:
        server = SimServer(**options)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.aclose()


@pytest.fixture
async def sim(start_sim: Callable[..., Awaitable[SimServer]]) -> SimServer:
    """A simulation server with no latency and no faults."""
    return await start_sim()


# --- a scripted server, for exact error answers -------------------------------------------


@dataclass
class Reply:
    """One scripted answer: a status with a JSON (or raw) body, or a dropped connection."""

    status: int = 200
    json: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


@dataclass
class ScriptedServer:
    """Answers requests with `replies` in order (the last one repeats); records each request."""

    base_url: str
    replies: list[Reply]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


def completion_json(text: str = "ok", *, chat: bool = False) -> dict[str, Any]:
    """A minimal well-formed completion answer."""
    choice: dict[str, Any] = (
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        if chat
        else {"index": 0, "text": text, "finish_reason": "stop"}
    )
    return {
        "id": "x",
        "object": "chat.completion" if chat else "text_completion",
        "choices": [choice],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[list[Reply]], Awaitable[ScriptedServer]]]:
    """Starts tiny aiohttp servers that play a script of replies."""
    runners: list[web.AppRunner] = []
    closing = asyncio.Event()

    async def start(replies: list[Reply]) -> ScriptedServer:
        state = ScriptedServer(base_url="", replies=list(replies))

        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                state.requests.append(await request.json())
            except ValueError:
                state.requests.append({})
            state.headers.append(dict(request.headers))
            state.paths.append(request.path_qs)
            index = min(len(state.requests), len(state.replies)) - 1
            reply = state.replies[index]
            if reply.delay:
                sleeper = asyncio.ensure_future(asyncio.sleep(reply.delay))
                stopper = asyncio.ensure_future(closing.wait())
                await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
                sleeper.cancel()
                stopper.cancel()
            if reply.drop and request.transport is not None:
                request.transport.close()
                raise asyncio.CancelledError
            if reply.raw is not None:
                return web.Response(status=reply.status, body=reply.raw, headers=reply.headers)
            return web.json_response(reply.json, status=reply.status, headers=reply.headers)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        state.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
        return state

    yield start
    closing.set()
    for runner in runners:
        await runner.cleanup()


def free_port() -> int:
    """A port nobody listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


PYTHON = sys.executable


def poll_until(condition: Callable[[], bool], *, limit: float = 60.0) -> None:
    """Poll `condition` from sync code until it holds (another process's progress, which can
    only be polled); the test fails after `limit` seconds."""
    import time

    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the condition did not hold within {limit:g} s")
        time.sleep(0.01)


async def until(condition: Callable[[], bool], *, limit: float = 10.0) -> None:
    """Poll `condition` until it holds; the test fails after `limit` seconds.

    For states that live in another thread or process (a threaded server's counters), which
    no event of the test's loop can signal.
    """
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - the state lives outside this loop
            await asyncio.sleep(0.005)


@pytest.fixture
def sim_in_thread() -> Any:
    """A simulation server on its own thread and loop, for sync code; yields its base URL."""
    with SimServer().serve_in_thread() as base_url:
        yield base_url


@pytest.fixture
def start_threaded_sim() -> Any:
    """Starts simulation servers on their own threads and loops, so that the test's loop holds
    only client tasks (for checks with asyncio.all_tasks())."""
    import contextlib

    with contextlib.ExitStack() as stack:

        def start(**options: Any) -> SimServer:
            server = SimServer(**options)
            stack.enter_context(server.serve_in_thread())
            return server

        yield start


@pytest.fixture(scope="session")
def cluster() -> Iterator[str]:
    """A local cluster for the session (2 CPUs, no dashboard, a small object store); its
    address is what `--ray ADDRESS` joins."""
    ray = pytest.importorskip(
        "ray", reason="the ray extra is not installed: pip install -e '.[ray]'"
    )
    pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install -e '.[ray]'")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=100 * 1024 * 1024,
        log_to_driver=False,
    )
    try:
        yield str(ray.get_runtime_context().gcs_address)
    finally:
        ray.shutdown()
