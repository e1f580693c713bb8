"""Parsing and checking `POST /v1/responses` bodies (OpenAI's Responses API) for the simulator.

What is checked, as OpenAI checks it (a 400 with `param` otherwise): `model` (404 when not
served), `input` (a string, or items: messages whose content is a string or `input_text` /
`output_text` parts, `function_call`, `function_call_output` answering a known `call_id`, and
`reasoning` items, which are skipped), `instructions`, `max_output_tokens` (an integer >= 16),
`tools` (function tools in the Responses' flat shape: `{"type": "function", "name", ...}`),
`tool_choice`, `text.format` (`text`, `json_object`, or `json_schema` with `name` and `schema`;
with `strict` the schema must be strict as OpenAI defines it: every object closed with
`additionalProperties: false` and every property required), `reasoning.effort` (only on
reasoning models: o-series and gpt-5), `store`, `previous_response_id` (404 when unknown or not
stored) and `temperature`.
"""

from __future__ import annotations

from typing import Any

from ._request import Reject, unknown_model
from ._text import count_tokens

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


class ResponsesSpec:
    """The parts of a Responses request the simulation needs, checked."""

    __slots__ = (
        "body",
        "context_tokens",
        "effort",
        "fingerprint",
        "format",
        "items",
        "max_output_tokens",
        "model",
        "prompt_tokens",
        "reasoning_model",
        "store",
        "stream",
        "tool_choice",
        "tool_results",
        "tools",
        "user_text",
        "web_search",
    )

    def __init__(self) -> None:
        self.body: dict[str, Any] = {}
        self.model = ""
        self.items: list[dict[str, Any]] = []
        self.user_text = ""
        self.tool_results: list[tuple[str, str]] = []
        self.prompt_tokens = 0
        self.context_tokens = 0
        self.max_output_tokens: int | None = None
        self.tools: list[dict[str, Any]] = []
        self.web_search = False  # a built-in web_search tool was offered
        self.tool_choice: Any = None
        self.format: dict[str, Any] = {"type": "text"}
        self.effort: str | None = None
        self.reasoning_model = False
        self.store = True
        self.stream = False
        self.fingerprint = 0


def is_reasoning_model(model: str) -> bool:
    """Whether `model` reasons before it answers (and accepts `reasoning`)."""
    return model.startswith(("o1", "o3", "o4", "gpt-5"))


def parse_responses(
    body: dict[str, Any],
    models: frozenset[str],
    stored: dict[str, tuple[list[dict[str, Any]], int]],
) -> ResponsesSpec:
    """A checked request; `stored` maps a stored response's id to (its conversation items,
    their tokens), for `previous_response_id`."""
    spec = ResponsesSpec()
    spec.body = body
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise Reject(400, "Missing required parameter: 'model'.", param="model")
    if model not in models:
        raise unknown_model(model)
    spec.model = model
    previous = body.get("previous_response_id")
    items: list[dict[str, Any]] = []
    if previous is not None:
        if not isinstance(previous, str) or previous not in stored:
            raise Reject(
                404,
                f"Previous response with id '{previous}' not found.",
                param="previous_response_id",
            )
        items, spec.context_tokens = list(stored[previous][0]), stored[previous][1]
    given = _input_items(body.get("input"))
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise Reject(
            400, "Invalid type for 'instructions': expected a string.", param="instructions"
        )
    spec.items = items + given
    _read_conversation(spec, len(items))
    spec.prompt_tokens = (
        spec.context_tokens
        + sum(_item_tokens(item) for item in given)
        + count_tokens(instructions or "")
    )
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 16):
        raise Reject(
            400,
            f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, "
            f"but got {limit!r} instead.",
            param="max_output_tokens",
            code="integer_below_min_value",
        )
    spec.max_output_tokens = limit
    spec.tools = _tools(body.get("tools"))
    spec.web_search = any(
        isinstance(tool, dict) and tool.get("type") in WEB_SEARCH_TOOLS
        for tool in body.get("tools") or ()
    )
    spec.tool_choice = _tool_choice(body.get("tool_choice"))
    spec.format = _format(body.get("text"))
    spec.reasoning_model = is_reasoning_model(model)
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort") is not None:
        effort = reasoning["effort"]
        if not spec.reasoning_model:
            raise Reject(
                400,
                "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
                param="reasoning.effort",
                code="unsupported_parameter",
            )
        if effort not in EFFORTS:
            raise Reject(
                400,
                f"Invalid value: '{effort}'. Supported values are: {EFFORTS}.",
                param="reasoning.effort",
            )
        spec.effort = effort
    elif reasoning is not None and not isinstance(reasoning, dict):
        raise Reject(400, "Invalid type for 'reasoning': expected an object.", param="reasoning")
    if spec.reasoning_model and spec.effort is None:
        spec.effort = "medium"
    temperature = body.get("temperature")
    if temperature is not None and (
        not isinstance(temperature, int | float) or not 0 <= temperature <= 2
    ):
        raise Reject(
            400, f"Invalid 'temperature': {temperature!r}; expected 0 to 2", param="temperature"
        )
    store = body.get("store", True)
    spec.store = True if store is None else bool(store)
    spec.stream = bool(body.get("stream"))
    spec.fingerprint = hash((model, instructions, repr(spec.items)))
    return spec


