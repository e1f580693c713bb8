"""`AzureChatOpenAI` and `AzureOpenAI`: OpenAI's models as Azure OpenAI serves them, as
`langchain_openai` has them. Answers are OpenAI's; what differs is where requests go and how
they authenticate:

- the URL is `{azure_endpoint}/openai/deployments/{azure_deployment}/chat/completions` (or
  `/completions`) with an `api-version` query parameter, which Azure requires;
- the key goes in an `api-key` header, or a Microsoft Entra ID token as `Authorization:
  Bearer` (a fixed `azure_ad_token`, or an `azure_ad_token_provider` asked before every
  request, since such tokens expire);
- error bodies are OpenAI's shape with Azure's codes (`DeploymentNotFound`, "429"), read by
  the same error mapping; 429s carry `retry-after`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .._exceptions import ConfigurationError, CredentialError
from .._http.endpoint import Endpoint, EndpointAuth
from .openai_chat import ChatOpenAI
from .openai_completions import OpenAI

TokenProvider = Callable[[], "str | Awaitable[str]"]
"""Returns a fresh Entra ID bearer token (sync or async), asked before every request."""


class _AzureOptions:
    """The Azure-only options of both classes, checked."""

    def __init__(
        self,
        *,
        azure_endpoint: str | None,
        azure_deployment: str | None,
        api_version: str | None,
        api_key: str | None,
        azure_ad_token: str | None,
        azure_ad_token_provider: TokenProvider | None,
    ) -> None:
        endpoint = azure_endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
        if not endpoint:
            raise ConfigurationError(
                "Azure OpenAI needs azure_endpoint (or $AZURE_OPENAI_ENDPOINT), e.g. "
                "https://my-resource.openai.azure.com"
            )
        if not azure_deployment:
            raise ConfigurationError("Azure OpenAI needs azure_deployment (the deployment name)")
        version = api_version or os.environ.get("OPENAI_API_VERSION")
        if not version:
            raise ConfigurationError(
                "Azure OpenAI needs api_version (or $OPENAI_API_VERSION), e.g. 2024-10-21"
            )
        self.endpoint = endpoint.rstrip("/")
        self.deployment = azure_deployment
        self.api_version = version
        self.key = api_key or os.environ.get("AZURE_OPENAI_API_KEY") or None
        self.ad_token = azure_ad_token or os.environ.get("AZURE_OPENAI_AD_TOKEN") or None
        self.token_provider = azure_ad_token_provider

    def base_url(self) -> str:
        from urllib.parse import quote

        return f"{self.endpoint}/openai/deployments/{quote(self.deployment, safe='')}"

    def path(self, path: str) -> str:
        from urllib.parse import quote

        return f"{path}?api-version={quote(self.api_version, safe='')}"

    def as_endpoint(self) -> Endpoint:
        """The deployment's API root and how it authenticates: what every Azure client (chat,
        completions, embeddings) is set up on."""
        return Endpoint(self.base_url(), self.auth())

    def auth(self) -> EndpointAuth:
        """The `api-key` header, a bearer token, or a provider of bearer tokens."""
        if self.key is not None:
            return EndpointAuth(headers={"api-key": self.key}, secrets=(self.key,))
        if self.ad_token is not None:
            return EndpointAuth(
                headers={"Authorization": f"Bearer {self.ad_token}"}, secrets=(self.ad_token,)
            )
        provider = self.token_provider
        if provider is not None:

            async def bearer() -> Mapping[str, str]:
                # What the provider raises becomes a CredentialError, and the token it gives
                # is kept out of errors (`Endpoint.transport`).
                token = provider()
                if inspect.isawaitable(token):
                    token = await token
                if not isinstance(token, str) or not token:
                    raise CredentialError(
                        "azure_ad_token_provider returned no token (an empty string or "
                        f"{type(token).__name__})"
                    )
                return {"Authorization": f"Bearer {token}"}

            return EndpointAuth(headers={}, header_provider=bearer)
        return EndpointAuth(
            headers={},
            key_error="no Azure credentials: set AZURE_OPENAI_API_KEY, or pass api_key, "
            "azure_ad_token or azure_ad_token_provider",
        )


def _options(kwargs: dict[str, Any]) -> tuple[_AzureOptions, dict[str, Any]]:
    """Take the Azure options (and LangChain's other names for them) out of `kwargs`."""
    deployment = kwargs.pop("azure_deployment", None) or kwargs.pop("deployment_name", None)
    options = _AzureOptions(
        azure_endpoint=kwargs.pop("azure_endpoint", None),
        azure_deployment=deployment or kwargs.get("model") or kwargs.get("model_name"),
        api_version=kwargs.pop("api_version", None) or kwargs.pop("openai_api_version", None),
        api_key=kwargs.pop("api_key", None) or kwargs.pop("openai_api_key", None),
        azure_ad_token=kwargs.pop("azure_ad_token", None),
        azure_ad_token_provider=kwargs.pop("azure_ad_token_provider", None),
    )
    if kwargs.get("base_url") or kwargs.get("openai_api_base"):
        raise ConfigurationError("Azure OpenAI takes azure_endpoint, not base_url")
    # The model names the price; the deployment is what Azure answers with.
    kwargs.setdefault("model", kwargs.pop("model_name", None) or options.deployment)
    return options, kwargs


class AzureChatOpenAI(ChatOpenAI):
    """`ChatOpenAI` on an Azure OpenAI deployment.

    Args:
        azure_endpoint: the resource's URL; default `$AZURE_OPENAI_ENDPOINT`.
        azure_deployment: the deployment's name (`deployment_name` as LangChain spells it;
            default the model's name).
        api_version: the `api-version` sent with every request; default `$OPENAI_API_VERSION`.
        api_key: sent as `api-key`; default `$AZURE_OPENAI_API_KEY`. Never printed.
        azure_ad_token: a Microsoft Entra ID token, sent as a bearer token, instead of a key
            (default `$AZURE_OPENAI_AD_TOKEN`).
        azure_ad_token_provider: a function (sync or async) returning a fresh Entra ID token,
            called before every request.
        model: the model behind the deployment (for prices); default the deployment's name.

    Every other option is `ChatOpenAI`'s.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._azure, rest = _options(kwargs)
        super().__init__(**rest)

    def _endpoint(self, base_url: str | None, api_key: str | None) -> Endpoint:
        self._path = self._azure.path(type(self)._path)
        return self._azure.as_endpoint()


class AzureOpenAI(OpenAI):
    """`OpenAI` (completions) on an Azure OpenAI deployment; options as `AzureChatOpenAI`."""

    def __init__(self, **kwargs: Any) -> None:
        self._azure, rest = _options(kwargs)
        super().__init__(**rest)

    def _endpoint(self, base_url: str | None, api_key: str | None) -> Endpoint:
        self._path = self._azure.path(type(self)._path)
        return self._azure.as_endpoint()


__all__ = ["AzureChatOpenAI", "AzureOpenAI"]
