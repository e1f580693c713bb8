"""Bugs found where the model-call features met (issue 23): LangChain's token-counting and
async-callback recipes on agenerate, one endpoint setup for models and batch clients, one usage
reader per provider for live and batch answers, the models' typed surface, Azure token
providers, run ids and fire-and-forget callback tasks."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiochain import CredentialError, LLMChain, PromptTemplate
from aiochain.batches import AnthropicBatchClient, BatchOutcome, OpenAIBatchClient
from aiochain.callbacks import (
    AsyncCallbackHandler,
    AsyncIteratorCallbackHandler,
    BaseCallbackHandler,
    get_openai_callback,
)
from aiochain.chat_models import AzureChatOpenAI, ChatAnthropic, ChatOpenAI
from aiochain.language_models import LLM
from aiochain.llms import OpenAI
from aiochain.messages import AIMessage, HumanMessage
from aiochain.outputs import LLMResult
from aiochain.pricing import cost_of
from aiochain.sim import SimServer

from .conftest import PYTHON, ROOT, Reply, ScriptedServer, completion_json

StartSim = Callable[..., Awaitable[SimServer]]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
QUESTION = "What is the square root of 4?"


async def test_langchains_token_counting_recipe(sim: SimServer) -> None:
    """LangChain's token-counting page, imports changed: agenerate under get_openai_callback
    counts as invoke does, gathered calls add up, and a task started outside the block does
    not count in it."""
    llm = OpenAI(base_url=sim.base_url, temperature=0)
    with get_openai_callback() as cb:
        await llm.ainvoke(QUESTION)
    total_tokens = cb.total_tokens
    assert total_tokens > 0 and cb.successful_requests == 1
    with get_openai_callback() as cb:
        await asyncio.gather(*[llm.agenerate([QUESTION]) for _ in range(3)])
    assert cb.total_tokens == total_tokens * 3 and cb.successful_requests == 3
    task = asyncio.create_task(llm.agenerate([QUESTION]))
    with get_openai_callback() as cb:
        await llm.agenerate([QUESTION])
    await task
    assert cb.total_tokens == total_tokens
    await llm.aclose()


def test_generate_counts_under_get_openai_callback(sim_in_thread: str) -> None:
    """The sync generate() of a chat model counts its requests and tokens too."""
    chat = ChatOpenAI(base_url=sim_in_thread)
    with get_openai_callback() as cb:
        result = chat.generate([[HumanMessage(QUESTION)]])
    assert cb.successful_requests == 1
    assert cb.total_tokens == result.llm_output["token_usage"]["total_tokens"] > 0


async def test_async_iterator_handler_recipe_with_messages_keyword(sim: SimServer) -> None:
    """LangChain's streaming recipe: ChatOpenAI(streaming=True, callbacks=[handler]) with
    agenerate(messages=[[...]]) in a task; handler.aiter() yields the answer's tokens."""
    handler = AsyncIteratorCallbackHandler()
    chat = ChatOpenAI(base_url=sim.base_url, streaming=True, verbose=True, callbacks=[handler])
    text = "Tokens come one by one. Then the handler stops."
    task = asyncio.create_task(chat.agenerate(messages=[[HumanMessage(content=text)]]))
    tokens = [token async for token in handler.aiter()]
    result = await task
    assert len(tokens) > 1
    assert "".join(tokens) == result.generations[0][0].text != ""
    await chat.aclose()


