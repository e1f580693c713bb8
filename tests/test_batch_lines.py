"""aiochain's Batch API clients against the simulator (issue 25): result files with bad lines
(`batch_malformed_rate`) cost one request a bad line, and a resumed run collects the batches
it is given, whatever requests they hold, before sending only the rest."""

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


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_resume_collects_the_given_batches_and_sends_only_the_rest(
    start_sim: StartSim, provider: str
) -> None:
    """Requests appended after a finished run: resuming with the old batch id (given in any
    order with no regard to shards) collects it and makes one batch of the new requests."""
    clock = SimClock()
    server = await start_sim(clock=clock)
    client: OpenAIBatchClient | AnthropicBatchClient
    if provider == "openai":
        client = client_for(server, clock, max_requests=2)
        requests = [BatchRequest.make(str(i), body(f"Doc {i}.")) for i in range(5)]
    else:
        client = AnthropicBatchClient(
            server.root_url, "k", clock=clock, sleep=clock.sleep, max_requests=2
        )
        requests = [claude_request(i) for i in range(5)]
    recorded: list[str] = []
    async with client:
        first = await client.run(requests[:3], record=lambda k, i: recorded.append(i))
        made = [b.id for b in first.batches]
        again = await client.run(requests, resume=made[::-1])
        listed = await client.list_batches(limit=100)
    assert len(first.results) == 3 and len(again.results) == 5 and not again.errors
    assert len(listed) == len(made) + 1  # one new batch: the two appended requests
    assert sorted(b.total for b in listed if b.id not in made) == [2]
