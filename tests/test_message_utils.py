"""trim_messages, filter_messages and merge_message_runs, from LangChain's documented examples."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from aiochain import ChatOpenAI, ConfigurationError, UsageError
from aiochain.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    count_tokens_approximately,
    filter_messages,
    merge_message_runs,
    trim_messages,
)
from aiochain.prompts import ChatPromptTemplate
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer, completion_json

TEXT = "This is a 4 token text. The full message is 10 tokens."

MESSAGES: list[BaseMessage] = [
    SystemMessage(TEXT),
    HumanMessage(TEXT),
    AIMessage(TEXT),
    HumanMessage(TEXT),
    AIMessage(TEXT),
]


def ten_per_message(messages: list[BaseMessage]) -> int:
    """LangChain's doc counter: every message is 10 tokens."""
    return 10 * len(messages)


def test_last_keeps_the_latest_messages_and_the_system_message() -> None:
    """strategy="last" with include_system keeps the system message and the latest that fit."""
    kept = trim_messages(
        MESSAGES, max_tokens=30, token_counter=ten_per_message, include_system=True
    )
    assert kept == [MESSAGES[0], MESSAGES[3], MESSAGES[4]]
    assert kept[1] is MESSAGES[3]


def test_first_keeps_the_earliest_messages() -> None:
    """strategy="first" keeps the first messages that fit; end_on cuts back to a type."""
    assert (
        trim_messages(MESSAGES, max_tokens=30, token_counter=ten_per_message, strategy="first")
        == MESSAGES[:3]
    )
    assert (
        trim_messages(
            MESSAGES, max_tokens=30, token_counter=ten_per_message, strategy="first", end_on="human"
        )
        == MESSAGES[:2]
    )


def test_start_on_drops_messages_before_the_first_human() -> None:
    """start_on="human" drops the AI message left at the start of the kept window."""
    kept = trim_messages(
        MESSAGES,
        max_tokens=40,
        token_counter=ten_per_message,
        include_system=True,
        start_on="human",
    )
    assert kept == [MESSAGES[0], MESSAGES[3], MESSAGES[4]]


def test_token_counter_of_one_message_and_len() -> None:
    """A counter annotated with BaseMessage counts one message; `len` counts messages."""

    def per_message(message: BaseMessage) -> int:
        return len(message.content.split())

    words = len(TEXT.split())
    kept = trim_messages(MESSAGES, max_tokens=2 * words, token_counter=per_message)
    assert kept == MESSAGES[-2:]
    assert trim_messages(MESSAGES, max_tokens=1, token_counter=len) == MESSAGES[-1:]


def test_allow_partial_keeps_the_last_lines_of_a_message() -> None:
    """allow_partial with "last" keeps the last lines of the message at the edge."""
    messages = [HumanMessage("one\ntwo\nthree"), AIMessage("four")]

    def lines(batch: list[BaseMessage]) -> int:
        return sum(len(m.content.splitlines()) for m in batch)

    kept = trim_messages(messages, max_tokens=3, token_counter=lines, allow_partial=True)
    assert [m.content for m in kept] == ["two\nthree", "four"]
    assert messages[0].content == "one\ntwo\nthree"  # the original is not changed


def test_a_model_counts_and_custom_token_ids_are_used() -> None:
    """A chat model as token_counter counts with its get_num_tokens_from_messages, which
    uses custom_get_token_ids."""
    calls: list[str] = []

    def words(text: str) -> list[int]:
        calls.append(text)
        return list(range(len(text.split())))

    model = ChatOpenAI(base_url="http://127.0.0.1:9/v1", custom_get_token_ids=words)
    per_line = len(f"Human: {TEXT}".split())
    kept = trim_messages(MESSAGES, max_tokens=2 * per_line + 1, token_counter=model)
    assert kept == MESSAGES[-2:]
    assert calls


def test_bad_options_are_refused() -> None:
    """start_on or include_system with "first", and unknown strategies, are refused."""
    with pytest.raises(ConfigurationError):
        trim_messages(MESSAGES, max_tokens=1, token_counter=len, strategy="first", start_on="human")
    with pytest.raises(ConfigurationError):
        trim_messages(MESSAGES, max_tokens=1, token_counter=len, strategy="middle")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        trim_messages([("human", "hi")], max_tokens=1, token_counter=len)


async def test_a_trimmer_in_a_chain_sends_only_the_trimmed_messages(
    scripted: Callable[[list[Reply]], Awaitable[ScriptedServer]],
) -> None:
    """trim_messages without messages is a runnable: prompt | trimmer | model sends only the
    kept messages."""
    server = await scripted([Reply(json=completion_json("ok", chat=True))])
    trimmer = trim_messages(max_tokens=2, token_counter=len, include_system=True)
    prompt = ChatPromptTemplate.from_messages([("system", "be brief"), ("placeholder", "{h}")])
    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = prompt | trimmer | chat
        await chain.ainvoke({"h": [HumanMessage("old"), AIMessage("older"), HumanMessage("new")]})
    assert server.requests[0]["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "new"},
    ]


