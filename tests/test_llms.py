"""OpenAI and ChatOpenAI against real local servers: requests sent, answers parsed, usage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from aiochain import (
    AIMessage,
    ChatOpenAI,
    ChatPromptTemplate,
    ConfigurationError,
    HumanMessage,
    LLMResult,
    OpenAI,
    PromptTemplate,
    SystemMessage,
)
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer, completion_json

Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]


async def test_completion_request_and_answer(scripted: Scripted) -> None:
    """OpenAI posts model, prompt and options to /completions and returns the text."""
    server = await scripted([Reply(json=completion_json("Paris."))])
    async with OpenAI(
        base_url=server.base_url, api_key="sk-test", temperature=0.7, stop="\n"
    ) as llm:
        assert await llm.ainvoke("Capital of France?") == "Paris."
    assert server.requests == [
        {
            "model": "gpt-3.5-turbo-instruct",
            "prompt": "Capital of France?",
            "temperature": 0.7,
            "max_tokens": 256,
            "stop": ["\n"],
        }
    ]
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


async def test_chat_request_and_answer(scripted: Scripted) -> None:
    """ChatOpenAI sends messages in OpenAI's shape and returns an AIMessage with usage."""
    server = await scripted([Reply(json=completion_json("Hi!", chat=True))])
    async with ChatOpenAI(base_url=server.base_url, model="gpt-4o") as chat:
        message = await chat.ainvoke([SystemMessage("Be brief."), ("human", "Hello")])
    assert isinstance(message, AIMessage)
    assert message.content == "Hi!"
    assert message.usage is not None and message.usage.total_tokens == 4
    assert server.requests[0] == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ],
    }
    assert "Authorization" not in server.headers[0]  # no key configured: none sent


async def test_chat_prompt_value_becomes_messages(sim: SimServer) -> None:
    """A chat prompt's messages reach the chat endpoint as messages."""
    prompt = ChatPromptTemplate.from_messages([("system", "Summarize."), ("human", "{text}")])
    async with ChatOpenAI(base_url=sim.base_url) as chat:
        message = await chat.ainvoke(prompt.invoke({"text": "First sentence. Second one. Third."}))
    assert message.content.startswith("First sentence.")


async def test_completion_model_accepts_chat_prompt(sim: SimServer) -> None:
    """A completion model receives a chat prompt as labelled lines."""
    prompt = ChatPromptTemplate.from_messages([("human", "{text}")])
    async with OpenAI(base_url=sim.base_url) as llm:
        text = await llm.ainvoke(prompt.invoke({"text": "Alpha beta."}))
    assert text == "Human: Alpha beta."


async def test_agenerate_runs_prompts_concurrently_and_sums_usage(
    start_sim: Callable[..., Awaitable[SimServer]],
) -> None:
    """agenerate sends every prompt at once and reports generations and total usage."""
    server = await start_sim(latency=0.3)
    prompts = [f"Document {i} is here. It has more." for i in range(5)]
    async with OpenAI(base_url=server.base_url) as llm:
        result = await llm.agenerate(prompts)
    assert isinstance(result, LLMResult)
    for i, generations in enumerate(result.generations):
        assert generations[0].text.startswith(f"Document {i} is here.")
    stats = server.stats()
    assert stats["max_in_flight"] == 5
    assert result.usage.prompt_tokens == stats["tokens_in"]
    assert result.usage.completion_tokens == stats["tokens_out"]
    assert result.llm_output["token_usage"]["total_tokens"] == result.usage.total_tokens
    assert llm.usage.requests == 5


async def test_n_choices(sim: SimServer) -> None:
    """n > 1 yields n generations per prompt."""
    async with ChatOpenAI(base_url=sim.base_url, n=3) as chat:
        result = await chat.agenerate(["One. Two."])
    assert len(result.generations[0]) == 3


async def test_max_tokens_cuts_the_answer(sim: SimServer) -> None:
    """max_tokens reaches the server, which cuts the answer and says finish_reason=length."""
    async with OpenAI(base_url=sim.base_url, max_tokens=2) as llm:
        result = await llm.agenerate(["one two three four five."])
    generation = result.generations[0][0]
    assert generation.text == "one two"
    assert generation.generation_info["finish_reason"] == "length"


def test_sync_generate_and_predict(sim_in_thread: str) -> None:
    """generate() and predict() work from sync code."""
    llm = OpenAI(base_url=sim_in_thread)
    assert llm.predict("Sync works. Really.").startswith("Sync works.")
    result = llm.generate(["A. B.", "C. D."])
    assert len(result.generations) == 2


def test_missing_key_fails_at_first_call_with_one_line() -> None:
    """Without a key for OpenAI's own URL, the first call says how to fix it, in one line."""
    llm = OpenAI()  # no OPENAI_API_KEY, no OPENAI_BASE_URL (the conftest clears both)
    with pytest.raises(ConfigurationError) as info:
        llm.invoke("hi")
    message = str(info.value)
    assert "\n" not in message
    for needed in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "aiochain serve"):
        assert needed in message


def test_key_and_base_url_come_from_environment(
    monkeypatch: pytest.MonkeyPatch, sim_in_thread: str
) -> None:
    """OPENAI_BASE_URL and OPENAI_API_KEY are the defaults; the key never shows in repr."""
    monkeypatch.setenv("OPENAI_BASE_URL", sim_in_thread)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    llm = ChatOpenAI()
    assert llm.base_url == sim_in_thread
    assert "sk-secret" not in repr(llm)
    assert llm.invoke("Env works.").content == "Env works."


@pytest.mark.parametrize(
    ("options", "word"),
    [
        ({"temperature": 3}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"timeout": -1}, "timeout"),
        ({"base_url": "localhost:8000"}, "base_url"),
        ({"n": 0}, "n must"),
    ],
)
def test_bad_options_are_refused_at_construction(options: dict[str, object], word: str) -> None:
    """Option values out of range are configuration errors that name the option."""
    with pytest.raises(ConfigurationError, match=word):
        ChatOpenAI(**options)  # type: ignore[arg-type]


async def test_message_inputs(sim: SimServer) -> None:
    """A plain string and a list of messages are both accepted by a chat model."""
    async with ChatOpenAI(base_url=sim.base_url) as chat:
        assert (await chat.ainvoke("Plain.")).content == "Plain."
        assert (await chat.ainvoke([HumanMessage("Listed.")])).content == "Listed."
        assert (await chat.ainvoke([{"role": "user", "content": "Dict."}])).content == "Dict."


async def test_prompt_pipe_llm(sim: SimServer) -> None:
    """prompt | llm composes into a runnable."""
    async with OpenAI(base_url=sim.base_url) as llm:
        chain = PromptTemplate.from_template("Say: {x}") | llm
        assert await chain.ainvoke({"x": "hello. world."}) == "Say: hello."
