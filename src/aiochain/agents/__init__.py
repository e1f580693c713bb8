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
