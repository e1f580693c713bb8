"""The simulation server: OpenAI's chat and completions endpoints on aiohttp, on 127.0.0.1.

It shares no wire-format code with the aiochain client (only the error root, for bad options), so
each checks the other. Every request goes through the same steps, in this order:
auth (401) -> body and model checks (400, 404) -> rate limits (429) -> injected faults ->
latency -> answer (JSON, or server-sent events when `stream` is true).

This module holds the server's life (options, routes, start and stop) and its counters;
`_admission` decides whether a request is answered, `_payloads` writes what is sent, and
`_openai_api` answers (on `_endpoint`'s shared flow: counting, latency, pacing).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from aiohttp import web

from .._exceptions import ConfigurationError, SimServerError
from . import _payloads as wire
from ._admission import Admission
from ._anthropic_api import AnthropicEndpoints
from ._anthropic_batches import AnthropicBatches
from ._azure_api import AzureEndpoints
from ._batches import BatchPlanner
from ._embeddings_api import EmbeddingEndpoints, embedding_models
from ._gemini_batches import GeminiBatches
from ._json import json_response
from ._models import DEFAULT_ANTHROPIC_MODELS, DEFAULT_GEMINI_MODELS, DEFAULT_MODELS
from ._openai_api import OpenAIEndpoints
from ._openai_batches import OpenAIBatches
from ._request import Reject, unknown_model
from ._responses_api import ResponsesEndpoint
from ._stats import Stats


class SimServer:
    """An OpenAI-compatible server that simulates latency, streaming, rate limits and faults.

    Use it as `async with SimServer(latency=1.0) as base_url:` (the URL ends in `/v1`), or from
    sync code as `with SimServer(...).serve_in_thread() as base_url:`.

    It also speaks Anthropic's Messages API (`POST /v1/messages`; point the `anthropic` client's
    `base_url` at `root_url`), OpenAI's deployment endpoints (`azure_endpoint` is `root_url`) and
    Google's Gemini API (`/v1beta/models/{model}:generateContent`; the `google-genai`
    client's `base_url` is `root_url`), with the same answers, limits and faults.

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
        overload_rate: share of requests refused as overloaded: 529 `overloaded_error` on
            Anthropic's API, 503 on OpenAI's and Azure's.
        stream_cut_rate: share of streams cut halfway, before `[DONE]`.
        malformed_rate: share of answers replaced by a malformed one with status 200: wrong
            shapes, truncated JSON, an HTML page, deeply nested JSON, usage as strings, numeric
            content, a 5,000-digit number, no choices, an empty body (drawn by seed; the
            `x-sim-fault` header names it; see `_malformed`).
        slow_body_rate: share of answers whose body trickles: the headers at once, then one
            byte every `slow_body_pause` seconds (streams too).
        slow_body_pause: seconds between the bytes of a slow body.
        retry_after_max: when set, every 429 says to come back late: half the time after
            exactly this many seconds, else after a time drawn log-uniformly between the
            honest wait and this; the largest `retry-after` the server sends.
        batch_speed: how much faster than the simulated timeline batches run (see `_batches`:
            at 1, validating 1 s, 0.05 s a request, finalizing 1 s).
        batch_fail_rate: share of batch lines that fail with a 500 in the error file.
        batch_expire_rate: share of batches that expire when half their requests are done.
        batch_stuck_rate: share of batches that stay in `finalizing` for ever.
        batch_malformed_rate: share of result lines written cut short (not JSON), to
            rehearse a result file with bad lines.
        batch_token_limit: the most prompt tokens one OpenAI batch may enqueue; a larger one
            fails with `token_limit_exceeded`. None: no limit.
        gemini_rpd: requests per day per key and model on Gemini's API, or None; past it a
            429 with a per-day `QuotaFailure` (the per-minute ones come from `rpm` / `tpm`).
        api_key: when set, requests with another bearer get 401.
        seed: the seed of the fault and jitter draws (answers depend only on the request).
        models: the model names served (on every API); others get 404. By default
            `DEFAULT_MODELS` on OpenAI's and Azure's endpoints (as deployment names) and
            `DEFAULT_ANTHROPIC_MODELS` on Anthropic's; embeddings (`/v1/embeddings`, see
            `_embedding_vectors`) serve `text-embedding-3-small`, `-3-large` and `-ada-002`.
            `DEFAULT_MODELS` on OpenAI's and Azure's endpoints (as deployment names),
            `DEFAULT_ANTHROPIC_MODELS` on Anthropic's and `DEFAULT_GEMINI_MODELS` on Gemini's.
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
        overload_rate: float = 0.0,
        stream_cut_rate: float = 0.0,
        malformed_rate: float = 0.0,
        slow_body_rate: float = 0.0,
        slow_body_pause: float = 1.0,
        retry_after_max: float | None = None,
        batch_speed: float = 1.0,
        batch_fail_rate: float = 0.0,
        batch_expire_rate: float = 0.0,
        batch_stuck_rate: float = 0.0,
        batch_malformed_rate: float = 0.0,
        batch_token_limit: int | None = None,
        gemini_rpd: int | None = None,
        api_key: str | None = None,
        seed: int = 0,
        models: Sequence[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (
            ("latency", latency),
            ("latency_jitter", latency_jitter),
            ("tokens_per_second", tokens_per_second),
            ("slow_body_pause", slow_body_pause),
        ):
            if not isinstance(value, int | float) or value < 0:
                raise ConfigurationError(f"{name} must be a number >= 0, got {value!r}")
        for name, limit in (("rpm", rpm), ("tpm", tpm)):
            if limit is not None and (not isinstance(limit, int | float) or limit <= 0):
                raise ConfigurationError(f"{name} must be a number > 0, got {limit!r}")
        if rate_window <= 0:
            raise ConfigurationError(f"rate_window must be > 0, got {rate_window!r}")
        rates = (fail_rate, drop_rate, hang_rate, overload_rate)
        names = ("fail_rate", "drop_rate", "hang_rate", "overload_rate")
        for name, rate in zip(names, rates, strict=True):
            if not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
                raise ConfigurationError(f"{name} must be between 0 and 1, got {rate!r}")
        if sum(rates) > 1.0:
            raise ConfigurationError(
                "fail_rate + drop_rate + hang_rate + overload_rate must not exceed 1"
            )
        for name, rate in (
            ("stream_cut_rate", stream_cut_rate),
            ("malformed_rate", malformed_rate),
            ("slow_body_rate", slow_body_rate),
            ("batch_fail_rate", batch_fail_rate),
            ("batch_expire_rate", batch_expire_rate),
            ("batch_stuck_rate", batch_stuck_rate),
            ("batch_malformed_rate", batch_malformed_rate),
        ):
            if not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
                raise ConfigurationError(f"{name} must be between 0 and 1, got {rate!r}")
        if not isinstance(batch_speed, int | float) or batch_speed <= 0:
            raise ConfigurationError(f"batch_speed must be a number > 0, got {batch_speed!r}")
        if batch_token_limit is not None and (
            not isinstance(batch_token_limit, int) or batch_token_limit < 1
        ):
            raise ConfigurationError(
                f"batch_token_limit must be an integer >= 1, got {batch_token_limit!r}"
            )
        if retry_after_max is not None and (
            not isinstance(retry_after_max, int | float) or retry_after_max < 1
        ):
            raise ConfigurationError(
                f"retry_after_max must be >= 1 second, got {retry_after_max!r}"
            )
        if gemini_rpd is not None and (not isinstance(gemini_rpd, int) or gemini_rpd < 1):
            raise ConfigurationError(f"gemini_rpd must be an integer >= 1, got {gemini_rpd!r}")
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
        self.overload_rate = overload_rate
        self.stream_cut_rate = stream_cut_rate
        self.malformed_rate = malformed_rate
        self.slow_body_rate = slow_body_rate
        self.slow_body_pause = float(slow_body_pause)
        self.batch_speed = float(batch_speed)
        self.batch_fail_rate = batch_fail_rate
        self.batch_expire_rate = batch_expire_rate
        self.batch_stuck_rate = batch_stuck_rate
        self.batch_malformed_rate = batch_malformed_rate
        self.batch_token_limit = batch_token_limit
        self.retry_after_max = None if retry_after_max is None else float(retry_after_max)
        self.api_key = api_key
        self.seed = seed
        self.models = tuple(models) if models else DEFAULT_MODELS
        self._model_set = frozenset(self.models)
        self._ids = itertools.count(1)
        self._stats = Stats()
        self._admission = Admission(self, self._stats, seed=seed, clock=clock)
        shared = (self._admission, self._stats, self._ids)
        self._openai = OpenAIEndpoints(self, *shared, self._model_set)
        self._azure = AzureEndpoints(self, *shared, self._model_set)
        claude_models = frozenset(models or DEFAULT_ANTHROPIC_MODELS)
        self._anthropic = AnthropicEndpoints(self, *shared, claude_models)
        self._embeddings = EmbeddingEndpoints(self, *shared, embedding_models(models))
        gemini_models = frozenset(models or DEFAULT_GEMINI_MODELS)
        self.gemini_rpd = gemini_rpd
        planner = BatchPlanner(self, seed=seed, clock=clock)
        self._gemini = GeminiBatches(self, *shared, gemini_models, planner=planner)
        self._openai_batches = OpenAIBatches(self, *shared, self._model_set, planner=planner)
        self._openai_batches.embedding_models = embedding_models(models)
        self._responses = ResponsesEndpoint(self, *shared, self._model_set)
        self._openai_batches.responses = self._responses
        self._anthropic_batches = AnthropicBatches(self, *shared, claude_models, planner=planner)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.root_url = ""

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> str:
        """Start serving and return the base URL (ending in `/v1`)."""
        app = web.Application(
            client_max_size=64 * 1024 * 1024, middlewares=[self._gemini.v1_batches]
        )
        app.router.add_post("/v1/chat/completions", self._openai.chat)
        app.router.add_post("/v1/completions", self._openai.completions)
        app.router.add_post("/v1/responses", self._responses.responses)
        app.router.add_post("/v1/messages", self._anthropic.messages)
        app.router.add_post("/v1/embeddings", self._embeddings.embeddings)
        self._openai_batches.routes(app)
        self._anthropic_batches.routes(app)
        deployment = "/openai/deployments/{deployment}"
        app.router.add_post(f"{deployment}/chat/completions", self._azure.chat)
        app.router.add_post(f"{deployment}/completions", self._azure.completions)
        app.router.add_post(f"{deployment}/embeddings", self._embeddings.azure_embeddings)
        self._gemini.routes(app)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._get_model)
        app.router.add_get("/health", self._health)
        app.router.add_get("/stats", self._get_stats)
        app.router.add_post("/stats/reset", self._reset_stats)
        app.router.add_route("*", "/{tail:.*}", self._unknown_path)
        self._admission.closing = asyncio.Event()
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
        self.root_url = f"http://{shown}:{self.port}"
        self.base_url = f"{self.root_url}/v1"
        return self.base_url

    async def aclose(self) -> None:
        """Stop serving: hanging requests are cut, the rest get `shutdown_timeout` to finish."""
        self._admission.closing.set()
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
        self._stats.reset()

    def stats(self) -> dict[str, Any]:
        """The counters `/stats` serves."""
        return self._stats.snapshot()

    # --- small endpoints --------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return json_response({"status": "ok"})

    async def _get_stats(self, request: web.Request) -> web.Response:
        return json_response(self.stats())

    async def _reset_stats(self, request: web.Request) -> web.Response:
        self.reset_stats()
        return json_response({"status": "reset"})

    async def _list_models(self, request: web.Request) -> web.Response:
        try:
            self._admission.bearer(request.headers.get("Authorization", ""))
        except Reject as reject:
            return wire.error_response(reject)
        return json_response(
            {"object": "list", "data": [wire.model_object(m) for m in self.models]}
        )

    async def _get_model(self, request: web.Request) -> web.Response:
        model = request.match_info["model"]
        try:
            self._admission.bearer(request.headers.get("Authorization", ""))
        except Reject as reject:
            return wire.error_response(reject)
        if model not in self._model_set:
            return wire.error_response(unknown_model(model))
        return json_response(wire.model_object(model))

    async def _unknown_path(self, request: web.Request) -> web.Response:
        hint = "" if request.path.startswith("/v1/") else "; the API lives under /v1"
        return wire.error_response(
            Reject(404, f"Invalid URL ({request.method} {request.path}){hint}", code=None)
        )
