"""custom_get_token_ids and get_num_tokens on models, and their use by the summarize chains."""

from __future__ import annotations

import importlib.util

import pytest

from aiochain import ChatAnthropic, ChatOpenAI, ConfigurationError, OpenAI
from aiochain.chains import load_summarize_chain
from aiochain.documents import Document
from aiochain.messages import AIMessage, HumanMessage
from aiochain.sim import SimServer


def word_ids(text: str) -> list[int]:
    """One token per word."""
    return list(range(len(text.split())))


def test_custom_token_ids_count_for_every_model() -> None:
    """get_token_ids / get_num_tokens / get_num_tokens_from_messages use custom_get_token_ids."""
    url = "http://127.0.0.1:9/v1"
    for model in (
        ChatOpenAI(base_url=url, custom_get_token_ids=word_ids),
        OpenAI(base_url=url, custom_get_token_ids=word_ids),
        ChatAnthropic(base_url=url, api_key="k", custom_get_token_ids=word_ids),
    ):
        assert model.get_token_ids("a b c") == [0, 1, 2]
        assert model.get_num_tokens("a b c d") == 4
        messages = [HumanMessage("hi there"), AIMessage("hello")]
        assert (
            model.get_num_tokens_from_messages(messages) == 3 + 2
        )  # "Human: hi there", "AI: hello"


def test_without_a_tokenizer() -> None:
    """Without custom_get_token_ids, get_num_tokens still counts (tiktoken or the estimate);
    get_token_ids needs tiktoken."""
    chat = ChatOpenAI(base_url="http://127.0.0.1:9/v1")
    assert chat.get_num_tokens("hello world") > 0
    if importlib.util.find_spec("tiktoken") is None:
        with pytest.raises(ConfigurationError, match="custom_get_token_ids"):
            chat.get_token_ids("hello")


async def test_summarize_counts_token_max_with_the_models_tokenizer(sim: SimServer) -> None:
    """map_reduce's token_max is counted with the model's custom_get_token_ids: a tokenizer
    that makes every word 500 tokens makes one summary exceed token_max."""

    def heavy(text: str) -> list[int]:
        return [0] * (500 * len(text.split()))

    docs = [Document(page_content=f"Document {i} says something.") for i in range(3)]
    async with ChatOpenAI(base_url=sim.base_url) as light:
        chain = load_summarize_chain(light, chain_type="map_reduce", token_max=3000)
        await chain.ainvoke({"input_documents": docs})
    async with ChatOpenAI(base_url=sim.base_url, custom_get_token_ids=heavy) as chat:
        chain = load_summarize_chain(chat, chain_type="map_reduce", token_max=3000)
        with pytest.raises(ConfigurationError, match="exceeds token_max=3000"):
            await chain.ainvoke({"input_documents": docs})
