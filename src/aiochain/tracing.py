"""OpenTelemetry spans for every chain, model and tool run, following OpenTelemetry's GenAI
semantic conventions (`pip install 'aiochain[otel]'`).

    from aiochain.tracing import OpenTelemetryCallbackHandler

    tracing = OpenTelemetryCallbackHandler()          # the global tracer provider
    await chain.ainvoke(x, config={"callbacks": [tracing]})

A model run is a CLIENT span named `chat gpt-4o-mini` (or `text_completion ...`) with
`gen_ai.operation.name`, `gen_ai.system`, `gen_ai.request.model` (and temperature, max tokens,
top p when set), `gen_ai.response.model`, `gen_ai.usage.input_tokens` / `output_tokens` and
`gen_ai.response.finish_reasons`; a tool run is `execute_tool <name>` with `gen_ai.tool.name`;
a chain run is an INTERNAL span named after the chain. Runs started inside a run are child
spans of its span. Prompt and answer text are recorded (`gen_ai.input.messages`,
`gen_ai.output.messages`) only with `capture_content=True`.

It is a callback handler like any other: with no handler attached, nothing here runs.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from ._exceptions import ConfigurationError
from .callbacks._handlers import BaseCallbackHandler

_REQUEST_FIELDS = {
    "temperature": "gen_ai.request.temperature",
    "max_tokens": "gen_ai.request.max_tokens",
    "top_p": "gen_ai.request.top_p",
}


class OpenTelemetryCallbackHandler(BaseCallbackHandler):
    """Emits one OpenTelemetry span per chain, model and tool run.

    Args:
        tracer_provider: the provider to get the tracer from (default: the global one).
        capture_content: also record prompt and answer text (off by default: they may hold
            personal data).

    Raises:
        ConfigurationError: when OpenTelemetry is not installed.
    """

    def __init__(self, tracer_provider: Any = None, *, capture_content: bool = False) -> None:
        try:
            from opentelemetry import trace
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigurationError(
                "OpenTelemetryCallbackHandler needs OpenTelemetry: pip install 'aiochain[otel]'"
            ) from exc
        self._trace = trace
        self.tracer = trace.get_tracer("aiochain", tracer_provider=tracer_provider)
        self.capture_content = capture_content
        self._spans: dict[UUID, Any] = {}

    # --- span bookkeeping -----------------------------------------------------------------

    def _start(
        self,
        name: str,
        run_id: UUID,
        parent_run_id: UUID | None,
        kind: str,
        attributes: dict[str, Any],
    ) -> Any:
        trace = self._trace
        parent = self._spans.get(parent_run_id) if parent_run_id is not None else None
        context = trace.set_span_in_context(parent) if parent is not None else None
        span = self.tracer.start_span(
            name,
            context=context,
            kind=getattr(trace.SpanKind, kind),
            attributes={k: v for k, v in attributes.items() if v is not None},
        )
        self._spans[run_id] = span
        return span

    def _end(self, run_id: UUID, attributes: dict[str, Any] | None = None) -> None:
        span = self._spans.pop(run_id, None)
        if span is None:
            return
        for key, value in (attributes or {}).items():
            if value is not None:
                span.set_attribute(key, value)
        span.end()

    def _fail(self, run_id: UUID, error: BaseException) -> None:
        span = self._spans.pop(run_id, None)
        if span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("error.type", type(error).__qualname__)
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, str(error)[:200]))
        span.end()

    # --- model runs -----------------------------------------------------------------------

    def _model_start(
        self,
        serialized: dict[str, Any],
        run_id: UUID,
        parent_run_id: UUID | None,
        kw: dict[str, Any],
        content: Any,
        chat: bool,
    ) -> None:
        params = kw.get("invocation_params") or {}
        model = (
            params.get("model")
            or params.get("model_name")
            or (serialized.get("kwargs") or {}).get("model_name")
        )
        operation = "chat" if chat else "text_completion"
        metadata = kw.get("metadata") or {}
        attributes = {
            "gen_ai.operation.name": operation,
            "gen_ai.system": metadata.get("ls_provider", "openai"),
            "gen_ai.provider.name": metadata.get("ls_provider", "openai"),
            "gen_ai.request.model": model,
        }
        for field, key in _REQUEST_FIELDS.items():
            attributes[key] = params.get(field)
        if self.capture_content:
            attributes["gen_ai.input.messages"] = json.dumps(content, ensure_ascii=False)
        self._start(
            f"{operation} {model}" if model else operation,
            run_id,
            parent_run_id,
            "CLIENT",
            attributes,
        )

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kw: Any,
    ) -> None:
        content = [{"role": "user", "content": p} for p in prompts]
        self._model_start(serialized, run_id, parent_run_id, kw, content, chat=False)

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kw: Any,
    ) -> None:
        content = [{"role": getattr(m, "role", "user"), "content": m.content} for m in messages[0]]
        self._model_start(serialized, run_id, parent_run_id, kw, content, chat=True)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kw: Any) -> None:
        output = getattr(response, "llm_output", None) or {}
        usage = output.get("token_usage") or {}
        generations = [g for group in getattr(response, "generations", []) for g in group]
        reasons = [
            str(g.generation_info.get("finish_reason"))
            for g in generations
            if (g.generation_info or {}).get("finish_reason")
        ]
        attributes: dict[str, Any] = {
            "gen_ai.response.model": output.get("model_name"),
            "gen_ai.usage.input_tokens": usage.get("prompt_tokens"),
            "gen_ai.usage.output_tokens": usage.get("completion_tokens"),
            "gen_ai.response.finish_reasons": reasons or None,
        }
        if self.capture_content:
            answer = [{"role": "assistant", "content": g.text} for g in generations]
            attributes["gen_ai.output.messages"] = json.dumps(answer, ensure_ascii=False)
        self._end(run_id, attributes)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self._fail(run_id, error)

    # --- chains and tools -----------------------------------------------------------------

    def on_chain_start(
        self,
        serialized: dict[str, Any],
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kw: Any,
    ) -> None:
        name = kw.get("name") or (serialized or {}).get("name") or "chain"
        attributes = {"aiochain.run.type": "chain", "aiochain.chain.name": name}
        if self.capture_content:
            attributes["aiochain.chain.inputs"] = json.dumps(
                inputs, ensure_ascii=False, default=str
            )
        self._start(str(name), run_id, parent_run_id, "INTERNAL", attributes)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kw: Any) -> None:
        extra = None
        if self.capture_content:
            extra = {"aiochain.chain.outputs": json.dumps(outputs, ensure_ascii=False, default=str)}
        self._end(run_id, extra)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self._fail(run_id, error)

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kw: Any,
    ) -> None:
        name = serialized.get("name", "tool")
        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": name,
            "gen_ai.tool.description": serialized.get("description"),
        }
        if self.capture_content:
            attributes["gen_ai.tool.call.arguments"] = input_str
        self._start(f"execute_tool {name}", run_id, parent_run_id, "INTERNAL", attributes)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kw: Any) -> None:
        extra = (
            {"gen_ai.tool.call.result": str(getattr(output, "content", output))}
            if self.capture_content
            else None
        )
        self._end(run_id, extra)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self._fail(run_id, error)


__all__ = ["OpenTelemetryCallbackHandler"]
