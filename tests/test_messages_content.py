"""Messages hold content as LangChain does: a string or a list of content blocks, read as text
by `.text` (property and old method), shown by `pretty_print`, joined chunk by chunk, and
sent to OpenAI's chat API in its own shape."""

from __future__ import annotations

from typing import Any

import pytest

from aiochain.chat_models import ChatOpenAI
from aiochain.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
    get_buffer_string,
)
from aiochain.output_parsers import StrOutputParser
from aiochain.sim import SimServer

from .conftest import Reply, completion_json


def test_text_reads_text_blocks_and_skips_others() -> None:
    """`.text` joins strings and text blocks, skips images and function calls, and also works
    called as a method (LangChain before 1.0)."""
    message = AIMessage(
        [
            {"type": "text", "text": "Hello, ", "annotations": [], "id": "msg_1"},
            {"type": "function_call", "name": "f", "arguments": "{}", "call_id": "c"},
            "world",
            {"type": "image_url", "image_url": {"url": "http://x/y.png"}},
        ]
    )
    assert message.text == "Hello, world"
    assert message.text() == "Hello, world"
    assert HumanMessage("plain").text == "plain"


def test_chunks_merge_blocks_by_index() -> None:
    """Streamed block pieces with the same index join into one block; strings concatenate."""
    pieces = [
        AIMessageChunk([{"type": "text", "text": "Hel", "index": 0}]),
        AIMessageChunk([{"type": "text", "text": "lo", "index": 0}]),
        AIMessageChunk([{"type": "text", "text": "", "index": 0, "id": "msg_9"}]),
        AIMessageChunk([{"type": "text", "text": "second", "index": 1}]),
        AIMessageChunk(""),
    ]
    whole = pieces[0]
    for piece in pieces[1:]:
        whole = whole + piece
    assert whole.content == [
        {"type": "text", "text": "Hello", "index": 0, "id": "msg_9"},
        {"type": "text", "text": "second", "index": 1},
    ]
    assert whole.text == "Hellosecond"
    assert (AIMessageChunk("a") + AIMessageChunk("b")).content == "ab"


def test_chunk_usage_sums_token_details() -> None:
    """Summing chunks sums nested token details too (a streamed answer's last chunk has them)."""
    first = AIMessageChunk("", usage_metadata={"input_tokens": 1, "output_tokens": 2})
    last = AIMessageChunk(
        "",
        usage_metadata={
            "input_tokens": 3,
            "output_tokens": 4,
            "output_token_details": {"reasoning": 2},
        },
    )
    assert (first + last).usage_metadata == {
        "input_tokens": 4,
        "output_tokens": 6,
        "output_token_details": {"reasoning": 2},
    }


def test_pretty_print_matches_langchain(capsys: pytest.CaptureFixture[str]) -> None:
    """`pretty_print` prints LangChain's title line, the content, and an AI message's calls."""
    AIMessage("Paris.", tool_calls=[{"name": "lookup", "args": {"city": "Paris"}, "id": "c1"}])
    HumanMessage("What is the capital of France?").pretty_print()
    AIMessage(
        "Paris.", tool_calls=[{"name": "lookup", "args": {"city": "Paris"}, "id": "c1"}]
    ).pretty_print()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "=" * 32 + " Human Message " + "=" * 33
    assert len(out[0]) == 80
    assert out[2] == "What is the capital of France?"
    assert out[3] == "=" * 34 + " Ai Message " + "=" * 34
    assert out[5:] == ["Paris.", "Tool Calls:", "  lookup (c1)", " Call ID: c1", "  Args:",
                       "    city: Paris"]  # fmt: skip


def test_content_blocks_is_the_standard_view() -> None:
    """`content_blocks` turns strings, provider blocks and tool calls into standard blocks."""
    message = AIMessage(
        [
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "t"}]},
            {"type": "text", "text": "ok", "annotations": []},
            {"type": "web_search_call", "id": "ws_1"},
        ],
        tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c1"}],
    )
    assert message.content_blocks == [
        {"type": "reasoning", "id": "rs_1", "reasoning": "t"},
        {"type": "text", "text": "ok", "annotations": []},
        {"type": "server_tool_call", "name": "web_search", "args": {}, "id": "ws_1"},
        {"type": "server_tool_result", "tool_call_id": "ws_1"},
        {"type": "tool_call", "id": "c1", "name": "f", "args": {"x": 1}},
    ]
    cited = AIMessage(
        [{"type": "text", "text": "x", "annotations": [
            {"type": "url_citation", "url": "https://a.test", "title": "A", "start_index": 0,
             "end_index": 1}]}]
    )  # fmt: skip
    assert cited.content_blocks[0]["annotations"] == [
        {"type": "citation", "url": "https://a.test", "title": "A", "start_index": 0,
         "end_index": 1}
    ]  # fmt: skip
    assert AIMessage([{"type": "mystery"}]).content_blocks == [
        {"type": "non_standard", "value": {"type": "mystery"}}
    ]
    assert HumanMessage("hi").content_blocks == [{"type": "text", "text": "hi"}]


