"""aiochain.chat_models: the chat model names, and init_chat_model."""

from __future__ import annotations

import pytest


def test_init_chat_model_picks_the_class() -> None:
    """init_chat_model (LangChain's `langchain.chat_models.init_chat_model`) makes the chat
    model the provider names, given, as a `provider:` prefix, or read from the model name."""
    from aiochain import ConfigurationError
    from aiochain.chat_models import ChatAnthropic, ChatOpenAI, init_chat_model

    assert isinstance(init_chat_model("gpt-4o-mini", model_provider="openai"), ChatOpenAI)
    claude = init_chat_model("anthropic:claude-3-5-haiku-latest", temperature=0)
    assert isinstance(claude, ChatAnthropic) and claude.model == "claude-3-5-haiku-latest"
    assert isinstance(init_chat_model("claude-3-5-haiku-latest"), ChatAnthropic)
    with pytest.raises(ConfigurationError, match="model_provider"):
        init_chat_model("mystery-model")
    with pytest.raises(ConfigurationError, match="no chat model for provider 'cohere'"):
        init_chat_model("command-r", model_provider="cohere")
