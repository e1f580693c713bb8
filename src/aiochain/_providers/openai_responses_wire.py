"""OpenAI's Responses API (`POST /v1/responses`) on the wire: requests built from chat-shaped
fields and messages, and answers, usage and stream events read and checked.

Requests: the model's fields are kept in chat completions' names (so `bind`, `bind_tools` and
`with_structured_output` work unchanged) and renamed here on the way out: `max_tokens` /
`max_completion_tokens` -> `max_output_tokens`, chat-shaped tools -> Responses' flat function
tools, `response_format` -> `text.format`. Leading system messages become `instructions`;
assistant tool calls become `function_call` items and tool messages `function_call_output`.

Answers: every field read is checked at this one boundary; anything malformed is a
`BadResponseError` with an excerpt.
"""

from __future__ import annotations

from typing import Any

from .._exceptions import BadResponseError, ConfigurationError
from .._types import DetailedUsage, JSONDict, Usage
from .openai_wire import at_most, detail, token_count

# Stream events after which a Responses stream is whole.
FINAL_EVENTS = frozenset({"response.completed", "response.incomplete"})
_MAX_ITEMS = 1024


def responses_request(payload: JSONDict, messages: list[dict[str, Any]]) -> JSONDict:
    """The Responses body for chat-shaped `payload` fields and chat-shaped `messages`.

    Raises:
        ConfigurationError: a field the Responses API has no place for (`stop`, `n` > 1).
    """
    body: JSONDict = {}
    for name, value in payload.items():
        if name in ("max_tokens", "max_completion_tokens"):
            body["max_output_tokens"] = value
        elif name == "tools":
            body["tools"] = [flat_tool(tool) for tool in value]
        elif name == "tool_choice":
            body["tool_choice"] = _tool_choice(value)
        elif name == "response_format":
            body["text"] = {**body.get("text", {}), "format": _text_format(value)}
        elif name == "stop":
            raise ConfigurationError("the Responses API has no `stop`; use chat completions")
        elif name == "n":
            if value != 1:
                raise ConfigurationError("the Responses API answers with one choice (n=1)")
        elif name in ("stream_options", "messages"):
            continue
        else:
            body[name] = value
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer") and not items and isinstance(content, str):
            instructions.append(content)
        elif role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.get("tool_call_id"),
                    "output": content if isinstance(content, str) else str(content),
                }
            )
        elif role == "assistant":
            if content:
                items.append({"role": "assistant", "content": content})
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call.get("id"),
                        "name": function.get("name"),
                        "arguments": function.get("arguments") or "{}",
                    }
                )
        else:
            items.append({"role": role, "content": content})
    if instructions:
        body["instructions"] = "\n\n".join(instructions)
    body["input"] = items
    return body


def flat_tool(tool: Any) -> Any:
    """A chat completions function tool in the Responses' flat shape (others as they are)."""
    if isinstance(tool, dict) and tool.get("type") == "function" and "function" in tool:
        function = tool["function"]
        return {"type": "function", **function}
    return tool


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"type": "function", "name": choice["function"].get("name")}
    return choice


def _text_format(response_format: Any) -> Any:
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        return {"type": "json_schema", **spec}
    return response_format


def read_responses_usage(data: JSONDict) -> Usage | None:
    """The usage of a response object, or of a stream event carrying one (`response.*`).

    Raises:
        BadResponseError: a usage that is not an object of sane non-negative integers.
    """
    holder = data.get("response") if "response" in data else data
    if not isinstance(holder, dict):
        return None
    raw = holder.get("usage")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadResponseError(
            f"the answer's usage is not an object: {str(raw)[:80]!r}", body=str(data)[:2000]
        )
    prompt = token_count(raw.get("input_tokens"), data)
    completion = token_count(raw.get("output_tokens"), data)
    total = token_count(raw.get("total_tokens"), data) or prompt + completion
    cached = detail(raw.get("input_tokens_details"), "cached_tokens", data)
    reasoning = detail(raw.get("output_tokens_details"), "reasoning_tokens", data)
    return DetailedUsage(
        prompt,
        completion,
        total,
        cache_read_tokens=at_most(cached, prompt),
        reasoning_tokens=at_most(reasoning, completion),
    )


