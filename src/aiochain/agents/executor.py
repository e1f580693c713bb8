"""LangChain's `AgentExecutor`: runs an agent (`create_tool_calling_agent`) until it answers.

Each step asks the agent what to do; its tool calls run concurrently (`asyncio.gather`, as in
LangChain's async path and in `AgentChain`), and their `(action, observation)` pairs become the
`intermediate_steps` of the next step. The run stops when the agent answers, when a tool with
`return_direct` was the step's only call, or after `max_iterations` steps /
`max_execution_time` seconds (`early_stopping_method="force"`: "Agent stopped due to max
iterations.").

As in LangChain, a tool that raises fails the run (unless the tool's `handle_tool_error` /
`handle_validation_error` turns the error into its answer); an unknown tool is answered "NAME
is not a valid tool, try one of [...]."; an answer the agent cannot parse fails the run unless
`handle_parsing_errors` is set, which sends the model an observation instead.

    executor = AgentExecutor(agent=agent, tools=tools)
    await executor.ainvoke({"input": "..."})       # {"input": ..., "output": ...}
    async for chunk in executor.astream({"input": "..."}):
        ...                                        # {"actions"}, {"steps"}, then {"output"}
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from .._exceptions import ConfigurationError, OutputParserError
from ..callbacks._managers import AsyncCallbackManagerForChainRun
from ..chains.base import Chain
from ..runnables.base import Config
from ..tools import Tool, as_tool
from .actions import AgentAction, AgentActionStep, AgentFinish

STOPPED = "Agent stopped due to max iterations."
ParsingErrorHandler = bool | str | Callable[[OutputParserError], str]


class AgentExecutor(Chain):
    """Runs an agent and its tools until the agent answers.

    Args:
        agent: the agent (`create_tool_calling_agent(...)`, or any runnable taking the inputs
            with `intermediate_steps` and returning actions or an `AgentFinish`).
        tools: the tools the agent may call (`Tool`s or typed functions).
        return_intermediate_steps: add `intermediate_steps` (the `(action, observation)`
            pairs) to the output.
        max_iterations: the most agent steps (None: no limit).
        max_execution_time: the most seconds for the whole run (None: no limit).
        early_stopping_method: "force", the only method of a tool-calling agent.
        handle_parsing_errors: False raises an unparsable answer; True sends the model
            "Invalid or incomplete response"; a string sends that; a function of the error
            sends what it returns.
        trim_intermediate_steps: with n > 0, only the last n steps go to the agent.

    Run options (`verbose`, `callbacks`, `tags`, `metadata`, `memory`) are as for any chain.
    """

    input_keys = []  # noqa: RUF012 - any inputs: the agent's prompt checks its own
    output_keys = ["output"]  # noqa: RUF012

    def __init__(
        self,
        *,
        agent: Any,
        tools: Sequence[Tool | Callable[..., Any]],
        return_intermediate_steps: bool = False,
        max_iterations: int | None = 15,
        max_execution_time: float | None = None,
        early_stopping_method: str = "force",
        handle_parsing_errors: ParsingErrorHandler = False,
        trim_intermediate_steps: int = -1,
        **options: Any,
    ) -> None:
        self.set_run_options(options)
        if options:
            raise ConfigurationError(f"AgentExecutor has no option {', '.join(map(repr, options))}")
        if max_iterations is not None and (
            not isinstance(max_iterations, int) or max_iterations < 1
        ):
            raise ConfigurationError(f"max_iterations must be >= 1 or None, got {max_iterations!r}")
        if max_execution_time is not None and max_execution_time <= 0:
            raise ConfigurationError(
                f"max_execution_time must be > 0 or None, got {max_execution_time!r}"
            )
        if early_stopping_method != "force":
            raise ConfigurationError(
                f"Got unsupported early_stopping_method `{early_stopping_method}`"
            )
        self.agent = agent
        self.tools = [as_tool(t) for t in tools]
        self._by_name = {t.name: t for t in self.tools}
        allowed = getattr(agent, "tools", None)
        if isinstance(allowed, dict) and set(allowed) - set(self._by_name):
            raise ConfigurationError(
                f"the agent's tools {sorted(allowed)} are not all among AgentExecutor's tools "
                f"{sorted(self._by_name)}"
            )
        self.return_intermediate_steps = return_intermediate_steps
        self.max_iterations = max_iterations
        self.max_execution_time = max_execution_time
        self.early_stopping_method = early_stopping_method
        self.handle_parsing_errors = handle_parsing_errors
        self.trim_intermediate_steps = trim_intermediate_steps

    @classmethod
    def from_agent_and_tools(
        cls, agent: Any, tools: Sequence[Tool | Callable[..., Any]], **kwargs: Any
    ) -> AgentExecutor:
        """`AgentExecutor(agent=agent, tools=tools, **kwargs)`."""
        return cls(agent=agent, tools=tools, **kwargs)

    async def _acall(
        self, inputs: dict[str, Any], run_manager: AsyncCallbackManagerForChainRun | None = None
    ) -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        async for event in self._run(inputs, run_manager):
            if isinstance(event, dict):
                outputs = event
        outputs.pop("messages", None)  # only the stream's chunks carry them, as in LangChain
        return outputs

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """LangChain's stream of an agent run: `{"actions": [action], "messages": [...]}`
        for each tool call asked, `{"steps": [step], "messages": [...]}` for each answer
        (`step.action`, `step.observation`), then `{"output": ..., "messages": [...]}`."""
        inputs = self.prep_inputs(input)
        async for event in self._run(inputs):
            if isinstance(event, AgentAction):
                yield {"actions": [event], "messages": event.messages}
            elif isinstance(event, AgentActionStep):
                yield {"steps": [event], "messages": event.messages}
            else:
                yield event

    async def _run(
        self, inputs: dict[str, Any], run: AsyncCallbackManagerForChainRun | None = None
    ) -> AsyncIterator[Any]:
        """The run as events: actions, steps (`AgentActionStep`), then the output dict; the
        run's handlers hear `on_agent_action` and `on_agent_finish`."""
        steps: list[tuple[AgentAction, Any]] = []
        iterations = 0
        finish: AgentFinish | None = None
        deadline = asyncio.timeout(self.max_execution_time)
        try:
            async with deadline:
                while self.max_iterations is None or iterations < self.max_iterations:
                    decision = await self._plan(inputs, steps)
                    if isinstance(decision, AgentFinish):
                        finish = decision
                        break
                    if isinstance(decision, AgentActionStep):  # a parsing error, answered
                        steps.append((decision.action, decision.observation))
                        yield decision
                        iterations += 1
                        continue
                    for action in decision:
                        if run is not None:
                            await run.on_agent_action(action, color="green")
                        yield action
                    answers = await _gather(self._perform(a) for a in decision)
                    done = [AgentActionStep(a, o) for a, o in zip(decision, answers, strict=True)]
                    for step in done:
                        steps.append((step.action, step.observation))
                        yield step
                    if len(done) == 1 and self._returns_directly(done[0].action):
                        finish = AgentFinish({"output": done[0].observation}, "")
                        break
                    iterations += 1
        except TimeoutError:
            if not deadline.expired():
                raise  # not our deadline: a tool's or the model's own timeout
        if finish is None:
            finish = AgentFinish({"output": STOPPED}, "")
        if run is not None:
            await run.on_agent_finish(finish, color="green")
        outputs = dict(finish.return_values)
        outputs["messages"] = finish.messages
        if self.return_intermediate_steps:
            outputs["intermediate_steps"] = steps
        yield outputs

    async def _plan(
        self, inputs: dict[str, Any], steps: list[tuple[AgentAction, Any]]
    ) -> list[AgentAction] | AgentFinish | AgentActionStep:
        keep = self.trim_intermediate_steps
        shown = steps[-keep:] if keep > 0 else steps
        try:
            decision = await self.agent.ainvoke({**inputs, "intermediate_steps": list(shown)})
        except OutputParserError as exc:
            handler = self.handle_parsing_errors
            if handler is False:
                raise OutputParserError(
                    "An output parsing error occurred. In order to pass this error back to the "
                    "agent and have it try again, pass `handle_parsing_errors=True` to the "
                    f"AgentExecutor. This is the error: {exc}",
                    llm_output=exc.llm_output,
                ) from exc
            if handler is True:
                observation = "Invalid or incomplete response"
            elif isinstance(handler, str):
                observation = handler
            else:
                observation = str(handler(exc))
            return AgentActionStep(AgentAction("_Exception", observation, str(exc)), observation)
        if isinstance(decision, AgentAction):
            return [decision]
        if not isinstance(decision, AgentFinish | list):
            raise ConfigurationError(
                f"the agent returned {type(decision).__name__}, not actions or an AgentFinish"
            )
        return decision

    async def _perform(self, action: AgentAction) -> Any:
        tool = self._by_name.get(action.tool)
        if tool is None:
            return f"{action.tool} is not a valid tool, try one of [{', '.join(self._by_name)}]."
        return await tool.ainvoke(action.tool_input)

    def _returns_directly(self, action: AgentAction) -> bool:
        tool = self._by_name.get(action.tool)
        return tool is not None and tool.return_direct

    def __repr__(self) -> str:
        return f"AgentExecutor(tools={list(self._by_name)})"


async def _gather(calls: Any) -> list[Any]:
    """Run the calls at once; when one fails, cancel the others and raise its error."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


__all__ = [
    "AgentExecutor",
]
