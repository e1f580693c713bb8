"""aiochain: run LLM chains concurrently with asyncio.

LangChain's classic async API (`PromptTemplate`, `OpenAI`, `LLMChain.arun`, ...) on a lean
aiohttp core. The public names are re-exported here; the CLI and the simulation server are
imported only when used.
"""

from ._exceptions import (
    AiochainError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BadResponseError,
    ConfigurationError,
    DeadlineExceededError,
    IncompleteStreamError,
    InputError,
    JournalError,
    JournalMismatchError,
    MaxStepsError,
    MissingVariablesError,
    NotFoundError,
    OutputError,
    OutputParserError,
    RateLimitError,
    ServerError,
    SimServerError,
    StreamError,
    SyncInAsyncError,
    TemplateError,
    ToolArgumentsError,
    UsageError,
)
from ._limiter import RateLimiter
from ._progress import RunStats
from ._retry import RetryBudget, RetryPolicy
from ._runnable import Runnable, RunnableLambda, RunnableParallel, RunnableSequence
from ._sync import run
from .agents import AgentChain
from .chains import Chain, LLMChain, SequentialChain, SimpleSequentialChain
from .chat_models import ChatOpenAI
from .llms import OpenAI
from .messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from .output_parsers import (
    CommaSeparatedListOutputParser,
    JsonOutputParser,
    PydanticOutputParser,
    StrOutputParser,
)
from .outputs import ChatGeneration, Generation, LLMResult, Usage
from .prompts import ChatPromptTemplate, PromptTemplate, PromptValue
from .tools import Tool, tool

__version__ = "0.1.0"

__all__ = [
    "AIMessage",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AgentChain",
    "AiochainError",
    "AuthenticationError",
    "BadRequestError",
    "BadResponseError",
    "BaseMessage",
    "Chain",
    "ChatGeneration",
    "ChatOpenAI",
    "ChatPromptTemplate",
    "CommaSeparatedListOutputParser",
    "ConfigurationError",
    "DeadlineExceededError",
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
    "MissingVariablesError",
    "NotFoundError",
    "OpenAI",
    "OutputError",
    "OutputParserError",
    "PromptTemplate",
    "PromptValue",
    "PydanticOutputParser",
    "RateLimitError",
    "RateLimiter",
    "RetryBudget",
    "RetryPolicy",
    "RunStats",
    "Runnable",
    "RunnableLambda",
    "RunnableParallel",
    "RunnableSequence",
    "SequentialChain",
    "ServerError",
    "SimServerError",
    "SimpleSequentialChain",
    "StrOutputParser",
    "StreamError",
    "SyncInAsyncError",
    "SystemMessage",
    "TemplateError",
    "Tool",
    "ToolArgumentsError",
    "ToolMessage",
    "Usage",
    "UsageError",
    "__version__",
    "run",
    "tool",
]
