"""The library's words for its options, turned into the CLI's (flags and environment variables).

The library's errors name Python arguments (`api_version`, `azure_ad_token_provider`): right
for a program, wrong for someone at a shell, who can only set `--api-version` or
`$AZURE_OPENAI_AD_TOKEN`. The CLI translates each error once, where it prints it.
"""

from __future__ import annotations

import re

KEY_VARIABLES = {
    "openai": "$OPENAI_API_KEY",
    "anthropic": "$ANTHROPIC_API_KEY",
    "azure": "$AZURE_OPENAI_API_KEY",
}

# Whole phrases first (a list of arguments becomes what the CLI has instead), then words.
_PHRASES = (
    (
        r"(?:set \$?AZURE_OPENAI_API_KEY)?,? or pass api_key, azure_ad_token or "
        r"azure_ad_token_provider",
        "set $AZURE_OPENAI_API_KEY or $AZURE_OPENAI_AD_TOKEN",
    ),
    (r",? or pass api_key\b", ""),
)
_WORDS = {
    "azure_endpoint": "--base-url",
    "azure_deployment": "--model",
    "deployment_name": "--model",
    "api_version": "--api-version",
    "openai_api_version": "--api-version",
    "azure_ad_token_provider": "$AZURE_OPENAI_AD_TOKEN",
    "azure_ad_token": "$AZURE_OPENAI_AD_TOKEN",
    "base_url": "--base-url",
    "openai_api_base": "--base-url",
    "max_tokens": "--max-tokens",
    "max_retries": "--retries",
}
_WORD = re.compile(r"(?<![\w$-])(" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b")
_KEY = re.compile(r"(?<![\w$-])(?:openai_)?api_key\b")


def cli_words(message: str, provider: str | None = None) -> str:
    """`message` with the library's argument names replaced by the CLI's flags and variables
    (`api_key` by the key variable of `provider`)."""
    for pattern, replacement in _PHRASES:
        message = re.sub(pattern, replacement, message)
    message = _WORD.sub(lambda m: _WORDS[m.group(1)], message)
    key = KEY_VARIABLES.get(provider or "openai", "$OPENAI_API_KEY")
    return _KEY.sub(key, message)


__all__ = ["cli_words"]
