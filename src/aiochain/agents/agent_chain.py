"""`AgentChain`: a model that calls tools, with every tool call of a step run concurrently.

The loop: call the model with the conversation and the tools; if it asks for tools, run all of
that step's calls at once (`asyncio.gather`), append their results as tool messages, and call
the model again; stop when it answers without tools, or fail with `MaxStepsError` after
`max_steps` model calls. A tool that raises, times out, is unknown, or gets arguments that do
not fit its schema becomes an error message the model sees ("error: ..."), not a crash: the
model can recover, and the run finishes. The agent is a `Chain` (input `input`, output
`output`), so it can be `arun`, `amap`ped and limited like any other.

LangChain's classic agent API is here too, as `langchain.agents` has it:
`create_tool_calling_agent(llm, tools, prompt)` and `AgentExecutor(agent=..., tools=...)`
(`_agent_executor.py`), with its `AgentAction` / `AgentFinish` types.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import ConfigurationError, MaxStepsError, ToolArgumentsError
from ..callbacks._managers import AsyncCallbackManagerForChainRun
from ..chains.base import Chain
from ..messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from ..outputs import Usage
from ..tools import Tool


@dataclass(slots=True)
class ToolCallRecord:
    """One tool call of a step: what was asked, what came back, when.

    Attributes:
        id: the model's id for the call.
        name: the tool's name.
        args: the decoded arguments (None when they did not decode).
        result: the text the model was given.
        ok: False when the result is an error message.
        started: when the call started (monotonic seconds).
        finished: when it ended.
    """

    id: str
    name: str
    args: dict[str, Any] | None
    result: str = ""
    ok: bool = True
    started: float = 0.0
    finished: float = 0.0

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass(slots=True)
class AgentStep:
    """One model call and the tool calls it asked for."""

    number: int
    content: str
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    model_seconds: float = 0.0
    tools_seconds: float = 0.0
    usage: Usage | None = None


@dataclass(slots=True)
class Transcript:
    """Everything an agent run did.

    Attributes:
        input: the task.
        output: the final answer (None when the run did not finish).
        steps: the model calls and their tool calls, in order.
        messages: the whole conversation as sent to the model.
    """

    input: str
    output: str | None = None
    steps: list[AgentStep] = field(default_factory=list)
    messages: list[BaseMessage] = field(default_factory=list)

    @property
    def usage(self) -> Usage:
        """Tokens over every model call of the run."""
        total = Usage()
        for step in self.steps:
            if step.usage is not None:
                total.add(step.usage)
        return total

    @property
    def tool_calls(self) -> list[ToolCallRecord]:
        """Every tool call of the run, in order."""
        return [call for step in self.steps for call in step.tool_calls]


class AgentChain(Chain):
    """A chat model that calls tools until it can answer.

    Args:
        llm: a chat model with `bind_tools` (`ChatOpenAI`, `ChatAnthropic`, `AzureChatOpenAI`);
            its limits (concurrency, rpm, tpm) count every model call.
        tools: `Tool`s or typed functions (turned into tools with `aiochain.tools.tool`).
        max_steps: the most model calls in one run.
        tool_timeout: seconds one tool call may take (None: no limit). A sync tool's thread
            cannot be stopped; the agent just stops waiting for it.
        system: an optional system message.
        tool_choice: passed to the model ("auto" by default; "required" forces a call).

    The returned dict holds `output` and the run's `transcript`; `last_transcript` holds the
    most recent one (per run, prefer the dict: runs may overlap).
    """

    input_keys = ["input"]  # noqa: RUF012 - fixed names, never mutated
    output_keys = ["output"]  # noqa: RUF012

    def __init__(
        self,
        *,
        llm: Any,
        tools: Sequence[Tool | Callable[..., Any]],
        max_steps: int = 10,
        tool_timeout: float | None = 30.0,
        system: str | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        self.set_run_options(options)
        if options:
            raise ConfigurationError(
                f"AgentChain has no option {', '.join(map(repr, options))}; it takes llm, "
                "tools, max_steps, tool_timeout, system, tool_choice and the run options "
                "(verbose, callbacks, tags, metadata)"
            )
        if not callable(getattr(llm, "bind_tools", None)):
            raise ConfigurationError(
                "AgentChain needs a chat model with bind_tools (ChatOpenAI, ChatAnthropic, ...)"
            )
        if not isinstance(max_steps, int) or max_steps < 1:
            raise ConfigurationError(f"max_steps must be an integer >= 1, got {max_steps!r}")
        if tool_timeout is not None and tool_timeout <= 0:
            raise ConfigurationError(f"tool_timeout must be > 0 or None, got {tool_timeout!r}")
        self.llm = llm.bind_tools(tools, tool_choice=tool_choice)
        self.tools: dict[str, Tool] = self.llm.tools
        self.max_steps = max_steps
        self.tool_timeout = tool_timeout
        self.system = system
        self.last_transcript: Transcript | None = None

    async def _acall(
        self, inputs: dict[str, Any], run_manager: AsyncCallbackManagerForChainRun | None = None
    ) -> dict[str, Any]:
        task = str(inputs["input"])
        transcript = Transcript(input=task)
        self.last_transcript = transcript
        messages: list[BaseMessage] = transcript.messages
        if self.system:
            messages.append(SystemMessage(self.system))
        messages.append(HumanMessage(task))
        for number in range(1, self.max_steps + 1):
            started = time.monotonic()
            reply: AIMessage = await self.llm.ainvoke(messages)
            step = AgentStep(number, reply.text, model_seconds=time.monotonic() - started)
            step.usage = reply.usage if isinstance(reply.usage, Usage) else None
            transcript.steps.append(step)
            messages.append(reply)
            if not reply.tool_calls:
                transcript.output = reply.text
                return {"output": reply.text, "transcript": transcript}
            started = time.monotonic()
            step.tool_calls = list(
                await asyncio.gather(*(self._run_tool(call) for call in reply.tool_calls))
            )
            step.tools_seconds = time.monotonic() - started
            messages.extend(ToolMessage(r.result, tool_call_id=r.id) for r in step.tool_calls)
        raise MaxStepsError(
            f"the agent made {self.max_steps} model calls without a final answer "
            f"(last tools: {', '.join(c.name for c in transcript.steps[-1].tool_calls)})",
            transcript=transcript,
        )

    async def _run_tool(self, call: dict[str, Any]) -> ToolCallRecord:
        record = ToolCallRecord(call["id"], call["name"], call.get("args"))
        record.started = time.monotonic()
        tool = self.tools.get(record.name)
        timer = asyncio.timeout(self.tool_timeout)
        try:
            if tool is None:
                raise _ToolFailure(
                    f"unknown tool {record.name!r}; available: {', '.join(self.tools)}"
                )
            if record.args is None:
                raise _ToolFailure(call.get("error", "arguments are not a JSON object"))
            async with timer:
                result = await tool.ainvoke(record.args)
            record.result = result if isinstance(result, str) else _to_text(result)
        except (_ToolFailure, ToolArgumentsError) as exc:
            record.ok, record.result = False, f"error: {exc}"
        except TimeoutError as exc:
            record.ok = False
            if timer.expired():
                record.result = f"error: the tool timed out after {self.tool_timeout:g} s"
            else:  # the tool's own timeout, raised by its code
                record.result = f"error: TimeoutError: {exc}"
        except Exception as exc:
            record.ok, record.result = False, f"error: {type(exc).__name__}: {exc}"
        record.finished = time.monotonic()
        return record


class _ToolFailure(Exception):
    """A tool call that cannot be made; its message goes to the model."""


def _to_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


__all__ = [
    "AgentChain",
    "AgentStep",
    "ToolCallRecord",
    "Transcript",
]
