"""What a classic LangChain agent decides, and what came of it (`langchain_core.agents`):
`AgentAction` (call a tool), `ToolAgentAction` (one tool call of a chat model's answer),
`AgentFinish` (the answer), and `AgentActionStep` (an action with its observation; LangChain's
`AgentStep`, renamed because `aiochain.agents.AgentStep` is one model call of `AgentChain`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..messages import AIMessage, BaseMessage, HumanMessage, ToolMessage


class AgentAction:
    """The agent asks for a tool.

    Attributes:
        tool: the tool's name.
        tool_input: its arguments (a dict, or a string for a one-argument tool).
        log: what the agent said while choosing (text for the next prompt).
    """

    type = "AgentAction"

    def __init__(self, tool: str, tool_input: str | dict[str, Any], log: str) -> None:
        self.tool = tool
        self.tool_input = tool_input
        self.log = log

    @property
    def messages(self) -> list[BaseMessage]:
        """The action as messages: the agent's log as an AI message."""
        return [AIMessage(self.log)]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((self.tool, self.log))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tool={self.tool!r}, tool_input={self.tool_input!r})"


class AgentActionMessageLog(AgentAction):
    """An action that came from chat messages (`message_log`), which replace its log in the
    next prompt."""

    type = "AgentActionMessageLog"

    def __init__(
        self,
        tool: str,
        tool_input: str | dict[str, Any],
        log: str,
        message_log: Sequence[BaseMessage],
    ) -> None:
        super().__init__(tool, tool_input, log)
        self.message_log = list(message_log)

    @property
    def messages(self) -> list[BaseMessage]:
        return list(self.message_log)


class ToolAgentAction(AgentActionMessageLog):
    """One tool call of a chat model's answer.

    Attributes:
        tool_call_id: the call's id, which the tool's answer names.
    """

    type = "ToolAgentAction"

    def __init__(
        self,
        tool: str,
        tool_input: str | dict[str, Any],
        log: str,
        message_log: Sequence[BaseMessage],
        tool_call_id: str,
    ) -> None:
        super().__init__(tool, tool_input, log, message_log)
        self.tool_call_id = tool_call_id


class AgentFinish:
    """The agent's answer.

    Attributes:
        return_values: the outputs (`{"output": text}`).
        log: the text it came from.
    """

    type = "AgentFinish"

    def __init__(self, return_values: dict[str, Any], log: str) -> None:
        self.return_values = return_values
        self.log = log

    @property
    def messages(self) -> list[BaseMessage]:
        return [AIMessage(self.log)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AgentFinish) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash(self.log)

    def __repr__(self) -> str:
        return f"AgentFinish(return_values={self.return_values!r})"


class AgentActionStep:
    """An action and the tool's answer (LangChain's `AgentStep`).

    Attributes:
        action: the action.
        observation: what the tool returned.
    """

    def __init__(self, action: AgentAction, observation: Any) -> None:
        self.action = action
        self.observation = observation

    @property
    def messages(self) -> list[BaseMessage]:
        """The observation as messages: a tool message answering a tool call, else a human
        message."""
        if isinstance(self.action, ToolAgentAction):
            text = observation_text(self.observation)
            action = self.action
            return [ToolMessage(text, tool_call_id=action.tool_call_id, name=action.tool)]
        return [HumanMessage(observation_text(self.observation))]

    def __iter__(self) -> Any:
        """`action, observation = step`, as the pairs of `intermediate_steps` unpack."""
        return iter((self.action, self.observation))

    def __repr__(self) -> str:
        return f"AgentActionStep(action={self.action!r}, observation={self.observation!r})"


def observation_text(observation: Any) -> str:
    """A tool's answer as text: text as it is, else JSON, else `str` (LangChain's rule)."""
    if isinstance(observation, str):
        return observation
    try:
        return json.dumps(observation, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(observation)


__all__ = [
    "AgentAction",
    "AgentActionMessageLog",
    "AgentActionStep",
    "AgentFinish",
    "ToolAgentAction",
    "observation_text",
]
