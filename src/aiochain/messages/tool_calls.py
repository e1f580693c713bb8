"""Tool calls as messages hold them: read from OpenAI's wire shape (`parse_tool_calls`) and
written back (`arguments_of`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .. import _json
from .._exceptions import BadResponseError


def arguments_of(call: Mapping[str, Any]) -> str:
    """A tool call's arguments as JSON text (LangChain's calls carry only the decoded `args`)."""
    arguments = call.get("arguments")
    if isinstance(arguments, str):
        return arguments
    return json.dumps(call.get("args") or {})


def parse_tool_calls(raw: Any) -> list[dict[str, Any]]:
    """Tool calls from OpenAI's `message.tool_calls`, with their arguments decoded.

    Each call is `{"id", "name", "arguments", "args"}`, plus `"error"` when its arguments do
    not decode to a JSON object (the agent tells the model so). Arguments sent as an object
    instead of a JSON string are taken as they are (some servers do).

    Raises:
        BadResponseError: a call that is not shaped as a tool call at all.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadResponseError(f"tool_calls is not a list: {str(raw)[:80]!r}")
    calls = []
    for item in raw:
        function = item.get("function") if isinstance(item, dict) else None
        if function is None:
            function = {}
        if not isinstance(item, dict) or not isinstance(function, dict):
            raise BadResponseError(f"a tool call is not shaped as one: {str(item)[:80]!r}")
        arguments = function.get("arguments") or ""
        call: dict[str, Any] = {
            "id": str(item.get("id") or ""),
            "name": str(function.get("name") or ""),
            "arguments": arguments,
            "args": None,
            "type": "tool_call",
        }
        if isinstance(arguments, dict):
            call["args"] = arguments
            call["arguments"] = json.dumps(arguments)
        elif not isinstance(arguments, str):
            call["error"] = "arguments are not a JSON object"
        else:
            try:
                args = _json.loads(arguments) if arguments.strip() else {}
            except ValueError as exc:
                call["error"] = f"arguments are not valid JSON ({str(exc)[:80]})"
            else:
                if isinstance(args, dict):
                    call["args"] = args
                else:
                    call["error"] = "arguments are not a JSON object"
        calls.append(call)
    return calls


def parse_partial_json(text: str) -> Any:
    """The JSON value that `text`, a JSON document cut short (a streamed tool call's
    arguments so far), begins: open strings, objects and arrays closed, then characters taken
    off the end until it decodes, as langchain-core's function of this name does; None
    when nothing does (`{"a": 1, "b` gives `{"a": 1}`)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    kept: list[str] = []
    closers: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            elif char == "\n":
                char = "\\n"  # a raw newline inside a string, as a model may stream it
        elif char == '"':
            in_string = True
        elif char in "{[":
            closers.append("}" if char == "{" else "]")
        elif char in "}]":
            if not closers or closers[-1] != char:
                return None  # closes what was never opened: not a JSON prefix
            closers.pop()
        kept.append(char)
    if in_string:
        if escaped:
            kept.pop()  # a backslash with nothing after it yet
        kept.append('"')
    ending = "".join(reversed(closers))
    while kept:
        try:
            return json.loads("".join(kept) + ending)
        except ValueError:
            kept.pop()
    return None


__all__ = ["arguments_of", "parse_partial_json", "parse_tool_calls"]
