"""Anthropic's Message Batches (`/v1/messages/batches`), as the simulation server answers them.

Create (`requests`: `custom_id` and Messages `params` each), retrieve, list, cancel, and results
(JSON lines, once the batch has ended). `processing_status` is `in_progress`, `canceling` or
`ended`; a request's result is `succeeded` (its Message), `errored` (an Anthropic error body),
`expired` or `canceled`. The clock and faults are `_batches`'.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import _anthropic_wire as wire
from ._anthropic_api import AnthropicEndpoints, whole_message
from ._batches import TERMINAL, BatchJob, BatchPlanner, LineResult, cut_short
from ._endpoint import read_json
from ._json import dumps, json_response
from ._request import Reject

_STATUS = {"cancelling": "canceling", **{status: "ended" for status in TERMINAL}}
_LIMIT = 100_000


class AnthropicBatches(AnthropicEndpoints):
    """Message Batches, on Anthropic's auth and errors."""

    def __init__(self, *args: Any, planner: BatchPlanner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.planner = planner
        self.batches: dict[str, BatchJob] = {}

    def routes(self, app: web.Application) -> None:
        """Add the Message Batches routes to `app`."""
        base = "/v1/messages/batches"
        for method, path, handler in (
            ("POST", base, self._create),
            ("GET", base, self._list),
            ("GET", base + "/{batch_id}", self._get),
            ("POST", base + "/{batch_id}/cancel", self._cancel),
            ("GET", base + "/{batch_id}/results", self._results),
        ):
            app.router.add_route(method, path, self._counted(handler))

    def _counted(self, handler: Any) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            async def checked(request: web.Request) -> web.StreamResponse:
                headers = request.headers
                self.admission.anthropic_key(
                    headers.get("x-api-key"), headers.get("Authorization", "")
                )
                if not headers.get("anthropic-version"):
                    raise Reject(400, "anthropic-version: header is required")
                response: web.StreamResponse = await handler(request)
                return response

            return await self.serve(request, "messages.batches", checked)

        return handle

    async def _create(self, request: web.Request) -> web.StreamResponse:
        body = await read_json(request)
        requests = body.get("requests")
        if not isinstance(requests, list) or not 1 <= len(requests) <= _LIMIT:
            raise Reject(400, f"requests: a list of 1 to {_LIMIT:,} requests is required")
        results: list[LineResult] = []
        seen: set[str] = set()
        for position, item in enumerate(requests):
            custom_id = item.get("custom_id") if isinstance(item, dict) else None
            params = item.get("params") if isinstance(item, dict) else None
            if not isinstance(custom_id, str) or not custom_id or not isinstance(params, dict):
                raise Reject(400, f"requests.{position}: custom_id and params are required")
            if custom_id in seen:
                raise Reject(400, f"requests.{position}: duplicate custom_id {custom_id!r}")
            seen.add(custom_id)
            try:
                message, _, _ = whole_message(params, models=self.models, ids=self.ids)
            except Reject as reject:
                error = wire.error_body(reject, f"req_sim{next(self.ids)}")
                results.append(LineResult(custom_id, False, reject.status, error))
                continue
            results.append(LineResult(custom_id, True, 200, message))
        ident = f"msgbatch_sim{next(self.ids)}"
        job = self.planner.job(ident, results, self._failure)
        self.batches[ident] = job
        return json_response(self._describe(job, request, as_created=True))

    def _failure(self, custom_id: str) -> LineResult:
        error = wire.error_body(Reject(500, "Internal server error"), f"req_sim{next(self.ids)}")
        return LineResult(custom_id, False, 500, error)

    def _job(self, request: web.Request) -> BatchJob:
        ident = request.match_info["batch_id"]
        if ident not in self.batches:
            raise Reject(404, f"Batch not found: {ident}")
        return self.batches[ident]

    async def _get(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._describe(self._job(request), request))

    async def _cancel(self, request: web.Request) -> web.StreamResponse:
        job = self._job(request)
        job.cancel()  # cancelling an ended batch changes nothing, as Anthropic's API does
        return json_response(self._describe(job, request))

    async def _list(self, request: web.Request) -> web.StreamResponse:
        jobs = list(self.batches.values())[::-1]
        data = [self._describe(job, request) for job in jobs]
        return json_response(
            {
                "data": data,
                "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )

    async def _results(self, request: web.Request) -> web.StreamResponse:
        job = self._job(request)
        progress = job.progress()
        if progress.status not in TERMINAL:
            raise Reject(400, f"Batch {job.ident} is still {_STATUS.get(progress.status)}")
        lines = []
        for position, result in enumerate(job.results):
            outcome: dict[str, Any]
            if position >= progress.done:
                outcome = {"type": "canceled" if progress.status == "cancelled" else "expired"}
            elif result.ok:
                outcome = {"type": "succeeded", "message": result.body}
            else:
                outcome = {"type": "errored", "error": result.body}
            line = dumps({"custom_id": result.custom_id, "result": outcome})
            lines.append(cut_short(line) if result.custom_id in job.malformed else line)
        return web.Response(body=b"\n".join(lines) + b"\n", content_type="application/binary")

    def _describe(
        self, job: BatchJob, request: web.Request, *, as_created: bool = False
    ) -> dict[str, Any]:
        # The create call answers the batch as made, however fast it then runs.
        progress = job.progress(as_created=as_created)
        status = _STATUS.get(progress.status, "in_progress")
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for position, result in enumerate(job.results):
            if position < progress.done:
                counts["succeeded" if result.ok else "errored"] += 1
            elif status != "ended":
                counts["processing"] += 1
            else:
                counts["canceled" if progress.status == "cancelled" else "expired"] += 1
        times = progress.times
        ended = next((times[s] for s in TERMINAL if s in times), None)
        root = f"{request.scheme}://{request.host}"
        return {
            "id": job.ident,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "ended_at": _iso(ended),
            "created_at": _iso(job.created_at),
            "expires_at": _iso(job.created_at + 24 * 3600),
            "cancel_initiated_at": _iso(times.get("cancelling")),
            "archived_at": None,
            "results_url": f"{root}/v1/messages/batches/{job.ident}/results"
            if status == "ended"
            else None,
        }


def _iso(epoch: int | None) -> str | None:
    return None if epoch is None else wire.rfc3339(epoch)
