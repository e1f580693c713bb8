"""Google's Gemini API on the wire (`generativelanguage.googleapis.com`): checking a
`generateContent` request, and the answers, stream events and errors the simulation server
sends for it.

Facts copied from Google's Gemini API reference (models.generateContent, Caching, Function
calling, Thinking, Structured output, Rate limits, Troubleshooting): a request is `contents`
(turns of `role` "user" or "model", each a list of `parts`: `text`, `functionCall {name, args}`,
`functionResponse {name, response}`, `inlineData`, ...), an optional `systemInstruction`
(a Content without a role), `tools` (`functionDeclarations`), `toolConfig`
(`functionCallingConfig.mode` AUTO / ANY / NONE / VALIDATED and `allowedFunctionNames`) and
`generationConfig` (`maxOutputTokens`, `temperature` 0 to 2, `topP`, `topK`, `stopSequences`
up to 5, `candidateCount`, `responseMimeType`, `responseSchema` (an OpenAPI subset: unknown
keys are refused), `responseJsonSchema`, `thinkingConfig {thinkingBudget, includeThoughts}`).
An answer is `candidates[{content: {role: "model", parts}, finishReason, index}]`,
`usageMetadata` (`promptTokenCount` includes `cachedContentTokenCount`; `thoughtsTokenCount`
is billed as output but apart from `candidatesTokenCount`), `modelVersion` and `responseId`.
A stream (`?alt=sse`) is `data: <GenerateContentResponse>` events, no `[DONE]`. Errors are
`{"error": {"code", "message", "status", "details"}}`; a 429 `RESOURCE_EXHAUSTED` carries
`google.rpc.QuotaFailure` (the quota's id says per minute or per day) and
`google.rpc.RetryInfo` (`retryDelay`, a protobuf Duration such as "45.8s").
"""

from __future__ import annotations

from typing import Any

from ._json import arguments_text
from ._request import Reject, RequestSpec
from ._text import count_tokens

# The OpenAPI subset `responseSchema` accepts (Schema in the API reference).
SCHEMA_KEYS = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
        "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
        "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum",
        "maximum",
    }
)  # fmt: skip
SCHEMA_TYPES = frozenset({"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"})
THINKING_MODELS = ("gemini-2.5", "gemini-3", "gemini-flash", "gemini-pro")
CACHE_MINIMUM = 1024
"""Implicit caching applies to prompts of at least this many tokens (2.5 Flash's minimum)."""


class GeminiRequest:
    """A checked generateContent request: the common spec, plus what only Gemini has."""

    __slots__ = (
        "cache_prefix",
        "include_thoughts",
        "json_schema",
        "spec",
        "thinking_budget",
    )

    def __init__(self) -> None:
        self.spec = RequestSpec()
        self.thinking_budget: int | None = None
        self.include_thoughts = False
        self.json_schema: dict[str, Any] | None = None
        # (fingerprint, tokens) of everything before the last turn, for implicit caching.
        self.cache_prefix: tuple[int, int] | None = None


def bad(message: str) -> Reject:
    """A 400 INVALID_ARGUMENT, worded as Google's JSON parser words them."""
    return Reject(400, message, type="INVALID_ARGUMENT")


