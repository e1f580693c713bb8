"""Messages as langchain-core 1.x gives them, point by point: the fast reading of a list of
messages, standard annotations kept in `content_blocks`, `tool_call` / `tool_call_chunk`
blocks, and `get_buffer_string`'s rendering of tool calls and its newer arguments.

Expected values were worked out from langchain-core's own source (`messages/ai.py`,
`messages/base.py`, `messages/utils.py`, `messages/block_translators/openai.py`, 1.x) and are
written out here by hand."""

from __future__ import annotations

from typing import Any

import pytest

from aiochain.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    UsageError,
    convert_to_messages,
    get_buffer_string,
)

# --- convert_to_messages ------------------------------------------------------------------


def test_a_list_of_messages_comes_back_as_a_new_list_of_the_same_messages() -> None:
    """The fast way for a list holding only messages: the same objects, in a fresh list."""
    given: list[Any] = [SystemMessage("s"), HumanMessage("h"), AIMessage("a")]
    got = convert_to_messages(given)
    assert got == given and got is not given
    assert all(g is m for g, m in zip(got, given, strict=True))
    got.append(HumanMessage("more"))
    assert len(given) == 3


def test_a_list_with_other_items_is_still_read_item_by_item() -> None:
    """A message first and a pair, a dict or a string later: every item read."""
    human = HumanMessage("h")
    got = convert_to_messages([human, ("ai", "a"), {"role": "system", "content": "s"}, "q"])
    assert [type(m).__name__ for m in got] == [
        "HumanMessage", "AIMessage", "SystemMessage", "HumanMessage"
    ]  # fmt: skip
    assert got[0] is human and [m.text for m in got] == ["h", "a", "s", "q"]
    with pytest.raises(UsageError):
        convert_to_messages([human, 42])


def test_other_inputs_keep_their_reading() -> None:
    """A string, one message, one dict, a tuple of messages, a list subclass and a prompt
    value (anything with `to_messages`) read as before."""
    assert convert_to_messages("hi") == [HumanMessage("hi")]
    assert convert_to_messages("") == [HumanMessage("")]
    one = AIMessage("a")
    assert convert_to_messages(one)[0] is one
    assert convert_to_messages({"role": "user", "content": "x"}) == [HumanMessage("x")]
    assert convert_to_messages((one, "q")) == [one, HumanMessage("q")]
    assert convert_to_messages([]) == []

    class Prompt(list[Any]):
        def to_messages(self) -> list[BaseMessage]:
            return [SystemMessage("from the prompt")]

    assert convert_to_messages(Prompt([HumanMessage("ignored")])) == [
        SystemMessage("from the prompt")
    ]


# --- standard annotations -----------------------------------------------------------------

CITATION = {"type": "citation", "url": "https://a.test", "title": "A", "start_index": 0,
            "end_index": 1, "cited_text": "x"}  # fmt: skip
NON_STANDARD = {"type": "non_standard_annotation",
                "value": {"type": "container_file_citation", "file_id": "f"}}  # fmt: skip
URL_CITATION = {"type": "url_citation", "url": "https://a.test", "title": "A",
                "start_index": 0, "end_index": 1}  # fmt: skip


@pytest.mark.parametrize("kind", [AIMessage, HumanMessage])
def test_standard_annotations_are_kept_as_they_are(kind: type[BaseMessage]) -> None:
    """langchain-core (`BaseMessage.content_blocks`) keeps a text block's `citation` and
    `non_standard_annotation` annotations unchanged; an OpenAI `url_citation` beside them is
    still made a `citation`, as the OpenAI translator makes it."""
    message = kind([{"type": "text", "text": "x", "annotations": [CITATION, NON_STANDARD,
                                                                  URL_CITATION]}])  # fmt: skip
    assert message.content_blocks == [
        {"type": "text", "text": "x", "annotations": [
            {"type": "citation", "url": "https://a.test", "title": "A", "start_index": 0,
             "end_index": 1, "cited_text": "x"},
            {"type": "non_standard_annotation",
             "value": {"type": "container_file_citation", "file_id": "f"}},
            {"type": "citation", "url": "https://a.test", "title": "A", "start_index": 0,
             "end_index": 1},
        ]}
    ]  # fmt: skip
    assert message.content[0]["annotations"][0] is CITATION  # the content itself untouched


