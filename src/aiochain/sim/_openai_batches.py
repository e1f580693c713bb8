"""OpenAI's Files and Batch APIs, as the simulation server answers them.

`/v1/files` (multipart create, list, retrieve, content, delete) and `/v1/batches` (create,
retrieve, cancel, list with `after` / `limit`). A batch's lines are checked when it is created:
any bad line (not JSON, no or a repeated `custom_id`, another method or URL than the batch's
endpoint) fails the batch after validating, with one error per line; so does a batch over
`batch_token_limit` enqueued prompt tokens. Lines are answered as the endpoint would; the
batch's clock and faults are `_batches`'. Output and error files appear when it ends.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from ._batches import TERMINAL, BatchJob, BatchPlanner, LineResult, cut_short
from ._embedding_vectors import EMBEDDING_MODELS, embedding_body
from ._endpoint import read_json
from ._json import dumps, json_response, loads
from ._openai_api import OpenAIEndpoints, whole_answer
from ._request import Reject
from ._responses_api import ResponsesEndpoint

_ENDPOINTS = {
    "/v1/chat/completions": True,
    "/v1/completions": False,
    "/v1/embeddings": False,
    "/v1/responses": True,
}
_NOT_RUN = {
    "expired": (
        "batch_expired",
        "This request could not be executed before the completion window expired.",
    ),
    "cancelled": ("batch_cancelled", "This request was cancelled before it could be executed."),
}


class OpenAIBatches(OpenAIEndpoints):
    """Files and batches, on OpenAI's auth and errors."""

    # The embedding models its `/v1/embeddings` lines may name (the server sets its own).
    embedding_models: dict[str, int] = EMBEDDING_MODELS

    def __init__(self, *args: Any, planner: BatchPlanner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.planner = planner
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.batches: dict[str, BatchJob] = {}
        self.responses: ResponsesEndpoint | None = None

    def routes(self, app: web.Application) -> None:
        """Add the files and batches routes to `app`."""
        handlers = {
            ("POST", "/v1/files"): self._create_file,
            ("GET", "/v1/files"): self._list_files,
            ("GET", "/v1/files/{file_id}"): self._get_file,
            ("GET", "/v1/files/{file_id}/content"): self._file_content,
            ("DELETE", "/v1/files/{file_id}"): self._delete_file,
            ("POST", "/v1/batches"): self._create_batch,
            ("GET", "/v1/batches"): self._list_batches,
            ("GET", "/v1/batches/{batch_id}"): self._get_batch,
            ("POST", "/v1/batches/{batch_id}/cancel"): self._cancel_batch,
        }
        for (method, path), handler in handlers.items():
            name = path.removeprefix("/v1/").split("/")[0]
            app.router.add_route(method, path, self._counted(name, handler))

    def _counted(self, name: str, handler: Any) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            async def checked(request: web.Request) -> web.StreamResponse:
                self.admission.bearer(request.headers.get("Authorization", ""))
                response: web.StreamResponse = await handler(request)
                return response

            return await self.serve(request, name, checked)

        return handle

    # --- files ---------------------------------------------------------------------------

    def add_file(self, name: str, purpose: str, content: bytes) -> dict[str, Any]:
        """Store a file; returns its file object."""
        ident = f"file-sim{next(self.ids)}"
        meta = {
            "id": ident,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": name,
            "purpose": purpose,
            "status": "processed",
            "status_details": None,
        }
        self.files[ident] = (meta, content)
        return meta

    def _file(self, request: web.Request) -> tuple[dict[str, Any], bytes]:
        ident = request.match_info["file_id"]
        if ident not in self.files:
            raise Reject(404, f"No such File object: {ident}", param="id")
        return self.files[ident]

    async def _create_file(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        upload, purpose = form.get("file"), form.get("purpose")
        if not isinstance(upload, web.FileField):
            raise Reject(400, "'file' is a required property (a multipart file)", param="file")
        if not isinstance(purpose, str) or not purpose:
            raise Reject(400, "'purpose' is a required property", param="purpose")
        return json_response(self.add_file(upload.filename, purpose, upload.file.read()))

    async def _list_files(self, request: web.Request) -> web.StreamResponse:
        purpose = request.query.get("purpose")
        data = [m for m, _ in self.files.values() if purpose in (None, m["purpose"])]
        return json_response({"object": "list", "data": data[::-1], "has_more": False})

    async def _get_file(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._file(request)[0])

    async def _file_content(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=self._file(request)[1], content_type="application/octet-stream")

    async def _delete_file(self, request: web.Request) -> web.StreamResponse:
        meta, _ = self._file(request)
        del self.files[meta["id"]]
        return json_response({"id": meta["id"], "object": "file", "deleted": True})

    # --- batches -------------------------------------------------------------------------

    async def _create_batch(self, request: web.Request) -> web.StreamResponse:
        body = await read_json(request)
        file_id = body.get("input_file_id")
        endpoint = body.get("endpoint")
        if endpoint not in _ENDPOINTS:
            raise Reject(400, f"Invalid endpoint: {endpoint!r}", param="endpoint")
        if body.get("completion_window") != "24h":
            raise Reject(400, "completion_window must be '24h'", param="completion_window")
        if not isinstance(file_id, str) or file_id not in self.files:
            raise Reject(404, f"No such File object: {file_id}", param="input_file_id")
        meta, content = self.files[file_id]
        if meta["purpose"] != "batch":
            raise Reject(400, "The input file must have purpose 'batch'", param="input_file_id")
        results, errors = self._run_lines(content, endpoint)
        ident = f"batch_sim{next(self.ids)}"
        info = {"endpoint": endpoint, "input_file_id": file_id, "metadata": body.get("metadata")}
        job = self.planner.job(ident, results, self._failure, errors=errors, info=info)
        self.batches[ident] = job
        return json_response(self._describe(job, as_created=True))

    def _run_lines(
        self, content: bytes, endpoint: str
    ) -> tuple[list[LineResult], list[dict[str, Any]]]:
        """Each line's result, and the lines' validation errors."""
        results: list[LineResult] = []
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        tokens = 0
        for number, raw in enumerate(content.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                line = loads(raw)
            except ValueError:
                errors.append(_line_error("invalid_json_line", "This line is not JSON.", number))
                continue
            custom_id = line.get("custom_id") if isinstance(line, dict) else None
            if not isinstance(custom_id, str) or not custom_id:
                errors.append(_line_error("missing_required_parameter", "custom_id", number))
                continue
            if custom_id in seen:
                errors.append(_line_error("duplicate_custom_id", custom_id, number))
                continue
            seen.add(custom_id)
            if line.get("method") != "POST" or line.get("url") != endpoint:
                message = f"The line's method and url must be POST {endpoint}."
                errors.append(_line_error("mismatched_endpoint", message, number))
                continue
            request_body = line.get("body")
            try:
                if not isinstance(request_body, dict):
                    raise Reject(400, "The line's body must be a JSON object.")
                if endpoint == "/v1/embeddings":
                    answer, prompt_tokens = embedding_body(request_body, self.embedding_models)
                elif endpoint == "/v1/responses" and self.responses is not None:
                    answer, prompt_tokens, _ = self.responses.whole_answer(request_body)
                else:
                    answer, prompt_tokens, _ = whole_answer(
                        request_body, chat=_ENDPOINTS[endpoint], models=self.models, ids=self.ids
                    )
            except Reject as reject:
                results.append(LineResult(custom_id, False, reject.status, reject.body))
                continue
            tokens += prompt_tokens
            results.append(LineResult(custom_id, True, 200, answer))
        limit = self.planner.settings.batch_token_limit
        if limit is not None and tokens > limit:
            message = (
                f"Enqueued token limit reached in organization org-sim. Limit: {limit} "
                f"enqueued tokens; this batch has {tokens}. Please try again once some "
                "in_progress batches have been completed."
            )
            errors.append(_line_error("token_limit_exceeded", message, None))
        if not results and not errors:
            errors.append(_line_error("empty_file", "The input file has no requests.", None))
        return results, errors

    def _failure(self, custom_id: str) -> LineResult:
        error = {
            "error": {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        }
        return LineResult(custom_id, False, 500, error)

    def _job(self, request: web.Request) -> BatchJob:
        ident = request.match_info["batch_id"]
        if ident not in self.batches:
            raise Reject(404, f"No such Batch object: {ident}", param="id")
        return self.batches[ident]

    async def _get_batch(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._describe(self._job(request)))

    async def _cancel_batch(self, request: web.Request) -> web.StreamResponse:
        job = self._job(request)
        if not job.cancel():
            status = job.progress().status
            raise Reject(409, f"Cannot cancel a batch with status '{status}'.")
        return json_response(self._describe(job))

    async def _list_batches(self, request: web.Request) -> web.StreamResponse:
        after = request.query.get("after")
        try:
            limit = int(request.query.get("limit", "20"))
        except ValueError:
            raise Reject(400, "limit must be an integer", param="limit") from None
        if not 1 <= limit <= 100:
            raise Reject(400, "limit must be between 1 and 100", param="limit")
        jobs = list(self.batches.values())[::-1]  # newest first
        if after is not None:
            positions = [i for i, job in enumerate(jobs) if job.ident == after]
            jobs = jobs[positions[0] + 1 :] if positions else []
        page = [self._describe(job) for job in jobs[:limit]]
        return json_response(
            {
                "object": "list",
                "data": page,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": len(jobs) > limit,
            }
        )

    def _describe(self, job: BatchJob, *, as_created: bool = False) -> dict[str, Any]:
        """The batch object; a batch that has ended gets its output and error files. The
        create call answers it as made (validating), however fast the batch then runs."""
        progress = job.progress(as_created=as_created)
        done = job.results[: progress.done]
        if progress.status in TERMINAL and progress.status != "failed" and not job.files:
            self._write_files(job, progress.status, progress.done)
        times = progress.times
        errors = None
        if job.errors and progress.status == "failed":
            errors = {"object": "list", "data": job.errors}
        return {
            "id": job.ident,
            "object": "batch",
            "endpoint": job.info["endpoint"],
            "errors": errors,
            "input_file_id": job.info["input_file_id"],
            "completion_window": "24h",
            "status": progress.status,
            "output_file_id": job.files.get("output"),
            "error_file_id": job.files.get("error"),
            "created_at": job.created_at,
            "in_progress_at": times.get("in_progress"),
            "expires_at": job.created_at + 24 * 3600,
            "finalizing_at": times.get("finalizing"),
            "completed_at": times.get("completed"),
            "failed_at": times.get("failed"),
            "expired_at": times.get("expired"),
            "cancelling_at": times.get("cancelling"),
            "cancelled_at": times.get("cancelled"),
            "request_counts": {
                "total": len(job.results),
                "completed": sum(r.ok for r in done),
                "failed": sum(not r.ok for r in done),
            },
            "metadata": job.info["metadata"],
        }

    def _write_files(self, job: BatchJob, status: str, done: int) -> None:
        """The output file (answers) and error file (failures, requests never run)."""
        output: list[bytes] = []
        failed: list[bytes] = []
        for position, result in enumerate(job.results):
            line: dict[str, Any] = {"id": f"batch_req_sim{next(self.ids)}"}
            line["custom_id"] = result.custom_id
            if position >= done:
                code, message = _NOT_RUN[status]
                line |= {"response": None, "error": {"code": code, "message": message}}
                failed.append(dumps(line))
                continue
            response = {
                "status_code": result.status,
                "request_id": f"req_sim{next(self.ids)}",
                "body": result.body,
            }
            line |= {"response": response, "error": None}
            encoded = dumps(line)
            if result.custom_id in job.malformed:
                encoded = cut_short(encoded)
            (output if result.ok else failed).append(encoded)
        for kind, lines in (("output", output), ("error", failed)):
            if lines:
                name = f"batch_{job.ident}_{kind}.jsonl"
                meta = self.add_file(name, f"batch_{kind}", b"\n".join(lines) + b"\n")
                job.files[kind] = meta["id"]


def _line_error(code: str, message: str, line: int | None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": None, "line": line}