def _input_items(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        return [{"type": "message", "role": "user", "content": raw}]
    if not isinstance(raw, list) or not raw:
        raise Reject(400, "Missing required parameter: 'input'.", param="input")
    items = []
    for position, item in enumerate(raw):
        if not isinstance(item, dict):
            raise Reject(400, f"Invalid type for 'input[{position}]'.", param=f"input[{position}]")
        kind = item.get("type", "message")
        if kind == "message":
            if item.get("role") not in ("user", "assistant", "system", "developer"):
                raise Reject(
                    400,
                    f"Invalid value for 'input[{position}].role'.",
                    param=f"input[{position}].role",
                )
            if _content_text(item.get("content")) is None:
                raise Reject(
                    400,
                    f"Invalid type for 'input[{position}].content'.",
                    param=f"input[{position}].content",
                )
        elif kind == "function_call":
            for key in ("call_id", "name", "arguments"):
                if not isinstance(item.get(key), str):
                    raise Reject(
                        400,
                        f"Missing required parameter: 'input[{position}].{key}'.",
                        param=f"input[{position}].{key}",
                    )
        elif kind == "function_call_output":
            if not isinstance(item.get("call_id"), str) or not isinstance(item.get("output"), str):
                raise Reject(
                    400,
                    f"Missing required parameter: 'input[{position}].output'.",
                    param=f"input[{position}]",
                )
        elif kind not in ("reasoning", "web_search_call"):
            raise Reject(
                400,
                f"Invalid value: '{kind}'. Supported values are: 'message', 'function_call', "
                "'function_call_output', 'reasoning' and 'web_search_call'.",
                param=f"input[{position}].type",
            )
        items.append({**item, "type": kind})
    return items


def _read_conversation(spec: ResponsesSpec, first_new: int) -> None:
    """The last user text and the tool results after it; every output must answer a call."""
    names: dict[str, str] = {}
    for position, item in enumerate(spec.items):
        kind = item["type"]
        if kind == "message" and item["role"] == "user":
            spec.user_text = _content_text(item["content"]) or ""
            spec.tool_results = []
        elif kind == "function_call":
            names[item["call_id"]] = item["name"]
        elif kind == "function_call_output":
            if item["call_id"] not in names:
                raise Reject(
                    400,
                    f"No tool call found for function call output with call_id {item['call_id']}.",
                    param=f"input[{position - first_new}]",
                )
            spec.tool_results.append((names[item["call_id"]], item["output"]))


def _content_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict):
                return None
            if part.get("type") in ("input_text", "output_text", "text"):
                text = part.get("text")
                if not isinstance(text, str):
                    return None
                texts.append(text)
        return "".join(texts)
    return None


