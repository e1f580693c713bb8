"""Azure OpenAI's deployment endpoints, as the simulation server answers them.

`POST /openai/deployments/{deployment}/chat/completions?api-version=...` (and `/completions`):
OpenAI's answers (the deployment name is the model), with Azure's ways: the `api-version`
query parameter is required (without it Azure's gateway answers 404 "Resource not found"),
the key comes in an `api-key` header (or an Entra ID bearer token), a deployment that does not
exist is 404 `DeploymentNotFound`, and error bodies carry a `code` that is often the status.
"""

from __future__ import annotations

from aiohttp import web

from . import _payloads as openai_wire
from ._endpoint import read_json
from ._json import json_response
from ._openai_api import OpenAIEndpoints
from ._request import Reject

_NO_DEPLOYMENT = (
    "The API deployment for this resource does not exist. If you created the deployment "
    "within the last 5 minutes, please wait a moment and try again."
)


class AzureEndpoints(OpenAIEndpoints):
    """The deployment endpoints of Azure OpenAI."""

    def refuse(self, reject: Reject) -> web.Response:
        """Azure's error answer: OpenAI's fields, `code` the status when nothing more precise."""
        code = "429" if reject.status == 429 else reject.code or str(reject.status)
        body = {
            "error": {
                "code": code,
                "message": reject.message,
                "param": reject.param,
                "type": reject.type,
            }
        }
        headers = openai_wire.rate_headers(reject.limits, reject.retry_after)
        return json_response(body, status=reject.status, headers=headers)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """`POST /openai/deployments/{deployment}/chat/completions`."""
        return await self.serve(request, "azure.chat.completions", self._azure_chat)

    async def completions(self, request: web.Request) -> web.StreamResponse:
        """`POST /openai/deployments/{deployment}/completions`."""
        return await self.serve(request, "azure.completions", self._azure_completions)

    async def _azure_chat(self, request: web.Request) -> web.StreamResponse:
        return await self._azure(request, chat=True)

    async def _azure_completions(self, request: web.Request) -> web.StreamResponse:
        return await self._azure(request, chat=False)

    async def _azure(self, request: web.Request, *, chat: bool) -> web.StreamResponse:
        if not request.query.get("api-version"):
            raise Reject(404, "Resource not found", code="404")
        key = self.admission.azure_key(
            request.headers.get("api-key"), request.headers.get("Authorization", "")
        )
        deployment = request.match_info["deployment"]
        if deployment not in self.models:
            raise Reject(404, _NO_DEPLOYMENT, code="DeploymentNotFound")
        body = await read_json(request)
        body["model"] = deployment
        return await self.answer(request, key, body, chat=chat)
