"""Estimated cost of calls to known OpenAI and Anthropic models.

Prices are US dollars per million tokens (input, output): OpenAI's as it listed them in 2025,
Anthropic's as its pricing page (platform.claude.com/docs/about-claude/pricing) listed them when
read for issue 17 (the table then ending at Claude Opus 4.6 / Sonnet 4.6). They change, so treat
the result as an estimate and override `PRICES` for your contract. Model names with a date or
version suffix (`gpt-4o-mini-2024-07-18`, `claude-sonnet-4-5-20250929`) use their base model's
price. Anthropic's prompt cache is not priced apart: cache reads (0.1x input) and writes (1.25x)
count as input tokens at the input price.

Requests sent through a Batch API (OpenAI's Batch API, Anthropic's Message Batches) cost
`BATCH_DISCOUNT` of the live price: pass `batch=True`.
"""

from __future__ import annotations

PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-3.5-turbo-instruct": (1.50, 2.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    # Embeddings: input tokens only.
    "text-embedding-3-small": (0.02, 0.0),
    "text-embedding-3-large": (0.13, 0.0),
    "text-embedding-ada-002": (0.10, 0.0),
    # Anthropic
    "claude-opus-4-6": (5.00, 25.00),
    "claude-opus-4-5": (5.00, 25.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-opus-4-0": (15.00, 75.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-sonnet-4-6": (3.00, 15.00),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-sonnet-4-0": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-haiku": (0.25, 1.25),
}
BATCH_DISCOUNT = 0.5
"""The share of the live price a Batch API request costs (half, at OpenAI and Anthropic)."""


def price_of(model: str, *, batch: bool = False) -> tuple[float, float] | None:
    """(input, output) dollars per million tokens for `model`, or None when unknown; with
    `batch=True`, the Batch API's price."""
    price = PRICES.get(model)
    if price is None:
        base = model.rpartition("-")[0]
        while base and price is None:
            price = PRICES.get(base)
            base = base.rpartition("-")[0]
    if price is not None and batch:
        return (price[0] * BATCH_DISCOUNT, price[1] * BATCH_DISCOUNT)
    return price


def cost_for(price: tuple[float, float], prompt_tokens: float, completion_tokens: float) -> float:
    """Dollars for these token counts at a (input, output) per-million price."""
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


def cost_of(
    model: str, prompt_tokens: int, completion_tokens: int, *, batch: bool = False
) -> float | None:
    """Estimated dollars for a call (through a Batch API with `batch=True`), or None for a
    model without a known price."""
    price = price_of(model, batch=batch)
    if price is None:
        return None
    return cost_for(price, prompt_tokens, completion_tokens)


__all__ = [
    "BATCH_DISCOUNT",
    "cost_for",
    "cost_of",
    "price_of",
]
