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
    BaseMessage,
    HumanMessage,
    SystemMessage,
    UsageError,
    convert_to_messages,
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
