"""LangChain's module paths and base classes (issue 14): imports, isinstance, subclassing,
and `verbose=` / `streaming=` accepted where LangChain accepts them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiochain import ChatOpenAI, LLMChain, OpenAI, PromptTemplate, StrOutputParser
from aiochain.language_models import LLM, BaseChatModel, BaseLanguageModel, BaseLLM
from aiochain.messages import BaseMessage
from aiochain.output_parsers import BaseOutputParser
from aiochain.runnables import Runnable
from aiochain.sim import SimServer

StartSim = Callable[..., Awaitable[SimServer]]


def test_our_models_are_instances_of_langchains_base_classes() -> None:
    """ChatOpenAI is a BaseChatModel and OpenAI a BaseLLM; both are runnables."""
    chat = ChatOpenAI(base_url="http://127.0.0.1:9/v1", streaming=True)
    llm = OpenAI(base_url="http://127.0.0.1:9/v1", verbose=True)
    assert isinstance(chat, BaseChatModel) and isinstance(chat, BaseLanguageModel)
    assert isinstance(llm, BaseLLM) and not isinstance(llm, BaseChatModel)
    assert isinstance(chat, Runnable) and isinstance(StrOutputParser(), BaseOutputParser)
    assert chat.streaming and llm.verbose


class EchoChat(BaseChatModel):
    """A chat model of one's own, as LangChain users write them (sync _generate)."""

    def _generate(self, messages: list[BaseMessage], stop: Any = None, **kwargs: Any) -> str:
        return "echo: " + messages[-1].content


class Upper(LLM):
    async def _acall(self, prompt: str, stop: Any = None, **kwargs: Any) -> str:
        return prompt.upper()


async def test_subclassed_models_compose() -> None:
    """Subclasses of BaseChatModel / LLM are runnables: they compose, batch and stream."""
    prompt = PromptTemplate.from_template("say {x}")
    chat_chain = prompt | EchoChat() | StrOutputParser()
    assert await chat_chain.ainvoke({"x": "hi"}) == "echo: say hi"
    assert await (prompt | Upper()).abatch([{"x": "a"}, {"x": "b"}]) == ["SAY A", "SAY B"]
    assert [p async for p in (prompt | Upper()).astream({"x": "c"})] == ["SAY C"]


async def test_verbose_prints_the_run(
    start_sim: StartSim, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """verbose=True on a chain prints LangChain's verbose lines (through a
    StdOutCallbackHandler); on a model it logs prompt and answer under `aiochain`."""
    server = await start_sim()
    caplog.set_level(logging.INFO, logger="aiochain")
    async with ChatOpenAI(base_url=server.base_url, verbose=True) as chat:
        chain = LLMChain(llm=chat, prompt=PromptTemplate.from_template("{t}"), verbose=True)
        assert await chain.arun(t="Logs help. Sometimes.") == "Logs help."
    printed = capsys.readouterr().out
    assert "> Entering new LLMChain chain..." in printed and "> Finished chain." in printed
    assert "Prompt after formatting:\n\x1b[32;1m\x1b[1;3mLogs help. Sometimes." in printed
    assert "ChatOpenAI answer: Logs help." in caplog.text
    caplog.clear()
    async with ChatOpenAI(base_url=server.base_url) as quiet:
        await LLMChain(llm=quiet, prompt=PromptTemplate.from_template("{t}")).arun(t="x")
    assert caplog.text == "" and capsys.readouterr().out == ""
