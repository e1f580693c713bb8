"""How the simulation server answers requests that offer tools (documented, so tests predict it).

- With `tool_choice` "none", or with no tools offered: a plain answer.
- With tool results already in the conversation (tool messages after the last user message):
  a text answer that uses them, "Based on the tools: NAME: RESULT; NAME: RESULT." Unless
  `tool_choice` is "required" or names a function: then it calls tools again, every time (a
  model that never stops, for testing step limits).
- Otherwise it calls every offered tool whose name appears in the last user message (ignoring
  case); with `tool_choice` "required" and no name mentioned, the first tool; with a named
  function, that one. No tool mentioned and no requirement: a plain answer.
- Arguments: `name=value` in the user's text sets a parameter (`city=Paris`,
  `city="New York"`, `days=3`; converted to the parameter's type); otherwise the parameter's
  default, else the first of its enum, else by type: string -> the parameter's name,
  integer -> 1, number -> 1.0, boolean -> true, array -> [], object -> {}.
"""

from __future__ import annotations

import json
import re
from typing import Any


def choose_calls(
    tools: list[dict[str, Any]],
    tool_choice: Any,
    user_text: str,
    has_results: bool,
) -> list[tuple[str, dict[str, Any]]]:
    """The (name, arguments) of the tool calls to answer with; empty for a text answer."""
    if not tools or tool_choice == "none":
        return []
    by_name = {tool["name"]: tool for tool in tools}
    forced = None
    if isinstance(tool_choice, dict):
        forced = (tool_choice.get("function") or {}).get("name")
    if isinstance(forced, str) and forced in by_name:
        return [(forced, arguments_for(by_name[forced], user_text))]
    required = tool_choice == "required"
    if has_results and not required:
        return []
    lowered = user_text.lower()
    named = [tool for tool in tools if tool["name"].lower() in lowered]
    if not named and required:
        named = tools[:1]
    return [(tool["name"], arguments_for(tool, user_text)) for tool in named]


def arguments_for(function: dict[str, Any], user_text: str) -> dict[str, Any]:
    """Arguments for one call, from `name=value` in the text or from the schema."""
    parameters = function.get("parameters") or {}
    properties = parameters.get("properties") or {}
    arguments: dict[str, Any] = {}
    for name, schema in properties.items():
        given = re.search(rf'\b{re.escape(name)}=("[^"]*"|\S+)', user_text)
        if given:
            arguments[name] = _convert(given.group(1).strip('"').rstrip(".,;"), schema)
        else:
            arguments[name] = _default(name, schema)
    return arguments


def _convert(text: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean":
            return text.lower() in ("true", "yes", "1")
        if kind in ("array", "object"):
            return json.loads(text)
    except ValueError:
        pass
    return text


def _default(name: str, schema: dict[str, Any]) -> Any:
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("anyOf"):
        return _default(name, schema["anyOf"][0])
    return {
        "integer": 1,
        "number": 1.0,
        "boolean": True,
        "array": [],
        "object": {},
        "null": None,
    }.get(schema.get("type", "string"), name)


def answer_from_results(results: list[tuple[str, str]]) -> str:
    """The text answer once tool results are in."""
    return "Based on the tools: " + "; ".join(f"{n}: {r}" for n, r in results) + "."
