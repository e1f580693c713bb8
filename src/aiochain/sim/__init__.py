"""An OpenAI-compatible simulation server, for offline demos, tests and benchmarks; it also
speaks Anthropic's Messages API, Azure OpenAI's deployment endpoints and Google's Gemini API.

See `SimServer` for the options and `aiochain serve` for the command.
"""

from ._models import DEFAULT_ANTHROPIC_MODELS, DEFAULT_GEMINI_MODELS, DEFAULT_MODELS
from ._server import SimServer
from ._text import count_tokens, tokenize

__all__ = [
    "DEFAULT_ANTHROPIC_MODELS",
    "DEFAULT_GEMINI_MODELS",
    "DEFAULT_MODELS",
    "SimServer",
    "count_tokens",
    "tokenize",
]
