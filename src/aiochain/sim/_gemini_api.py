"""Google's Gemini API (`/v1beta/models/{model}:generateContent`, `:streamGenerateContent`,
`:countTokens`), as the simulation server answers it.

The key (`x-goog-api-key` header or `?key=`; 403 without one, 400 `API_KEY_INVALID` for a wrong
one) -> body and model checks (400, 404) -> the per-day quota (`gemini_rpd`, 429 with a per-day
`QuotaFailure`) -> the per-minute limits (`rpm`, `tpm`: 429 with a per-minute `QuotaFailure` and
`RetryInfo`) -> injected faults (503 `UNAVAILABLE` with `overload_rate`) -> latency -> a
GenerateContentResponse, or its events with `:streamGenerateContent?alt=sse`. Gemini sends no
rate-limit headers and no `retry-after`: the wait is only in the body. The answers and tool
calls are the OpenAI endpoints' (`_text`, `_tools`); thinking and implicit caching are
simulated (see `_gemini_wire`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiohttp import web

from . import _gemini_replies as replies
from . import _gemini_wire as wire
from ._endpoint import SSE_HEADERS, Endpoint, read_json
from ._json import dumps, json_response
from ._request import Reject
from ._text import answer, count_tokens, lead_sentences
from ._tools import answer_from_results, arguments_for, choose_calls

DAY = 86400.0
_QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n"
    "* Quota exceeded for metric: generativelanguage.googleapis.com/{metric}, limit: {limit:g}, "
    "model: {model}"
)
# Per-minute refusals by what ran out: (quotaId, quotaMetric).
_MINUTE_QUOTAS = {
    "requests": ("GenerateRequestsPerMinutePerProjectPerModel", "generate_content_requests"),
    "tokens": (
        "GenerateContentInputTokensPerModelPerMinute",
        "generate_content_input_token_count",
    ),
}
_DAY_QUOTA = ("GenerateRequestsPerDayPerProjectPerModel", "generate_content_requests_per_day")


class GeminiReject(Reject):
    """A refusal whose error body carries `details` (QuotaFailure, RetryInfo, ErrorInfo)."""

    def __init__(self, status: int, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(status, message)
        self.details = details


class GeminiEndpoints(Endpoint):
    """The generateContent endpoints of Google's Gemini API."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._days: dict[tuple[str, str], tuple[float, int]] = {}  # (key, model): (start, used)
        self._cache: set[int] = set()

    def refuse(self, reject: Reject) -> web.Response:
        """Google's error body; a per-minute 429 says which quota ran out and when to retry."""
        details = getattr(reject, "details", None)
        if details is None and reject.status == 429:
            quota_id, metric = _MINUTE_QUOTAS.get(reject.type, _MINUTE_QUOTAS["requests"])
            limit = self.settings.tpm if reject.type == "tokens" else self.settings.rpm
            model = reject.param or ""
            details = replies.quota_details(
                quota_id, metric, model, limit or 0, reject.retry_after or 1.0
            )
            wait = replies.duration(reject.retry_after or 1.0)
            reject.message = (
                _QUOTA_MESSAGE.format(metric=metric, limit=limit or 0, model=model)
                + f"\nPlease retry in {wait}."
            )
        return json_response(replies.error_body(reject, details), status=reject.status)

    def overloaded(self) -> Reject:
        """Gemini's 503."""
        return Reject(503, "The model is overloaded. Please try again later.")

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """`POST /v1beta/models/{model}:{method}`."""
        model, _, method = request.match_info["target"].partition(":")
        name = {
            "generateContent": "gemini.generate",
            "streamGenerateContent": "gemini.stream",
            "countTokens": "gemini.count_tokens",
        }.get(method)
        if name is None:
            return self.refuse(Reject(404, f"Method not found: {method!r} (POST {request.path})"))

        async def run(request: web.Request) -> web.StreamResponse:
            key = self._key(request)
            if model not in self.models:
                raise Reject(
                    404,
                    f"models/{model} is not found for API version v1beta, or is not supported "
                    f"for {method}. Call ListModels to see the list of available models and "
                    "their supported methods.",
                )
            body = await read_json(request)
            if method == "countTokens":
                return self._count_tokens(body, model)
            return await self._generate(
                request, key, model, body, stream=method != "generateContent"
            )

        return await self.serve(request, name, run)

    def _key(self, request: web.Request) -> str:
        given = request.headers.get("x-goog-api-key") or request.query.get("key")
        if not given:
            raise Reject(
                403,
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        required = self.settings.api_key
        if required is not None and given != required:
            raise GeminiReject(
                400,
                "API key not valid. Please pass a valid API key.",
                [
                    {
                        "@type": replies.RPC + "ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    }
                ],
            )
        return f"x-goog-api-key {given}"

    def _count_tokens(self, body: dict[str, Any], model: str) -> web.Response:
        inner = body.get("generateContentRequest", body.get("generate_content_request"))
        if inner is None:
            inner = {k: v for k, v in body.items() if k != "model"}
        if not isinstance(inner, dict):
            raise wire.bad("Invalid value at 'generate_content_request'")
        parsed = wire.parse_generate(inner, model, stream=False)
        total = parsed.spec.prompt_tokens
        out: dict[str, Any] = {
            "totalTokens": total,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": total}],
        }
        return json_response(out)

    def _spend_day(self, key: str, model: str) -> None:
        """Count a request against the per-day quota, or refuse it (not worth retrying today)."""
        rpd: int | None = getattr(self.settings, "gemini_rpd", None)  # read live, as rpm is
        if rpd is None:
            return
        now = self.admission.clock()
        start, used = self._days.get((key, model), (now, 0))
        if now - start >= DAY:
            start, used = now, 0
        if used >= rpd:
            self.stats.rate_limited += 1
            quota_id, metric = _DAY_QUOTA
            raise GeminiReject(
                429,
                _QUOTA_MESSAGE.format(metric=metric, limit=rpd, model=model),
                replies.quota_details(quota_id, metric, model, rpd, start + DAY - now),
            )
        self._days[key, model] = (start, used + 1)

    async def _generate(
        self, request: web.Request, key: str, model: str, body: dict[str, Any], *, stream: bool
    ) -> web.StreamResponse:
        if stream and request.query.get("alt") != "sse":
            # Without alt=sse the API streams one JSON array; only SSE is simulated.
            raise wire.bad("The simulation streams with ?alt=sse only (as Google's SDKs ask).")
        parsed = wire.parse_generate(body, model, stream=stream)
        spec = parsed.spec
        cached = self._cached_tokens(parsed.cache_prefix)
        parts, finish, tokens, output_tokens, thoughts = compose(parsed, self.ids)
        self._spend_day(key, model)
        try:
            self.admission.admit(key, model, spec.prompt_tokens + output_tokens + thoughts)
        except Reject as reject:
            reject.param = model  # the QuotaFailure names the model
            raise
        self.stats.prompt_counts[spec.fingerprint] += 1
        await self.admission.fault(self.overloaded)
        self.stats.tokens_in += spec.prompt_tokens
        ident = f"sim{next(self.ids)}"
        full_usage = replies.usage(spec.prompt_tokens, output_tokens, thoughts, cached)
        if not stream:
            await self.wait_whole(len(tokens))
            self.stats.tokens_out += output_tokens + thoughts  # thoughts are billed as output
            data = replies.response(model, ident, parts, finish, full_usage)
            return await self.reply(request, dumps(data), {})
        head_usage = replies.usage(spec.prompt_tokens, 0, 0, cached)
        thought_parts = [p for p in parts if p.get("thought")]
        if not tokens:  # tool calls, or nothing: one event carries the whole answer
            data = replies.response(model, ident, parts, finish, full_usage)
            return await self.stream(
                request, dict(SSE_HEADERS), [], [(replies.sse(data), 0)], [],
                tokens=output_tokens + thoughts, cuttable=False,
            )  # fmt: skip
        head = []
        if thought_parts:
            thinking = replies.response(model, ident, thought_parts, None, head_usage)
            head.append(replies.sse(thinking))
        steps = []
        for position, token in enumerate(tokens):
            last = position == len(tokens) - 1
            event = replies.response(
                model,
                ident,
                [{"text": token}],
                finish if last else None,
                full_usage if last else head_usage,
            )
            steps.append((replies.sse(event), 1))
        return await self.stream(
            request, dict(SSE_HEADERS), head, steps, [], tokens=output_tokens + thoughts
        )

    def _cached_tokens(self, prefix: tuple[int, int] | None) -> int:
        """Tokens read from the implicit cache: a prefix seen before (of at least
        `CACHE_MINIMUM` tokens) is cached."""
        if prefix is None:
            return 0
        fingerprint, tokens = prefix
        if fingerprint in self._cache:
            return tokens
        self._cache.add(fingerprint)
        return 0


def compose(
    parsed: wire.GeminiRequest, ids: Iterator[int]
) -> tuple[list[dict[str, Any]], str, list[str], int, int]:
    """What a request is answered with: (parts, finish reason, the text's tokens, candidate
    tokens, thought tokens). Thinking spends `maxOutputTokens` first, as on Gemini 2.5: a
    budget too small for the thoughts leaves no answer at all (`MAX_TOKENS`, no parts)."""
    spec = parsed.spec
    thoughts = wire.thoughts_for(parsed, count_tokens(spec.prompts[0]) // 4)
    if spec.max_tokens is not None and thoughts >= spec.max_tokens:
        return [], "MAX_TOKENS", [], 0, spec.max_tokens
    room = None if spec.max_tokens is None else spec.max_tokens - thoughts
    thought_parts = []
    if parsed.include_thoughts and thoughts:
        summary = "**Reading the request**\nThe user asks about: " + spec.prompts[0][:80]
        thought_parts = [{"text": summary, "thought": True}]
    calls: list[tuple[str, dict[str, Any]]] = []
    if spec.tools:
        has_results = bool(spec.tool_results)
        calls = choose_calls(spec.tools, spec.tool_choice, spec.prompts[0], has_results)
    if calls:
        parts: list[dict[str, Any]] = [{"functionCall": {"name": n, "args": a}} for n, a in calls]
        if spec.model.startswith("gemini-3"):  # the first call carries the turn's signature
            parts[0]["thoughtSignature"] = f"c2lnbmF0dXJl{next(ids)}"
        output = sum(count_tokens(n + " " + dumps(a).decode()) for n, a in calls)
        return [*thought_parts, *parts], "STOP", [], output, thoughts
    if parsed.json_schema is not None:
        value = _from_schema(parsed.json_schema, spec.prompts[0])
        text = dumps(value).decode()
        return [*thought_parts, {"text": text}], "STOP", [text], count_tokens(text), thoughts
    summarize = not spec.tool_results
    source = answer_from_results(spec.tool_results) if spec.tool_results else spec.prompts[0]
    tokens, finish = answer(
        source, max_tokens=room, stop=spec.stop, json_mode=spec.json_mode, summarize=summarize
    )
    reason = "MAX_TOKENS" if finish == "length" else "STOP"
    text_parts = [{"text": "".join(tokens)}] if tokens else []
    return [*thought_parts, *text_parts], reason, tokens, len(tokens), thoughts


def _from_schema(schema: dict[str, Any], user_text: str) -> Any:
    """A value that fits a response schema: objects from `_tools`' argument rules."""
    if schema.get("type") == "object" or "properties" in schema:
        return arguments_for({"parameters": schema}, user_text)
    if schema.get("type") == "array":
        return [_from_schema(schema.get("items") or {"type": "string"}, user_text)]
    if schema.get("enum"):
        return schema["enum"][0]
    return {"integer": 1, "number": 1.0, "boolean": True}.get(
        str(schema.get("type")), lead_sentences(user_text)
    )
