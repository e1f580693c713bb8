"""The model names the simulation server answers for by default, per provider (`--models`
replaces them); a request for another model gets 404 `model_not_found`, as the real APIs answer.
"""

from __future__ import annotations

DEFAULT_MODELS = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-4-turbo",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-instruct",
    "o3-mini",
    "o4-mini",
    # Names LangChain's documentation programs use, so they run against the simulator as
    # written (tests/langchain_docs): dated snapshots and the older models.
    "gpt-4",
    "gpt-4-0613",
    "gpt-4-turbo-preview",
    "gpt-4-1106-preview",
    "gpt-4o-2024-08-06",
    "gpt-4o-mini-2024-07-18",
    "gpt-3.5-turbo-0125",
    "gpt-3.5-turbo-1106",
    "gpt-3.5-turbo-16k",
    "text-davinci-003",
)
DEFAULT_ANTHROPIC_MODELS = (
    "claude-opus-4-1",
    "claude-opus-4-0",
    "claude-sonnet-4-5",
    "claude-sonnet-4-0",
    "claude-haiku-4-5",
    "claude-3-7-sonnet-latest",
    "claude-3-5-haiku-latest",
    "claude-3-haiku-20240307",
    # As above: the Claude 3 names of LangChain's guides.
    "claude-3-5-sonnet-latest",
    "claude-3-5-sonnet-20241022",
    "claude-3-5-sonnet-20240620",
    "claude-3-sonnet-20240229",
    "claude-3-opus-20240229",
)
DEFAULT_GEMINI_MODELS = (
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-2.5-flash-lite",
    "gemini-2.0-flash",
    "gemini-2.0-flash-lite",
    "gemini-3-pro-preview",
    "gemini-flash-latest",
)

__all__ = ["DEFAULT_ANTHROPIC_MODELS", "DEFAULT_GEMINI_MODELS", "DEFAULT_MODELS"]