def test_standard_annotations_survive_a_second_reading() -> None:
    """Blocks that `content_blocks` gave, given back as content, read the same again."""
    first = AIMessage([{"type": "text", "text": "x", "annotations": [URL_CITATION,
                                                                     NON_STANDARD]}])  # fmt: skip
    again = AIMessage(content_blocks=first.content_blocks)
    assert again.content_blocks == first.content_blocks


def test_a_citation_standing_alone_is_not_a_block() -> None:
    """langchain-core's KNOWN_BLOCK_TYPES leaves `citation` out: one as a whole block of the
    content is `non_standard`."""
    assert AIMessage([CITATION]).content_blocks == [
        {"type": "non_standard", "value": {"type": "citation", "url": "https://a.test",
         "title": "A", "start_index": 0, "end_index": 1, "cited_text": "x"}}
    ]  # fmt: skip


# --- tool_call and tool_call_chunk blocks --------------------------------------------------

OPENAI = {"model_provider": "openai"}
CALLS = [{"name": "f", "args": {"x": 1}, "id": "c1"}, {"name": "g", "args": {}, "id": None}]
PIECES = [{"name": "f", "args": '{"x": ', "id": "c1", "index": 0},
          {"name": None, "args": "1}", "id": None, "index": None}]  # fmt: skip


def test_tool_calls_not_in_the_content_are_added_when_they_have_an_id() -> None:
    """`AIMessage.content_blocks` (best-effort): a `tool_call` for each tool call whose id no
    `tool_call` block of the content has; a call without an id is left out."""
    assert AIMessage("hi", tool_calls=CALLS).content_blocks == [
        {"type": "text", "text": "hi"},
        {"type": "tool_call", "id": "c1", "name": "f", "args": {"x": 1}},
    ]
    given = AIMessage(
        [{"type": "tool_call", "id": "c1", "name": "f", "args": {"y": 2}}],
        tool_calls=[CALLS[0], {"name": "h", "args": {"z": 3}, "id": "c3"}],
    )
    assert given.content_blocks == [
        {"type": "tool_call", "id": "c1", "name": "f", "args": {"y": 2}},
        {"type": "tool_call", "id": "c3", "name": "h", "args": {"z": 3}},
    ]


def test_invalid_tool_calls_are_not_tool_call_blocks() -> None:
    """An invalid call (arguments that are not a JSON object) is no `tool_call` block."""
    broken = {"name": "b", "args": "{oops", "id": "c9", "error": "bad"}
    message = AIMessage("", tool_calls=CALLS[:1], invalid_tool_calls=[broken])
    assert message.content_blocks == [
        {"type": "tool_call", "id": "c1", "name": "f", "args": {"x": 1}}
    ]


def test_an_openai_chat_answer_lists_every_tool_call_then_its_refusal() -> None:
    """The OpenAI translator on text content: the text, every valid tool call in order (an
    id of None too), then `additional_kwargs["refusal"]`."""
    assert AIMessage("hi", tool_calls=CALLS, response_metadata=OPENAI).content_blocks == [
        {"type": "text", "text": "hi"},
        {"type": "tool_call", "name": "f", "args": {"x": 1}, "id": "c1"},
        {"type": "tool_call", "name": "g", "args": {}, "id": None},
    ]
    refused = AIMessage("", additional_kwargs={"refusal": "no"}, response_metadata=OPENAI)
    assert refused.content_blocks == [{"type": "refusal", "refusal": "no"}]


def test_a_chunk_without_content_gives_its_tool_call_chunks() -> None:
    """`AIMessageChunk.content_blocks`: with tool-call pieces and no content, one
    `tool_call_chunk` per piece (`index` only when not None); a sum of chunks joins them."""
    assert AIMessageChunk("", tool_call_chunks=PIECES).content_blocks == [
        {"type": "tool_call_chunk", "id": "c1", "name": "f", "args": '{"x": ', "index": 0},
        {"type": "tool_call_chunk", "id": None, "name": None, "args": "1}"},
    ]
    joined = AIMessageChunk("", tool_call_chunks=PIECES[:1]) + AIMessageChunk(
        "", tool_call_chunks=[{"name": None, "args": "1}", "id": None, "index": 0}]
    )
    assert joined.content_blocks == [
        {"type": "tool_call_chunk", "id": "c1", "name": "f", "args": '{"x": 1}', "index": 0}
    ]


