"""A model server that enforces tokens per minute one second at a time, as OpenAI documents
its own limits are enforced, and Anthropic's settling of `max_tokens`: independent of the
simulator (it shares no code with aiochain), for the limiter's acceptance tests and benchmark.

Each answer's cost is counted as the providers count it: at admission the prompt plus
`max_tokens` (when given) is taken from a bucket that holds one second of the per-minute
budget and refills continuously; a request larger than the whole minute's budget is refused
for good; at the end the real usage settles the difference. Prompt tokens are counted by this
server's own rule (words plus a few per message), not the client's, so a client must learn the
real counts from usage. Answers carry `x-ratelimit-*` headers (or `anthropic-ratelimit-*` on
`/v1/messages`) and a 429 carries `retry-after-ms`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class TokenServer:
    """Settings and what happened. `used` holds (admission time, real tokens) per answer."""

    tpm: float
    rpm: float | None = None
    completion_tokens: int = 8
    latency: float = 0.05
    window: float = 1.0
    base_url: str = ""
    used: list[tuple[float, int]] = field(default_factory=list)
    answered: int = 0
    refused: int = 0
    too_large: int = 0
    _level: float = 0.0
    _requests: float = 0.0
    _stamp: float = 0.0

    def __post_init__(self) -> None:
        self._level = self._capacity()
        self._requests = self._request_capacity()
        self._stamp = time.monotonic()

    def _capacity(self) -> float:
        return self.tpm / 60.0 * self.window

    def _request_capacity(self) -> float:
        return max(1.0, (self.rpm or 0.0) / 60.0 * self.window)

    def _refill(self) -> None:
        now = time.monotonic()
        elapsed, self._stamp = now - self._stamp, now
        self._level = min(self._capacity(), self._level + elapsed * self.tpm / 60.0)
        if self.rpm:
            self._requests = min(
                self._request_capacity(), self._requests + elapsed * self.rpm / 60.0
            )

    def _headers(self, anthropic: bool) -> dict[str, str]:
        remaining = max(0, int(self._level))
        reset = max(0.0, (self._capacity() - self._level) / (self.tpm / 60.0))
        if anthropic:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + reset + 1))
            headers = {}
            for family in ("tokens", "input-tokens", "output-tokens"):
                headers[f"anthropic-ratelimit-{family}-limit"] = f"{self.tpm:.0f}"
                headers[f"anthropic-ratelimit-{family}-remaining"] = str(remaining)
                headers[f"anthropic-ratelimit-{family}-reset"] = stamp
            return headers
        headers = {
            "x-ratelimit-limit-tokens": f"{self.tpm:.0f}",
            "x-ratelimit-remaining-tokens": str(remaining),
            "x-ratelimit-reset-tokens": f"{reset:.3f}s",
        }
        if self.rpm:
            headers["x-ratelimit-limit-requests"] = f"{self.rpm:.0f}"
            headers["x-ratelimit-remaining-requests"] = str(max(0, int(self._requests)))
        return headers

    async def _answer(self, request: web.Request) -> web.Response:
        anthropic = request.path.endswith("/messages")
        body: dict[str, Any] = await request.json()
        texts = [str(m.get("content", "")) for m in body.get("messages", [])]
        prompt = sum(len(text.split()) + 4 for text in texts) + len(
            str(body.get("system", "")).split()
        )
        max_tokens = body.get("max_tokens")
        cost = prompt + (int(max_tokens) if max_tokens else 0)
        self._refill()
        if cost > self.tpm:
            self.too_large += 1
            return self._refuse(f"Request too large: Limit {self.tpm:.0f}, Requested {cost}", None)
        if self._level < min(cost, self._capacity()) or (self.rpm and self._requests < 1):
            wait = max(0.0, (min(cost, self._capacity()) - self._level) / (self.tpm / 60.0))
            if self.rpm and self._requests < 1:
                wait = max(wait, (1 - self._requests) / (self.rpm / 60.0))
            self.refused += 1
            return self._refuse("Rate limit reached for tokens", wait, anthropic)
        self._level -= cost
        self._requests -= 1
        admitted = time.monotonic()
        await asyncio.sleep(self.latency)
        completion = self.completion_tokens
        if max_tokens:
            completion = min(completion, int(max_tokens))
        real = prompt + completion
        self._refill()
        self._level = min(self._capacity(), self._level + cost - real)  # settle
        self.used.append((admitted, real))
        self.answered += 1
        text = " ".join(["word"] * completion)
        headers = self._headers(anthropic)
        if anthropic:
            answer: dict[str, Any] = {
                "id": f"msg_{self.answered}",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", "m"),
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": prompt, "output_tokens": completion},
            }
        else:
            answer = {
                "id": f"chatcmpl-{self.answered}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "m"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": real,
                },
            }
        return web.json_response(answer, headers=headers)

    def _refuse(self, message: str, wait: float | None, anthropic: bool = False) -> web.Response:
        headers = self._headers(anthropic)
        if wait is not None:
            headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
            headers["retry-after"] = str(max(1, math.ceil(wait)))
        error = {"message": message, "type": "tokens", "code": "rate_limit_exceeded"}
        return web.Response(
            status=429,
            text=json.dumps({"error": error}),
            headers=headers,
            content_type="application/json",
        )

    def peak(self, seconds: float) -> float:
        """The most real tokens admitted in any `seconds`-long window, per minute."""
        times = sorted(self.used)
        best = 0
        total = 0
        start = 0
        for end in range(len(times)):
            total += times[end][1]
            while times[end][0] - times[start][0] >= seconds:
                total -= times[start][1]
                start += 1
            best = max(best, total)
        return best * 60.0 / seconds

    @contextlib.contextmanager
    def serve_in_thread(self) -> Iterator[str]:
        """Serve on 127.0.0.1 from a thread of its own; yields the OpenAI-style base URL."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        stop = asyncio.Event()

        async def run() -> None:
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._answer)
            app.router.add_post("/v1/messages", self._answer)
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
            ready.set()
            await stop.wait()
            await runner.cleanup()

        thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
        thread.start()
        ready.wait(10)
        try:
            yield self.base_url
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(10)
            loop.close()