def token_details(usage: Usage) -> dict[str, int]:
    """`cached_tokens` and `reasoning_tokens` of a response's usage (0 when absent), as
    `response_metadata["token_details"]` shows them."""
    return {
        "cached_tokens": getattr(usage, "cache_read_tokens", None) or 0,
        "reasoning_tokens": getattr(usage, "reasoning_tokens", None) or 0,
    }


def read_response(data: JSONDict, where: str) -> tuple[str, list[dict[str, Any]], str]:
    """A response object's (text, tool calls in chat completions' shape, status).

    Raises:
        BadResponseError: not a response object, a status other than completed or
            incomplete, or output items of the wrong shapes.
    """
    # (The excerpt of `data` an error carries is written only when one is raised: writing a
    # whole response out as text costs more than reading it.)
    # OpenAI's answers say `"object": "response"` and carry an `id`; compatible servers (vLLM,
    # Ollama) may leave either out. What must be there is the output, and nothing may say
    # the answer is something else.
    kind, ident, output = data.get("object"), data.get("id"), data.get("output")
    if (
        (kind is not None and kind != "response")
        or (ident is not None and not isinstance(ident, str))
        or not isinstance(output, list)
    ):
        raise BadResponseError(
            f"{where} answered something that is not a response: {str(data)[:120]}",
            body=_excerpt(data),
        )
    status = data.get("status")
    if status is None and kind is None and ident is None and "usage" not in data:
        raise BadResponseError(
            f"{where} answered something that is not a response: {str(data)[:120]}",
            body=_excerpt(data),
        )
    if status is None:
        status = "completed"  # a server that leaves the status out answers when done
    if status == "failed":
        error = data.get("error")
        message = error.get("message") if isinstance(error, dict) else None
        raise BadResponseError(
            f"{where} answered a failed response: {message}", body=_excerpt(data)
        )
    if status not in ("completed", "incomplete"):
        raise BadResponseError(
            f"{where} answered a response with status {status!r}", body=_excerpt(data)
        )
    if len(output) > _MAX_ITEMS:
        raise BadResponseError(
            f"{where} answered a response without output items", body=_excerpt(data)
        )
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in output:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "message":
            content = item.get("content")
            if not isinstance(content, list):
                raise BadResponseError(
                    f"{where} answered a message without content", body=_excerpt(data)
                )
            for part in content:
                if not isinstance(part, dict):
                    raise BadResponseError(
                        f"{where} answered a malformed part", body=_excerpt(data)
                    )
                if part.get("type") == "output_text":
                    text = part.get("text")
                    if not isinstance(text, str):
                        raise BadResponseError(
                            f"{where} answered output_text that is not text", body=_excerpt(data)
                        )
                    texts.append(text)
                elif part.get("type") == "refusal":
                    texts.append(str(part.get("refusal") or ""))
        elif kind == "function_call":
            calls.append(function_call(item, where))
        elif not isinstance(kind, str):
            raise BadResponseError(
                f"{where} answered an output item without a type", body=_excerpt(data)
            )
    return "".join(texts), calls, status


def _excerpt(data: JSONDict) -> str:
    return str(data)[:2000]


def function_call(item: JSONDict, where: str) -> dict[str, Any]:
    """A `function_call` item as a chat completions tool call (`id` is its `call_id`)."""
    call_id, name, arguments = item.get("call_id"), item.get("name"), item.get("arguments")
    if not (isinstance(call_id, str) and isinstance(name, str) and isinstance(arguments, str)):
        raise BadResponseError(
            f"{where} answered a malformed function_call: {str(item)[:120]!r}",
            body=str(item)[:2000],
        )
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def finish_reason(status: str, data: JSONDict, has_calls: bool) -> str:
    """Chat completions' finish reason for a response's status, as LangChain reports it."""
    if status == "incomplete":
        details = data.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return "length" if reason in (None, "max_output_tokens") else str(reason)
    return "tool_calls" if has_calls else "stop"