def test_a_chunk_with_content_gives_whole_tool_calls() -> None:
    """With content, langchain-core keeps AIMessage's reading: the text, then the whole
    tool call its pieces parse to."""
    whole = [{"name": "f", "args": '{"x": 1}', "id": "c1", "index": 0}]
    assert AIMessageChunk("hi", tool_call_chunks=whole).content_blocks == [
        {"type": "text", "text": "hi"},
        {"type": "tool_call", "id": "c1", "name": "f", "args": {"x": 1}},
    ]


def test_an_openai_chunk_gives_pieces_until_the_last_chunk() -> None:
    """The OpenAI translator on a text chunk: text, then every piece as a `tool_call_chunk`
    (content or not); on the last chunk (`chunk_position="last"`, kept by `+`) whole calls."""
    chunk = AIMessageChunk("hi", tool_call_chunks=PIECES, response_metadata=OPENAI)
    assert chunk.content_blocks == [
        {"type": "text", "text": "hi"},
        {"type": "tool_call_chunk", "id": "c1", "name": "f", "args": '{"x": ', "index": 0},
        {"type": "tool_call_chunk", "id": None, "name": None, "args": "1}"},
    ]  # fmt: skip
    whole = [{"name": "f", "args": '{"x": 1}', "id": "c1", "index": 0}]
    last = AIMessageChunk(
        "", tool_call_chunks=whole, chunk_position="last", response_metadata=OPENAI
    )
    assert last.content_blocks == [{"type": "tool_call", "name": "f", "args": {"x": 1}, "id": "c1"}]
    joined = AIMessageChunk("") + AIMessageChunk("", tool_call_chunks=whole, chunk_position="last")
    assert joined.chunk_position == "last"
    assert joined.content_blocks == [
        {"type": "tool_call", "id": "c1", "name": "f", "args": {"x": 1}}
    ]


def test_responses_function_calls_read_in_place() -> None:
    """The OpenAI translator on Responses items: a function call as its parsed `tool_call`
    (index `lc_tc_<n>`, item id and status in `extras`), an invalid one as an
    `invalid_tool_call` with the raw text; a chunk with one piece as that piece."""
    content = [
        {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f",
         "arguments": '{"x": 1}', "status": "completed", "index": 2},
        {"type": "function_call", "id": "fc_2", "call_id": "c2", "name": "b",
         "arguments": "{oops"},
    ]  # fmt: skip
    message = AIMessage(
        content,
        tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c1"}],
        invalid_tool_calls=[{"name": "b", "args": "{oops", "id": "c2", "error": "bad"}],
        response_metadata=OPENAI,
    )
    assert message.content_blocks == [
        {"type": "tool_call", "name": "f", "args": {"x": 1}, "id": "c1", "index": "lc_tc_2",
         "extras": {"item_id": "fc_1", "status": "completed"}},
        {"type": "invalid_tool_call", "id": "c2", "name": "b", "args": "{oops",
         "error": "bad", "extras": {"item_id": "fc_2"}},
    ]  # fmt: skip
    chunk = AIMessageChunk(
        [{"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f",
          "arguments": '{"x"', "index": 1}],
        tool_call_chunks=[{"name": "f", "args": '{"x"', "id": "c1", "index": 1}],
        response_metadata=OPENAI,
    )  # fmt: skip
    assert chunk.content_blocks == [
        {"type": "tool_call_chunk", "name": "f", "args": '{"x"', "id": "c1",
         "index": "lc_tc_1", "extras": {"item_id": "fc_1"}}
    ]  # fmt: skip


def test_reasoning_content_leads_when_no_reasoning_block() -> None:
    """`additional_kwargs["reasoning_content"]` (DeepSeek, Groq, xAI, Ollama) is a leading
    `reasoning` block, for answers and chunks alike."""
    for kind in (AIMessage, AIMessageChunk):
        message = kind("a", additional_kwargs={"reasoning_content": "think"})
        assert message.content_blocks == [
            {"type": "reasoning", "reasoning": "think"},
            {"type": "text", "text": "a"},
        ]


# --- get_buffer_string ---------------------------------------------------------------------