def parse_generate(body: dict[str, Any], model: str, *, stream: bool) -> GeminiRequest:
    """Check a generateContent body; raise `Reject` (400) as the API would."""
    known = {
        "contents", "systemInstruction", "system_instruction", "tools", "toolConfig",
        "tool_config", "generationConfig", "generation_config", "safetySettings",
        "safety_settings", "cachedContent", "cached_content", "labels", "model",
    }  # fmt: skip
    for name in body:
        if name not in known:
            raise bad(f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.')
    parsed = GeminiRequest()
    spec = parsed.spec
    spec.model = model
    spec.stream = stream
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise bad("* GenerateContentRequest.contents: contents is not specified")
    system = body.get("systemInstruction", body.get("system_instruction"))
    total = 0
    system_text = ""
    if system is not None:
        system_text = _parts_text(_parts_of(system, "system_instruction"), "system_instruction")
        total += count_tokens(system_text)
    user_text = ""
    prefix_tokens = total
    unsigned: list[str] = []  # the current turn's first function calls without a signature
    for position, turn in enumerate(contents):
        where = f"contents[{position}]"
        role = turn.get("role", "user") if isinstance(turn, dict) else None
        if role not in ("user", "model", "function", "tool"):
            raise bad(
                f"* GenerateContentRequest.{where}.role: Please use a valid role: user, model."
            )
        parts = _parts_of(turn, where)
        if position == len(contents) - 1:
            prefix_tokens = total
        first_call = True
        for index, part in enumerate(parts):
            if "text" in part:
                text = part["text"]
                if not isinstance(text, str):
                    raise bad(f"Invalid value at '{where}.parts[{index}].text' (TYPE_STRING)")
                total += count_tokens(text)
                if role == "user" and not part.get("thought"):
                    user_text = text
                    spec.tool_results = []
                    unsigned = []
            elif "functionCall" in part or "function_call" in part:
                call = part.get("functionCall", part.get("function_call"))
                if role != "model" or not isinstance(call, dict) or not call.get("name"):
                    raise bad(
                        f"* GenerateContentRequest.{where}.parts[{index}].function_call: "
                        "a function call must name its function and come from the model"
                    )
                total += count_tokens(str(call["name"]) + " " + arguments_text(call.get("args")))
                signed = part.get("thoughtSignature", part.get("thought_signature"))
                if first_call and not signed:
                    unsigned.append(f"`default_api:{call['name']}`, position {position + 1}")
                first_call = False
            elif "functionResponse" in part or "function_response" in part:
                result = part.get("functionResponse", part.get("function_response"))
                if not isinstance(result, dict) or not isinstance(result.get("name"), str):
                    raise bad(f"* GenerateContentRequest.{where}.parts[{index}].function_response"
                              ".name: Name cannot be empty.")  # fmt: skip
                response = result.get("response")
                if not isinstance(response, dict):
                    raise bad(f"Invalid value at '{where}.parts[{index}].function_response."
                              "response' (type.googleapis.com/google.protobuf.Struct)")  # fmt: skip
                shown = response.get("result", response.get("output", response))
                content = shown if isinstance(shown, str) else arguments_text(shown)
                total += count_tokens(content)
                spec.tool_results.append((result["name"], content))
            elif not any(k in part for k in ("inlineData", "inline_data", "fileData", "file_data")):
                raise bad(f"* GenerateContentRequest.{where}.parts[{index}].data: required oneof "
                          "field 'data' must have one initialized field")  # fmt: skip
    if unsigned and model.startswith("gemini-3"):
        # Gemini 3 signs its function calls and wants the signatures back in the turn.
        raise bad(
            "Function call is missing a thought_signature in functionCall parts. This is "
            "required for tools to work correctly, and missing thought_signature may lead to "
            f"degraded model performance. Additional data, function call {unsigned[0]}. "
            "Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures."
        )
    spec.prompts = [user_text]
    spec.prompt_tokens = total
    if prefix_tokens >= CACHE_MINIMUM:
        prefix = (model, system_text, repr(contents[:-1]))
        parsed.cache_prefix = (hash(prefix), prefix_tokens)
    spec.tools, spec.tool_choice = _tools(body)
    _generation_config(body.get("generationConfig", body.get("generation_config")), parsed)
    if parsed.thinking_budget is None and model.startswith(THINKING_MODELS):
        parsed.thinking_budget = -1  # 2.5 and later models think unless told not to
    spec.fingerprint = hash((model, system_text, repr(contents)))
    return parsed


def _parts_of(content: Any, where: str) -> list[dict[str, Any]]:
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        raise bad(f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.")
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            raise bad(f"Invalid value at '{where}.parts[{index}]' (type.googleapis.com/"
                      "google.ai.generativelanguage.v1beta.Part)")  # fmt: skip
    return parts


def _parts_text(parts: list[dict[str, Any]], where: str) -> str:
    texts = [p.get("text") for p in parts]
    if not all(isinstance(t, str) for t in texts):
        raise bad(f"* GenerateContentRequest.{where}: only text parts are allowed here")
    return "\n".join(t for t in texts if isinstance(t, str))


def _tools(body: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
    """The offered functions and the tool choice in `_tools`' terms (None, "none",
    "required", or a forced function)."""
    raw = body.get("tools")
    functions: list[dict[str, Any]] = []
    if raw is not None:
        if not isinstance(raw, list):
            raise bad("Invalid value at 'tools' (type.googleapis.com/google.ai."
                      "generativelanguage.v1beta.Tool)")  # fmt: skip
        for position, tool in enumerate(raw):
            declarations = tool.get("functionDeclarations", tool.get("function_declarations"))
            if declarations is None:
                continue  # googleSearch, codeExecution, ...: not simulated, no calls
            for index, declaration in enumerate(declarations):
                name = declaration.get("name") if isinstance(declaration, dict) else None
                if not isinstance(name, str) or not name:
                    raise bad(f"* GenerateContentRequest.tools[{position}].function_declarations"
                              f"[{index}].name: Name cannot be empty.")  # fmt: skip
                schema = declaration.get("parametersJsonSchema", declaration.get("parameters"))
                if "parameters" in declaration:
                    check_schema(declaration["parameters"], f"tools[{position}].function_"
                                 f"declarations[{index}].parameters")  # fmt: skip
                functions.append({"name": name, "parameters": lower_schema(schema or {})})
    config = body.get("toolConfig", body.get("tool_config")) or {}
    calling = config.get("functionCallingConfig", config.get("function_calling_config")) or {}
    mode = str(calling.get("mode", "AUTO")).upper()
    allowed = calling.get("allowedFunctionNames", calling.get("allowed_function_names"))
    if mode == "NONE":
        return functions, "none"
    if mode in ("ANY", "VALIDATED"):
        if isinstance(allowed, list) and len(allowed) == 1:
            return functions, {"function": {"name": allowed[0]}}
        if isinstance(allowed, list) and allowed:
            functions = [f for f in functions if f["name"] in allowed]
        return functions, "required" if mode == "ANY" else None
    return functions, None


def check_schema(schema: Any, where: str) -> None:
    """Refuse what `responseSchema` / `parameters` (Google's OpenAPI subset) do not accept."""
    if not isinstance(schema, dict):
        raise bad(f"Invalid value at '{where}' (type.googleapis.com/google.ai."
                  "generativelanguage.v1beta.Schema)")  # fmt: skip
    for raw_key, value in schema.items():
        key = camel(raw_key)  # Google's JSON parser takes field names in either case
        if key not in SCHEMA_KEYS:
            raise bad(f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': "
                      "Cannot find field.")  # fmt: skip
        if key == "type" and str(value).upper() not in SCHEMA_TYPES:
            raise bad(f"Invalid value at '{where}.type' (type.googleapis.com/google.ai."
                      f'generativelanguage.v1beta.Type), "{value}"')  # fmt: skip
        if key == "properties" and isinstance(value, dict):
            for name, inner in value.items():
                check_schema(inner, f"{where}.properties[{name}].value")
        elif key == "items":
            check_schema(value, f"{where}.items")
        elif key == "anyOf" and isinstance(value, list):
            for index, inner in enumerate(value):
                check_schema(inner, f"{where}.any_of[{index}]")


def camel(name: str) -> str:
    """A proto field's JSON name: `any_of` -> `anyOf`."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def lower_schema(schema: Any) -> Any:
    """A Gemini schema with JSON Schema's lower-case type names, for `_tools`' defaults."""
    if isinstance(schema, dict):
        out = {camel(k): lower_schema(v) for k, v in schema.items() if k != "properties"}
        if isinstance(schema.get("properties"), dict):  # names, not fields: kept as they are
            out["properties"] = {k: lower_schema(v) for k, v in schema["properties"].items()}
        if isinstance(out.get("type"), str):
            out["type"] = out["type"].lower()
        return out
    if isinstance(schema, list):
        return [lower_schema(v) for v in schema]
    return schema


def _generation_config(config: Any, parsed: GeminiRequest) -> None:
    spec = parsed.spec
    if config is None:
        return
    if not isinstance(config, dict):
        raise bad("Invalid value at 'generation_config' (type.googleapis.com/google.ai."
                  "generativelanguage.v1beta.GenerationConfig)")  # fmt: skip
    max_tokens = config.get("maxOutputTokens", config.get("max_output_tokens"))
    if max_tokens is not None:
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise bad(f"* GenerateContentRequest.generation_config.max_output_tokens: "
                      f"max_output_tokens must be positive, got {max_tokens!r}")  # fmt: skip
        spec.max_tokens = max_tokens
    temperature = config.get("temperature")
    if temperature is not None and (
        not isinstance(temperature, int | float) or not 0 <= temperature <= 2
    ):
        raise bad("* GenerateContentRequest.generation_config.temperature: temperature must "
                  "be between 0 and 2")  # fmt: skip
    top_p = config.get("topP", config.get("top_p"))
    if top_p is not None and (not isinstance(top_p, int | float) or not 0 <= top_p <= 1):
        raise bad("* GenerateContentRequest.generation_config.top_p: top_p must be in [0, 1]")
    top_k = config.get("topK", config.get("top_k"))
    if top_k is not None and (not isinstance(top_k, int | float) or top_k < 1):
        raise bad("* GenerateContentRequest.generation_config.top_k: top_k must be positive")
    stop = config.get("stopSequences", config.get("stop_sequences"))
    if stop is not None:
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise bad("Invalid value at 'generation_config.stop_sequences' (TYPE_STRING)")
        if len(stop) > 5:
            raise bad("* GenerateContentRequest.generation_config.stop_sequences: the number "
                      "of stop sequences must be at most 5")  # fmt: skip
        spec.stop = stop or None
    count = config.get("candidateCount", config.get("candidate_count", 1))
    if count != 1:
        raise bad("* GenerateContentRequest.generation_config.candidate_count: only one "
                  "candidate is supported by the simulation")  # fmt: skip
    mime = config.get("responseMimeType", config.get("response_mime_type"))
    schema = config.get("responseSchema", config.get("response_schema"))
    json_schema = config.get("responseJsonSchema", config.get("response_json_schema"))
    if (schema is not None or json_schema is not None) and mime != "application/json":
        raise bad("* GenerateContentRequest.generation_config.response_mime_type: "
                  "response_mime_type must be application/json with a response schema")  # fmt: skip
    if schema is not None and json_schema is not None:
        raise bad("* GenerateContentRequest.generation_config: response_schema and "
                  "response_json_schema cannot both be set")  # fmt: skip
    if schema is not None:
        check_schema(schema, "generation_config.response_schema")
    spec.json_mode = mime == "application/json"
    if spec.json_mode and (schema or json_schema):
        parsed.json_schema = lower_schema(schema if schema is not None else json_schema)
    thinking = config.get("thinkingConfig", config.get("thinking_config")) or {}
    budget = thinking.get("thinkingBudget", thinking.get("thinking_budget"))
    thinks = spec.model.startswith(THINKING_MODELS)
    if budget is not None:
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < -1:
            raise bad("* GenerateContentRequest.generation_config.thinking_config."
                      "thinking_budget: must be -1 (dynamic), 0 (off) or positive")  # fmt: skip
        if not thinks and budget != 0:
            raise bad("Thinking is not supported by this model.")
        if budget == 0 and "pro" in spec.model:
            raise bad("Budget 0 is invalid. This model only works in thinking mode.")
    parsed.thinking_budget = (budget if budget is not None else -1) if thinks else 0
    parsed.include_thoughts = bool(
        thinking.get("includeThoughts", thinking.get("include_thoughts"))
    )


def thoughts_for(parsed: GeminiRequest, output_tokens: int) -> int:
    """The simulated thinking tokens: none with a budget of 0, else some in proportion to the
    answer, never more than the budget."""
    budget = parsed.thinking_budget
    if not budget:
        return 0
    thoughts = 8 + 2 * output_tokens
    return min(thoughts, budget) if budget > 0 else thoughts
