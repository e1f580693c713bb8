"""Google's Gemini API on the wire, client side: messages, tools and schemas into a
`generateContent` body, and a GenerateContentResponse, its usage and its stream events back
into our common shapes.

Facts from Google's Gemini API reference (models.generateContent, Function calling, Thinking,
Structured output): system prompts go in `systemInstruction`, never in `contents`; turns are
`user` or `model`, each a list of `parts`; a tool call is a `functionCall {name, args}` part
(the Gemini API gives it no id: we make one, as langchain-google-genai does) and its result a
`functionResponse {name, response}` part in the next user turn, every result of one model turn
in one user turn; parts marked `thought` are thought summaries, not the answer; Gemini 3 puts
a `thoughtSignature` on function calls that must be sent back with them. `responseSchema` and
function `parameters` take an OpenAPI subset (no `$ref`, no `additionalProperties`, nullable
instead of a null type). `usageMetadata.promptTokenCount` includes the cached tokens
(`cachedContentTokenCount`); `thoughtsTokenCount` is billed as output but not counted in
`candidatesTokenCount`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._exceptions import BadResponseError, ConfigurationError
from .._types import DetailedUsage, JSONDict, Usage
from ..messages import AIMessage, BaseMessage, ToolMessage, parse_tool_calls
from .openai_wire import token_count

MAX_CALL_PARTS = 128
"""The most functionCall parts believed in one answer."""
_SCHEMA_KEYS = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
        "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
        "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum",
        "maximum",
    }
)  # fmt: skip
_MAX_SCHEMA_DEPTH = 32


# --- requests --------------------------------------------------------------------------------


def to_gemini(messages: Iterable[BaseMessage]) -> tuple[JSONDict | None, list[JSONDict]]:
    """The `systemInstruction` (or None) and the `contents` of a request.

    System messages are lifted out into `systemInstruction`; a `ToolMessage` becomes a
    `functionResponse` part in a user turn, named after the call it answers (consecutive
    results share one turn, as the API wants).
    """
    system: list[JSONDict] = []
    contents: list[JSONDict] = []
    names: dict[str, str] = {}  # tool-call id -> function name
    for message in messages:
        if message.role == "system":
            system.extend(_parts(message.content))
            continue
        if isinstance(message, ToolMessage):
            name = getattr(message, "name", None) or names.get(message.tool_call_id, "")
            part = {"functionResponse": {"name": name, "response": _response(message.content)}}
            last = contents[-1] if contents else None
            if last is not None and last["role"] == "user" and _is_results(last["parts"]):
                last["parts"].append(part)
            else:
                contents.append({"role": "user", "parts": [part]})
            continue
        if isinstance(message, AIMessage):
            parts = _parts(message.content)
            for call in message.tool_calls:
                names[str(call.get("id") or "")] = str(call.get("name") or "")
                function = {"name": call.get("name") or "", "args": call.get("args") or {}}
                call_part: JSONDict = {"functionCall": function}
                if call.get("thought_signature"):
                    call_part["thoughtSignature"] = call["thought_signature"]
                parts.append(call_part)
            if parts:
                contents.append({"role": "model", "parts": parts})
            continue
        contents.append({"role": "user", "parts": _parts(message.content) or [{"text": ""}]})
    if not contents:
        raise ConfigurationError("Gemini's API needs at least one user message")
    return ({"parts": system} if system else None), contents


def _parts(content: Any) -> list[JSONDict]:
    """Parts of a message's content: a string, or content blocks (text, Gemini's own parts,
    `image_url` data URLs as `inlineData`)."""
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[JSONDict] = []
    for block in content or []:
        if isinstance(block, str):
            parts.append({"text": block})
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append({"text": str(block.get("text", ""))})
        elif isinstance(block, dict) and block.get("type") == "image" and "base64" in block:
            mime = str(block.get("mime_type") or "image/png")
            parts.append({"inlineData": {"mimeType": mime, "data": block["base64"]}})
        elif isinstance(block, dict) and block.get("type") == "image_url":
            url = block["image_url"]["url"] if isinstance(block.get("image_url"), dict) else ""
            head, _, data = str(url).partition(",")
            if not head.startswith("data:") or ";base64" not in head:
                raise ConfigurationError("Gemini takes images as base64 data: URLs here")
            mime = head[5:].split(";")[0]
            parts.append({"inlineData": {"mimeType": mime, "data": data}})
        elif isinstance(block, dict) and "type" not in block:
            parts.append(dict(block))  # already a Gemini part (Gemini's parts have no type)
        # other typed blocks (another provider's function calls, reasoning) hold no content
    return parts


def _response(content: Any) -> JSONDict:
    """A tool's result as a `functionResponse.response` object: a JSON object as it is,
    anything else under "result"."""
    if isinstance(content, str):
        try:
            decoded = json.loads(content)
        except ValueError:
            return {"result": content}
        return decoded if isinstance(decoded, dict) else {"result": decoded}
    return {"result": content}


def _is_results(parts: Sequence[JSONDict]) -> bool:
    return bool(parts) and all("functionResponse" in p for p in parts)


def gemini_schema(schema: Mapping[str, Any]) -> JSONDict:
    """A JSON schema (pydantic's, with `$defs`) as Gemini's OpenAPI subset: references
    inlined, `anyOf [X, null]` and `type: [X, "null"]` as `nullable`, unsupported keys
    dropped, type names upper case.

    Raises:
        ConfigurationError: a recursive schema (Gemini's subset cannot express one).
    """
    definitions = dict(schema.get("$defs") or schema.get("definitions") or {})
    converted: JSONDict = _convert(schema, definitions, 0)
    return converted


def _convert(node: Any, definitions: Mapping[str, Any], depth: int) -> Any:
    if depth > _MAX_SCHEMA_DEPTH:
        raise ConfigurationError("the schema nests too deeply (a recursive schema?)")
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = definitions.get(ref.rsplit("/", 1)[-1])
        if target is None:
            raise ConfigurationError(f"the schema's reference {ref!r} is not defined")
        return _convert({**target, **{k: v for k, v in node.items() if k != "$ref"}},
                        definitions, depth + 1)  # fmt: skip
    out: JSONDict = {}
    options = node.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
        if len(kept) < len(options):
            out["nullable"] = True
        if len(kept) == 1:
            node = {**{k: v for k, v in node.items() if k != "anyOf"}, **kept[0]}
        else:
            out["anyOf"] = [_convert(o, definitions, depth + 1) for o in kept]
    kind = node.get("type")
    if isinstance(kind, list):
        if "null" in kind:
            out["nullable"] = True
        kind = next((k for k in kind if k != "null"), "string")
    if isinstance(kind, str):
        out["type"] = kind.upper()
    for key, value in node.items():
        if key in ("type", "anyOf") or key not in _SCHEMA_KEYS:
            continue
        if key == "properties" and isinstance(value, Mapping):
            out[key] = {n: _convert(v, definitions, depth + 1) for n, v in value.items()}
        elif key == "items":
            out[key] = _convert(value, definitions, depth + 1)
        else:
            out[key] = value
    if "enum" in out and "type" not in out:
        out["type"] = "STRING"
    return out


def function_of(openai_tool: Mapping[str, Any]) -> JSONDict:
    """An OpenAI-shaped tool (`{"type": "function", "function": {...}}`) as a Gemini
    `functionDeclaration`."""
    function = openai_tool["function"]
    declaration: JSONDict = {"name": function["name"]}
    if function.get("description"):
        declaration["description"] = function["description"]
    parameters = function.get("parameters") or {}
    if parameters.get("properties"):
        declaration["parameters"] = gemini_schema(parameters)
    return declaration


def tool_config_of(choice: str | Mapping[str, Any], names: Sequence[str]) -> JSONDict:
    """Gemini's `toolConfig` for "auto", "none", "any" / "required", a tool's name, or a dict
    given in Gemini's own form."""
    if isinstance(choice, Mapping):
        return dict(choice)
    if choice in ("auto", "none", "any"):
        return {"functionCallingConfig": {"mode": choice.upper()}}
    if choice == "required":
        return {"functionCallingConfig": {"mode": "ANY"}}
    if choice not in names:
        raise ConfigurationError(f"tool_choice {choice!r} is not among {list(names)}")
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice]}}


