"""aiochain: run LLM chains concurrently with asyncio.

LangChain's classic async API (`PromptTemplate`, `OpenAI`, `LLMChain.arun`, ...) on a lean
aiohttp core. The public names are re-exported here; the CLI and the simulation server are
imported only when used.
"""

from ._body import ResponseLimits
from ._composition import RunnableLambda, RunnableParallel, RunnableSequence
from ._config import RunnableConfig
from ._exceptions import (
    AiochainError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BadResponseError,
    BatchRequestError,
    ConfigurationError,
    ConnectionDroppedError,
    CredentialError,
    DeadlineExceededError,
    DocumentLoadError,
    IncompleteStreamError,
    InputError,
    JournalError,
    JournalMismatchError,
    MaxStepsError,
    MissingVariablesError,
    NotFoundError,
    OutputError,
    OutputParserError,
    QuotaExhaustedError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
    ServerUnreachableError,
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
from ._runnable import Runnable
from ._sync import run
from .agents import AgentChain
from .chains import Chain, LLMChain, SequentialChain, SimpleSequentialChain
from .chat_models import AzureChatOpenAI, ChatAnthropic, ChatGoogleGenerativeAI, ChatOpenAI
from .llms import AzureOpenAI, OpenAI
from .messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from .output_parsers import (
    BaseOutputParser,
    CommaSeparatedListOutputParser,
    JsonOutputParser,
    PydanticOutputParser,
    StrOutputParser,
    XMLOutputParser,
)
from .outputs import ChatGeneration, Generation, LLMResult, Usage
from .prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate, PromptValue
from .runnables import RunnableBranch, RunnablePassthrough
from .tools import StructuredTool, Tool, tool

__version__ = "0.1.0"

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
