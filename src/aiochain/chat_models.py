"""Chat models, where LangChain users import them from: `ChatOpenAI` (`langchain_openai`),
`AzureChatOpenAI` (Azure OpenAI deployments), `ChatAnthropic` (`langchain_anthropic`,
Anthropic's Messages API) and `ChatGoogleGenerativeAI` (`langchain_google_genai`, Google's
Gemini API)."""

from __future__ import annotations

from ._providers.anthropic import ChatAnthropic
from ._providers.azure import AzureChatOpenAI
from ._providers.gemini import ChatGoogleGenerativeAI
from ._providers.openai_chat import ChatOpenAI
from ._providers.openai_responses import ChatOpenAIResponses
from .messages import AIMessage, HumanMessage

__all__ = [
    "AIMessage",
    "AzureChatOpenAI",
    "ChatAnthropic",
    "ChatGoogleGenerativeAI",
    "ChatOpenAI",
    "ChatOpenAIResponses",
    "HumanMessage",
]
