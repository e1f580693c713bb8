"""Gemini's Files API as its batch mode uses it, as the simulation server answers it: the
resumable upload (`POST /upload/v1beta/files` with `X-Goog-Upload-Protocol: resumable` and
`X-Goog-Upload-Command: start`, then the bytes to the `X-Goog-Upload-URL` it names with
`upload, finalize`), a file's metadata (`GET /v1beta/files/{id}`) and its bytes
(`GET /v1beta/files/{id}:download?alt=media`, or under `/download/v1beta/`). Files live in
memory; batch results are written here as files too (`_gemini_batches`).
"""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from aiohttp import web

from ._endpoint import read_json
from ._json import json_response
from ._request import Reject

_MAX_FILE = 64 * 1024 * 1024


class GeminiFiles:
    """Uploaded and written files, by id (the part after `files/`)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self._uploads: dict[str, tuple[dict[str, Any], bytearray]] = {}
        self._ids = itertools.count(1)

    def add(self, content: bytes, *, display_name: str = "", mime: str = "jsonl") -> str:
        """Keep `content` as a new file; returns its name (`files/{id}`)."""
        ident = f"sim-file-{next(self._ids)}"
        now = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
        meta = {
            "name": f"files/{ident}",
            "displayName": display_name,
            "mimeType": mime,
            "sizeBytes": str(len(content)),
            "createTime": now,
            "updateTime": now,
            "state": "ACTIVE",
            "source": "UPLOADED",
        }
        self.files[ident] = (meta, content)
        return str(meta["name"])

    def content(self, name: str) -> bytes:
        """The bytes of the file `files/{id}`, or a 404."""
        ident = name.removeprefix("files/")
        if ident not in self.files:
            raise Reject(404, f"File {name} does not exist.")
        return self.files[ident][1]

    async def upload(self, request: web.Request) -> web.StreamResponse:
        """`POST /upload/{version}/files`: start a resumable upload, or send its bytes."""
        command = request.headers.get("X-Goog-Upload-Command", "").replace(" ", "")
        upload_id = request.query.get("upload_id")
        if upload_id is None:
            if request.headers.get("X-Goog-Upload-Protocol") != "resumable" or command != "start":
                raise Reject(400, "Only the resumable upload protocol is simulated.")
            body = await read_json(request)
            given = body.get("file")
            file: dict[str, Any] = given if isinstance(given, dict) else {}
            upload_id = f"up{next(self._ids)}"
            self._uploads[upload_id] = (dict(file), bytearray())
            url = f"{request.scheme}://{request.host}{request.path}?upload_id={upload_id}"
            url += "&upload_protocol=resumable"
            headers = {"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"}
            return web.json_response({}, headers=headers)
        if upload_id not in self._uploads:
            raise Reject(404, f"No upload {upload_id}")
        meta, buffer = self._uploads[upload_id]
        if int(request.headers.get("X-Goog-Upload-Offset", "0")) != len(buffer):
            raise Reject(400, "X-Goog-Upload-Offset does not match the bytes received.")
        buffer += await request.read()
        if len(buffer) > _MAX_FILE:
            raise Reject(413, "The file is too large for the simulation.")
        if "finalize" not in command.split(","):
            return web.json_response({}, headers={"X-Goog-Upload-Status": "active"})
        del self._uploads[upload_id]
        name = self.add(
            bytes(buffer),
            display_name=str(meta.get("displayName", meta.get("display_name", ""))),
            mime=str(meta.get("mimeType", meta.get("mime_type", "jsonl"))),
        )
        file_meta = self.files[name.removeprefix("files/")][0]
        return web.json_response({"file": file_meta}, headers={"X-Goog-Upload-Status": "final"})

    async def get(self, request: web.Request) -> web.StreamResponse:
        """`GET /{version}/files/{id}` (its metadata) or `{id}:download` (its bytes)."""
        ident, _, method = request.path.rsplit("/", 1)[-1].partition(":")
        content = self.content(ident)
        if method == "download":
            return web.Response(body=content, content_type="application/octet-stream")
        if method:
            raise Reject(404, f"Method not found: GET {request.path}")
        return json_response(self.files[ident][0])