async def test_langchains_async_callbacks_recipe(start_sim: StartSim) -> None:
    """LangChain's async-callbacks page: ChatAnthropic(streaming=True) with a sync and an async
    handler; agenerate fires on_llm_start (the chat-start fallback), tokens and on_llm_end."""
    server = await start_sim()
    events: list[str] = []

    class MyCustomSyncHandler(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            events.append("token")

    class MyCustomAsyncHandler(AsyncCallbackHandler):
        async def on_llm_start(self, serialized: dict[str, Any], prompts: Any, **kw: Any) -> None:
            events.append(f"start {serialized['name']}")

        async def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
            events.append("end")

    chat = ChatAnthropic(
        base_url=server.root_url,
        api_key="anthropic-test-key",
        model="claude-haiku-4-5",
        max_tokens=25,
        streaming=True,
        callbacks=[MyCustomSyncHandler(), MyCustomAsyncHandler()],
    )
    await chat.agenerate([[HumanMessage(content="Tell me a joke. It should be short.")]])
    assert events[0] == "start ChatAnthropic" and events[-1] == "end"
    assert set(events[1:-1]) == {"token"} and len(events) > 3
    await chat.aclose()


async def test_agenerate_takes_langchains_arguments(sim: SimServer) -> None:
    """agenerate(prompts, stop, callbacks, tags=, metadata=, run_name=): the stop is sent and
    the handlers get the tags, metadata and name; a user's LLM takes the same call."""
    seen: list[Any] = []

    class Log(BaseCallbackHandler):
        def on_llm_start(self, serialized: Any, prompts: Any, **kw: Any) -> None:
            seen.append((kw.get("tags"), kw.get("metadata", {}).get("who"), kw.get("name")))

    llm = OpenAI(base_url=sim.base_url)
    result = await llm.agenerate(
        ["one", "two"], ["\n\n"], [Log()], tags=["t"], metadata={"who": "me"}, run_name="gen"
    )
    assert len(result.generations) == 2 and result.llm_output["token_usage"]["total_tokens"] > 0
    assert seen == [(["t"], "me", "gen")] * 2

    class Echo(LLM):
        async def _acall(self, prompt: str, stop: Any = None, **kwargs: Any) -> str:
            return f"{prompt}|{stop}"

    echo = await Echo().agenerate(["a"], stop=["x"], callbacks=[Log()])
    assert echo.generations[0][0].text == "a|['x']" and len(seen) == 3
    await llm.aclose()


async def test_llm_chain_agenerate_counts(sim: SimServer) -> None:
    """LLMChain.agenerate (the model's agenerate over formatted prompts) counts its tokens."""
    llm = ChatOpenAI(base_url=sim.base_url)
    chain = LLMChain(llm=llm, prompt=PromptTemplate.from_template("Tell me about {x}."))
    with get_openai_callback() as cb:
        await chain.agenerate([{"x": "a"}, {"x": "b"}])
    assert cb.successful_requests == 2 and cb.total_tokens > 0
    await llm.aclose()


def test_batch_outcome_cost_counts_anthropic_cache_tokens() -> None:
    """BatchOutcome.usage / cost read Anthropic's cache reads and writes as prompt tokens, as
    the live path does, by the same usage reader."""
    message = {
        "type": "message",
        "usage": {
            "input_tokens": 10,
            "cache_creation_input_tokens": 1000,
            "cache_read_input_tokens": 500,
            "output_tokens": 20,
        },
    }
    openai_answer = {"usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}}
    outcome = BatchOutcome(results={"a": message, "b": openai_answer, "c": {"usage": "x"}})
    usage = outcome.usage()
    assert (usage.prompt_tokens, usage.completion_tokens, usage.requests) == (1517, 23, 2)
    assert outcome.cost("claude-haiku-4-5") == cost_of("claude-haiku-4-5", 1517, 23, batch=True)


async def test_typed_model_surface(start_sim: StartSim) -> None:
    """request_body / read_answer / read_usage / endpoint_path work alike on every provider,
    and answer a real body as ainvoke would."""
    server = await start_sim()
    models: list[Any] = [
        ChatOpenAI(base_url=server.base_url),
        OpenAI(base_url=server.base_url),
        ChatAnthropic(base_url=server.root_url, api_key="anthropic-test-key"),
    ]
    for model in models:
        body = model.request_body("Hello there.", stop=["\n"])
        assert body["model"] == model.model
        assert ("stop_sequences" if isinstance(model, ChatAnthropic) else "stop") in body
        data, _ = await model.transport.post_json(model.endpoint_path, body)
        answer = model.read_answer(data)
        text = answer.content if isinstance(answer, AIMessage) else answer
        assert text == "Hello there."
        usage = model.read_usage(data)
        assert usage.prompt_tokens > 0 and usage.requests == 1
        model.check_key()
        await model.aclose()


def test_cli_and_batch_code_use_no_private_model_attributes() -> None:
    """The CLI and the Batch API code reach models through their typed surface only."""
    private = re.compile(r"\b(llm|model|job\.llm)\._(?!_)[a-z]")
    files = [
        *(ROOT / "src/aiochain/cli").rglob("*.py"),
        *(ROOT / "src/aiochain/batches").glob("*.py"),
    ]
    assert len(files) > 30  # the folders are read (a moved file must not pass unseen)
    offenders = [
        f"{path.name}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if private.search(line)
    ]
    assert offenders == []


async def test_models_and_batch_clients_share_the_endpoint_setup(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model and a batch client built from the environment reach the same server with the
    same headers (one endpoint setup)."""
    monkeypatch.setenv("OPENAI_BASE_URL", sim.base_url + "/")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", sim.root_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "anthropic-test-key")
    chat, batch = ChatOpenAI(), OpenAIBatchClient()
    assert chat.transport.base_url == batch.transport.base_url == sim.base_url
    claude, messages = ChatAnthropic(), AnthropicBatchClient()
    assert claude.transport.base_url == messages.transport.base_url == sim.root_url
    assert claude.transport._headers == messages.transport._headers
    for client in (chat, batch, claude, messages):
        await client.aclose()


async def test_azure_token_provider_tokens_are_redacted(scripted: Scripted) -> None:
    """A token made by azure_ad_token_provider is kept out of errors, as a key is."""
    token = "entra-token-0123456789abcdef"
    server = await scripted(
        [Reply(401, {"error": {"code": "401", "message": f"token {token} expired"}})]
    )
    chat = AzureChatOpenAI(
        azure_endpoint=server.base_url.removesuffix("/v1"),
        azure_deployment="gpt-4o-mini",
        api_version="2024-10-21",
        azure_ad_token_provider=lambda: token,
        max_retries=0,
    )
    with pytest.raises(Exception) as info:
        await chat.ainvoke("Hi")
    assert server.headers[0]["Authorization"] == f"Bearer {token}"
    assert token not in str(info.value) and token not in repr(info.value.__dict__)
    await chat.aclose()


async def test_azure_token_provider_failure_is_an_aiochain_error(scripted: Scripted) -> None:
    """A provider that raises fails the call with CredentialError (its exception the cause),
    sending nothing; one that returns no token too."""
    server = await scripted([Reply(json=completion_json("hi", chat=True))])

    def broken() -> str:
        raise OSError("no route to login.microsoftonline.com")

    for provider, cause in ((broken, OSError), (lambda: "", None)):
        chat = AzureChatOpenAI(
            azure_endpoint=server.base_url.removesuffix("/v1"),
            azure_deployment="gpt-4o-mini",
            api_version="2024-10-21",
            azure_ad_token_provider=provider,
        )
        with pytest.raises(CredentialError) as info:
            await chat.ainvoke("Hi")
        assert cause is None or isinstance(info.value.__cause__, cause)
        await chat.aclose()
    assert server.requests == []


def test_run_ids_do_not_follow_the_global_random() -> None:
    """Two processes that call random.seed(0) still report different run ids."""
    script = (
        "import random; random.seed(0)\n"
        "from aiochain.callbacks._manager_base import new_run_id\n"
        "print(new_run_id(), new_run_id())\n"
    )
    outputs = [
        subprocess.run(
            [PYTHON, "-c", script], capture_output=True, text=True, check=True, timeout=60
        ).stdout
        for _ in range(2)
    ]
    assert outputs[0] != outputs[1]


async def test_fire_and_forget_dispatch_keeps_its_task() -> None:
    """A sync dispatch made on the running loop keeps a reference to its task until done."""
    from aiochain.callbacks import _dispatch as _callback_dispatch

    done = asyncio.Event()

    class Handler(AsyncCallbackHandler):
        async def on_text(self, text: str, **kwargs: Any) -> None:
            done.set()

    loop = asyncio.get_running_loop()
    _callback_dispatch.dispatch([Handler()], "on_text", "hi", loop=loop)
    assert len(_callback_dispatch._pending) == 1
    await asyncio.wait_for(done.wait(), 10)
    for _ in range(100):
        if not _callback_dispatch._pending:
            break
        await asyncio.sleep(0)
    assert not _callback_dispatch._pending


async def test_a_users_model_reports_its_own_usage() -> None:
    """A user's BaseChatModel that answers with its usage counts those tokens and one request
    per call under get_openai_callback, from ainvoke and agenerate alike."""
    from aiochain._types import Usage
    from aiochain.language_models import BaseChatModel

    class Counted(BaseChatModel):
        async def _agenerate(self, messages: Any, stop: Any = None, **kw: Any) -> AIMessage:
            return AIMessage("ok", usage=Usage(3, 4, 7))

    with get_openai_callback() as cb:
        await Counted().ainvoke("hi")
        await Counted().agenerate([[HumanMessage("a")], [HumanMessage("b")]])
    assert (cb.successful_requests, cb.prompt_tokens, cb.total_tokens) == (3, 9, 21)
