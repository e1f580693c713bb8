"""The simulation server: OpenAI's chat and completions endpoints on aiohttp, on 127.0.0.1.

It shares no wire-format code with the aiochain client (only the error root, for bad options), so
each checks the other. Every request goes through the same steps, in this order:
auth (401) -> body and model checks (400, 404) -> rate limits (429) -> injected faults ->
latency -> answer (JSON, or server-sent events when `stream` is true).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from aiohttp import web

from .._exceptions import ConfigurationError, SimServerError
from ._ratelimit import Bucket, format_duration
from ._request import Reject, RequestSpec, fault_reject, parse_request, unknown_model
from ._text import answer, count_tokens
from ._tools import answer_from_results, choose_calls

try:
    import orjson

    def _dumps(obj: Any) -> bytes:
        encoded: bytes = orjson.dumps(obj)
        return encoded

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    import json

    # One encoder, built once: json.dumps with options builds a new one per call.
    _encode = json.JSONEncoder(separators=(",", ":")).encode

    def _dumps(obj: Any) -> bytes:
        return _encode(obj).encode()

    _loads = json.loads

DEFAULT_MODELS = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-4-turbo",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-instruct",
    "o3-mini",
    "o4-mini",
)


class SimServer:
    """An OpenAI-compatible server that simulates latency, streaming, rate limits and faults.

    Use it as `async with SimServer(latency=1.0) as base_url:` (the URL ends in `/v1`), or from
    sync code as `with SimServer(...).serve_in_thread() as base_url:`.

    Args:
        host: the address to bind; 127.0.0.1 unless told otherwise.
        port: the port; 0 picks a free one.
        latency: seconds before the first token.
        latency_jitter: the latency varies uniformly by up to this much either way.
        tokens_per_second: the pace of tokens after the first; 0 sends them all at once. A
            non-streamed answer arrives when its stream would have ended.
        rpm: requests per minute per API key, or None for no limit.
        tpm: tokens (prompt plus completion) per minute per API key, or None.
        rate_window: seconds of the per-minute budget a bucket holds (see `_ratelimit`).
        fail_rate: share of requests answered with `fail_status` and an error body.
        fail_status: the status of those failures (default 500).
        drop_rate: share of requests whose connection is cut before any answer.
        hang_rate: share of requests never answered (until the client gives up).
        stream_cut_rate: share of streams cut halfway, before `[DONE]`.
        api_key: when set, requests with another bearer get 401.
        seed: the seed of the fault and jitter draws (answers depend only on the request).
        models: the model names served; others get 404.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        tokens_per_second: float = 0.0,
        rpm: float | None = None,
        tpm: float | None = None,
        rate_window: float = 1.0,
        fail_rate: float = 0.0,
        fail_status: int = 500,
        drop_rate: float = 0.0,
        hang_rate: float = 0.0,
        stream_cut_rate: float = 0.0,
        api_key: str | None = None,
        seed: int = 0,
        models: Sequence[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (
            ("latency", latency),
            ("latency_jitter", latency_jitter),
            ("tokens_per_second", tokens_per_second),
        ):
            if not isinstance(value, int | float) or value < 0:
                raise ConfigurationError(f"{name} must be a number >= 0, got {value!r}")
        for name, limit in (("rpm", rpm), ("tpm", tpm)):
            if limit is not None and (not isinstance(limit, int | float) or limit <= 0):
                raise ConfigurationError(f"{name} must be a number > 0, got {limit!r}")
        if rate_window <= 0:
            raise ConfigurationError(f"rate_window must be > 0, got {rate_window!r}")
        rates = (fail_rate, drop_rate, hang_rate)
        for name, rate in zip(("fail_rate", "drop_rate", "hang_rate"), rates, strict=True):
            if not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
                raise ConfigurationError(f"{name} must be between 0 and 1, got {rate!r}")
        if sum(rates) > 1.0:
            raise ConfigurationError("fail_rate + drop_rate + hang_rate must not exceed 1")
        if not 0.0 <= stream_cut_rate <= 1.0:
            raise ConfigurationError(
                f"stream_cut_rate must be between 0 and 1, got {stream_cut_rate!r}"
            )
        if not 400 <= fail_status <= 599:
            raise ConfigurationError(f"fail_status must be a 4xx or 5xx status, got {fail_status}")
        if not 0 <= port <= 65535:
            raise ConfigurationError(f"port must be between 0 and 65535, got {port}")
        self.host = host
        self.port = port
        self.latency = float(latency)
        self.latency_jitter = float(latency_jitter)
        self.tokens_per_second = float(tokens_per_second)
        self.rpm = rpm
        self.tpm = tpm
        self.rate_window = rate_window
        self.fail_rate = fail_rate
        self.fail_status = fail_status
        self.drop_rate = drop_rate
        self.hang_rate = hang_rate
        self.stream_cut_rate = stream_cut_rate
        self.api_key = api_key
        self.seed = seed
        self.models = tuple(models) if models else DEFAULT_MODELS
        self._model_set = frozenset(self.models)
        self._clock = clock
        self._fault_rng = random.Random(seed)
        self._jitter_rng = random.Random(seed + 1)
        self._ids = itertools.count(1)
        self._buckets: dict[str, tuple[Bucket | None, Bucket | None]] = {}
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None
        self.base_url = ""
        self.reset_stats()

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> str:
        """Start serving and return the base URL (ending in `/v1`)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._completions)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._get_model)
        app.router.add_get("/health", self._health)
        app.router.add_get("/stats", self._get_stats)
        app.router.add_post("/stats/reset", self._reset_stats)
        app.router.add_route("*", "/{tail:.*}", self._unknown_path)
        self._closing = asyncio.Event()
        # handler_cancellation: a client that gives up frees its slot in `in_flight` at once.
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=0.25, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=4096)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise SimServerError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from exc
        self._runner = runner
        self.port = runner.addresses[0][1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{shown}:{self.port}/v1"
        return self.base_url

    async def aclose(self) -> None:
        """Stop serving: hanging requests are cut, the rest get `shutdown_timeout` to finish."""
        if self._closing is not None:
            self._closing.set()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> str:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @contextlib.contextmanager
    def serve_in_thread(self) -> Iterator[str]:
        """Run the server on its own event loop in a background thread; yields the base URL.

        For sync code (and for programs under test that run in another process).
        """
        started = threading.Event()
        stop: asyncio.Event | None = None
        loop_box: list[asyncio.AbstractEventLoop] = []
        failure: list[BaseException] = []

        async def serve() -> None:
            nonlocal stop
            stop = asyncio.Event()
            loop_box.append(asyncio.get_running_loop())
            try:
                await self.start()
            except BaseException as exc:
                failure.append(exc)
                started.set()
                return
            started.set()
            try:
                await stop.wait()
            finally:
                await self.aclose()

        thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        thread.start()
        started.wait()
        if failure:
            thread.join()
            raise failure[0]
        try:
            yield self.base_url
        finally:
            assert stop is not None
            loop_box[0].call_soon_threadsafe(stop.set)
            thread.join()

    # --- stats ------------------------------------------------------------------------------

    def reset_stats(self) -> None:
        """Zero every counter (in-flight requests stay counted as in flight)."""
        in_flight = getattr(self, "_in_flight", 0)
        self._in_flight = in_flight
        self._max_in_flight = in_flight
        self._by_status: Counter[str] = Counter()
        self._tokens_in = 0
        self._tokens_out = 0
        self._rate_limited = 0
        self._faults: Counter[str] = Counter()
        self._prompt_counts: Counter[int] = Counter()

    def stats(self) -> dict[str, Any]:
        """The counters `/stats` serves."""
        requests: dict[str, dict[str, int]] = {}
        for key, count in sorted(self._by_status.items()):
            endpoint, status = key.rsplit(" ", 1)
            requests.setdefault(endpoint, {})[status] = count
        counts = self._prompt_counts.values()
        return {
            "requests": requests,
            "requests_total": sum(self._by_status.values()),
            "tokens_in": self._tokens_in,
            "tokens_out": self._tokens_out,
            "in_flight": self._in_flight,
            "max_in_flight": self._max_in_flight,
            "rate_limited": self._rate_limited,
            "faults": dict(self._faults),
            "distinct_prompts": len(self._prompt_counts),
            "max_requests_per_prompt": max(counts, default=0),
        }

    # --- small endpoints --------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return _json_response({"status": "ok"})

    async def _get_stats(self, request: web.Request) -> web.Response:
        return _json_response(self.stats())

    async def _reset_stats(self, request: web.Request) -> web.Response:
        self.reset_stats()
        return _json_response({"status": "reset"})

    async def _list_models(self, request: web.Request) -> web.Response:
        try:
            self._check_auth(request)
        except Reject as reject:
            return _error_response(reject)
        return _json_response({"object": "list", "data": [_model_object(m) for m in self.models]})

    async def _get_model(self, request: web.Request) -> web.Response:
        model = request.match_info["model"]
        try:
            self._check_auth(request)
        except Reject as reject:
            return _error_response(reject)
        if model not in self._model_set:
            return _error_response(unknown_model(model))
        return _json_response(_model_object(model))

    async def _unknown_path(self, request: web.Request) -> web.Response:
        hint = "" if request.path.startswith("/v1/") else "; the API lives under /v1"
        return _error_response(
            Reject(404, f"Invalid URL ({request.method} {request.path}){hint}", code=None)
        )

    # --- completions ------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, chat=True)

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, chat=False)

    async def _serve(self, request: web.Request, *, chat: bool) -> web.StreamResponse:
        endpoint = "chat.completions" if chat else "completions"
        self._in_flight += 1
        if self._in_flight > self._max_in_flight:
            self._max_in_flight = self._in_flight
        outcome = "cancelled"
        try:
            response = await self._answer(request, chat)
            outcome = str(response.status)
            return response
        except Reject as reject:
            outcome = str(reject.status)
            return _error_response(reject)
        except _Dropped as dropped:
            outcome = dropped.outcome
            transport = request.transport
            if transport is not None:
                transport.close()
            raise asyncio.CancelledError from None
        except ConnectionResetError:
            # The client went away mid-stream; there is nobody to answer.
            outcome = "client_closed"
            raise asyncio.CancelledError from None
        finally:
            self._in_flight -= 1
            self._by_status[f"{endpoint} {outcome}"] += 1

    def _check_auth(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        if self.api_key is not None and header != f"Bearer {self.api_key}":
            given = header.removeprefix("Bearer ").strip()
            shown = f"{given[:3]}...{given[-4:]}" if len(given) > 8 else "(none)"
            raise Reject(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        return header or "anonymous"

    async def _answer(self, request: web.Request, chat: bool) -> web.StreamResponse:
        key = self._check_auth(request)
        try:
            body = _loads(await request.read())
        except ValueError:
            raise Reject(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly.)",
            ) from None
        if not isinstance(body, dict):
            raise Reject(400, "The request body must be a JSON object.")
        request_spec = parse_request(body, chat, self._model_set)
        prompts = request_spec.prompts
        n = request_spec.n
        if request_spec.tools:
            calls = choose_calls(
                request_spec.tools,
                request_spec.tool_choice,
                prompts[0],
                bool(request_spec.tool_results),
            )
            if calls:
                return await self._answer_with_tool_calls(request, key, request_spec, calls)
        summarize = not request_spec.tool_results
        if request_spec.tool_results:
            prompts = [answer_from_results(request_spec.tool_results)]
        answers = [
            answer(
                text,
                max_tokens=request_spec.max_tokens,
                stop=request_spec.stop,
                json_mode=request_spec.json_mode,
                summarize=summarize,
            )
            for text in prompts
        ]
        prompt_tokens = request_spec.prompt_tokens
        completion_tokens = n * sum(len(tokens) for tokens, _ in answers)
        headers = await self._accept(key, request_spec, completion_tokens)
        longest = max(len(tokens) for tokens, _ in answers)
        if request_spec.stream:
            return await self._stream(
                request, chat, request_spec, answers, headers, prompt_tokens, completion_tokens
            )
        delay = self._latency()
        if self.tokens_per_second > 0 and longest > 1:
            delay += (longest - 1) / self.tokens_per_second
        if delay > 0:
            await asyncio.sleep(delay)
        self._tokens_out += completion_tokens
        created = int(time.time())
        usage = _usage(prompt_tokens, completion_tokens)
        choices: list[dict[str, Any]] = []
        for tokens, finish in answers:
            text = "".join(tokens)
            for _ in range(n):
                index = len(choices)
                if chat:
                    choices.append(
                        {
                            "index": index,
                            "message": {"role": "assistant", "content": text, "refusal": None},
                            "logprobs": None,
                            "finish_reason": finish,
                        }
                    )
                else:
                    choices.append(
                        {"text": text, "index": index, "logprobs": None, "finish_reason": finish}
                    )
        payload = {
            "id": f"{'chatcmpl' if chat else 'cmpl'}-sim{next(self._ids)}",
            "object": "chat.completion" if chat else "text_completion",
            "created": created,
            "model": request_spec.model,
            "choices": choices,
            "usage": usage,
            "system_fingerprint": "fp_aiochain_sim",
        }
        return _json_response(payload, headers=headers)

    async def _answer_with_tool_calls(
        self,
        request: web.Request,
        key: str,
        spec: RequestSpec,
        calls: list[tuple[str, dict[str, Any]]],
    ) -> web.StreamResponse:
        """Answer with tool calls (see `_tools`), as JSON or as a stream of deltas."""
        made: list[dict[str, Any]] = [
            {
                "id": f"call_sim{next(self._ids)}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for name, arguments in calls
        ]
        completion_tokens = sum(
            count_tokens(c["function"]["name"] + " " + c["function"]["arguments"]) for c in made
        )
        headers = await self._accept(key, spec, completion_tokens)
        usage = _usage(spec.prompt_tokens, completion_tokens)
        base: dict[str, Any] = {
            "id": f"chatcmpl-sim{next(self._ids)}",
            "created": int(time.time()),
            "model": spec.model,
            "system_fingerprint": "fp_aiochain_sim",
        }
        delay = self._latency()
        if not spec.stream:
            if delay > 0:
                await asyncio.sleep(delay)
            self._tokens_out += completion_tokens
            message = {"role": "assistant", "content": None, "tool_calls": made}
            choice = {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
            payload = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            return _json_response(payload, headers=headers)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream; charset=utf-8", **headers}
        )
        await response.prepare(request)
        if delay > 0:
            await asyncio.sleep(delay)
        chunk = {**base, "object": "chat.completion.chunk"}
        events = [_event(chunk, 0, {"role": "assistant", "content": None}, None)]
        for index, call in enumerate(made):
            arguments = call["function"]["arguments"]
            middle = len(arguments) // 2
            head = {
                "index": index,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            events.append(_event(chunk, 0, {"tool_calls": [head]}, None))
            for part in (arguments[:middle], arguments[middle:]):
                piece = {"index": index, "function": {"arguments": part}}
                events.append(_event(chunk, 0, {"tool_calls": [piece]}, None))
        events.append(_event(chunk, 0, {}, "tool_calls"))
        if spec.include_usage:
            events.append(_usage_event(chunk, usage))
        events.append(b"data: [DONE]\n\n")
        await response.write(b"".join(events))
        await response.write_eof()
        self._tokens_out += completion_tokens
        return response

    def _latency(self) -> float:
        if not self.latency_jitter:
            return self.latency
        jitter = self._jitter_rng.uniform(-self.latency_jitter, self.latency_jitter)
        return max(0.0, self.latency + jitter)

    async def _accept(self, key: str, spec: RequestSpec, completion_tokens: int) -> dict[str, str]:
        """The steps every answer passes: rate limits (429), counting, injected faults.

        Returns the rate-limit headers to send with the answer.
        """
        headers = self._admit(key, spec.model, spec.prompt_tokens + completion_tokens)
        self._prompt_counts[spec.fingerprint] += 1
        await self._maybe_fault()
        self._tokens_in += spec.prompt_tokens
        return headers

    def _admit(self, key: str, model: str, tokens: int) -> dict[str, str]:
        """Spend the request's rate-limit allowance, or raise a 429; returns the rate headers."""
        if self.rpm is None and self.tpm is None:
            return {}
        buckets = self._buckets.get(key)
        if buckets is None:
            buckets = (
                Bucket(self.rpm, window=self.rate_window, clock=self._clock) if self.rpm else None,
                Bucket(self.tpm, window=self.rate_window, clock=self._clock) if self.tpm else None,
            )
            self._buckets[key] = buckets
        requests, token_bucket = buckets
        wait_requests = requests.wait_for(1) if requests else 0.0
        wait_tokens = token_bucket.wait_for(tokens) if token_bucket else 0.0
        if wait_tokens is None:
            self._rate_limited += 1
            raise Reject(
                429,
                f"Request too large for {model}: Limit {self.tpm:g} tokens per minute, "
                f"Requested {tokens}.",
                type="tokens",
                code="rate_limit_exceeded",
                headers=self._rate_headers(buckets),
            )
        if wait_requests or wait_tokens:
            assert wait_requests is not None
            self._rate_limited += 1
            wait = max(wait_requests, wait_tokens)
            which = "requests" if wait_requests >= wait_tokens else "tokens"
            limit = self.rpm if which == "requests" else self.tpm
            headers = self._rate_headers(buckets)
            headers["retry-after"] = str(max(1, math.ceil(wait)))
            headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
            raise Reject(
                429,
                f"Rate limit reached for {which} on {model}: Limit {limit:g} per minute. "
                f"Please try again in {format_duration(wait)}.",
                type=which,
                code="rate_limit_exceeded",
                headers=headers,
            )
        if requests:
            requests.take(1)
        if token_bucket:
            token_bucket.take(tokens)
        return self._rate_headers(buckets)

    def _rate_headers(self, buckets: tuple[Bucket | None, Bucket | None]) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, bucket in zip(("requests", "tokens"), buckets, strict=True):
            if bucket is not None:
                headers[f"x-ratelimit-limit-{name}"] = f"{bucket.per_minute:g}"
                headers[f"x-ratelimit-remaining-{name}"] = str(bucket.remaining())
                headers[f"x-ratelimit-reset-{name}"] = format_duration(bucket.reset_seconds())
        return headers

    async def _maybe_fault(self) -> None:
        if not (self.fail_rate or self.drop_rate or self.hang_rate):
            return
        draw = self._fault_rng.random()
        if draw < self.fail_rate:
            self._faults["fail"] += 1
            raise fault_reject(self.fail_status)
        draw -= self.fail_rate
        if draw < self.drop_rate:
            self._faults["drop"] += 1
            raise _Dropped("dropped")
        draw -= self.drop_rate
        if draw < self.hang_rate:
            self._faults["hang"] += 1
            assert self._closing is not None
            await self._closing.wait()
            raise _Dropped("hung")

    async def _stream(
        self,
        request: web.Request,
        chat: bool,
        spec: RequestSpec,
        answers: list[tuple[list[str], str]],
        headers: dict[str, str],
        prompt_tokens: int,
        completion_tokens: int,
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                **headers,
            }
        )
        await response.prepare(request)
        cut = self.stream_cut_rate > 0 and self._fault_rng.random() < self.stream_cut_rate
        ident = f"{'chatcmpl' if chat else 'cmpl'}-sim{next(self._ids)}"
        base: dict[str, Any] = {
            "id": ident,
            "object": "chat.completion.chunk" if chat else "text_completion",
            "created": int(time.time()),
            "model": spec.model,
            "system_fingerprint": "fp_aiochain_sim",
        }
        if spec.include_usage:
            base["usage"] = None
        choices = [(tokens, finish) for tokens, finish in answers for _ in range(spec.n)]
        longest = max(len(tokens) for tokens, _ in choices)
        loop = asyncio.get_running_loop()
        delay = self._latency()
        if delay > 0:
            await asyncio.sleep(delay)
        started = loop.time()
        tps = self.tokens_per_second
        pending: list[bytes] = []
        delta: Any
        if chat:
            for index in range(len(choices)):
                delta = {"role": "assistant", "content": "", "refusal": None}
                pending.append(_event(base, index, delta, None))
        sent_tokens = 0
        for position in range(longest):
            for index, (tokens, _) in enumerate(choices):
                if position < len(tokens):
                    token = tokens[position]
                    delta = {"content": token} if chat else token
                    pending.append(_event(base, index, delta, None, chat=chat))
                    sent_tokens += 1
            if cut and position >= longest // 2:
                await response.write(b"".join(pending))
                self._faults["stream_cut"] += 1
                self._tokens_out += sent_tokens
                raise _Dropped("stream_cut")
            if tps > 0 and position + 1 < longest:
                await response.write(b"".join(pending))
                pending.clear()
                wait = started + (position + 1) / tps - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
        for index, (_, finish) in enumerate(choices):
            pending.append(_event(base, index, {} if chat else "", finish, chat=chat))
        if spec.include_usage:
            pending.append(_usage_event(base, _usage(prompt_tokens, completion_tokens)))
        pending.append(b"data: [DONE]\n\n")
        await response.write(b"".join(pending))
        await response.write_eof()
        self._tokens_out += completion_tokens
        return response


class _Dropped(Exception):
    """The connection is to be cut without an answer; `outcome` names why in the stats."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def _event(
    base: dict[str, Any], index: int, delta: Any, finish: str | None, *, chat: bool = True
) -> bytes:
    if chat:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
    else:
        choice = {"text": delta, "index": index, "logprobs": None, "finish_reason": finish}
    return b"data: " + _dumps({**base, "choices": [choice]}) + b"\n\n"


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _usage_event(base: dict[str, Any], usage: dict[str, int]) -> bytes:
    """The last event of a stream with `include_usage`: no choices, the usage."""
    return b"data: " + _dumps({**base, "choices": [], "usage": usage}) + b"\n\n"


def _model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1700000000, "owned_by": "aiochain-sim"}


def _json_response(payload: Any, *, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=_dumps(payload), content_type="application/json", headers=headers)


def _error_response(reject: Reject) -> web.Response:
    return web.Response(
        status=reject.status,
        body=_dumps(reject.body),
        content_type="application/json",
        headers=reject.headers,
    )
