"""LangChain's tool-calling agent: `create_tool_calling_agent(llm, tools, prompt)` and its
parts (`format_to_tool_messages`, `ToolsAgentOutputParser`), run by `AgentExecutor`.

The agent is a runnable: given the prompt's variables and `intermediate_steps` (the
`(action, observation)` pairs so far), it fills the prompt's `agent_scratchpad` with those
steps as messages, asks the model (bound to the tools), and returns the model's tool calls as
`ToolAgentAction`s, or an `AgentFinish` when it answered without tools.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._exceptions import ConfigurationError, OutputParserError
from ..messages import AIMessage, BaseMessage, ToolMessage
from ..runnables.base import Config, PureRunnable, Runnable
from .actions import (
    AgentAction,
    AgentFinish,
    ToolAgentAction,
    observation_text,
)

AgentOutput = list[AgentAction] | AgentFinish
"""What an agent decides in one step."""


def format_to_tool_messages(intermediate_steps: Sequence[Any]) -> list[BaseMessage]:
    """The steps so far as messages: each tool call's AI message (once) and the tool's
    answer as a tool message; a plain action's log as an AI message."""
    messages: list[BaseMessage] = []
    for action, observation in intermediate_steps:
        if isinstance(action, ToolAgentAction):
            for message in action.message_log:
                if not any(message is m for m in messages):
                    messages.append(message)
            messages.append(
                ToolMessage(
                    observation_text(observation),
                    tool_call_id=action.tool_call_id,
                    name=action.tool,
                )
            )
        else:
            messages.append(AIMessage(action.log))
    return messages


def parse_ai_message_to_tool_action(message: Any) -> AgentOutput:
    """The tool calls of an AI message as actions, or an `AgentFinish` with its text.

    Raises:
        OutputParserError: a call whose arguments are not a JSON object.
    """
    if not isinstance(message, AIMessage):
        raise OutputParserError(
            f"expected an AI message, got {type(message).__name__}", llm_output=repr(message)
        )
    if not message.tool_calls:
        return AgentFinish({"output": message.content}, log=str(message.content))
    actions: list[AgentAction] = []
    for call in message.tool_calls:
        name = call.get("name", "")
        args = call.get("args")
        if args is None:
            raise OutputParserError(
                f"Could not parse tool input: {{'name': {name!r}, 'arguments': "
                f"{call.get('arguments')!r}}} because the `arguments` is not valid JSON.",
                llm_output=str(call.get("arguments", "")),
            )
        tool_input = args.get("__arg1", args)
        said = f"responded: {message.text}\n" if message.text else "\n"
        log = f"\nInvoking: `{name}` with `{tool_input}`\n{said}\n"
        actions.append(ToolAgentAction(name, tool_input, log, [message], str(call.get("id"))))
    return actions


class ToolsAgentOutputParser(PureRunnable[Any, AgentOutput]):
    """Turns a chat model's answer into the agent's decision
    (`parse_ai_message_to_tool_action`)."""

    def invoke(self, input: Any, config: Config = None, **kwargs: Any) -> AgentOutput:
        return parse_ai_message_to_tool_action(input)


class ToolCallingAgent(Runnable[dict[str, Any], AgentOutput]):
    """The runnable `create_tool_calling_agent` returns.

    Attributes:
        llm: the model, bound to the tools.
        tools: the tools, by name.
        prompt: the prompt, with an `agent_scratchpad` placeholder.
    """

    def __init__(
        self,
        llm: Any,
        tools: Sequence[Any],
        prompt: Any,
        message_formatter: Callable[[Sequence[Any]], list[BaseMessage]],
    ) -> None:
        self.llm = llm.bind_tools(tools)
        self.tools = self.llm.tools
        self.prompt = prompt
        self.message_formatter = message_formatter
        self.parser = ToolsAgentOutputParser()

    @property
    def input_variables(self) -> list[str]:
        """The prompt's variables the caller gives (all but the scratchpad)."""
        return [v for v in self.prompt.input_variables if v != "agent_scratchpad"]

    async def ainvoke(
        self, input: dict[str, Any], config: Config = None, **kwargs: Any
    ) -> AgentOutput:
        """Decide the next step for `input` (the prompt's variables and
        `intermediate_steps`)."""
        values = {key: value for key, value in input.items() if key != "intermediate_steps"}
        values["agent_scratchpad"] = self.message_formatter(input.get("intermediate_steps", []))
        prompt = await self.prompt.ainvoke(values, config)
        message = await self.llm.ainvoke(prompt, config)
        return self.parser.invoke(message)

    def __repr__(self) -> str:
        return f"ToolCallingAgent(tools={list(self.tools)})"


def create_tool_calling_agent(
    llm: Any,
    tools: Sequence[Any],
    prompt: Any,
    *,
    message_formatter: Callable[[Sequence[Any]], list[BaseMessage]] = format_to_tool_messages,
) -> ToolCallingAgent:
    """An agent that calls `tools` through the model's tool calling; run it with
    `AgentExecutor(agent=agent, tools=tools)`.

    Args:
        llm: a chat model with `bind_tools`.
        tools: the tools (`@tool` functions, `Tool`s).
        prompt: a chat prompt with an `agent_scratchpad` placeholder
            (`("placeholder", "{agent_scratchpad}")` or `MessagesPlaceholder`).
        message_formatter: turns the steps so far into the scratchpad's messages.

    Raises:
        ConfigurationError: a prompt without `agent_scratchpad`, or a model without
            `bind_tools`.
    """
    known = [
        *prompt.input_variables,
        *getattr(prompt, "partial_variables", {}),
        *getattr(prompt, "optional_variables", []),
    ]
    if "agent_scratchpad" not in known:
        raise ConfigurationError("Prompt missing required variables: {'agent_scratchpad'}")
    if not callable(getattr(llm, "bind_tools", None)):
        raise ConfigurationError(
            "This function requires a bind_tools() method be implemented on the LLM."
        )
    return ToolCallingAgent(llm, tools, prompt, message_formatter)


# The OpenAI-named versions LangChain's older tutorials import.
format_to_openai_tool_messages = format_to_tool_messages
OpenAIToolsAgentOutputParser = ToolsAgentOutputParser

__all__ = [
    "AgentOutput",
    "OpenAIToolsAgentOutputParser",
    "ToolCallingAgent",
    "ToolsAgentOutputParser",
    "create_tool_calling_agent",
    "format_to_openai_tool_messages",
    "format_to_tool_messages",
    "parse_ai_message_to_tool_action",
]
