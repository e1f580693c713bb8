"""Gemini's batch mode (`models/{model}:batchGenerateContent` and `batches/{id}`), as the
simulation server answers it.

Create with inline requests (`{"batch": {"display_name", "input_config": {"requests":
{"requests": [{"request": GenerateContentRequest, "metadata": {"key": ...}}]}}}}`) or from
an uploaded JSON Lines file (`"input_config": {"file_name": "files/..."}`, `{"key",
"request"}` lines; see `_gemini_files`, whose results come back as a `responsesFile`), get,
list and cancel. Every call answers a long-running Operation: `name` (`batches/{id}`),
`metadata` (the GenerateContentBatch: `state` as BATCH_STATE_PENDING, _RUNNING, _SUCCEEDED,
_FAILED, _CANCELLED or _EXPIRED, `batchStats`), `done`, and once done `response`
(`inlinedResponses.inlinedResponses`, also as `metadata.output`, where the google-genai SDK
reads it: a GenerateContentResponse or a Google error each, in input order, with its
metadata). The batch operations answer under `/v1beta` and, for a Google key, `/v1` (where
the SDK asks when given a base URL; `v1_batches` tells them from OpenAI's Batch API).
Answers are composed as `generateContent`'s are (`_gemini_api.compose`); the clock and
faults are `_batches`'. A cancelled or expired batch keeps the responses done by then; the
rest have none.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from aiohttp import web

from . import _gemini_replies as replies
from . import _gemini_wire as wire
from ._batches import BatchJob, BatchPlanner, LineResult
from ._endpoint import read_json
from ._gemini_api import GeminiEndpoints, compose
from ._gemini_files import GeminiFiles
from ._json import dumps, json_response
from ._request import Reject

_STATES = {
    "validating": "PENDING",
    "in_progress": "RUNNING",
    "finalizing": "RUNNING",
    "cancelling": "RUNNING",
    "completed": "SUCCEEDED",
    "failed": "FAILED",
    "expired": "EXPIRED",
    "cancelled": "CANCELLED",
}
_DONE = frozenset({"SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED"})
_LIMIT = 100_000
_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main."


class GeminiBatches(GeminiEndpoints):
    """generateContent and batch mode on one key check, quota and error bodies."""

    def __init__(self, *args: Any, planner: BatchPlanner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.planner = planner
        self.batches: dict[str, BatchJob] = {}
        self.files = GeminiFiles()

    def routes(self, app: web.Application) -> None:
        """Add the models' methods (generateContent, ..., batchGenerateContent) and the batch
        operations' routes (`batches`, `batches/{id}`, `batches/{id}:cancel`) to `app`."""
        for version in ("v1beta", "v1"):
            app.router.add_post(f"/{version}/models/{{target}}", self.dispatch)
        # /v1/batches is OpenAI's Batch API on this server: Gemini's requests there (the
        # google-genai SDK asks v1 when given a base URL) are taken by `v1_batches`.
        app.router.add_get("/v1beta/batches", self._counted(self._list))
        app.router.add_get("/v1beta/batches/{target}", self._counted(self._get))
        app.router.add_post("/v1beta/batches/{target}", self._counted(self._cancel))
        for version in ("v1beta", "v1"):
            app.router.add_post(f"/upload/{version}/files", self._upload)
            app.router.add_get(
                f"/download/{version}/files/{{target}}", self._counted(self.files.get)
            )
        app.router.add_get("/v1beta/files/{target}", self._counted(self.files.get))

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        async def checked(request: web.Request) -> web.StreamResponse:
            if "upload_id" not in request.query:  # the upload URL is its own credential
                self._key(request)
            return await self.files.upload(request)

        return await self.serve(request, "gemini.files", checked)

    @web.middleware
    async def v1_batches(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Gemini's batch operations under `/v1/batches` (told from OpenAI's by Google's key
        header or `?key=`); every other request goes on to its route."""
        path = request.path
        google = "x-goog-api-key" in request.headers or "key" in request.query
        if google and path.startswith("/v1/files/") and request.method == "GET":
            files: web.StreamResponse = await self._counted(self.files.get)(request)
            return files
        if not google or not (path == "/v1/batches" or path.startswith("/v1/batches/")):
            response: web.StreamResponse = await handler(request)
            return response
        if path == "/v1/batches" and request.method == "GET":
            chosen = self._list
        elif path.count("/") == 3 and request.method in ("GET", "POST"):
            chosen = self._get if request.method == "GET" else self._cancel
        else:
            return self.refuse(Reject(404, f"Method not found: {request.method} {path}"))
        counted: web.StreamResponse = await self._counted(chosen)(request)
        return counted

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """`POST /v1beta/models/{model}:{method}`, batchGenerateContent included."""
        model, _, method = request.match_info["target"].partition(":")
        if method != "batchGenerateContent":
            return await super().dispatch(request)

        async def create(request: web.Request) -> web.StreamResponse:
            self._key(request)
            if model not in self.models:
                raise Reject(404, f"models/{model} is not found for API version v1beta")
            return await self._create(request, model)

        return await self.serve(request, "gemini.batch_create", create)

    def _counted(self, handler: Any) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            async def checked(request: web.Request) -> web.StreamResponse:
                self._key(request)
                response: web.StreamResponse = await handler(request)
                return response

            return await self.serve(request, "gemini.batches", checked)

        return handle

    async def _create(self, request: web.Request, model: str) -> web.StreamResponse:
        body = await read_json(request)
        batch = body.get("batch")
        if not isinstance(batch, dict):
            raise wire.bad("batch: an object is required")
        config = batch.get("input_config", batch.get("inputConfig"))
        config = config if isinstance(config, dict) else {}
        file_name = config.get("file_name", config.get("fileName"))
        holder = config.get("requests")
        requests = holder.get("requests") if isinstance(holder, dict) else None
        if isinstance(file_name, str):
            requests = _file_requests(self.files.content(file_name))
        if not isinstance(requests, list) or not 1 <= len(requests) <= _LIMIT:
            raise wire.bad(
                f"batch.input_config: requests.requests or file_name with 1 to {_LIMIT:,} "
                "requests is required"
            )
        results: list[LineResult] = []
        metadata: dict[str, Any] = {}
        for position, item in enumerate(requests):
            inner = item.get("request") if isinstance(item, dict) else None
            if not isinstance(inner, dict):
                raise wire.bad(f"batch.input_config.requests.requests[{position}].request")
            meta = item.get("metadata")
            key = meta.get("key") if isinstance(meta, dict) else item.get("key")
            key = key if isinstance(key, str) and key else str(position)
            metadata[key] = meta if isinstance(meta, dict) else None
            results.append(self._answer(inner, model, key))
        ident = f"sim{next(self.ids)}"
        info = {
            "model": f"models/{model}",
            "display_name": str(batch.get("display_name", batch.get("displayName", ""))),
            "metadata": metadata,
            "order": [r.custom_id for r in results],
            "file_input": isinstance(file_name, str),
        }
        job = self.planner.job(ident, results, self._failure, info=info)
        self.batches[ident] = job
        return json_response(self._operation(job, as_created=True))

    def _answer(self, inner: dict[str, Any], model: str, key: str) -> LineResult:
        try:
            parsed = wire.parse_generate(inner, model, stream=False)
            parts, finish, _, output_tokens, thoughts = compose(parsed, self.ids)
        except Reject as reject:
            return LineResult(key, False, reject.status, replies.error_body(reject)["error"])
        cached = self._cached_tokens(parsed.cache_prefix)  # implicit caching, as live
        usage = replies.usage(parsed.spec.prompt_tokens, output_tokens, thoughts, cached)
        answer = replies.response(model, f"sim{next(self.ids)}", parts, finish, usage)
        return LineResult(key, True, 200, answer)

    def _failure(self, key: str) -> LineResult:
        error = replies.error_body(Reject(500, "An internal error has occurred."))["error"]
        return LineResult(key, False, 500, error)

    def _job(self, request: web.Request) -> tuple[BatchJob, str]:
        ident, _, method = request.path.rsplit("/", 1)[-1].partition(":")
        if ident not in self.batches:
            raise Reject(404, f"Batch not found: batches/{ident}")
        return self.batches[ident], method

    async def _get(self, request: web.Request) -> web.StreamResponse:
        job, method = self._job(request)
        if method:
            raise Reject(404, f"Method not found: GET {request.path}")
        return json_response(self._operation(job))

    async def _cancel(self, request: web.Request) -> web.StreamResponse:
        job, method = self._job(request)
        if method != "cancel":
            raise Reject(404, f"Method not found: POST {request.path}")
        job.cancel()  # cancelling an ended batch changes nothing
        return json_response({})

    async def _list(self, request: web.Request) -> web.StreamResponse:
        jobs = list(self.batches.values())[::-1]
        return json_response({"operations": [self._operation(job) for job in jobs]})

    def _operation(self, job: BatchJob, *, as_created: bool = False) -> dict[str, Any]:
        """The batch's operation; a batch made from a file answers in a file too (one
        `{"key", "response" | "error"}` line per request, written once it is done)."""
        operation = _operation(job, as_created=as_created)
        output = operation.get("response")
        if not job.info["file_input"] or output is None:
            return operation
        if "output" not in job.files:
            rows = output["inlinedResponses"]["inlinedResponses"]
            lines = [dumps(row) for row in rows]
            content = b"\n".join(lines) + b"\n" if lines else b""
            job.files["output"] = self.files.add(content, display_name=f"{job.ident}-output")
        name = job.files["output"]
        operation["metadata"]["output"] = {"responsesFile": name}
        operation["response"] = {"@type": output["@type"], "responsesFile": name}
        return operation


def _file_requests(content: bytes) -> list[Any]:
    """The requests of an uploaded JSON Lines file (`{"key", "request"}` each)."""
    requests: list[Any] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            requests.append(json.loads(line))
        except ValueError:
            raise wire.bad(f"line {number} of the input file is not JSON") from None
    return requests


def _operation(job: BatchJob, *, as_created: bool = False) -> dict[str, Any]:
    """The batch as a long-running Operation (see the module docstring)."""
    progress = job.progress(as_created=as_created)
    state = _STATES[progress.status]
    done_keys = {r.custom_id: r for r in job.results[: progress.done]}
    ok = sum(1 for r in done_keys.values() if r.ok)
    count = len(job.results)
    times = progress.times
    name = f"batches/{job.ident}"
    metadata: dict[str, Any] = {
        "@type": _TYPE + "GenerateContentBatch",
        "name": name,
        "model": job.info["model"],
        "displayName": job.info["display_name"],
        "state": f"BATCH_STATE_{state}",
        "createTime": _iso(job.created_at),
        "updateTime": _iso(max(times.values())),
        "batchStats": {
            "requestCount": str(count),
            "successfulRequestCount": str(ok),
            "failedRequestCount": str(len(done_keys) - ok),
            "pendingRequestCount": str(count - len(done_keys)) if state not in _DONE else "0",
        },
    }
    operation: dict[str, Any] = {"name": name, "metadata": metadata}
    if state not in _DONE:
        return operation
    operation["done"] = True
    if state == "FAILED":
        operation["error"] = {"code": 400, "message": "The batch failed validation."}
        return operation
    inlined = []
    for key in job.info["order"]:
        result = done_keys.get(key)
        if result is None:
            continue
        row: dict[str, Any] = {"key": key} if job.info["file_input"] else {}
        row.update({"response": result.body} if result.ok else {"error": result.body})
        meta = job.info["metadata"].get(key)
        if meta is not None:
            row["metadata"] = meta
        inlined.append(row)
    metadata["output"] = {"inlinedResponses": {"inlinedResponses": inlined}}  # as the SDK reads
    metadata["endTime"] = metadata["updateTime"]
    operation["response"] = {
        "@type": _TYPE + "GenerateContentBatchOutput",
        "inlinedResponses": {"inlinedResponses": inlined},
    }
    return operation


def _iso(epoch: int) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.isoformat().replace("+00:00", "Z")
