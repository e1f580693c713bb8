"""An OpenAI-compatible simulation server, for offline demos, tests and benchmarks.

See `SimServer` for the options and `aiochain serve` for the command.
"""

from ._server import DEFAULT_MODELS, SimServer
from ._text import count_tokens, tokenize

__all__ = ["DEFAULT_MODELS", "SimServer", "count_tokens", "tokenize"]
