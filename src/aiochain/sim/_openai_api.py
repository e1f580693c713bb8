"""OpenAI's `/v1/chat/completions` and `/v1/completions`, as the simulation server answers them.

auth (401) -> body and model checks (400, 404) -> rate limits (429) -> injected faults ->
latency -> answer (JSON, or server-sent events when `stream` is true).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from . import _payloads as wire
from ._endpoint import SSE_HEADERS, Endpoint, read_json
from ._json import dumps
from ._malformed import malformed
from ._request import Reject, RequestSpec, fault_reject, parse_request
from ._text import answer, asks_for_json, count_tokens, schema_answer, schema_in_prompt
from ._tools import answer_from_results, choose_calls


class OpenAIEndpoints(Endpoint):
    """The completion endpoints of OpenAI's API."""

    def refuse(self, reject: Reject) -> web.Response:
        """OpenAI's error answer."""
        return wire.error_response(reject)

    def overloaded(self) -> Reject:
        """OpenAI's answer when it is overloaded."""
        return fault_reject(503)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """`POST /v1/chat/completions`."""
        return await self.serve(request, "chat.completions", self._chat)

    async def completions(self, request: web.Request) -> web.StreamResponse:
        """`POST /v1/completions`."""
        return await self.serve(request, "completions", self._completions)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        key = self.admission.bearer(request.headers.get("Authorization", ""))
        return await self.answer(request, key, await read_json(request), chat=True)

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        key = self.admission.bearer(request.headers.get("Authorization", ""))
        return await self.answer(request, key, await read_json(request), chat=False)

    async def answer(
        self, request: web.Request, key: str, body: dict[str, Any], *, chat: bool
    ) -> web.StreamResponse:
        """Answer a checked JSON body for the caller `key` (after auth)."""
        spec = parse_request(body, chat, self.models)
        calls = calls_for(spec)
        if calls:
            return await self._answer_with_tool_calls(request, key, spec, calls)
        answers = answers_for(spec)
        completion_tokens = spec.n * sum(len(tokens) for tokens, _ in answers)
        headers = await self._accept(key, spec, completion_tokens)
        ident = f"{'chatcmpl' if chat else 'cmpl'}-sim{next(self.ids)}"
        base = wire.completion_base(ident, spec.model, chat=chat, stream=spec.stream)
        usage = wire.usage(spec.prompt_tokens, completion_tokens)
        kind = self.admission.malformed()
        if kind is not None:
            text = "".join(answers[0][0])
            return await self._malformed(request, kind, base, text, usage, spec, headers, chat)
        if spec.stream:
            return await self._stream(request, chat, base, spec, answers, headers, usage)
        # The hot path of the server's benchmark: no coroutine without a reason to wait.
        delay = self.whole_delay(max(len(tokens) for tokens, _ in answers))
        if delay > 0:
            await asyncio.sleep(delay)
        self.stats.tokens_out += completion_tokens
        encoded = dumps(wire.completion_body(base, answers, spec.n, usage, chat=chat))
        if self.admission.slow_body():
            return await self.trickle(request, encoded, headers)
        return web.Response(body=encoded, headers=headers, content_type="application/json")

    async def _answer_with_tool_calls(
        self,
        request: web.Request,
        key: str,
        spec: RequestSpec,
        calls: list[tuple[str, dict[str, Any]]],
    ) -> web.StreamResponse:
        """Answer with tool calls (see `_tools`), as JSON or as a stream of deltas."""
        made = wire.tool_calls(calls, [next(self.ids) for _ in calls])
        completion_tokens = call_tokens(made)
        headers = await self._accept(key, spec, completion_tokens)
        usage = wire.usage(spec.prompt_tokens, completion_tokens)
        ident = f"chatcmpl-sim{next(self.ids)}"
        base = wire.completion_base(ident, spec.model, chat=True, stream=spec.stream)
        kind = self.admission.malformed()
        if kind is not None:
            return await self._malformed(request, kind, base, "", usage, spec, headers, True)
        if not spec.stream:
            await self.wait_whole(0)
            self.stats.tokens_out += completion_tokens
            body = dumps(wire.tool_call_body(base, made, usage))
            return await self.reply(request, body, headers)
        events = wire.tool_call_events(base, made, usage if spec.include_usage else None)
        return await self.stream(
            request,
            {**SSE_HEADERS, **headers},
            [events],
            [],
            [],
            tokens=completion_tokens,
            cuttable=False,
        )

    async def _accept(self, key: str, spec: RequestSpec, completion_tokens: int) -> dict[str, str]:
        """The steps every answer passes: rate limits (429), counting, injected faults.

        Returns the rate-limit headers to send with the answer.
        """
        limits = self.admission.admit(key, spec.model, spec.prompt_tokens + completion_tokens)
        self.stats.prompt_counts[spec.fingerprint] += 1
        await self.admission.fault(self.overloaded)
        self.stats.tokens_in += spec.prompt_tokens
        return wire.rate_headers(limits) if limits else {}

    async def _malformed(
        self,
        request: web.Request,
        kind: str,
        base: dict[str, Any],
        text: str,
        usage: dict[str, int],
        spec: RequestSpec,
        headers: dict[str, str],
        chat: bool,
    ) -> web.StreamResponse:
        """A malformed answer of `kind` with status 200, after the usual latency."""
        body, content_type = malformed(kind, base, text, usage, chat=chat, stream=spec.stream)
        await self.wait_whole(0)
        headers = {**headers, "x-sim-fault": f"malformed/{kind}"}
        return await self.reply(request, body, headers, content_type=content_type)

    async def _stream(
        self,
        request: web.Request,
        chat: bool,
        base: dict[str, Any],
        spec: RequestSpec,
        answers: list[tuple[list[str], str]],
        headers: dict[str, str],
        usage: dict[str, int],
    ) -> web.StreamResponse:
        if spec.include_usage:
            base["usage"] = None
        choices = [(tokens, finish) for tokens, finish in answers for _ in range(spec.n)]
        head: list[bytes] = []
        if chat:
            opening = {"role": "assistant", "content": "", "refusal": None}
            head = [wire.event(base, index, opening, None) for index in range(len(choices))]
        steps: list[tuple[bytes, int]] = []
        for position in range(max(len(tokens) for tokens, _ in choices)):
            events = [
                wire.event(
                    base,
                    index,
                    {"content": tokens[position]} if chat else tokens[position],
                    None,
                    chat=chat,
                )
                for index, (tokens, _) in enumerate(choices)
                if position < len(tokens)
            ]
            steps.append((b"".join(events), len(events)))
        tail = [
            wire.event(base, index, {} if chat else "", finish, chat=chat)
            for index, (_, finish) in enumerate(choices)
        ]
        if spec.include_usage:
            tail.append(wire.usage_event(base, usage))
        tail.append(wire.DONE)
        return await self.stream(
            request,
            {**SSE_HEADERS, **headers},
            head,
            steps,
            tail,
            tokens=usage["completion_tokens"],
        )


