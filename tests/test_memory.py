"""Conversation memory: classic memories and ConversationChain, and RunnableWithMessageHistory
with one history per session, against the simulation server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiochain import ChatOpenAI, ConfigurationError, OpenAI
from aiochain.chains import ConversationChain
from aiochain.chat_history import BaseChatMessageHistory, InMemoryChatMessageHistory
from aiochain.memory import ConversationBufferMemory, ConversationBufferWindowMemory
from aiochain.messages import AIMessage, HumanMessage
from aiochain.prompts import ChatPromptTemplate, MessagesPlaceholder
from aiochain.runnables import RunnableLambda, RunnableWithMessageHistory
from aiochain.sim import SimServer

StartSim = Callable[..., Awaitable[SimServer]]


async def test_conversation_chain_remembers_with_langchains_prompt(start_sim: StartSim) -> None:
    """ConversationChain sends LangChain's default prompt with the history so far and saves
    each exchange; a window memory shows only the last k exchanges."""
    server = await start_sim()
    sent: list[str] = []
    async with OpenAI(base_url=server.base_url) as llm:
        spy = RunnableLambda(lambda p: sent.append(p.to_string()) or p)
        chain = ConversationChain(llm=spy | llm)
        first = await chain.apredict(input="Hi there, I am Ada.")
        await chain.apredict(input="What is my name?")
    assert sent[0].startswith("The following is a friendly conversation between a human and an AI.")
    assert sent[0].endswith("Current conversation:\n\nHuman: Hi there, I am Ada.\nAI:")
    assert f"Human: Hi there, I am Ada.\nAI: {first}\nHuman: What is my name?\nAI:" in sent[1]
    assert len(chain.memory.chat_memory.messages) == 4
    window = ConversationBufferWindowMemory(k=1)
    window.save_context({"input": "a"}, {"output": "b"})
    window.save_context({"input": "c"}, {"output": "d"})
    assert window.load_memory_variables({}) == {"history": "Human: c\nAI: d"}
    messages = ConversationBufferMemory(return_messages=True)
    messages.save_context({"input": "a"}, {"output": "b"})
    assert messages.load_memory_variables({})["history"] == [HumanMessage("a"), AIMessage("b")]


async def test_fifty_concurrent_sessions_never_see_each_other(start_sim: StartSim) -> None:
    """50 sessions talking at once, two turns each, send only their own earlier messages and
    end with only their own history."""
    server = await start_sim(latency=0.005)
    store: dict[str, BaseChatMessageHistory] = {}

    def get_session_history(session_id: str) -> BaseChatMessageHistory:
        return store.setdefault(session_id, InMemoryChatMessageHistory())

    sent: dict[str, list[list[str]]] = {}

    def spy(prompt: Any, config: Any) -> Any:
        session = config["configurable"]["session_id"]
        sent.setdefault(session, []).append([m.content for m in prompt.to_messages()])
        return prompt

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Be brief."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = RunnableWithMessageHistory(
            prompt | RunnableLambda(spy) | chat,
            get_session_history,
            input_messages_key="question",
            history_messages_key="history",
        )

        async def talk(i: int, turn: int) -> None:
            await chain.ainvoke(
                {"question": f"session{i} turn{turn}"},
                config={"configurable": {"session_id": f"s{i}"}},
            )

        await asyncio.gather(*(talk(i, 1) for i in range(50)))
        await asyncio.gather(*(talk(i, 2) for i in range(50)))
    for i in range(50):
        first, second = sent[f"s{i}"]
        assert first == ["Be brief.", f"session{i} turn1"]
        assert second[0] == "Be brief." and second[1] == f"session{i} turn1"
        assert second[3] == f"session{i} turn2" and len(second) == 4
        history = store[f"s{i}"].messages
        assert [type(m) for m in history] == [HumanMessage, AIMessage] * 2
        assert all(f"session{j} " not in m.content for m in history for j in range(50) if j != i)


async def test_message_history_needs_a_session_id(start_sim: StartSim) -> None:
    """Without configurable.session_id the call fails with a message naming it; a chat model
    wrapped directly gets history plus the new message as its input, streamed too."""
    server = await start_sim()
    histories: dict[str, InMemoryChatMessageHistory] = {}
    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = RunnableWithMessageHistory(
            chat, lambda sid: histories.setdefault(sid, InMemoryChatMessageHistory())
        )
        with pytest.raises(ConfigurationError, match="session_id"):
            await chain.ainvoke("hi")
        config: Any = {"configurable": {"session_id": "x"}}
        answer = await chain.ainvoke("hello there", config=config)
        pieces = [c async for c in chain.astream("more please", config=config)]
    messages = histories["x"].messages
    assert [m.content for m in messages] == [
        "hello there",
        answer.content,
        "more please",
        "".join(p.content for p in pieces),
    ]


async def test_llm_chain_with_a_message_memory(start_sim: StartSim) -> None:
    """LangChain's chat-memory recipe: an LLMChain whose prompt has a MessagesPlaceholder fed by
    ConversationBufferMemory(return_messages=True); a single input is enough to call it."""
    from aiochain.chains import LLMChain

    server = await start_sim()
    memory = ConversationBufferMemory(memory_key="chat_history", return_messages=True)
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You are a nice chatbot."),
            MessagesPlaceholder(variable_name="chat_history"),
            ("human", "{question}"),
        ]
    )
    async with ChatOpenAI(base_url=server.base_url) as chat:
        conversation = LLMChain(llm=chat, prompt=prompt, memory=memory)
        first = await conversation.arun("hi there")
        result = await conversation.ainvoke({"question": "and again"})
    assert [m.content for m in memory.chat_memory.messages] == [
        "hi there",
        first,
        "and again",
        result["text"],
    ]
    assert result["chat_history"][:2] == [HumanMessage("hi there"), AIMessage(first)]
