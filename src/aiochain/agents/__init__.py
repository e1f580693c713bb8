"""Agents: `AgentChain`, and LangChain's `AgentExecutor` with `create_tool_calling_agent`; every
tool call of a step runs concurrently.

This package's `__init__` only re-exports, lazily: the names live in its modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .._exceptions import ConfigurationError as ConfigurationError
    from .._exceptions import MaxStepsError as MaxStepsError
    from .._exceptions import ToolArgumentsError as ToolArgumentsError
    from .._types import Usage as Usage
    from ..callbacks._managers import (
        AsyncCallbackManagerForChainRun as AsyncCallbackManagerForChainRun,
    )
    from ..chains.base import Chain as Chain
    from ..messages import AIMessage as AIMessage
    from ..messages import BaseMessage as BaseMessage
    from ..messages import HumanMessage as HumanMessage
    from ..messages import SystemMessage as SystemMessage
    from ..messages import ToolMessage as ToolMessage
    from ..tools import Tool as Tool
    from .actions import AgentAction as AgentAction
    from .actions import AgentActionMessageLog as AgentActionMessageLog
    from .actions import AgentActionStep as AgentActionStep
    from .actions import AgentFinish as AgentFinish
    from .actions import ToolAgentAction as ToolAgentAction
    from .agent_chain import AgentChain as AgentChain
    from .agent_chain import AgentStep as AgentStep
    from .agent_chain import ToolCallRecord as ToolCallRecord
    from .agent_chain import Transcript as Transcript
    from .executor import AgentExecutor as AgentExecutor
    from .tool_calling import OpenAIToolsAgentOutputParser as OpenAIToolsAgentOutputParser
    from .tool_calling import ToolCallingAgent as ToolCallingAgent
    from .tool_calling import ToolsAgentOutputParser as ToolsAgentOutputParser
    from .tool_calling import create_tool_calling_agent as create_tool_calling_agent
    from .tool_calling import format_to_openai_tool_messages as format_to_openai_tool_messages
    from .tool_calling import format_to_tool_messages as format_to_tool_messages
    from .tool_calling import parse_ai_message_to_tool_action as parse_ai_message_to_tool_action

_EXPORTS = {
    "AgentAction": ".actions",
    "AgentActionMessageLog": ".actions",
    "AgentActionStep": ".actions",
    "AgentChain": ".agent_chain",
    "AgentExecutor": ".executor",
    "AgentFinish": ".actions",
    "AgentStep": ".agent_chain",
    "AIMessage": "..messages",
    "AsyncCallbackManagerForChainRun": "..callbacks._managers",
    "BaseMessage": "..messages",
    "Chain": "..chains.base",
    "ConfigurationError": ".._exceptions",
    "create_tool_calling_agent": ".tool_calling",
    "format_to_openai_tool_messages": ".tool_calling",
    "format_to_tool_messages": ".tool_calling",
    "HumanMessage": "..messages",
    "MaxStepsError": ".._exceptions",
    "OpenAIToolsAgentOutputParser": ".tool_calling",
    "parse_ai_message_to_tool_action": ".tool_calling",
    "SystemMessage": "..messages",
    "Tool": "..tools",
    "ToolAgentAction": ".actions",
    "ToolArgumentsError": ".._exceptions",
    "ToolCallingAgent": ".tool_calling",
    "ToolCallRecord": ".agent_chain",
    "ToolMessage": "..messages",
    "ToolsAgentOutputParser": ".tool_calling",
    "Transcript": ".agent_chain",
    "Usage": ".._types",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "AgentAction",
    "AgentActionMessageLog",
    "AgentActionStep",
    "AgentChain",
    "AgentExecutor",
    "AgentFinish",
    "AgentStep",
    "OpenAIToolsAgentOutputParser",
    "ToolAgentAction",
    "ToolCallRecord",
    "ToolCallingAgent",
    "ToolsAgentOutputParser",
    "Transcript",
    "create_tool_calling_agent",
    "format_to_openai_tool_messages",
    "format_to_tool_messages",
    "parse_ai_message_to_tool_action",
]
