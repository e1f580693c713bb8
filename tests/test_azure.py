"""AzureChatOpenAI and AzureOpenAI against the simulation server's deployment endpoints and
scripted servers that check every request's URL and headers (issue 17)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiochain import (
    AzureChatOpenAI,
    AzureOpenAI,
    ChatAnthropic,
    ConfigurationError,
    NotFoundError,
    RetryPolicy,
)
from aiochain.chat_models import AzureChatOpenAI as PublicAzureChat
from aiochain.llms import AzureOpenAI as PublicAzure
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer, completion_json

StartSim = Callable[..., Awaitable[SimServer]]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
TEXT = "The internet began as ARPANET. Packet switching made it robust. TCP/IP unified networks."
ANSWER = "The internet began as ARPANET."
VERSION = "2024-10-21"
KEY = "azure-secret-key-0123456789"


def root(server: ScriptedServer) -> str:
    return server.base_url.removesuffix("/v1")


def azure_chat(endpoint: str, **options: Any) -> AzureChatOpenAI:
    options.setdefault("api_key", KEY)
    options.setdefault("azure_deployment", "gpt-4o-mini")
    return AzureChatOpenAI(azure_endpoint=endpoint, api_version=VERSION, **options)


async def test_chat_and_completions_against_the_simulator(sim: SimServer) -> None:
    """Both classes reach their deployment on the simulator; a stream joins to the answer."""
    async with azure_chat(sim.root_url) as chat:
        message = await chat.ainvoke(TEXT)
        pieces = [p.content async for p in chat.astream(TEXT)]
    assert message.content == ANSWER == "".join(pieces)
    assert chat.usage.requests == 2 and chat.cost is not None
    llm = AzureOpenAI(
        azure_endpoint=sim.root_url,
        azure_deployment="gpt-3.5-turbo-instruct",
        api_version=VERSION,
        api_key=KEY,
    )
    async with llm:
        assert await llm.ainvoke("Hello there. Bye.") == "Hello there."


async def test_url_and_api_key_header(scripted: Scripted) -> None:
    """The deployment URL carries api-version; the key goes as api-key, never as a bearer."""
    server = await scripted([Reply(json=completion_json("hi", chat=True))])
    async with azure_chat(root(server), azure_deployment="my dep") as chat:
        assert (await chat.ainvoke("Hi")).content == "hi"
    assert server.paths == [f"/openai/deployments/my%20dep/chat/completions?api-version={VERSION}"]
    assert server.headers[0]["api-key"] == KEY
    assert "Authorization" not in server.headers[0]
    assert server.requests[0]["messages"] == [{"role": "user", "content": "Hi"}]


async def test_entra_id_tokens(scripted: Scripted) -> None:
    """A fixed azure_ad_token is a bearer token; a token provider is asked before every
    request (sync or async)."""
    server = await scripted([Reply(json=completion_json("hi", chat=True))])
    async with azure_chat(root(server), api_key=None, azure_ad_token="ad-token-1") as chat:
        await chat.ainvoke("Hi")
    assert server.headers[0]["Authorization"] == "Bearer ad-token-1"
    assert "api-key" not in server.headers[0]
    issued = iter(["t-1", "t-2"])

    async def provider() -> str:
        return next(issued)

    async with azure_chat(root(server), api_key=None, azure_ad_token_provider=provider) as chat:
        await chat.ainvoke("Hi")
        await chat.ainvoke("Again")
    assert [h["Authorization"] for h in server.headers[1:]] == ["Bearer t-1", "Bearer t-2"]


async def test_azure_errors_and_retry_after(scripted: Scripted) -> None:
    """Azure's error body yields its message (DeploymentNotFound is a NotFoundError); a 429
    with retry-after is retried."""
    missing = {"error": {"code": "DeploymentNotFound", "message": "The API deployment ..."}}
    server = await scripted([Reply(404, missing)])
    async with azure_chat(root(server)) as chat:
        with pytest.raises(NotFoundError, match="The API deployment"):
            await chat.ainvoke("Hi")
    limited = {"error": {"code": "429", "message": "Requests have exceeded the limit"}}
    server = await scripted(
        [
            Reply(429, limited, headers={"retry-after": "0"}),
            Reply(json=completion_json("ok", chat=True)),
        ]
    )
    retry = RetryPolicy(max_retries=1, initial_wait=0.001, max_wait=0.001)
    async with azure_chat(root(server), retry=retry) as chat:
        assert (await chat.ainvoke("Hi")).content == "ok"
    assert len(server.requests) == 2


async def test_the_key_is_never_in_errors(scripted: Scripted) -> None:
    """An error echoing the api-key is redacted; repr shows no key."""
    server = await scripted([Reply(401, {"error": {"code": "401", "message": f"bad {KEY}"}})])
    chat = azure_chat(root(server), max_retries=0)
    async with chat:
        with pytest.raises(Exception) as info:
            await chat.ainvoke("Hi")
    assert KEY not in str(info.value) and KEY not in repr(chat)


async def test_fallback_from_azure_to_anthropic(start_sim: StartSim, scripted: Scripted) -> None:
    """An Azure deployment failing every request falls back to ChatAnthropic."""
    broken = await scripted([Reply(503, {"error": {"message": "down"}})])
    server = await start_sim()
    azure = azure_chat(root(broken), max_retries=0)
    claude = ChatAnthropic(model="claude-haiku-4-5", base_url=server.root_url, api_key="k")
    async with azure, claude:
        answer = await azure.with_fallbacks([claude]).ainvoke(TEXT)
    assert answer.content == ANSWER


def test_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """Endpoint and version come from the environment; without them, or with base_url, the
    constructor says what is missing; no credentials fail at the call."""
    assert PublicAzureChat is AzureChatOpenAI and PublicAzure is AzureOpenAI
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com/")
    monkeypatch.setenv("OPENAI_API_VERSION", VERSION)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    chat = AzureChatOpenAI(azure_deployment="gpt-4o")
    assert chat.base_url == "https://res.openai.azure.com/openai/deployments/gpt-4o"
    assert chat.model == "gpt-4o"
    monkeypatch.delenv("OPENAI_API_VERSION")
    with pytest.raises(ConfigurationError, match="api_version"):
        AzureChatOpenAI(azure_deployment="gpt-4o")
    with pytest.raises(ConfigurationError, match="base_url"):
        AzureChatOpenAI(azure_deployment="d", api_version=VERSION, base_url="http://x")
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT")
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        AzureChatOpenAI(azure_deployment="gpt-4o", api_version=VERSION)


async def test_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a key or token, a call fails at once naming AZURE_OPENAI_API_KEY."""
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AZURE_OPENAI_AD_TOKEN", raising=False)
    chat = AzureChatOpenAI(
        azure_endpoint="https://res.openai.azure.com", azure_deployment="d", api_version=VERSION
    )
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_API_KEY"):
        await chat.ainvoke("Hi")
