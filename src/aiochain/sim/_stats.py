"""The simulation server's counters, as `/stats` serves them."""

from __future__ import annotations

from collections import Counter
from typing import Any


class Stats:
    """Requests by endpoint and outcome, tokens, concurrency, 429s, faults and repeated prompts.

    The handlers write the fields directly: counting is on the hot path and stays plain.
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        """Zero every counter (in-flight requests stay counted as in flight)."""
        self.max_in_flight = self.in_flight
        self.by_status: Counter[str] = Counter()
        self.tokens_in = 0
        self.tokens_out = 0
        self.rate_limited = 0
        self.faults: Counter[str] = Counter()
        self.prompt_counts: Counter[int] = Counter()

    def enter(self) -> None:
        """A request starts."""
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight

    def leave(self, endpoint: str, outcome: str) -> None:
        """A request ends with `outcome` (a status, or why there was none)."""
        self.in_flight -= 1
        self.by_status[f"{endpoint} {outcome}"] += 1

    def snapshot(self) -> dict[str, Any]:
        """The counters as JSON-ready data."""
        requests: dict[str, dict[str, int]] = {}
        for key, count in sorted(self.by_status.items()):
            endpoint, status = key.rsplit(" ", 1)
            requests.setdefault(endpoint, {})[status] = count
        counts = self.prompt_counts.values()
        return {
            "requests": requests,
            "requests_total": sum(self.by_status.values()),
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "rate_limited": self.rate_limited,
            "faults": dict(self.faults),
            "distinct_prompts": len(self.prompt_counts),
            "max_requests_per_prompt": max(counts, default=0),
        }
