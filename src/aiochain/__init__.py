"""aiochain: run LLM chains concurrently with asyncio.

LangChain's classic async API (`PromptTemplate`, `OpenAI`, `LLMChain.arun`, ...) on a lean
aiohttp core. The public names are re-exported here; the CLI and the simulation server are
imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from ._config import RunnableConfig as RunnableConfig
    from ._exceptions import AiochainError as AiochainError
    from ._exceptions import APIConnectionError as APIConnectionError
    from ._exceptions import APIError as APIError
    from ._exceptions import APIStatusError as APIStatusError
    from ._exceptions import APITimeoutError as APITimeoutError
    from ._exceptions import AuthenticationError as AuthenticationError
    from ._exceptions import BadRequestError as BadRequestError
    from ._exceptions import BadResponseError as BadResponseError
    from ._exceptions import BatchRequestError as BatchRequestError
    from ._exceptions import ConfigurationError as ConfigurationError
    from ._exceptions import ConnectionDroppedError as ConnectionDroppedError
    from ._exceptions import CredentialError as CredentialError
    from ._exceptions import DeadlineExceededError as DeadlineExceededError
    from ._exceptions import DocumentLoadError as DocumentLoadError
    from ._exceptions import IncompleteStreamError as IncompleteStreamError
    from ._exceptions import InputError as InputError
    from ._exceptions import JournalError as JournalError
    from ._exceptions import JournalMismatchError as JournalMismatchError
    from ._exceptions import MaxStepsError as MaxStepsError
    from ._exceptions import MissingVariablesError as MissingVariablesError
    from ._exceptions import NotFoundError as NotFoundError
    from ._exceptions import OutputError as OutputError
    from ._exceptions import OutputParserError as OutputParserError
    from ._exceptions import QuotaExhaustedError as QuotaExhaustedError
    from ._exceptions import RateLimitError as RateLimitError
    from ._exceptions import RedirectError as RedirectError
    from ._exceptions import RequestTooLargeError as RequestTooLargeError
    from ._exceptions import ServerError as ServerError
    from ._exceptions import ServerUnreachableError as ServerUnreachableError
    from ._exceptions import SimServerError as SimServerError
    from ._exceptions import StreamError as StreamError
    from ._exceptions import SyncInAsyncError as SyncInAsyncError
    from ._exceptions import TemplateError as TemplateError
    from ._exceptions import ToolArgumentsError as ToolArgumentsError
    from ._exceptions import UsageError as UsageError
    from ._http.body import ResponseLimits as ResponseLimits
    from ._pipeline.limiter import RateLimiter as RateLimiter
    from ._pipeline.retry import RetryBudget as RetryBudget
    from ._pipeline.retry import RetryPolicy as RetryPolicy
    from ._pipeline.run_stats import RunStats as RunStats
    from ._providers.anthropic import ChatAnthropic as ChatAnthropic
    from ._providers.azure import AzureChatOpenAI as AzureChatOpenAI
    from ._providers.azure import AzureOpenAI as AzureOpenAI
    from ._providers.gemini import ChatGoogleGenerativeAI as ChatGoogleGenerativeAI
    from ._providers.openai_chat import ChatOpenAI as ChatOpenAI
    from ._providers.openai_completions import OpenAI as OpenAI
    from ._types import Usage as Usage
    from .agents.agent_chain import AgentChain as AgentChain
    from .chains.base import Chain as Chain
    from .chains.llm import LLMChain as LLMChain
    from .chains.sequential import SequentialChain as SequentialChain
    from .chains.sequential import SimpleSequentialChain as SimpleSequentialChain
    from .messages.base import AIMessage as AIMessage
    from .messages.base import AIMessageChunk as AIMessageChunk
    from .messages.base import BaseMessage as BaseMessage
    from .messages.base import HumanMessage as HumanMessage
    from .messages.base import SystemMessage as SystemMessage
    from .messages.base import ToolMessage as ToolMessage
    from .output_parsers.base import BaseOutputParser as BaseOutputParser
    from .output_parsers.base import (
        CommaSeparatedListOutputParser as CommaSeparatedListOutputParser,
    )
    from .output_parsers.base import JsonOutputParser as JsonOutputParser
    from .output_parsers.base import PydanticOutputParser as PydanticOutputParser
    from .output_parsers.base import StrOutputParser as StrOutputParser
    from .output_parsers.base import XMLOutputParser as XMLOutputParser
    from .outputs import ChatGeneration as ChatGeneration
    from .outputs import Generation as Generation
    from .outputs import LLMResult as LLMResult
    from .prompts.chat import ChatPromptTemplate as ChatPromptTemplate
    from .prompts.chat import MessagesPlaceholder as MessagesPlaceholder
    from .prompts.prompt import PromptTemplate as PromptTemplate
    from .prompts.prompt import PromptValue as PromptValue
    from .runnables._composition import RunnableLambda as RunnableLambda
    from .runnables._composition import RunnableParallel as RunnableParallel
    from .runnables._composition import RunnableSequence as RunnableSequence
    from .runnables._sync import run as run
    from .runnables.base import Runnable as Runnable
    from .runnables.passthrough import RunnableBranch as RunnableBranch
    from .runnables.passthrough import RunnablePassthrough as RunnablePassthrough
    from .tools.base import StructuredTool as StructuredTool
    from .tools.base import Tool as Tool
    from .tools.base import tool as tool

__version__ = "0.1.0"

_EXPORTS = {
    "AgentChain": ".agents.agent_chain",
    "AIMessage": ".messages.base",
    "AIMessageChunk": ".messages.base",
    "AiochainError": "._exceptions",
    "APIConnectionError": "._exceptions",
    "APIError": "._exceptions",
    "APIStatusError": "._exceptions",
    "APITimeoutError": "._exceptions",
    "AuthenticationError": "._exceptions",
    "AzureChatOpenAI": "._providers.azure",
    "AzureOpenAI": "._providers.azure",
    "BadRequestError": "._exceptions",
    "BadResponseError": "._exceptions",
    "BaseMessage": ".messages.base",
    "BaseOutputParser": ".output_parsers.base",
    "BatchRequestError": "._exceptions",
    "Chain": ".chains.base",
    "ChatAnthropic": "._providers.anthropic",
    "ChatGeneration": ".outputs",
    "ChatGoogleGenerativeAI": "._providers.gemini",
    # Through `openai_responses`, which imports it and sets up its Responses variants.
    "ChatOpenAI": "._providers.openai_responses",
    "ChatPromptTemplate": ".prompts.chat",
    "CommaSeparatedListOutputParser": ".output_parsers.base",
    "ConfigurationError": "._exceptions",
    "ConnectionDroppedError": "._exceptions",
    "CredentialError": "._exceptions",
    "DeadlineExceededError": "._exceptions",
    "DocumentLoadError": "._exceptions",
    "Generation": ".outputs",
    "HumanMessage": ".messages.base",
    "IncompleteStreamError": "._exceptions",
    "InputError": "._exceptions",
    "JournalError": "._exceptions",
    "JournalMismatchError": "._exceptions",
    "JsonOutputParser": ".output_parsers.base",
    "LLMChain": ".chains.llm",
    "LLMResult": ".outputs",
    "MaxStepsError": "._exceptions",
    "MessagesPlaceholder": ".prompts.chat",
    "MissingVariablesError": "._exceptions",
    "NotFoundError": "._exceptions",
    "OpenAI": "._providers.openai_completions",
    "OutputError": "._exceptions",
    "OutputParserError": "._exceptions",
    "PromptTemplate": ".prompts.prompt",
    "PromptValue": ".prompts.prompt",
    "PydanticOutputParser": ".output_parsers.base",
    "QuotaExhaustedError": "._exceptions",
    "RateLimiter": "._pipeline.limiter",
    "RateLimitError": "._exceptions",
    "RedirectError": "._exceptions",
    "RequestTooLargeError": "._exceptions",
    "ResponseLimits": "._http.body",
    "RetryBudget": "._pipeline.retry",
    "RetryPolicy": "._pipeline.retry",
    "run": ".runnables._sync",
    "Runnable": ".runnables.base",
    "RunnableBranch": ".runnables.passthrough",
    "RunnableConfig": "._config",
    "RunnableLambda": ".runnables._composition",
    "RunnableParallel": ".runnables._composition",
    "RunnablePassthrough": ".runnables.passthrough",
    "RunnableSequence": ".runnables._composition",
    "RunStats": "._pipeline.run_stats",
    "SequentialChain": ".chains.sequential",
    "ServerError": "._exceptions",
    "ServerUnreachableError": "._exceptions",
    "SimpleSequentialChain": ".chains.sequential",
    "SimServerError": "._exceptions",
    "StreamError": "._exceptions",
    "StrOutputParser": ".output_parsers.base",
    "StructuredTool": ".tools.base",
    "SyncInAsyncError": "._exceptions",
    "SystemMessage": ".messages.base",
    "TemplateError": "._exceptions",
    "Tool": ".tools.base",
    "tool": ".tools.base",
    "ToolArgumentsError": "._exceptions",
    "ToolMessage": ".messages.base",
    "Usage": "._types",
    "UsageError": "._exceptions",
    "XMLOutputParser": ".output_parsers.base",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "AIMessage",
    "AIMessageChunk",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AgentChain",
    "AiochainError",
    "AuthenticationError",
    "AzureChatOpenAI",
    "AzureOpenAI",
    "BadRequestError",
    "BadResponseError",
    "BaseMessage",
    "BaseOutputParser",
    "BatchRequestError",
    "Chain",
    "ChatAnthropic",
    "ChatGeneration",
    "ChatGoogleGenerativeAI",
    "ChatOpenAI",
    "ChatPromptTemplate",
    "CommaSeparatedListOutputParser",
    "ConfigurationError",
    "ConnectionDroppedError",
    "CredentialError",
    "DeadlineExceededError",
    "DocumentLoadError",
    "Generation",
    "HumanMessage",
    "IncompleteStreamError",
    "InputError",
    "JournalError",
    "JournalMismatchError",
    "JsonOutputParser",
    "LLMChain",
    "LLMResult",
    "MaxStepsError",
    "MessagesPlaceholder",
    "MissingVariablesError",
    "NotFoundError",
    "OpenAI",
    "OutputError",
    "OutputParserError",
    "PromptTemplate",
    "PromptValue",
    "PydanticOutputParser",
    "QuotaExhaustedError",
    "RateLimitError",
    "RateLimiter",
    "RedirectError",
    "RequestTooLargeError",
    "ResponseLimits",
    "RetryBudget",
    "RetryPolicy",
    "RunStats",
    "Runnable",
    "RunnableBranch",
    "RunnableConfig",
    "RunnableLambda",
    "RunnableParallel",
    "RunnablePassthrough",
    "RunnableSequence",
    "SequentialChain",
    "ServerError",
    "ServerUnreachableError",
    "SimServerError",
    "SimpleSequentialChain",
    "StrOutputParser",
    "StreamError",
    "StructuredTool",
    "SyncInAsyncError",
    "SystemMessage",
    "TemplateError",
    "Tool",
    "ToolArgumentsError",
    "ToolMessage",
    "Usage",
    "UsageError",
    "XMLOutputParser",
    "__version__",
    "run",
    "tool",
]
