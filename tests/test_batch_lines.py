"""Result files with bad lines, read by aiochain's Batch API clients against the simulator
(`batch_malformed_rate`): one bad line costs one request (issue 25)."""

from __future__ import annotations

import pytest

from aiochain.batches import AnthropicBatchClient, BatchRequest, OpenAIBatchClient

from .test_batches import SimClock, StartSim, body, claude_request, client_for


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_malformed_result_line_is_only_its_requests_error(
    start_sim: StartSim, provider: str
) -> None:
    """A result line cut short is its own request's `malformed_line` error (retryable); every
    other line of the file is kept, and collecting again gives the same."""
    clock = SimClock()
    server = await start_sim(clock=clock, seed=2, batch_malformed_rate=0.25)
    client: OpenAIBatchClient | AnthropicBatchClient
    if provider == "openai":
        client = client_for(server, clock)
        requests = [BatchRequest.make(str(i), body(f"Doc {i}.")) for i in range(40)]
    else:
        client = AnthropicBatchClient(server.root_url, "k", clock=clock, sleep=clock.sleep)
        requests = [claude_request(i) for i in range(40)]
    async with client:
        outcome = await client.run(requests)
        again = await client.collect(outcome.batches[0])
    bad = {c for c, e in outcome.errors.items() if e.code == "malformed_line"}
    assert 0 < len(bad) < 40 and len(outcome.errors) == len(bad)
    assert len(outcome.results) == 40 - len(bad)
    assert all(outcome.errors[c].retryable for c in bad)
    assert set(again.results) == set(outcome.results) and set(again.errors) == bad
