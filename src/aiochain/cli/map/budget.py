"""`--max-cost`: a budget for the whole job, kept across runs in the journal.

Before a request is sent its cost is estimated pessimistically (prompt characters over
`CHARS_PER_TOKEN`, plus `max_tokens` or `EXPECTED_COMPLETION_TOKENS` of answer) and reserved.
When the answer arrives the reservation is replaced by the actual cost, and a request that did
not fit is checked again; only when nothing is in flight and the next request still does not
fit does the job stop sending. What earlier runs spent counts too, so rerunning the same
command never spends past the budget.
"""

from __future__ import annotations

import asyncio

from ..._pipeline.estimates import CHARS_PER_TOKEN, DEFAULT_COMPLETION_TOKENS
from ...pricing import cost_for


class Budget:
    """The spend of one job against its `--max-cost`.

    Args:
        limit: dollars the job may spend in all, or None for no limit.
        price: (input, output) dollars per million tokens, or None when unknown.
        spent: dollars spent by earlier runs of the job (from the journal).
        max_tokens: the answer's token cap, or None.
    """

    def __init__(
        self,
        limit: float | None,
        price: tuple[float, float] | None,
        *,
        spent: float = 0.0,
        max_tokens: int | None = None,
    ) -> None:
        self.limit = limit
        self.price = price
        self.spent_before = spent
        self.spent = 0.0  # by this run, actual costs of answers received
        self.reached = False
        self._max_tokens = max_tokens or DEFAULT_COMPLETION_TOKENS
        self._reserved = 0.0
        self._in_flight = 0
        self._settled = asyncio.Event()

    def estimate(self, prompt: str) -> float:
        """A pessimistic cost of sending `prompt`, before it is sent."""
        if self.price is None:
            return 0.0
        return cost_for(self.price, len(prompt) / CHARS_PER_TOKEN, self._max_tokens)

    def actual(self, prompt_tokens: int, completion_tokens: int) -> float:
        """The cost of an answer from its usage."""
        if self.price is None:
            return 0.0
        return cost_for(self.price, prompt_tokens, completion_tokens)

    async def reserve(self, prompt: str) -> float | None:
        """Reserve the estimate of a request; None when the budget is reached (send nothing).

        Waits while requests in flight might leave room once their actual cost is known.
        """
        if self.limit is None:
            return 0.0
        estimate = self.estimate(prompt)
        while not self.reached and self._total() + estimate > self.limit:
            if self._in_flight == 0:
                self.reached = True
                self._settled.set()  # wake the others: they stop too
                break
            self._settled.clear()
            await self._settled.wait()
        if self.reached:
            return None
        self._reserved += estimate
        self._in_flight += 1
        return estimate

    def settle(self, estimate: float, cost: float) -> None:
        """Replace a reservation by the actual `cost` (0 when nothing was spent)."""
        self.spent += cost
        if self.limit is None:
            return
        self._reserved -= estimate
        self._in_flight -= 1
        self._settled.set()

    def _total(self) -> float:
        return self.spent_before + self.spent + self._reserved
