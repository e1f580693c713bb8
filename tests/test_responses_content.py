"""Responses answers as langchain-openai 1.x gives them: content blocks per `output_version`,
streamed blocks that merge into the plain answer's, token details streamed or not, and the
per-call switch to the Responses API (built-in tools, Responses-only fields)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from aiochain import ConfigurationError
from aiochain.chat_models import ChatOpenAI, ChatOpenAIResponses
from aiochain.llms import OpenAI
from aiochain.messages import AIMessage, AIMessageChunk
from aiochain.sim import SimServer
from tests.conftest import Reply, completion_json
from tests.test_responses_client import SSE, Scripted, response_json, sse

SEARCH = {"type": "web_search_call", "id": "ws_1", "status": "completed"}
REASONING = {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "t"}]}
CITED = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [
        {
            "type": "output_text",
            "text": "It rained.",
            "annotations": [{"type": "url_citation", "url": "https://x.test", "title": "X"}],
        }
    ],
}
CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "lookup",
    "arguments": '{"q": "rain"}',
    "status": "completed",
}


def responses(url: str, **options: Any) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=url, api_key="k", max_retries=0, model="gpt-4o", use_responses_api=True, **options
    )


async def test_default_content_is_the_output_items(scripted: Scripted) -> None:
    """Default (responses/v1): every output item as a block, text with annotations and its
    item's id; the message id is the response's; tool calls parsed; text joins text blocks."""
    body = response_json(output=[REASONING, SEARCH, CITED, CALL])
    server = await scripted([Reply(json=body)])
    message = await responses(server.base_url).ainvoke("Rain?")
    assert message.content == [
        REASONING,
        SEARCH,
        {
            "type": "text",
            "text": "It rained.",
            "annotations": CITED["content"][0]["annotations"],
            "id": "msg_1",
        },
        CALL,
    ]
    assert message.text == "It rained."
    assert message.id == "resp_1"
    assert message.tool_calls[0]["name"] == "lookup" and message.tool_calls[0]["args"] == {
        "q": "rain"
    }
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"] == {"reasoning": 1}
    assert message.usage_metadata["input_token_details"] == {"cache_read": 2}


async def test_v0_keeps_items_apart(scripted: Scripted) -> None:
    """output_version="v0": text blocks without ids, the message item's id as the message's,
    reasoning / built-in tool items / call ids in additional_kwargs (langchain-openai 0.3)."""
    body = response_json(output=[REASONING, SEARCH, CITED, CALL])
    server = await scripted([Reply(json=body)])
    message = await responses(server.base_url, output_version="v0").ainvoke("Rain?")
    assert message.content == [
        {
            "type": "text",
            "text": "It rained.",
            "annotations": CITED["content"][0]["annotations"],
        }
    ]
    assert message.id == "msg_1"
    assert message.additional_kwargs["reasoning"] == REASONING
    assert message.additional_kwargs["tool_outputs"] == [SEARCH]
    assert message.additional_kwargs["__openai_function_call_ids__"] == {"call_1": "fc_1"}


async def test_v1_gives_standard_blocks(scripted: Scripted) -> None:
    """output_version="v1": LangChain's standard blocks (reasoning text, tool calls)."""
    body = response_json(output=[REASONING, CITED, CALL])
    server = await scripted([Reply(json=body)])
    message = await responses(server.base_url, output_version="v1").ainvoke("Rain?")
    kinds = [block["type"] for block in message.content]
    assert kinds == ["reasoning", "text", "tool_call"]
    assert message.content[0]["reasoning"] == "t"
    assert message.content[2] == {"type": "tool_call", "id": "call_1", "name": "lookup",
                                  "args": {"q": "rain"},
                                  "extras": {"item_id": "fc_1", "status": "completed"}}  # fmt: skip
    assert message.content_blocks == message.content
    assert message.response_metadata["output_version"] == "v1"


def test_unknown_output_version_is_refused() -> None:
    """A misspelt output_version fails at once, naming the ones there are."""
    with pytest.raises(ConfigurationError, match="output_version must be one of"):
        ChatOpenAI(output_version="responses/v2")


async def test_stream_blocks_merge_into_the_plain_answer(sim: SimServer) -> None:
    """Streamed chunks carry indexed blocks; joined they equal the plain answer's content, and
    a streamed ainvoke (on_token) returns the same blocks as a plain one."""
    chat = responses(sim.base_url)
    plain = await chat.ainvoke("Tell me about packet switching. It is old. It works.")
    chunks = [c async for c in chat.astream("Tell me about packet switching. It is old. It works.")]
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    joined = chunks[0]
    for chunk in chunks[1:]:
        joined = joined + chunk
    assert [(b["type"], b["text"]) for b in joined.content] == [
        (b["type"], b["text"]) for b in plain.content
    ]
    assert joined.content[0]["id"].startswith("msg_")  # the streamed item's id
    assert joined.text == plain.text
    seen: list[str] = []
    streamed = responses(sim.base_url, on_token=seen.append)
    message = await streamed.ainvoke("Tell me about packet switching. It is old. It works.")
    assert isinstance(message, AIMessage) and message.text == plain.text == "".join(seen)
    assert [b["type"] for b in message.content] == [b["type"] for b in plain.content]
    assert message.id is not None and message.id.startswith("resp_")