def test_fields_langchain_programs_read() -> None:
    """additional_kwargs, response_metadata on every message, usage_metadata given as such,
    invalid_tool_calls, a ToolMessage's artifact and status."""
    message = AIMessage(
        "x",
        usage_metadata={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
        additional_kwargs={"refusal": None},
    )
    assert message.usage_metadata == {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}
    assert message.additional_kwargs == {"refusal": None}
    assert HumanMessage("h").additional_kwargs == {}
    assert HumanMessage("h").response_metadata == {}
    broken = {"name": "f", "args": "{oops", "id": "c", "error": "e"}
    bad = AIMessage("", invalid_tool_calls=[broken])
    assert [c["id"] for c in bad.invalid_tool_calls] == ["c"]
    tool = ToolMessage("42", tool_call_id="c1", artifact={"raw": 42})
    assert (tool.artifact, tool.status) == ({"raw": 42}, "success")


def test_convert_to_messages_reads_every_input_shape() -> None:
    """Strings, pairs, OpenAI dicts (with list content, tool calls, tool results) and prompt
    values all read as messages, in one place."""
    messages = convert_to_messages(
        [
            "hello",
            ("system", "be brief"),
            {"role": "user", "content": [{"type": "text", "text": "look"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": '{"a": 1}'}}],
            },
            {"role": "tool", "content": "1", "tool_call_id": "c1"},
        ]
    )
    assert [type(m).__name__ for m in messages] == [
        "HumanMessage", "SystemMessage", "HumanMessage", "AIMessage", "ToolMessage"
    ]  # fmt: skip
    assert messages[2].content == [{"type": "text", "text": "look"}]
    assert isinstance(messages[3], AIMessage) and messages[3].tool_calls[0]["args"] == {"a": 1}
    assert isinstance(messages[4], ToolMessage) and messages[4].tool_call_id == "c1"
    assert convert_to_messages("hi") == [HumanMessage("hi")]
    assert get_buffer_string(messages[:3]) == "Human: hello\nSystem: be brief\nHuman: look"


def test_openai_wire_of_list_content() -> None:
    """All-text blocks go out as one string; images as OpenAI parts (LangChain's standard
    image blocks converted); an answer's non-content blocks are left out."""
    text_only = HumanMessage([{"type": "text", "text": "a"}, "b"]).to_openai()
    assert text_only == {"role": "user", "content": "ab"}
    mixed = HumanMessage(
        [
            {"type": "text", "text": "what is this?"},
            {"type": "image", "base64": "AAAA", "mime_type": "image/jpeg"},
        ]
    ).to_openai()
    assert mixed["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}},
    ]
    answer = AIMessage(
        [{"type": "reasoning", "id": "rs"}, {"type": "text", "text": "ok", "id": "msg"}]
    )
    assert answer.to_openai() == {"role": "assistant", "content": "ok"}
    assert SystemMessage(["x"]).to_openai() == {"role": "system", "content": "x"}


async def test_list_content_reaches_the_server(sim: SimServer, scripted: Any) -> None:
    """A conversation holding block content (a Responses answer in the history) is sent as
    OpenAI's chat API takes it and answered; StrOutputParser reads an answer's text."""
    history = [
        HumanMessage([{"type": "text", "text": "hello"}]),
        AIMessage([{"type": "text", "text": "hi there", "id": "msg_1", "annotations": []}]),
        HumanMessage("and now?"),
    ]
    model = ChatOpenAI(base_url=sim.base_url, api_key="sk-test", max_retries=0)
    answer = await model.ainvoke(history)
    assert isinstance(answer.text, str) and answer.text
    parsed = await (model | StrOutputParser()).ainvoke(history)
    assert isinstance(parsed, str) and parsed
    server = await scripted([Reply(json=completion_json("fine", chat=True))])
    exact = ChatOpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    assert (await exact.ainvoke(history)).text == "fine"
    assert server.requests[0]["messages"] == [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi there"},
        {"role": "user", "content": "and now?"},
    ]


def test_other_providers_get_their_own_block_shapes() -> None:
    """An OpenAI Responses answer in the history, and an image question, reach Anthropic and
    Gemini in their own block shapes (ids, annotations and function-call items left out)."""
    from aiochain._providers.anthropic_wire import to_anthropic
    from aiochain._providers.gemini_wire import to_gemini

    history = [
        HumanMessage(
            [
                {"type": "text", "text": "what is this?"},
                {"type": "image", "base64": "AAAA", "mime_type": "image/jpeg"},
            ]
        ),
        AIMessage(
            [
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"type": "text", "text": "a cat", "id": "msg_1", "annotations": []},
            ]
        ),
        HumanMessage("sure?"),
    ]
    _, turns = to_anthropic(history)
    assert turns[0]["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "AAAA"}},
    ]
    assert turns[1] == {"role": "assistant", "content": [{"type": "text", "text": "a cat"}]}
    _, contents = to_gemini(history)
    assert contents[0]["parts"] == [
        {"text": "what is this?"},
        {"inlineData": {"mimeType": "image/jpeg", "data": "AAAA"}},
    ]
    assert contents[1]["parts"] == [{"text": "a cat"}]