CONVERSATION: list[BaseMessage] = [
    SystemMessage("sys"),
    HumanMessage("hi"),
    AIMessage("calling", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c1"}]),
    ToolMessage("42", tool_call_id="c1"),
    AIMessage("", additional_kwargs={"function_call": {"name": "g", "arguments": "{}"}}),
]


def test_buffer_string_writes_tool_calls_after_the_text() -> None:
    """langchain-core appends `str(m.tool_calls)` (LangChain's ToolCall dicts: name, args,
    id, type) to an AI message's line, or else its legacy `function_call`."""
    assert get_buffer_string(CONVERSATION) == (
        "System: sys\nHuman: hi\n"
        "AI: calling[{'name': 'f', 'args': {'x': 1}, 'id': 'c1', 'type': 'tool_call'}]\n"
        "Tool: 42\n"
        "AI: {'name': 'g', 'arguments': '{}'}"
    )


def test_buffer_string_tool_calls_win_over_function_call_and_invalid_ones_are_left_out() -> None:
    """Tool calls and a function call: only the tool calls; invalid calls are not written;
    a chunk's pieces are written as the calls they parse to."""
    both = AIMessage(
        "t",
        tool_calls=[{"name": "f", "args": {}, "id": "c1"}],
        additional_kwargs={"function_call": {"name": "g", "arguments": "{}"}},
    )
    assert (
        get_buffer_string([both])
        == "AI: t[{'name': 'f', 'args': {}, 'id': 'c1', 'type': 'tool_call'}]"
    )
    broken = {"name": "b", "args": "{oops", "id": "c9", "error": "bad"}
    assert get_buffer_string([AIMessage("t", invalid_tool_calls=[broken])]) == "AI: t"
    chunk = AIMessageChunk(
        "x", tool_call_chunks=[{"name": "f", "args": '{"a": 1}', "id": "c1", "index": 0}]
    )
    assert get_buffer_string([chunk]) == (
        "AI: x[{'name': 'f', 'args': {'a': 1}, 'id': 'c1', 'type': 'tool_call'}]"
    )


def test_buffer_string_takes_langchains_newer_arguments() -> None:
    """`system_prefix`, `tool_prefix`, `message_separator` beside the positional
    `human_prefix` and `ai_prefix`; list content written as its text only."""
    got = get_buffer_string(
        CONVERSATION, "U", "Bot", system_prefix="S", tool_prefix="T", message_separator=" | "
    )
    assert got == (
        "S: sys | U: hi | "
        "Bot: calling[{'name': 'f', 'args': {'x': 1}, 'id': 'c1', 'type': 'tool_call'}] | "
        "T: 42 | Bot: {'name': 'g', 'arguments': '{}'}"
    )
    mixed = HumanMessage([{"type": "text", "text": "a"}, {"type": "image", "url": "u"}, "b"])
    assert get_buffer_string([mixed]) == "Human: ab"


def test_buffer_string_in_xml() -> None:
    """`format="xml"`: one escaped `<message type=...>` per message (the prefix lowercased);
    an AI message with tool calls nests its content and calls."""
    assert get_buffer_string(CONVERSATION, format="xml") == (
        '<message type="system">sys</message>\n'
        '<message type="human">hi</message>\n'
        '<message type="ai">\n'
        "  <content>calling</content>\n"
        '  <tool_call id="c1" name="f">{"x": 1}</tool_call>\n'
        "</message>\n"
        '<message type="tool">42</message>\n'
        '<message type="ai">\n'
        '  <function_call name="g">{}</function_call>\n'
        "</message>"
    )
    assert get_buffer_string([HumanMessage("Is 5 < 10 & 10 > 5?")], "User", format="xml") == (
        '<message type="user">Is 5 &lt; 10 &amp; 10 &gt; 5?</message>'
    )


def test_buffer_string_xml_blocks() -> None:
    """Supported blocks as elements; base64 data (a `base64` field or a `data:` URL) and
    unknown blocks skipped; long tool-call ids and plain-text documents cut."""
    blocks = [
        {"type": "text", "text": "a<b"},
        {"type": "image", "url": "https://i.test/x.png"},
        {"type": "image", "base64": "AAA", "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": "https://i.test/y.png"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}},
        "plain & s",
        {"type": "reasoning", "reasoning": "r"},
        {"type": "audio", "file_id": "file-1"},
        {"type": "server_tool_call", "id": "ws_1", "name": "web_search", "args": {"query": "q"}},
        {"type": "server_tool_result", "tool_call_id": "ws_1", "status": "success",
         "output": {"n": 1}},
        {"type": "text-plain", "text": "d" * 510, "mime_type": "text/plain"},
        {"type": "mystery"},
    ]  # fmt: skip
    assert get_buffer_string([HumanMessage(blocks)], format="xml") == (
        '<message type="human">a&lt;b <image url="https://i.test/x.png" /> '
        '<image url="https://i.test/y.png" /> plain &amp; s <reasoning>r</reasoning> '
        '<audio file_id="file-1" /> '
        '<server_tool_call id="ws_1" name="web_search">{"query": "q"}</server_tool_call> '
        '<server_tool_result tool_call_id="ws_1" status="success">{"n": 1}'
        "</server_tool_result> " + "d" * 500 + "...</message>"
    )
    long_id = AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "c" * 70}])
    assert get_buffer_string([long_id], format="xml") == (
        '<message type="ai">\n  <tool_call id="' + "c" * 64 + '..." name="f">{}</tool_call>'
        "\n</message>"
    )