async def test_streamed_reasoning_and_calls_reach_the_chunks(scripted: Scripted) -> None:
    """Reasoning summary deltas and function-call pieces stream as blocks and tool-call chunks
    that join into whole blocks and a parsed call."""
    done = response_json(output=[REASONING, CALL])
    raw = sse(
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"type": "reasoning", "id": "rs_1", "summary": []}},
        {"type": "response.reasoning_summary_text.delta", "output_index": 0,
         "item_id": "rs_1", "summary_index": 0, "delta": "thin"},
        {"type": "response.reasoning_summary_text.delta", "output_index": 0,
         "item_id": "rs_1", "summary_index": 0, "delta": "king"},
        {"type": "response.output_item.added", "output_index": 1,
         "item": {**CALL, "arguments": "", "status": "in_progress"}},
        {"type": "response.function_call_arguments.delta", "output_index": 1,
         "item_id": "fc_1", "delta": '{"q": '},
        {"type": "response.function_call_arguments.delta", "output_index": 1,
         "item_id": "fc_1", "delta": '"rain"}'},
        {"type": "response.completed", "response": done},
    )  # fmt: skip
    server = await scripted([Reply(raw=raw, headers=SSE)])
    chunks = [c async for c in responses(server.base_url).astream("Rain?")]
    joined = chunks[0]
    for chunk in chunks[1:]:
        joined = joined + chunk
    reasoning, call = joined.content
    assert reasoning["type"] == "reasoning" and reasoning["id"] == "rs_1"
    assert reasoning["summary"] == [{"index": 0, "type": "summary_text", "text": "thinking"}]
    assert call["type"] == "function_call" and call["arguments"] == '{"q": "rain"}'
    assert call["call_id"] == "call_1"
    assert joined.tool_calls[0]["args"] == {"q": "rain"}


async def test_builtin_tool_switches_to_responses(scripted: Scripted) -> None:
    """bind_tools with a built-in tool on a plain ChatOpenAI sends it as it is, to
    /responses, as LangChain's per-call switch does; the model itself stays on chat."""
    server = await scripted([Reply(json=response_json())])
    chat = ChatOpenAI(base_url=server.base_url, api_key="k", max_retries=0)
    searching = chat.bind_tools([{"type": "web_search_preview"}])
    assert isinstance(searching, ChatOpenAIResponses)
    answer = await searching.ainvoke("News today?")
    assert answer.text == "hi"
    assert server.paths == ["/v1/responses"]
    assert server.requests[0]["tools"] == [{"type": "web_search_preview"}]
    assert server.requests[0]["store"] is False
    assert type(chat) is ChatOpenAI


async def test_call_fields_switch_for_that_call_only(scripted: Scripted) -> None:
    """ainvoke(..., previous_response_id=) and astream(..., reasoning=) on a chat model go to
    /responses for that call; the next plain call goes to chat completions again."""
    server = await scripted(
        [
            Reply(json=response_json()),
            Reply(raw=sse({"type": "response.completed", "response": response_json()}),
                  headers=SSE),
            Reply(json=completion_json("plain", chat=True)),
        ]
    )  # fmt: skip
    chat = ChatOpenAI(base_url=server.base_url, api_key="k", max_retries=0)
    first = await chat.ainvoke("Hi", previous_response_id="resp_0")
    assert first.text == "hi"
    chunks = [c async for c in chat.astream("Hi", reasoning={"effort": "low"})]
    assert chunks[-1].id == "resp_1"
    third = await chat.ainvoke("Hi")
    assert third.content == "plain"
    assert server.paths == ["/v1/responses", "/v1/responses", "/v1/chat/completions"]
    assert server.requests[0]["previous_response_id"] == "resp_0"
    assert server.requests[1]["reasoning"] == {"effort": "low"}
    assert server.requests[0]["input"] == [{"role": "user", "content": "Hi"}]


async def test_switched_off_never_switches(scripted: Scripted) -> None:
    """use_responses_api=False keeps every call on chat completions, whatever it binds."""
    server = await scripted([Reply(json=completion_json("plain", chat=True))])
    chat = ChatOpenAI(base_url=server.base_url, api_key="k", max_retries=0, use_responses_api=False)
    assert (await chat.bind(reasoning={"effort": "low"}).ainvoke("Hi")).content == "plain"
    assert server.paths == ["/v1/chat/completions"]


def test_other_models_refuse_responses_options() -> None:
    """The Responses options are ChatOpenAI's: a completion model refuses them in one line."""
    with pytest.raises(ConfigurationError, match="options of ChatOpenAI's Responses API"):
        OpenAI(reasoning={"effort": "low"})


async def test_verbose_logs_the_responses_input(
    scripted: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    """verbose=True logs what a Responses request sends (its input), not None."""
    server = await scripted([Reply(json=response_json())])
    chat = responses(server.base_url, verbose=True)
    with caplog.at_level(logging.INFO, logger="aiochain"):
        await chat.ainvoke("Hello verbose")
    prompts = [r.getMessage() for r in caplog.records if " prompt: " in r.getMessage()]
    assert prompts and "Hello verbose" in prompts[0]


def test_top_level_import_builds_the_responses_class() -> None:
    """`from aiochain import ChatOpenAI` alone (a fresh interpreter) still builds the Responses
    class for use_responses_api=True: the switch must not depend on another import."""
    import subprocess
    import sys

    code = (
        "from aiochain import ChatOpenAI\n"
        "m = ChatOpenAI(use_responses_api=True, api_key='k', base_url='http://127.0.0.1:9/v1')\n"
        "print(type(m).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ChatOpenAIResponses"