# --- answers ---------------------------------------------------------------------------------


def read_gemini_usage(data: JSONDict) -> Usage | None:
    """The usage of a GenerateContentResponse (or one stream event), else None.

    Prompt tokens include the cached ones; completion tokens are the candidates' plus the
    thoughts', as both are billed as output (LangChain's `output_tokens` counts both too).

    Raises:
        BadResponseError: counts that are not sane non-negative integers.
    """
    raw = data.get("usageMetadata")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadResponseError(
            f"the answer's usageMetadata is not an object: {str(raw)[:80]!r}",
            body=str(data)[:2000],
        )
    prompt = token_count(raw.get("promptTokenCount"), data)
    prompt += token_count(raw.get("toolUsePromptTokenCount"), data)
    thoughts = token_count(raw.get("thoughtsTokenCount"), data)
    completion = token_count(raw.get("candidatesTokenCount"), data) + thoughts
    cached = token_count(raw.get("cachedContentTokenCount"), data)
    return DetailedUsage(
        prompt,
        completion,
        prompt + completion,
        # Shown only when there are some, as langchain-google-genai shows them.
        reasoning_tokens=thoughts or None,
        cache_read_tokens=min(cached, prompt) or None,
    )


def _candidate(data: JSONDict, url: str) -> JSONDict | None:
    """The first candidate, None when the prompt was blocked (no candidates)."""
    candidates = data.get("candidates")
    if candidates is None:
        if isinstance(data.get("promptFeedback"), dict) or "usageMetadata" in data:
            return None
        raise BadResponseError(
            f"{url} answered something that is not a GenerateContentResponse: {str(data)[:200]}",
            body=str(data)[:2000],
        )
    if not isinstance(candidates, list) or (candidates and not isinstance(candidates[0], dict)):
        raise BadResponseError(f"{url} answered malformed candidates", body=str(data)[:2000])
    return candidates[0] if candidates else None


