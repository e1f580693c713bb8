"""OpenAI's `/v1/embeddings` and Azure's deployment path for it, as the simulation server
answers them (the vectors are `_embedding_vectors`').

auth (401) -> body and model checks (400, 404) -> rate limits (429, the request's input tokens
counted against `tpm`) -> injected faults -> latency -> answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from aiohttp import web

from . import _payloads as wire
from ._admission import Admission
from ._azure_api import AzureEndpoints
from ._embedding_vectors import EMBEDDING_MODELS, embedding_body
from ._endpoint import Endpoint, EndpointSettings, read_json
from ._json import dumps
from ._request import Reject, fault_reject
from ._stats import Stats

_NO_DEPLOYMENT = (
    "The API deployment for this resource does not exist. If you created the deployment "
    "within the last 5 minutes, please wait a moment and try again."
)


def embedding_models(models: Sequence[str] | None) -> dict[str, int]:
    """The embedding models a server serves, with their native dimensions: the default ones,
    or those of `models` (a name the defaults do not know gets 1536 dimensions)."""
    if not models:
        return dict(EMBEDDING_MODELS)
    return {name: EMBEDDING_MODELS.get(name, 1536) for name in models}


class EmbeddingEndpoints(Endpoint):
    """`POST /v1/embeddings` and `POST /openai/deployments/{deployment}/embeddings`.

    Args:
        settings / admission / stats / ids: the server's, as every endpoint's.
        models: the embedding models served, with their native dimensions.
    """

    def __init__(
        self,
        settings: EndpointSettings,
        admission: Admission,
        stats: Stats,
        ids: Iterator[int],
        models: dict[str, int],
    ) -> None:
        super().__init__(settings, admission, stats, ids, frozenset(models))
        self.dimensions = models
        self._azure_errors = AzureEndpoints(settings, admission, stats, ids, frozenset(models))

    def refuse(self, reject: Reject) -> web.Response:
        return wire.error_response(reject)

    def overloaded(self) -> Reject:
        return fault_reject(503)

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        """`POST /v1/embeddings`."""
        return await self.serve(request, "embeddings", self._openai)

    async def azure_embeddings(self, request: web.Request) -> web.StreamResponse:
        """`POST /openai/deployments/{deployment}/embeddings?api-version=...`: Azure's errors."""
        return await self.serve(request, "azure.embeddings", self._azure)

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        key = self.admission.bearer(request.headers.get("Authorization", ""))
        return await self.answer(key, await read_json(request))

    async def _azure(self, request: web.Request) -> web.StreamResponse:
        try:
            if not request.query.get("api-version"):
                raise Reject(404, "Resource not found", code="404")
            key = self.admission.azure_key(
                request.headers.get("api-key"), request.headers.get("Authorization", "")
            )
            deployment = request.match_info["deployment"]
            if deployment not in self.dimensions:
                raise Reject(404, _NO_DEPLOYMENT, code="DeploymentNotFound")
            body = await read_json(request)
            body["model"] = deployment
            return await self.answer(key, body)
        except Reject as reject:
            return self._azure_errors.refuse(reject)

    async def answer(self, key: str, body: dict[str, object]) -> web.StreamResponse:
        """Answer a checked JSON body for the caller `key` (after auth)."""
        answer, tokens = embedding_body(body, self.dimensions)
        model = str(answer["model"])
        limits = self.admission.admit(key, model, tokens)
        await self.admission.fault(self.overloaded)
        self.stats.tokens_in += tokens
        headers = wire.rate_headers(limits) if limits else {}
        await self.wait_whole(0)
        return web.Response(body=dumps(answer), headers=headers, content_type="application/json")
