"""Parsers of a chat model's tool calls, as LangChain's `langchain_core.output_parsers.openai_tools`
has them: `JsonOutputToolsParser`, `JsonOutputKeyToolsParser`, `PydanticToolsParser`.

    chain = chat.bind_tools([Add, Multiply]) | PydanticToolsParser(tools=[Add, Multiply])
    await chain.ainvoke("What is 3 * 12? Also, what is 11 + 49?")  # [Multiply(...), Add(...)]

Each call is `{"args": {...}, "type": tool_name}` (plus `"id"` with `return_id=True`), LangChain's
shape. In a stream (`chain.astream`) they yield the calls parsed so far each time they grow.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from typing import Any

from .._exceptions import ConfigurationError, OutputParserError
from ..messages import AIMessage, AIMessageChunk
from ..runnables.base import Config, PureRunnable
from ._partial_json import parse_partial_json


class JsonOutputToolsParser(PureRunnable[Any, Any]):
    """The tool calls of an AI message, as dicts.

    Args:
        strict: accepted as LangChain spells it (arguments are always decoded strictly).
        return_id: keep each call's `id`.
        first_tool_only: return the first call only (None when there is none) instead of a
            list.
    """

    def __init__(
        self, *, strict: bool = False, return_id: bool = False, first_tool_only: bool = False
    ) -> None:
        self.strict = strict
        self.return_id = return_id
        self.first_tool_only = first_tool_only

    def _calls(self, message: Any, *, partial: bool = False) -> list[dict[str, Any]]:
        if not isinstance(message, AIMessage):
            raise OutputParserError(
                f"{type(self).__name__} parses a chat model's message, got "
                f"{type(message).__name__}",
                llm_output=repr(message)[:200],
            )
        if partial and isinstance(message, AIMessageChunk):
            raw = [
                {"id": c.get("id"), "name": c.get("name"), "args": parse_partial_json(c["args"])}
                for c in message.tool_call_chunks
                if c.get("name") and c.get("args")
            ]
            found = [c for c in raw if isinstance(c["args"], dict)]
        else:
            found = []
            for call in message.tool_calls:
                if call.get("args") is None:
                    raise OutputParserError(
                        f"the arguments of the call of {call.get('name')} do not decode: "
                        f"{call.get('error', 'not a JSON object')}",
                        llm_output=str(call.get("arguments", "")),
                    )
                found.append(call)
        calls = []
        for call in found:
            parsed: dict[str, Any] = {"args": copy.deepcopy(call["args"]), "type": call["name"]}
            if self.return_id:
                parsed["id"] = call.get("id")
            calls.append(parsed)
        return calls

    def parse_message(self, message: Any, *, partial: bool = False) -> Any:
        """The calls of `message` (its complete ones, or with `partial` those parsed so far).

        Raises:
            OutputParserError: for input that is not an AI message, or (not partial) a call
                whose arguments do not decode.
        """
        calls = self._calls(message, partial=partial)
        if self.first_tool_only:
            return calls[0] if calls else None
        return calls

    def invoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Parse a chat model's answer."""
        return self.parse_message(input)

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Yield the calls parsed so far whenever they change, then the whole answer's."""
        joined: Any = None
        last: Any = None
        async for chunk in chunks:
            joined = chunk if joined is None else joined + chunk
            if isinstance(joined, AIMessageChunk):
                partial = self.parse_message(joined, partial=True)
                if partial and partial != last:
                    last = partial
                    yield partial
        if joined is None:
            return
        whole = self.parse_message(joined)
        if whole != last:
            yield whole

    def __repr__(self) -> str:
        return f"{type(self).__name__}(first_tool_only={self.first_tool_only})"


class JsonOutputKeyToolsParser(JsonOutputToolsParser):
    """The arguments of the calls of one tool.

    Args:
        key_name: the tool's name.
        first_tool_only: the first such call's arguments (None when there is none), instead
            of a list.
        return_id: whole calls (`{"args", "type", "id"}`) instead of their arguments.
    """

    def __init__(
        self,
        key_name: str,
        *,
        strict: bool = False,
        return_id: bool = False,
        first_tool_only: bool = False,
    ) -> None:
        super().__init__(strict=strict, return_id=return_id, first_tool_only=first_tool_only)
        self.key_name = key_name

    def parse_message(self, message: Any, *, partial: bool = False) -> Any:
        calls = [c for c in self._calls(message, partial=partial) if c["type"] == self.key_name]
        if not self.return_id:
            calls = [c["args"] for c in calls]
        if self.first_tool_only:
            return calls[0] if calls else None
        return calls


class PydanticToolsParser(JsonOutputToolsParser):
    """The tool calls as instances of the pydantic classes that described the tools.

    Args:
        tools: the pydantic classes, found by class name.
        first_tool_only: the first call's object (None when there is none) instead of a
            list.

    Raises (when parsing):
        OutputParserError: a call of a tool not in `tools`, or arguments that do not fit
            its class (while streaming, such a call is left out until it fits).
    """

    def __init__(
        self,
        *,
        tools: Sequence[type[Any]],
        strict: bool = False,
        return_id: bool = False,
        first_tool_only: bool = False,
    ) -> None:
        super().__init__(strict=strict, return_id=return_id, first_tool_only=first_tool_only)
        for cls in tools:
            if not hasattr(cls, "model_validate"):
                raise ConfigurationError(f"tools must be pydantic model classes, got {cls!r}")
        self.tools = list(tools)
        self._by_name = {cls.__name__: cls for cls in self.tools}

    def parse_message(self, message: Any, *, partial: bool = False) -> Any:
        import pydantic

        objects = []
        for call in self._calls(message, partial=partial):
            cls = self._by_name.get(call["type"])
            if cls is None:
                if partial:
                    continue
                raise OutputParserError(
                    f"the model called {call['type']}, not one of {', '.join(self._by_name)}",
                    llm_output=str(call["args"]),
                )
            try:
                objects.append(cls.model_validate(call["args"]))
            except pydantic.ValidationError as exc:
                if partial:
                    continue
                raise OutputParserError(
                    f"the arguments of {call['type']} do not fit it: {exc.errors()[0]['msg']}",
                    llm_output=str(call["args"]),
                ) from exc
        if self.first_tool_only:
            return objects[0] if objects else None
        return objects


# LangChain's users import these from `...output_parsers.openai_tools`; until `output_parsers`
# is a package, this module answers to that name too (as `os.path` does for `os`).

__all__ = [
    "JsonOutputKeyToolsParser",
    "JsonOutputToolsParser",
    "PydanticToolsParser",
]
