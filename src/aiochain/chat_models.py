"""Chat models, where LangChain users import them from: `ChatOpenAI` (`langchain_openai`),
`AzureChatOpenAI` (Azure OpenAI deployments), `ChatAnthropic` (`langchain_anthropic`,
Anthropic's Messages API) and `ChatGoogleGenerativeAI` (`langchain_google_genai`, Google's
Gemini API), and `init_chat_model` to make one by name."""

from __future__ import annotations

from typing import Any

from ._exceptions import ConfigurationError
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
    "init_chat_model",
]


# `init_chat_model`'s providers, by LangChain's names, and the model-name prefixes that imply
# one when none is given (LangChain's rules; Gemini models go to Google's Gemini API, the one
# aiochain speaks, where LangChain would pick Vertex AI).
_PROVIDERS: dict[str, type[Any]] = {
    "openai": ChatOpenAI,
    "anthropic": ChatAnthropic,
    "azure_openai": AzureChatOpenAI,
    "google_genai": ChatGoogleGenerativeAI,
}
_PREFIXES = (
    (("gpt-", "o1", "o3", "o4", "chatgpt", "text-davinci"), "openai"),
    (("claude",), "anthropic"),
    (("gemini",), "google_genai"),
)


def init_chat_model(model: str, *, model_provider: str | None = None, **kwargs: Any) -> Any:
    """A chat model by name, as LangChain's `init_chat_model` makes it.

    `init_chat_model("gpt-4o-mini", model_provider="openai")`, `init_chat_model(
    "anthropic:claude-3-5-haiku-latest")` or `init_chat_model("gpt-4o", temperature=0)`: the
    provider is given, written before the model as `provider:`, or read from the name. The
    other keyword arguments go to the model's class.

    Raises:
        ConfigurationError: for a provider aiochain has no chat model for, or a model name
            that names none.
    """
    if model_provider is None and ":" in model:
        prefix, _, rest = model.partition(":")
        if prefix in _PROVIDERS:
            model_provider, model = prefix, rest
    if model_provider is None:
        lowered = model.lower()
        model_provider = next(
            (name for prefixes, name in _PREFIXES if lowered.startswith(prefixes)), None
        )
    if model_provider is None:
        raise ConfigurationError(
            f"cannot tell the provider of model {model!r}; pass model_provider= "
            f"({', '.join(sorted(_PROVIDERS))})"
        )
    cls = _PROVIDERS.get(model_provider.replace("-", "_").lower())
    if cls is None:
        raise ConfigurationError(
            f"no chat model for provider {model_provider!r}; aiochain has "
            f"{', '.join(sorted(_PROVIDERS))}"
        )
    return cls(model=model, **kwargs)