def test_filter_messages_by_type_name_and_tool_calls() -> None:
    """filter_messages keeps by include_* and drops by exclude_*, as LangChain's example."""
    call = {"id": "c1", "name": "f", "args": {}, "type": "tool_call"}
    messages = [
        SystemMessage("you're a good assistant."),
        HumanMessage("what's your name"),
        AIMessage("steve-o"),
        AIMessage("", tool_calls=[call]),
        ToolMessage("result", tool_call_id="c1"),
    ]
    assert filter_messages(messages, include_types=("system", HumanMessage)) == messages[:2]
    assert filter_messages(messages, exclude_types=["ai"]) == [
        messages[0],
        messages[1],
        messages[4],
    ]
    assert filter_messages(messages, exclude_tool_calls=True) == messages[:3]
    assert filter_messages(messages, exclude_tool_calls=["c1"]) == messages[:3]
    assert filter_messages(include_types="human").invoke(messages) == [messages[1]]


def test_merge_message_runs_joins_consecutive_messages_of_a_type() -> None:
    """merge_message_runs joins runs with a newline and keeps both AI messages' tool calls;
    tool messages stay apart."""
    first = {"id": "1", "name": "blah_tool", "args": {"x": 2}, "type": "tool_call"}
    second = {"id": "2", "name": "blah_tool", "args": {"x": -10}, "type": "tool_call"}
    messages = [
        SystemMessage("you're a good assistant."),
        HumanMessage("what's your favorite color"),
        HumanMessage("wait your favorite food"),
        AIMessage("my favorite colo", tool_calls=[first]),
        AIMessage("my favorite dish is lasagna", tool_calls=[second]),
        ToolMessage("a", tool_call_id="1"),
        ToolMessage("b", tool_call_id="2"),
    ]
    merged = merge_message_runs(messages)
    assert [m.content for m in merged] == [
        "you're a good assistant.",
        "what's your favorite color\nwait your favorite food",
        "my favorite colo\nmy favorite dish is lasagna",
        "a",
        "b",
    ]
    assert isinstance(merged[2], AIMessage) and merged[2].tool_calls == [first, second]
    assert messages[3].tool_calls == [first]  # the input is not changed


def test_count_tokens_approximately() -> None:
    """count_tokens_approximately counts characters / 4 plus 3 a message, rounded up."""
    # "user" (4) + "hello world" (11) = 15 chars -> 4 tokens, + 3
    assert count_tokens_approximately([HumanMessage("hello world")]) == 7
    kept = trim_messages(MESSAGES, max_tokens=40, token_counter="approximate")
    assert 0 < len(kept) < len(MESSAGES)


async def test_sim_answers_a_trimmed_history(sim: SimServer) -> None:
    """A trimmed history goes to the simulator as one request and gets an answer."""
    async with ChatOpenAI(base_url=sim.base_url) as chat:
        reply = await chat.ainvoke(trim_messages(MESSAGES, max_tokens=20, token_counter=len))
    assert reply.content
    assert sim.stats()["requests_total"] == 1


def test_filter_messages_by_name_and_id_as_langchain_documents_it() -> None:
    """LangChain's filter_messages example: messages carry `name=` and `id=`, and the filter
    keeps the system message and the named user's, less the excluded id."""
    messages = [
        SystemMessage("you're a good assistant."),
        HumanMessage("what's your name", id="foo", name="example_user"),
        AIMessage("steve-o", id="bar", name="example_assistant"),
        HumanMessage("what's your favorite color", id="baz"),
        AIMessage("silicon blue", id="blah"),
    ]
    kept = filter_messages(
        messages,
        include_names=("example_user", "example_assistant"),
        include_types=("system",),
        exclude_ids=("bar",),
    )
    assert [(type(m).__name__, m.content, m.id, m.name) for m in kept] == [
        ("SystemMessage", "you're a good assistant.", None, None),
        ("HumanMessage", "what's your name", "foo", "example_user"),
    ]


async def test_a_message_name_is_sent_as_openai_name(
    scripted: Callable[[list[Reply]], Awaitable[ScriptedServer]],
) -> None:
    """A message's `name` reaches OpenAI's request as the message's `name`."""
    server = await scripted([Reply(json=completion_json("ok", chat=True))])
    async with ChatOpenAI(base_url=server.base_url) as chat:
        await chat.ainvoke(
            [HumanMessage("hi", name="example_user"), AIMessage("hello", name="bot")]
        )
    assert server.requests[-1]["messages"] == [
        {"role": "user", "content": "hi", "name": "example_user"},
        {"role": "assistant", "content": "hello", "name": "bot"},
    ]