def test_buffer_string_refuses_an_unknown_format_or_message() -> None:
    """An unknown format, or a message of no known kind, is the caller's mistake."""
    with pytest.raises(UsageError, match="Unrecognized format='json'"):
        get_buffer_string(CONVERSATION, format="json")  # type: ignore[arg-type]

    class Odd(BaseMessage):
        type = "odd"

    with pytest.raises(UsageError, match="unsupported message type"):
        get_buffer_string([Odd("?")])


def test_message_chunk_to_message_keeps_everything_the_stream_carried() -> None:
    from aiochain.messages import AIMessage, AIMessageChunk, HumanMessage
    from aiochain.messages.utils import message_chunk_to_message

    whole = AIMessageChunk(
        "Hel",
        id="resp_1",
        tool_call_chunks=[{"name": "f", "args": '{"a": ', "id": "c1", "index": 0}],
    ) + AIMessageChunk(
        "lo",
        tool_call_chunks=[{"args": "1}", "index": 0}],
        response_metadata={"id": "resp_1", "finish_reason": "stop"},
        additional_kwargs={"refusal": None},
        usage_metadata={"input_tokens": 2, "output_tokens": 3, "total_tokens": 5},
        chunk_position="last",
    )
    message = message_chunk_to_message(whole)
    assert type(message) is AIMessage
    assert message.content == "Hello" and message.id == "resp_1"
    assert message.response_metadata == {"id": "resp_1", "finish_reason": "stop"}
    assert message.additional_kwargs == {"refusal": None}
    [call] = message.tool_calls
    assert (call["name"], call["args"], call["id"]) == ("f", {"a": 1}, "c1")
    assert message.usage_metadata == {"input_tokens": 2, "output_tokens": 3, "total_tokens": 5}
    human = HumanMessage("hi")
    assert message_chunk_to_message(human) is human


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1, "b', {"a": 1}),
        ('{"a": 1, "b": "hel', {"a": 1, "b": "hel"}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ('{"a": "x\\', {"a": "x"}),
        ("{", {}),
        ('{"a": tr', {}),
        ("}", None),
        ("", None),
    ],
)
def test_parse_partial_json_reads_json_cut_short(text: str, expected: object) -> None:
    from aiochain.messages.tool_calls import parse_partial_json

    assert parse_partial_json(text) == expected


def test_stream_chunks_show_tool_call_arguments_so_far() -> None:
    """As langchain-core's: a chunk's tool calls carry the arguments read so far (LangChain's
    streaming tool calls guide prints them growing); the last chunk's stay strict."""
    from aiochain.messages import AIMessageChunk

    first = AIMessageChunk(
        "", tool_call_chunks=[{"name": "add", "args": '{"a": 3, "b', "id": "c1", "index": 0}]
    )
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [("add", {"a": 3})]
    assert first.invalid_tool_calls == []
    whole = first + AIMessageChunk("", tool_call_chunks=[{"args": '": 1}', "index": 0}])
    assert whole.tool_calls[0]["args"] == {"a": 3, "b": 1}
    broken = first + AIMessageChunk(
        "", tool_call_chunks=[{"args": '": 1} junk', "index": 0}], chunk_position="last"
    )
    assert [c["name"] for c in broken.invalid_tool_calls] == ["add"]
