"""OpenTelemetry spans from the tracing handler, read back with the SDK's in-memory exporter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

pytest.importorskip(
    "opentelemetry.sdk", reason="the `otel` extra is not installed: pip install 'aiochain[otel]'"
)

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode

from aiochain import ChatOpenAI, tool
from aiochain.agents import AgentChain
from aiochain.sim import SimServer
from aiochain.tracing import OpenTelemetryCallbackHandler

StartSim = Callable[..., Awaitable[SimServer]]


@tool
async def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"{city}: sunny"


def _tracing(capture_content: bool = False) -> tuple[InMemorySpanExporter, Any]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter, OpenTelemetryCallbackHandler(provider, capture_content=capture_content)


async def test_spans_follow_the_genai_conventions(start_sim: StartSim) -> None:
    """An agent run gives a chain span with two model spans and a tool span as children; model
    spans carry model, token counts and finish reasons, and no prompt text by default."""
    server = await start_sim()
    exporter, handler = _tracing()
    async with ChatOpenAI(base_url=server.base_url, temperature=0.5) as chat:
        agent = AgentChain(llm=chat, tools=[get_weather])
        await agent.ainvoke({"input": "get_weather city=Oslo"}, config={"callbacks": [handler]})
    spans = exporter.get_finished_spans()
    by_name = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    (chain,) = by_name["AgentChain"]
    models = by_name["chat gpt-4o-mini"]
    (tool_span,) = by_name["execute_tool get_weather"]
    assert len(models) == 2 and len(spans) == 4
    for span in [*models, tool_span]:
        assert span.parent is not None and span.parent.span_id == chain.context.span_id
        assert span.context.trace_id == chain.context.trace_id
    first = models[0]
    assert first.kind is SpanKind.CLIENT
    attrs = dict(first.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.system"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.usage.input_tokens"] > 0 and attrs["gen_ai.usage.output_tokens"] > 0
    assert tuple(attrs["gen_ai.response.finish_reasons"]) == ("tool_calls",)
    assert tuple(dict(models[1].attributes or {})["gen_ai.response.finish_reasons"]) == ("stop",)
    assert "gen_ai.input.messages" not in attrs
    assert dict(tool_span.attributes or {})["gen_ai.tool.name"] == "get_weather"
    total_in = sum(dict(m.attributes or {})["gen_ai.usage.input_tokens"] for m in models)
    assert total_in == server.stats()["tokens_in"]


async def test_prompt_text_only_when_asked_and_errors_marked(start_sim: StartSim) -> None:
    """capture_content=True records prompt and answer; a failed call ends its span as an
    error with the exception's type."""
    server = await start_sim()
    exporter, handler = _tracing(capture_content=True)
    async with ChatOpenAI(base_url=server.base_url, callbacks=[handler]) as chat:
        answer = await chat.ainvoke("Tell me about tides.")
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert "Tell me about tides." in attrs["gen_ai.input.messages"]
    assert answer.content in attrs["gen_ai.output.messages"]
    exporter.clear()
    async with ChatOpenAI(base_url=server.base_url + "/nowhere", max_retries=0) as broken:
        with pytest.raises(Exception):  # noqa: B017 - any failure will do
            await broken.ainvoke("x", config={"callbacks": [handler]})
    (failed,) = exporter.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR
    assert "error.type" in dict(failed.attributes or {})
