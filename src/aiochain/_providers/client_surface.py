"""What the CLI and the Batch API code may use of a client (a model, or the embeddings): its
endpoint path, transport, retry policy and key check, instead of its private attributes. Model
clients and `OpenAIEmbeddings` share it, so a batch client is set up on either the same way
(`OpenAIBatchClient.for_model`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._exceptions import ConfigurationError

if TYPE_CHECKING:
    from .._http.transport import HTTPTransport
    from .._pipeline.pipeline import RequestPipeline
    from .._pipeline.retry import RetryPolicy


class ClientSurface:
    """The typed surface of a client set up by `ModelClient.__init__` (which sets `_path`,
    `_pipeline` and `_key_error`)."""

    _path: str
    _pipeline: RequestPipeline
    _key_error: str | None

    @property
    def endpoint_path(self) -> str:
        """The path requests are posted to (without the API root, with Azure's query)."""
        return self._path

    @property
    def transport(self) -> HTTPTransport:
        """The HTTP transport (endpoint, key, connections) this client sends through."""
        return self._pipeline.transport

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy of this client's requests."""
        return self._pipeline.retry

    def check_key(self) -> None:
        """Raise `ConfigurationError` when this client has no key where one is needed."""
        if self._key_error is not None:
            raise ConfigurationError(self._key_error)


__all__ = ["ClientSurface"]