def _item_tokens(item: dict[str, Any]) -> int:
    kind = item["type"]
    if kind == "message":
        return count_tokens(_content_text(item["content"]) or "")
    if kind == "function_call":
        return count_tokens(item["name"] + " " + item["arguments"])
    if kind == "function_call_output":
        return count_tokens(item["output"])
    return 0


# OpenAI's built-in web search tool, under each of its names.
WEB_SEARCH_TOOLS = frozenset(
    {"web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11"}
)
OTHER_BUILTIN_TOOLS = frozenset(
    {"file_search", "code_interpreter", "image_generation", "mcp", "computer_use_preview",
     "local_shell", "shell", "apply_patch", "custom"}
)  # fmt: skip


def _tools(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Reject(400, "Invalid type for 'tools': expected an array.", param="tools")
    tools = []
    for position, tool in enumerate(raw):
        if isinstance(tool, dict) and tool.get("type") in WEB_SEARCH_TOOLS:
            continue  # a built-in tool: the simulator searches (see `_responses_api`)
        if isinstance(tool, dict) and tool.get("type") in OTHER_BUILTIN_TOOLS:
            raise Reject(
                400,
                f"The simulator does not play the built-in tool {tool['type']!r} "
                "(it plays function tools and web_search).",
                param=f"tools[{position}].type",
            )
        if not isinstance(tool, dict) or tool.get("type") != "function":
            raise Reject(400, f"Invalid value for 'tools[{position}].type'.", param="tools")
        if not isinstance(tool.get("name"), str):
            # The chat completions shape ({"function": {...}}) lands here, as on OpenAI.
            raise Reject(
                400,
                f"Missing required parameter: 'tools[{position}].name'.",
                param=f"tools[{position}].name",
                code="missing_required_parameter",
            )
        parameters = tool.get("parameters") or {}
        if tool.get("strict"):
            check_strict(parameters, f"tools[{position}].parameters")
        tools.append({"name": tool["name"], "parameters": parameters})
    return tools


def _tool_choice(raw: Any) -> Any:
    """`tool_choice` in the shape `_tools.choose_calls` reads."""
    if raw is None or raw in ("auto", "none", "required"):
        return raw
    if isinstance(raw, dict) and raw.get("type") == "function" and isinstance(raw.get("name"), str):
        return {"function": {"name": raw["name"]}}
    raise Reject(400, "Invalid value for 'tool_choice'.", param="tool_choice")


def _format(text: Any) -> dict[str, Any]:
    if text is None:
        return {"type": "text"}
    fmt = text.get("format") if isinstance(text, dict) else None
    if fmt is None:
        return {"type": "text"}
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        raise Reject(400, "Invalid value for 'text.format.type'.", param="text.format.type")
    if fmt["type"] == "json_schema":
        if not isinstance(fmt.get("name"), str) or not isinstance(fmt.get("schema"), dict):
            raise Reject(
                400,
                "Missing required parameter: 'text.format.name' or 'text.format.schema'.",
                param="text.format",
            )
        if fmt.get("strict"):
            check_strict(fmt["schema"], f"text.format.schema ('{fmt['name']}')")
    return fmt


def check_strict(schema: Any, where: str) -> None:
    """Refuse a schema strict mode cannot hold: an open object, or an optional property."""
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if schema.get("type") == "object" or isinstance(properties, dict):
            if schema.get("additionalProperties") is not False:
                raise Reject(
                    400,
                    f"Invalid schema for {where}: 'additionalProperties' is required to be "
                    "supplied and to be false.",
                    param="text.format.schema",
                    code="invalid_json_schema",
                )
            missing = set(properties or {}) - set(schema.get("required") or [])
            if missing:
                raise Reject(
                    400,
                    f"Invalid schema for {where}: 'required' is required to be supplied and "
                    f"to be an array including every key in properties. Missing "
                    f"'{sorted(missing)[0]}'.",
                    param="text.format.schema",
                    code="invalid_json_schema",
                )
        for value in schema.values():
            check_strict(value, where)
    elif isinstance(schema, list):
        for value in schema:
            check_strict(value, where)
