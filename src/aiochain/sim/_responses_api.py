"""OpenAI's `POST /v1/responses` (the Responses API), as the simulation server answers it.

The same steps as chat completions: auth (401) -> body and model checks (400, 404; see
`_responses_request`) -> rate limits (429 with the rate-limit headers) -> injected faults ->
latency -> answer (the response object, or its events when `stream` is true; see
`_responses_wire` for what is answered). Streams are `event:` / `data:` pairs, each numbered by
`sequence_number`, with no `[DONE]`. `malformed_rate` answers in `_responses_malformed`'s
shapes. A stream cut by `stream_cut_rate` says `error` and then
`response.failed` before the connection goes. Stored responses (`store`, true unless false)
are kept, the newest `STORED_MAX`, for `previous_response_id`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from aiohttp import web

from . import _payloads as openai_wire
from . import _responses_wire as wire
from ._endpoint import SSE_HEADERS, Endpoint, read_json
from ._json import arguments_text, dumps
from ._request import Reject, fault_reject
from ._responses_malformed import malformed_response
from ._responses_request import ResponsesSpec, parse_responses
from ._text import answer, count_tokens, schema_answer
from ._tools import answer_from_results, choose_calls

STORED_MAX = 10_000


class Decided:
    """What one response says: its output items, the text pieces of each, its usage."""

    def __init__(self, spec: ResponsesSpec, next_id: Any) -> None:
        self.ident = f"resp_sim{next_id()}"
        self.items: list[dict[str, Any]] = []
        self.pieces: list[list[str]] = []
        self.incomplete = False
        calls = choose_calls(spec.tools, spec.tool_choice, spec.user_text, bool(spec.tool_results))
        if spec.body.get("parallel_tool_calls") is False:
            calls = calls[:1]
        if calls:
            made = [(name, arguments_text(arguments)) for name, arguments in calls]
            text_tokens = sum(count_tokens(name + " " + args) for name, args in made)
            reasoning = self._reasoning_tokens(spec, text_tokens)
            pieces = [[args[: len(args) // 2], args[len(args) // 2 :]] for _, args in made]
            items = [
                wire.call_item(f"fc_sim{next_id()}", f"call_sim{next_id()}", name, args)
                for name, args in made
            ]
        else:
            # Reasoning comes first and spends `max_output_tokens` before the text does.
            reasoning = self._reasoning_tokens(spec, len(self._text(spec, None)[0]))
            room = spec.max_output_tokens
            if room is not None:
                reasoning = min(reasoning, room)
                room -= reasoning
            text, finish = self._text(spec, room) if room is None or room > 0 else ([], "length")
            self.incomplete = finish == "length"
            status = "incomplete" if self.incomplete else "completed"
            text_tokens = len(text)
            pieces = [text]
            joined = "".join(text)
            if spec.web_search and spec.tool_choice != "none":
                # The built-in search: a web_search_call item, then text citing its page.
                query = spec.user_text[:200]
                items = [wire.search_item(f"ws_sim{next_id()}", query)]
                pieces = [[], text]
                cited = [wire.citation(joined)] if joined else []
                items.append(wire.message_item(f"msg_sim{next_id()}", joined, status, cited))
            else:
                items = [wire.message_item(f"msg_sim{next_id()}", joined, status)]
        if spec.reasoning_model:
            self.items.append(wire.reasoning_item(f"rs_sim{next_id()}"))
            self.pieces.append([])
        self.items.extend(items)
        self.pieces.extend(pieces)
        self.reasoning_tokens = reasoning
        self.output_tokens = text_tokens + reasoning
        self.usage = wire.usage(spec.prompt_tokens, spec.context_tokens, text_tokens, reasoning)
        self.status = "incomplete" if self.incomplete else "completed"

    @staticmethod
    def _reasoning_tokens(spec: ResponsesSpec, count: int) -> int:
        if not spec.reasoning_model or spec.effort is None:
            return 0
        per = wire.REASONING_PER_TOKEN[spec.effort]
        return 0 if per == 0 else max(8, per * count)

    @staticmethod
    def _text(spec: ResponsesSpec, room: int | None) -> tuple[list[str], str]:
        results = spec.tool_results
        text = answer_from_results(results) if results else spec.user_text
        fmt = spec.format
        if fmt["type"] == "json_schema":
            return schema_answer(fmt["schema"], text, max_tokens=room, summarize=not results)
        return answer(
            text,
            max_tokens=room,
            stop=None,
            json_mode=fmt["type"] == "json_object",
            summarize=not results,
        )

    def body(self, spec: ResponsesSpec, status: str | None = None) -> dict[str, Any]:
        """The whole response object."""
        return wire.response_object(
            self.ident,
            spec.body,
            model=spec.model,
            effort=spec.effort,
            status=status or self.status,
            output=self.items,
            usage=self.usage,
            incomplete=self.incomplete,
        )


class ResponsesEndpoint(Endpoint):
    """`POST /v1/responses`, on OpenAI's auth, limits, faults and errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored: OrderedDict[str, tuple[list[dict[str, Any]], int]] = OrderedDict()

    def refuse(self, reject: Reject) -> web.Response:
        """OpenAI's error answer."""
        return openai_wire.error_response(reject)

    def overloaded(self) -> Reject:
        """OpenAI's answer when it is overloaded."""
        return fault_reject(503)

    async def responses(self, request: web.Request) -> web.StreamResponse:
        """`POST /v1/responses`."""
        return await self.serve(request, "responses", self._answer)

    def decide(self, body: dict[str, Any]) -> tuple[ResponsesSpec, Decided]:
        """A checked request and its answer (raises `Reject` for one OpenAI would refuse)."""
        spec = parse_responses(body, self.models, self.stored)
        return spec, Decided(spec, lambda: next(self.ids))

    def keep(self, spec: ResponsesSpec, decided: Decided) -> None:
        """Store an answered response when its request asks, for `previous_response_id`."""
        if spec.store:
            conversation = spec.items + decided.items
            self.stored[decided.ident] = (conversation, spec.prompt_tokens + decided.output_tokens)
            while len(self.stored) > STORED_MAX:
                self.stored.popitem(last=False)

    def whole_answer(self, body: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
        """A request's whole answer, as a batch runs it: (body, input tokens, output tokens)."""
        spec, decided = self.decide({**body, "stream": False})
        self.keep(spec, decided)
        return decided.body(spec), spec.prompt_tokens, decided.output_tokens

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        key = self.admission.bearer(request.headers.get("Authorization", ""))
        spec, decided = self.decide(await read_json(request))
        limits = self.admission.admit(key, spec.model, spec.prompt_tokens + decided.output_tokens)
        self.stats.prompt_counts[spec.fingerprint] += 1
        await self.admission.fault(self.overloaded)
        self.stats.tokens_in += spec.prompt_tokens
        self.keep(spec, decided)
        headers = openai_wire.rate_headers(limits) if limits else {}
        kind = self.admission.malformed()
        if kind is not None:
            body, content_type = malformed_response(kind, decided.body(spec), stream=spec.stream)
            await self.wait_whole(0)
            headers = {**headers, "x-sim-fault": f"malformed/{kind}"}
            return await self.reply(request, body, headers, content_type=content_type)
        if spec.stream:
            return await self._stream(request, spec, decided, headers)
        await self.wait_whole(decided.output_tokens)
        self.stats.tokens_out += decided.output_tokens
        return await self.reply(request, dumps(decided.body(spec)), headers)

    async def _stream(
        self,
        request: web.Request,
        spec: ResponsesSpec,
        decided: Decided,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        write = wire.EventWriter()
        opening = decided.body(spec, "in_progress")
        opening.update(output=[], usage=None, incomplete_details=None)
        head = [
            write("response.created", response=opening),
            write("response.in_progress", response=opening),
        ]
        steps: list[tuple[bytes, int]] = []
        tail: list[bytes] = []
        last = len(decided.items) - 1
        for index, (item, pieces) in enumerate(zip(decided.items, decided.pieces, strict=True)):
            before, deltas, after = wire.item_events(write, index, item, pieces)
            if index < last:
                head.extend([*before, *deltas, *after])
            else:
                # The last item's deltas are paced one token a step; see `Endpoint.stream`.
                head.extend(before)
                steps = [(delta, 1) for delta in deltas]
                tail.extend(after)
        final = "response.incomplete" if decided.incomplete else "response.completed"
        cut_write = wire.EventWriter()
        cut_write.sequence = len(head) + len(steps) // 2 + 1
        failed = decided.body(spec, "failed")
        failed.update(
            usage=None,
            incomplete_details=None,
            error={"code": "server_error", "message": "The model failed mid-stream (simulated)."},
        )
        cut_tail = [
            cut_write("error", code="server_error", message="Stream cut (simulated).", param=None),
            cut_write("response.failed", response=failed),
        ]
        tail.append(write(final, response=decided.body(spec)))
        return await self.stream(
            request,
            {**SSE_HEADERS, **headers},
            head,
            steps,
            tail,
            tokens=decided.output_tokens,
            cut_tail=cut_tail,
        )
