"""Completion models, where LangChain users import them from: `OpenAI` (`langchain_openai`)
and `AzureOpenAI` (Azure OpenAI deployments)."""

from __future__ import annotations

from ._azure import AzureOpenAI
from ._openai_completions import OpenAI

__all__ = ["AzureOpenAI", "OpenAI"]
