"""Parsing and checking the requests the simulation server receives, and its error answers."""

from __future__ import annotations

from typing import Any

from ._ratelimit import Limit
from ._text import count_tokens


class Reject(Exception):
    """An error answer, raised inside a handler and turned into a JSON response.

    `limits` (the buckets' state) and `retry_after` (seconds) become the answer's headers.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        limits: tuple[Limit, ...] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.limits = limits
        self.retry_after = retry_after

    @property
    def body(self) -> dict[str, Any]:
        """The error as OpenAI's API sends it."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


class RequestSpec:
    """The parts of a completion request the simulation needs, checked."""

    __slots__ = (
        "fingerprint",
        "include_usage",
        "json_mode",
        "json_schema",
        "max_tokens",
        "model",
        "n",
        "prompt_tokens",
        "prompts",
        "stop",
        "stream",
        "system_text",
        "tool_choice",
        "tool_results",
        "tools",
    )

    def __init__(self) -> None:
        self.tools: list[dict[str, Any]] = []
        self.tool_choice: Any = None
        self.tool_results: list[tuple[str, str]] = []
        self.prompts: list[str] = []
        self.prompt_tokens = 0
        self.model = ""
        self.n = 1
        self.max_tokens: int | None = None
        self.stop: list[str] | None = None
        self.stream = False
        self.include_usage = False
        self.json_mode = False
        self.json_schema: dict[str, Any] | None = None
        self.system_text = ""  # system (developer) messages, where format instructions may be
        self.fingerprint = 0


def parse_request(body: dict[str, Any], chat: bool, models: frozenset[str]) -> RequestSpec:
    spec = RequestSpec()
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise Reject(400, "you must provide a model parameter", param="model")
    if model not in models:
        raise unknown_model(model)
    spec.model = model
    fingerprint: tuple[Any, ...]
    if chat:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise Reject(400, "'messages' must be a non-empty array", param="messages")
        user_text = ""
        total = 0
        call_names: dict[str, str] = {}
        for position, message in enumerate(messages):
            if not isinstance(message, dict) or "role" not in message:
                raise Reject(
                    400, f"messages[{position}] must be an object with a role", param="messages"
                )
            content = content_text(message.get("content"))
            if content is None:
                raise Reject(
                    400, f"messages[{position}].content must be a string", param="messages"
                )
            total += count_tokens(content)
            role = message["role"]
            if role in ("system", "developer"):
                spec.system_text += content + "\n"
            if role == "user":
                user_text = content
                spec.tool_results = []
            elif role == "assistant":
                for call in message.get("tool_calls") or []:
                    if not isinstance(call, dict):
                        continue
                    function = call.get("function") or {}
                    call_names[str(call.get("id"))] = str(function.get("name"))
                    total += count_tokens(str(function.get("arguments") or ""))
            elif role == "tool":
                call_id = message.get("tool_call_id")
                if not isinstance(call_id, str) or call_id not in call_names:
                    raise Reject(
                        400,
                        f"messages[{position}]: a tool message must answer a tool_call_id of "
                        "an earlier assistant message",
                        param="messages",
                    )
                spec.tool_results.append((call_names[call_id], content))
        spec.prompts = [user_text]
        spec.prompt_tokens = total
        spec.tools = _parse_tools(body.get("tools"))
        spec.tool_choice = body.get("tool_choice")
        fingerprint = tuple((m["role"], str(m.get("content"))) for m in messages)
    else:
        prompt = body.get("prompt")
        if isinstance(prompt, str):
            prompts = [prompt]
        elif isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
            prompts = prompt
        else:
            raise Reject(400, "'prompt' must be a string or an array of strings", param="prompt")
        spec.prompts = prompts
        spec.prompt_tokens = sum(count_tokens(p) for p in prompts)
        fingerprint = tuple(prompts)
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (
        not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1
    ):
        raise Reject(
            400,
            f"Invalid 'max_tokens': {max_tokens!r}; expected an integer >= 1",
            param="max_tokens",
        )
    spec.max_tokens = max_tokens
    n = body.get("n", 1)
    if n is None:
        n = 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
        raise Reject(400, f"Invalid 'n': {n!r}; expected an integer from 1 to 128", param="n")
    spec.n = n
    temperature = body.get("temperature")
    if temperature is not None and (
        not isinstance(temperature, int | float) or not 0 <= temperature <= 2
    ):
        raise Reject(
            400, f"Invalid 'temperature': {temperature!r}; expected 0 to 2", param="temperature"
        )
    stop = body.get("stop")
    if isinstance(stop, str):
        spec.stop = [stop]
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop) and len(stop) <= 4:
        spec.stop = stop
    elif stop is not None:
        raise Reject(400, "'stop' must be a string or up to 4 strings", param="stop")
    spec.stream = bool(body.get("stream"))
    options = body.get("stream_options")
    spec.include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    response_format = body.get("response_format")
    spec.json_mode = isinstance(response_format, dict) and response_format.get("type") in (
        "json_object",
        "json_schema",
    )
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        described = response_format.get("json_schema")
        schema = described.get("schema") if isinstance(described, dict) else None
        spec.json_schema = schema if isinstance(schema, dict) else None
    # Identifies repeated prompts in /stats; a process-local hash is all that needs.
    spec.fingerprint = hash((model, fingerprint))
    return spec


def content_text(content: Any) -> str | None:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "".join(p for p in parts if isinstance(p, str))
    return None


def unknown_model(model: str) -> Reject:
    return Reject(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
        param="model",
    )


_FAULT_MESSAGES = {
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
    ),
    502: ("Bad gateway.", "server_error"),
    503: ("The engine is currently overloaded, please try again later.", "server_error"),
    429: ("Rate limit reached (simulated fault). Please try again in 1s.", "requests"),
}


def fault_reject(status: int) -> Reject:
    message, kind = _FAULT_MESSAGES.get(status, (f"Simulated failure ({status}).", "server_error"))
    return Reject(status, message, type=kind, retry_after=1.0 if status == 429 else None)


def _parse_tools(raw: Any) -> list[dict[str, Any]]:
    """The offered tools' function definitions, checked."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Reject(400, "'tools' must be an array", param="tools")
    functions = []
    for position, tool in enumerate(raw):
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(tool, dict)
            or tool.get("type") != "function"
            or not isinstance(function, dict)
            or not isinstance(function.get("name"), str)
        ):
            raise Reject(400, f"tools[{position}] must be a function with a name", param="tools")
        functions.append(function)
    return functions
