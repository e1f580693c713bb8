"""Token estimates made before a request is sent, for tokens-per-minute limits and budgets.

About four characters a token: OpenAI's own rule of thumb for English text. The estimate only
has to be in the right range: the limiter corrects it from each answer's usage.
"""

from __future__ import annotations

from typing import Any

CHARS_PER_TOKEN = 4
"""Characters per token assumed for estimates (`_tokenizer` counts with tiktoken when it can)."""

DEFAULT_COMPLETION_TOKENS = 256.0
"""Completion tokens expected of an answer when `max_tokens` is not set (LangChain's default
`max_tokens` for completion models, and a typical answer's length)."""


def estimate_prompt_tokens(payload: dict[str, Any]) -> float:
    """Tokens of the prompt a request body carries: its `prompt`, `messages` and `system`."""
    chars = _chars(payload.get("prompt")) + _chars(payload.get("messages"))
    chars += _chars(payload.get("contents")) + _chars(payload.get("systemInstruction"))  # Gemini
    return (chars + _chars(payload.get("system"))) / CHARS_PER_TOKEN


def _chars(value: Any) -> int:
    """Characters of text in a prompt, a list of prompts, messages or content blocks."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        content = value.get("content", value.get("text", value.get("parts")))
        return _chars(content) if not isinstance(content, dict) else 0
    if isinstance(value, list):
        return sum(_chars(item) for item in value)
    return 0
