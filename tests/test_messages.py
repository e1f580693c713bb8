"""Messages: AIMessageChunk addition and usage metadata (issue 14)."""

from __future__ import annotations

from aiochain import AIMessage, AIMessageChunk, Usage


def test_chunks_add_up() -> None:
    """chunk + chunk joins content, tool-call pieces by index, metadata and usage."""
    first = AIMessageChunk(
        "Hel", tool_call_chunks=[{"name": "f", "args": '{"a"', "id": "c1", "index": 0}]
    )
    second = AIMessageChunk(
        "lo", tool_call_chunks=[{"name": None, "args": ": 1}", "id": None, "index": 0}]
    )
    last = AIMessageChunk(
        "",
        response_metadata={"finish_reason": "stop"},
        usage_metadata={"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
    )
    whole = first + second + last
    assert isinstance(whole, AIMessageChunk)
    assert whole.content == "Hello"
    assert whole.tool_call_chunks == [{"name": "f", "args": '{"a": 1}', "id": "c1", "index": 0}]
    assert whole.tool_calls[0]["args"] == {"a": 1} and whole.tool_calls[0]["id"] == "c1"
    assert whole.usage_metadata == {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
    assert whole.response_metadata == {"finish_reason": "stop"}
    # Mid-stream, arguments cut short read as far as they go, as langchain-core's: '{"a"' is {}.
    assert first.usage_metadata is None and first.tool_calls[0]["args"] == {}
    assert isinstance(first, AIMessage)


def test_ai_message_usage_metadata_comes_from_usage() -> None:
    """AIMessage.usage_metadata is LangChain's view of our Usage."""
    message = AIMessage("x", usage=Usage(prompt_tokens=4, completion_tokens=6, total_tokens=10))
    assert message.usage_metadata == {"input_tokens": 4, "output_tokens": 6, "total_tokens": 10}
    assert AIMessage("y").usage_metadata is None
