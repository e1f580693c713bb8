"""Anthropic's `POST /v1/messages`, as the simulation server answers it.

x-api-key (401) -> anthropic-version (400) -> body and model checks (400, 404) -> rate limits
(429) -> injected faults (529 `overloaded_error` with `overload_rate`) -> latency -> a Message,
or its events when `stream` is true. The answer and the tool calls are the OpenAI endpoints'
(`_text`, `_tools`); prompt caching is simulated: the first request with a `cache_control`
breakpoint writes its prefix to the cache (`cache_creation_input_tokens`), later ones with
the same prefix read it (`cache_read_input_tokens`), and `input_tokens` counts the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiohttp import web

from . import _anthropic_wire as wire
from ._endpoint import SSE_HEADERS, Endpoint, read_json
from ._json import arguments_text, dumps, json_response
from ._request import Reject, RequestSpec
from ._text import answer, count_tokens, lead_sentences
from ._tools import answer_from_results, choose_calls


class AnthropicEndpoints(Endpoint):
    """The Messages endpoint of Anthropic's API."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache: set[int] = set()

    def refuse(self, reject: Reject) -> web.Response:
        """Anthropic's error answer, with its rate-limit headers and a request id."""
        request_id = f"req_sim{next(self.ids)}"
        headers = wire.rate_headers(reject.limits, reject.retry_after)
        headers["request-id"] = request_id
        body = wire.error_body(reject, request_id)
        return json_response(body, status=reject.status, headers=headers)

    def overloaded(self) -> Reject:
        """Anthropic's 529."""
        return Reject(529, "Overloaded")

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """`POST /v1/messages`."""
        return await self.serve(request, "messages", self._messages)

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        headers = request.headers
        key = self.admission.anthropic_key(
            headers.get("x-api-key"), headers.get("Authorization", "")
        )
        if not headers.get("anthropic-version"):
            raise Reject(400, "anthropic-version: header is required")
        parsed = wire.parse_messages(await read_json(request), self.models)
        spec = parsed.spec
        created, read = self._cache_tokens(parsed.cached_prefix)
        input_tokens = spec.prompt_tokens - created - read
        content, stop_reason, stop_sequence, tokens, output_tokens = compose(spec, self.ids)
        calls = stop_reason == "tool_use"
        limits = self.admission.admit(key, spec.model, spec.prompt_tokens + output_tokens)
        self.stats.prompt_counts[spec.fingerprint] += 1
        await self.admission.fault(self.overloaded)
        self.stats.tokens_in += spec.prompt_tokens
        answer_headers = wire.rate_headers(limits) if limits else {}
        answer_headers["request-id"] = f"req_sim{next(self.ids)}"
        ident = f"msg_sim{next(self.ids)}"
        if not spec.stream:
            await self.wait_whole(len(tokens))
            self.stats.tokens_out += output_tokens
            usage = wire.usage(input_tokens, output_tokens, created, read)
            body = wire.message(ident, spec.model, content, stop_reason, stop_sequence, usage)
            return await self.reply(request, dumps(body), answer_headers)
        start_usage = wire.usage(input_tokens, 1, created, read)
        start = wire.message(ident, spec.model, [], None, None, start_usage)
        tail = wire.stream_tail(len(content), stop_reason, stop_sequence, output_tokens)
        overloaded = {"type": "overloaded_error", "message": "Overloaded"}
        cut_tail = [wire.event("error", {"error": overloaded})]
        if calls:
            head = wire.stream_head(start, {**content[0], "input": {}})
            events = b"".join(wire.tool_use_events(content))
            return await self.stream(
                request,
                {**SSE_HEADERS, **answer_headers},
                head,
                [(events, 0)],
                tail,
                tokens=output_tokens,
                cuttable=False,
            )
        head = wire.stream_head(start, {"type": "text", "text": ""})
        steps = [(wire.text_delta(token), 1) for token in tokens]
        return await self.stream(
            request,
            {**SSE_HEADERS, **answer_headers},
            head,
            steps,
            tail,
            tokens=output_tokens,
            cut_tail=cut_tail,
        )

    def _cache_tokens(self, prefix: tuple[int, int] | None) -> tuple[int, int]:
        """(tokens written to, tokens read from) the simulated prompt cache."""
        if prefix is None:
            return 0, 0
        fingerprint, tokens = prefix
        if fingerprint in self._cache:
            return 0, tokens
        self._cache.add(fingerprint)
        return tokens, 0


def compose(
    spec: RequestSpec, ids: Iterator[int]
) -> tuple[list[dict[str, Any]], str, str | None, list[str], int]:
    """What a Messages request is answered with: (content blocks, stop reason, stop sequence,
    the text's tokens, output tokens); tool calls as `_tools` chooses them."""
    calls: list[tuple[str, dict[str, Any]]] = []
    if spec.tools:
        has_results = bool(spec.tool_results)
        calls = choose_calls(spec.tools, spec.tool_choice, spec.prompts[0], has_results)
    if calls:
        blocks = [wire.tool_use_block(f"toolu_sim{next(ids)}", n, a) for n, a in calls]
        output_tokens = sum(
            count_tokens(b["name"] + " " + arguments_text(b["input"])) for b in blocks
        )
        return blocks, "tool_use", None, [], output_tokens
    tokens, stop_reason, stop_sequence = _answer(spec)
    content = [{"type": "text", "text": "".join(tokens)}]
    return content, stop_reason, stop_sequence, tokens, len(tokens)


def whole_message(
    params: dict[str, Any], *, models: frozenset[str], ids: Iterator[int]
) -> tuple[dict[str, Any], int, int]:
    """A request's whole Message, as a batch runs it: (message, input tokens, output tokens).
    Raises `Reject` for a request the endpoint would refuse."""
    spec = wire.parse_messages({**params, "stream": False}, models).spec
    content, stop_reason, stop_sequence, _, output_tokens = compose(spec, ids)
    usage = wire.usage(spec.prompt_tokens, output_tokens)
    message = wire.message(
        f"msg_sim{next(ids)}", spec.model, content, stop_reason, stop_sequence, usage
    )
    return message, spec.prompt_tokens, output_tokens


def _answer(spec: RequestSpec) -> tuple[list[str], str, str | None]:
    """The text answer's tokens, its stop reason and the stop sequence that ended it."""
    summarize = not spec.tool_results
    text = answer_from_results(spec.tool_results) if spec.tool_results else spec.prompts[0]
    tokens, finish = answer(
        text, max_tokens=spec.max_tokens, stop=spec.stop, json_mode=False, summarize=summarize
    )
    if finish == "length":
        return tokens, "max_tokens", None
    whole = lead_sentences(text) if summarize else text
    found = [(whole.find(s), s) for s in spec.stop or () if s and s in whole]
    if found:
        return tokens, "stop_sequence", min(found)[1]
    return tokens, "end_turn", None
