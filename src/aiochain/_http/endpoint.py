"""An endpoint's setup, built once for models and Batch API clients alike: where requests go
(the base URL, from the argument, the provider's environment variable, or its public URL), how
they authenticate (the key's headers, or headers made afresh per request), which values to keep
out of errors, and the HTTP transport that sends them with our standard headers.

`ChatOpenAI`, `OpenAI`, `OpenAIBatchClient`, `ChatAnthropic` and `AnthropicBatchClient` all
read `$OPENAI_*` / `$ANTHROPIC_*` here, so a model and a batch client given the same arguments
reach the same server with the same key (issue 23: they used to be set up three ways).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._exceptions import AiochainError, CredentialError
from .transport import HTTPTransport

if TYPE_CHECKING:
    import aiohttp

    from .body import ResponseLimits

OPENAI_BASE_URL = "https://api.openai.com/v1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
USER_AGENT = "aiochain/0.1"


@dataclass(frozen=True, slots=True)
class EndpointAuth:
    """How requests to an endpoint authenticate.

    Attributes:
        headers: headers sent with every request (the key's).
        secrets: values to remove from anything of the server's put into an error.
        key_error: when set, every request fails at once with this message (no key).
        header_provider: makes headers afresh for each request (expiring tokens), or None.
    """

    headers: Mapping[str, str]
    secrets: tuple[str, ...] = ()
    key_error: str | None = None
    header_provider: Callable[[], Awaitable[Mapping[str, str]]] | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An API root and how to authenticate to it."""

    base_url: str
    auth: EndpointAuth

    def transport(
        self,
        *,
        timeout: float | None,
        session: aiohttp.ClientSession | None = None,
        limits: ResponseLimits | None = None,
    ) -> HTTPTransport:
        """An HTTP transport to this endpoint, with our standard headers and the key's.

        Headers made per request (`header_provider`) are kept out of errors as the key is, and
        a provider that raises fails the call with `CredentialError` (its exception the
        cause), not with whatever the provider raised (issue 23).
        """
        auth = self.auth
        provider = auth.header_provider
        made: list[HTTPTransport] = []

        async def fresh_headers() -> Mapping[str, str]:
            assert provider is not None
            try:
                headers = await provider()
            except AiochainError:
                raise
            except Exception as exc:
                raise CredentialError(
                    f"the credential provider raised {type(exc).__name__}: "
                    f"{made[0].redactor.text(str(exc))[:200]}"
                ) from exc
            redactor = made[0].redactor
            for value in headers.values():
                redactor.add(value)
                redactor.add(value.rpartition(" ")[2])  # the token of "Bearer <token>"
            return headers

        transport = HTTPTransport(
            self.base_url,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **auth.headers},
            timeout=timeout,
            session=session,
            limits=limits,
            secrets=auth.secrets,
            header_provider=fresh_headers if provider is not None else None,
        )
        made.append(transport)
        return transport


def openai_endpoint(base_url: str | None = None, api_key: str | None = None) -> Endpoint:
    """OpenAI's API (or a compatible server): `base_url`, else `$OPENAI_BASE_URL`, else
    OpenAI's; a bearer key from `api_key`, else `$OPENAI_API_KEY`. Only OpenAI itself insists
    on a key: local servers (ours, vLLM, Ollama) often need none."""
    url = (base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL).rstrip("/")
    key = api_key or os.environ.get("OPENAI_API_KEY") or None
    key_error = None
    if key is None and url == OPENAI_BASE_URL:
        key_error = (
            "no API key: set OPENAI_API_KEY, or set OPENAI_BASE_URL to a compatible server "
            "(`aiochain serve` runs an offline one at http://127.0.0.1:8000/v1)"
        )
    return Endpoint(
        url,
        EndpointAuth(
            headers={"Authorization": f"Bearer {key}"} if key else {},
            secrets=(key,) if key else (),
            key_error=key_error,
        ),
    )


def anthropic_endpoint(
    base_url: str | None = None,
    api_key: str | None = None,
    *,
    version: str = ANTHROPIC_VERSION,
    default_headers: Mapping[str, str] | None = None,
) -> Endpoint:
    """Anthropic's API (its root, without `/v1`): `base_url`, else `$ANTHROPIC_BASE_URL`, else
    Anthropic's; the key from `api_key`, else `$ANTHROPIC_API_KEY`, sent as `x-api-key`."""
    url = (base_url or os.environ.get("ANTHROPIC_BASE_URL") or ANTHROPIC_BASE_URL).rstrip("/")
    key = api_key or os.environ.get("ANTHROPIC_API_KEY") or None
    headers = {"anthropic-version": version, **(default_headers or {})}
    if key:
        headers["x-api-key"] = key
    key_error = None
    if key is None and url == ANTHROPIC_BASE_URL:
        key_error = (
            "no API key: set ANTHROPIC_API_KEY, or set ANTHROPIC_BASE_URL to a compatible "
            "server (`aiochain serve` runs an offline one at http://127.0.0.1:8000)"
        )
    return Endpoint(
        url, EndpointAuth(headers=headers, secrets=(key,) if key else (), key_error=key_error)
    )


GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"


def gemini_endpoint(
    base_url: str | None = None,
    api_key: str | None = None,
    *,
    default_headers: Mapping[str, str] | None = None,
) -> Endpoint:
    """Google's Gemini API (its root, without the version): `base_url`, else
    `$GOOGLE_GEMINI_BASE_URL`, else Google's; the key from `api_key`, else `$GOOGLE_API_KEY`,
    else `$GEMINI_API_KEY`, sent as `x-goog-api-key` (never in the URL, where logs keep it)."""
    url = (base_url or os.environ.get("GOOGLE_GEMINI_BASE_URL") or GEMINI_BASE_URL).rstrip("/")
    if "://" not in url:
        url = "https://" + url  # client_options' api_endpoint is a bare host
    key = api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY") or None
    headers = dict(default_headers or {})
    if key:
        headers["x-goog-api-key"] = key
    key_error = None
    if key is None:
        key_error = (
            "no API key: set GOOGLE_API_KEY (or GEMINI_API_KEY), or pass google_api_key= "
            "(`aiochain serve` runs an offline Gemini API at http://127.0.0.1:8000; "
            "any key works there)"
        )
    return Endpoint(
        url, EndpointAuth(headers=headers, secrets=(key,) if key else (), key_error=key_error)
    )


__all__ = [
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_VERSION",
    "GEMINI_BASE_URL",
    "OPENAI_BASE_URL",
    "Endpoint",
    "EndpointAuth",
    "anthropic_endpoint",
    "gemini_endpoint",
    "openai_endpoint",
]