def _candidate_parts(candidate: JSONDict | None, data: JSONDict, url: str) -> list[JSONDict]:
    if candidate is None:
        return []
    content = candidate.get("content")
    if content is None:
        return []  # no content at all: a MAX_TOKENS spent on thinking, SAFETY, ...
    parts = content.get("parts", []) if isinstance(content, dict) else None
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise BadResponseError(f"{url} answered malformed parts", body=str(data)[:2000])
    return parts


def read_response(data: JSONDict, url: str) -> tuple[str, list[JSONDict], JSONDict]:
    """A response's text (its text parts joined, thoughts left out), tool calls (our common
    shape) and metadata (`finish_reason`, `model_name`, `id`, `block_reason`, the raw
    `usage_metadata`).

    Raises:
        BadResponseError: a body that is not a GenerateContentResponse.
    """
    candidate = _candidate(data, url)
    texts: list[str] = []
    calls: list[JSONDict] = []
    for part in _candidate_parts(candidate, data, url):
        text = _part_text(part, data, url)
        if text:
            texts.append(text)
        call = _part_call(part, data, url)
        if call is not None:
            if len(calls) >= MAX_CALL_PARTS:
                raise BadResponseError(f"{url} answered more than {MAX_CALL_PARTS} tool calls")
            calls.append(call)
    parsed = parse_tool_calls(calls)
    for made, call in zip(parsed, calls, strict=True):
        if call.get("thought_signature"):
            made["thought_signature"] = call["thought_signature"]
    feedback = data.get("promptFeedback")
    metadata = {
        "id": data.get("responseId"),
        "model_name": data.get("modelVersion"),
        "finish_reason": candidate.get("finishReason") if candidate else None,
        "block_reason": feedback.get("blockReason") if isinstance(feedback, dict) else None,
        "usage_metadata": data.get("usageMetadata"),
    }
    return "".join(texts), parsed, metadata


def _part_text(part: JSONDict, data: JSONDict, url: str) -> str:
    if "text" not in part or part.get("thought"):
        return ""
    text = part["text"]
    if not isinstance(text, str):
        raise BadResponseError(f"{url} answered a text part without text", body=str(data)[:2000])
    return text


def _part_call(part: JSONDict, data: JSONDict, url: str) -> JSONDict | None:
    call = part.get("functionCall")
    if call is None:
        return None
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        raise BadResponseError(f"{url} answered a malformed functionCall", body=str(data)[:2000])
    args = call.get("args")
    made: JSONDict = {
        "id": call.get("id") or f"call_{uuid.uuid4().hex[:24]}",
        "function": {"name": call["name"], "arguments": args if args is not None else {}},
    }
    if isinstance(part.get("thoughtSignature"), str):
        made["thought_signature"] = part["thoughtSignature"]
    return made


# --- stream events ---------------------------------------------------------------------------


def event_started(event: JSONDict) -> bool:
    """Whether a stream event carries content: answer text or a function call."""
    candidates = event.get("candidates")
    if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
        return False
    content = candidates[0].get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    return isinstance(parts, list) and any(
        isinstance(p, dict) and ("functionCall" in p or (p.get("text") and not p.get("thought")))
        for p in parts
    )


def event_text(event: JSONDict, tool_calls: dict[int, JSONDict] | None, url: str) -> str:
    """The text an event adds to the answer, gathering its function calls (sent whole, never
    in pieces) into `tool_calls` by their order.

    Raises:
        BadResponseError: an event that is not a GenerateContentResponse.
    """
    parts = _candidate_parts(_candidate(event, url), event, url)
    texts = []
    for part in parts:
        texts.append(_part_text(part, event, url))
        call = _part_call(part, event, url)
        if call is not None and tool_calls is not None:
            if len(tool_calls) >= MAX_CALL_PARTS:
                raise BadResponseError(f"{url} streamed more than {MAX_CALL_PARTS} tool calls")
            tool_calls[len(tool_calls)] = {
                "id": call["id"],
                "name": call["function"]["name"],
                "args": json.dumps(call["function"]["arguments"]),
            }
    return "".join(texts)
