"""Completion models, where LangChain users import them from: `OpenAI` (`langchain_openai`)
and `AzureOpenAI` (Azure OpenAI deployments)."""

from __future__ import annotations

from ._providers.azure import AzureOpenAI
from ._providers.openai_completions import OpenAI

__all__ = ["AzureOpenAI", "OpenAI"]