def calls_for(spec: RequestSpec) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls to answer with (see `_tools`); empty for a text answer."""
    if not spec.tools:
        return []
    return choose_calls(spec.tools, spec.tool_choice, spec.prompts[0], bool(spec.tool_results))


def answers_for(spec: RequestSpec) -> list[tuple[list[str], str]]:
    """Each prompt's answer tokens and finish reason (see `_text`): JSON fitting the request's
    `json_schema`, or the schema of LangChain's format instructions in the prompt; JSON mode's
    answer for a prompt asking for JSON in words; else text."""
    if spec.tool_results:
        text = answer_from_results(spec.tool_results)
        return [
            answer(
                text,
                max_tokens=spec.max_tokens,
                stop=spec.stop,
                json_mode=spec.json_mode,
                summarize=False,
            )
        ]
    answers = []
    for text in spec.prompts:
        schema = spec.json_schema
        if schema is None and not spec.json_mode:
            schema, text = schema_in_prompt(text)
            if schema is None and spec.system_text:  # instructions in the system message
                schema, _ = schema_in_prompt(spec.system_text)
        if schema is not None:
            answers.append(schema_answer(schema, text, max_tokens=spec.max_tokens))
        else:
            json_mode = spec.json_mode or asks_for_json(text)
            answers.append(
                answer(text, max_tokens=spec.max_tokens, stop=spec.stop, json_mode=json_mode)
            )
    return answers


def call_tokens(made: list[dict[str, Any]]) -> int:
    """What tool calls cost in completion tokens: each name and its arguments."""
    return sum(count_tokens(c["function"]["name"] + " " + c["function"]["arguments"]) for c in made)


def whole_answer(
    body: dict[str, Any], *, chat: bool, models: frozenset[str], ids: Iterator[int]
) -> tuple[dict[str, Any], int, int]:
    """A request's whole (non-streamed) answer, as a batch runs it: (body, prompt tokens,
    completion tokens). Raises `Reject` for a request the endpoint would refuse."""
    spec = parse_request({**body, "stream": False}, chat, models)
    calls = calls_for(spec)
    if calls:
        made = wire.tool_calls(calls, [next(ids) for _ in calls])
        tokens = call_tokens(made)
        base = wire.completion_base(f"chatcmpl-sim{next(ids)}", spec.model, chat=True, stream=False)
        usage = wire.usage(spec.prompt_tokens, tokens)
        return wire.tool_call_body(base, made, usage), spec.prompt_tokens, tokens
    answers = answers_for(spec)
    tokens = spec.n * sum(len(t) for t, _ in answers)
    ident = f"{'chatcmpl' if chat else 'cmpl'}-sim{next(ids)}"
    base = wire.completion_base(ident, spec.model, chat=chat, stream=False)
    usage = wire.usage(spec.prompt_tokens, tokens)
    return wire.completion_body(base, answers, spec.n, usage, chat=chat), spec.prompt_tokens, tokens
