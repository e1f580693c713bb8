"""with_structured_output and bind_tools with typing_extensions TypedDicts, as LangChain's docs
write them (Annotated defaults and descriptions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Optional

from typing_extensions import TypedDict

from aiochain import ChatOpenAI
from aiochain._providers.structured_output import is_typed_dict

from .conftest import Reply, ScriptedServer, completion_json


class Joke(TypedDict):
    """Joke to tell user."""

    setup: Annotated[str, ..., "The setup of the joke"]
    punchline: Annotated[str, ..., "The punchline of the joke"]
    rating: Annotated[Optional[int], None, "How funny the joke is, from 1 to 10"]  # noqa: UP045


def test_typing_extensions_typed_dict_is_recognised() -> None:
    """A typing_extensions TypedDict counts as a TypedDict (typing.is_typeddict may say no)."""
    assert is_typed_dict(Joke)
    assert not is_typed_dict(dict)


async def test_typed_dict_schema_and_answer(
    scripted: Callable[[list[Reply]], Awaitable[ScriptedServer]],
) -> None:
    """The schema sent carries the docstring and Annotated descriptions; the answer is a dict."""
    answer = '{"setup": "Why?", "punchline": "Because."}'
    server = await scripted([Reply(json=completion_json(answer, chat=True))])
    async with ChatOpenAI(base_url=server.base_url) as chat:
        structured = chat.with_structured_output(Joke)
        joke = await structured.ainvoke("Tell me a joke about cats")
    assert joke == {"setup": "Why?", "punchline": "Because."}
    spec = server.requests[0]["response_format"]["json_schema"]
    assert spec["name"] == "Joke"
    assert spec["description"] == "Joke to tell user."
    properties = spec["schema"]["properties"]
    assert properties["setup"]["description"] == "The setup of the joke"
    assert properties["rating"]["description"] == "How funny the joke is, from 1 to 10"
    assert spec["schema"]["required"] == ["setup", "punchline"]


async def test_typed_dict_as_a_tool(
    scripted: Callable[[list[Reply]], Awaitable[ScriptedServer]],
) -> None:
    """bind_tools takes the TypedDict as a schema-only tool."""
    server = await scripted([Reply(json=completion_json("ok", chat=True))])
    async with ChatOpenAI(base_url=server.base_url) as chat:
        await chat.bind_tools([Joke]).ainvoke("joke")
    function = server.requests[0]["tools"][0]["function"]
    assert function["name"] == "Joke"
    assert function["parameters"]["properties"]["punchline"]["type"] == "string"
