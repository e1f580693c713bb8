"""The simulation server's batch APIs on an injected clock: OpenAI's Files and Batches and
Anthropic's Message Batches, driven by the official clients (issue 18)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anthropic
import openai
import pytest

from aiochain import ConfigurationError
from aiochain.sim import SimServer

StartSim = Callable[..., Awaitable[SimServer]]
CHAT = "/v1/chat/completions"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def line(custom_id: str, text: str, *, url: str = CHAT, model: str = "gpt-4o-mini") -> str:
    body = {"model": model, "messages": [{"role": "user", "content": text}]}
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": body})


async def start_batch(client: openai.AsyncOpenAI, lines: list[str]) -> openai.types.Batch:
    upload = await client.files.create(
        file=("requests.jsonl", "\n".join(lines).encode()), purpose="batch"
    )
    return await client.batches.create(
        input_file_id=upload.id, endpoint=CHAT, completion_window="24h"
    )


async def rows(client: openai.AsyncOpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    content = await client.files.content(file_id)
    return [json.loads(text) for text in content.text.splitlines()]


async def test_openai_batch_runs_on_the_clock(start_sim: StartSim) -> None:
    """A batch validates, progresses, finalizes and completes as the clock moves; its output
    has every custom_id once, in a shuffled order, with the endpoint's answers."""
    clock = FakeClock()
    server = await start_sim(clock=clock, seed=2)
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        batch = await start_batch(c, [line(f"r{i}", f"Doc {i}.") for i in range(40)])
        seen = [(batch.status, batch.request_counts and batch.request_counts.completed)]
        for now in (1001.5, 1002.5, 1003.5, 1004.5):  # 1 s validating, 2 s running, 1 s final
            clock.now = now
            batch = await c.batches.retrieve(batch.id)
            seen.append((batch.status, batch.request_counts and batch.request_counts.completed))
        assert seen == [
            ("validating", 0),
            ("in_progress", 10),
            ("in_progress", 30),
            ("finalizing", 40),
            ("completed", 40),
        ]
        assert batch.error_file_id is None
        output = await rows(c, batch.output_file_id)
        listed = [f.id async for f in c.files.list()]
        assert batch.output_file_id in listed and batch.input_file_id in listed
        await c.files.delete(batch.input_file_id)
        with pytest.raises(openai.NotFoundError):
            await c.files.retrieve(batch.input_file_id)
    ids = [row["custom_id"] for row in output]
    assert sorted(ids) == sorted(f"r{i}" for i in range(40))
    assert ids != [f"r{i}" for i in range(40)]
    for row in output:
        number = row["custom_id"][1:]
        assert row["response"]["status_code"] == 200 and row["error"] is None
        assert row["response"]["body"]["choices"][0]["message"]["content"] == f"Doc {number}."


async def test_openai_batch_line_errors_fail_it(start_sim: StartSim) -> None:
    """Bad lines fail the batch after validating, one error per line with its number."""
    clock = FakeClock()
    server = await start_sim(clock=clock)
    lines = [
        line("a", "x."),
        "{not json",
        json.dumps({"method": "POST", "url": CHAT, "body": {}}),
        line("a", "again."),
        line("b", "x.", url="/v1/completions"),
    ]
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        batch = await start_batch(c, lines)
        clock.now += 1.0
        batch = await c.batches.retrieve(batch.id)
    assert batch.status == "failed" and batch.errors is not None
    assert [(e.code, e.line) for e in batch.errors.data or []] == [
        ("invalid_json_line", 2),
        ("missing_required_parameter", 3),
        ("duplicate_custom_id", 4),
        ("mismatched_endpoint", 5),
    ]


async def test_openai_batch_faults(start_sim: StartSim) -> None:
    """Line failures go to the error file; a forced expiry keeps the finished half and lists
    the rest as batch_expired; a token limit refuses the batch."""
    clock = FakeClock()
    server = await start_sim(clock=clock, batch_fail_rate=0.3, seed=4)
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        batch = await start_batch(c, [line(f"r{i}", f"Doc {i}.") for i in range(30)])
        clock.now += 100
        batch = await c.batches.retrieve(batch.id)
        assert batch.status == "completed" and batch.request_counts is not None
        failed = await rows(c, batch.error_file_id)
        output = await rows(c, batch.output_file_id)
    assert 3 <= batch.request_counts.failed <= 18
    assert len(failed) == batch.request_counts.failed and len(output) + len(failed) == 30
    assert {row["response"]["status_code"] for row in failed} == {500}

    server = await start_sim(clock=clock, batch_expire_rate=1.0)
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        batch = await start_batch(c, [line(f"r{i}", f"Doc {i}.") for i in range(30)])
        clock.now += 100
        batch = await c.batches.retrieve(batch.id)
        assert batch.status == "expired" and batch.expired_at is not None
        output = await rows(c, batch.output_file_id)
        expired = await rows(c, batch.error_file_id)
    assert len(output) == 15 and len(expired) == 15
    assert {row["error"]["code"] for row in expired} == {"batch_expired"}
    assert {r["custom_id"] for r in output + expired} == {f"r{i}" for i in range(30)}

    server = await start_sim(clock=clock, batch_token_limit=5)
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        batch = await start_batch(c, [line(f"r{i}", "one two three.") for i in range(2)])
        clock.now += 2
        batch = await c.batches.retrieve(batch.id)
    assert batch.status == "failed" and batch.errors is not None
    assert [e.code for e in batch.errors.data or []] == ["token_limit_exceeded"]


async def test_openai_batch_stuck_then_cancelled(start_sim: StartSim) -> None:
    """A stuck batch stays in finalizing; cancelling ends it with what was done."""
    clock = FakeClock()
    server = await start_sim(clock=clock, batch_stuck_rate=1.0)
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        batch = await start_batch(c, [line(f"r{i}", f"Doc {i}.") for i in range(4)])
        clock.now += 1_000_000
        assert (await c.batches.retrieve(batch.id)).status == "finalizing"
        assert (await c.batches.cancel(batch.id)).status == "cancelling"
        clock.now += 1
        batch = await c.batches.retrieve(batch.id)
        assert batch.status == "cancelled" and batch.cancelled_at is not None
        assert len(await rows(c, batch.output_file_id)) == 4
        with pytest.raises(openai.ConflictError):
            await c.batches.cancel(batch.id)


async def test_openai_cancel_midway_and_list_pages(start_sim: StartSim) -> None:
    """Cancelling midway keeps the finished part (the rest is batch_cancelled); list pages
    with limit and after, newest first; --batch-speed runs the timeline faster."""
    clock = FakeClock()
    server = await start_sim(clock=clock, batch_speed=10)
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        batches = [await start_batch(c, [line("a", "x."), line("b", "y.")]) for _ in range(3)]
        clock.now += 0.16  # 1.6 simulated seconds: past validating at 10x
        assert (await c.batches.retrieve(batches[0].id)).status == "in_progress"
        await c.batches.cancel(batches[0].id)
        clock.now += 1
        cancelled = await c.batches.retrieve(batches[0].id)
        assert cancelled.status == "cancelled" and cancelled.request_counts is not None
        assert cancelled.request_counts.completed == 1
        assert [r["error"]["code"] for r in await rows(c, cancelled.error_file_id)] == [
            "batch_cancelled"
        ]
        first = await c.batches.list(limit=2)
        assert [b.id for b in first.data] == [batches[2].id, batches[1].id] and first.has_more
        rest = await c.batches.list(limit=2, after=batches[1].id)
        assert [b.id for b in rest.data] == [batches[0].id] and not rest.has_more


async def test_anthropic_message_batches(start_sim: StartSim) -> None:
    """Message Batches: in_progress, then ended with each request's result: succeeded with the
    Messages answer, errored for a bad request, expired for the unfinished half."""
    clock = FakeClock()
    server = await start_sim(clock=clock)
    requests: list[Any] = [
        {
            "custom_id": f"a{i}",
            "params": {
                "model": "claude-haiku-4-5",
                "max_tokens": 50,
                "messages": [{"role": "user", "content": f"Doc {i}."}],
            },
        }
        for i in range(4)
    ]
    requests.append({"custom_id": "bad", "params": {"model": "claude-haiku-4-5"}})
    async with anthropic.AsyncAnthropic(
        base_url=server.root_url, api_key="k", max_retries=0
    ) as claude:
        batch = await claude.messages.batches.create(requests=requests)
        assert batch.processing_status == "in_progress"
        assert batch.request_counts.processing == 5
        clock.now += 100
        batch = await claude.messages.batches.retrieve(batch.id)
        assert batch.processing_status == "ended" and batch.ended_at is not None
        assert (batch.request_counts.succeeded, batch.request_counts.errored) == (4, 1)
        results = {
            r.custom_id: r.result async for r in await claude.messages.batches.results(batch.id)
        }
    for i in range(4):
        result = results[f"a{i}"]
        assert result.type == "succeeded"
        assert result.message.content[0].text == f"Doc {i}."  # type: ignore[union-attr]
    assert results["bad"].type == "errored"

    server = await start_sim(clock=clock, batch_expire_rate=1.0)
    async with anthropic.AsyncAnthropic(
        base_url=server.root_url, api_key="k", max_retries=0
    ) as claude:
        batch = await claude.messages.batches.create(requests=requests[:4])
        clock.now += 100
        batch = await claude.messages.batches.retrieve(batch.id)
        assert (batch.request_counts.succeeded, batch.request_counts.expired) == (2, 2)
        kinds = [r.result.type async for r in await claude.messages.batches.results(batch.id)]
    assert sorted(kinds) == ["expired", "expired", "succeeded", "succeeded"]


@pytest.mark.parametrize(
    "options",
    [{"batch_speed": 0}, {"batch_fail_rate": 2}, {"batch_token_limit": 0}],
)
def test_bad_batch_options(options: dict[str, Any]) -> None:
    """Out-of-range batch options are refused with ConfigurationError."""
    with pytest.raises(ConfigurationError):
        SimServer(**options)


async def test_batch_malformed_rate_cuts_result_lines_short(start_sim: StartSim) -> None:
    """`batch_malformed_rate`: that share of result lines is written cut short (not JSON, its
    custom_id still showing), on both APIs; the other lines are whole."""
    clock = FakeClock()
    server = await start_sim(clock=clock, seed=1, batch_malformed_rate=0.3, batch_speed=1e6)
    clock.now = 2000.0
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        batch = await start_batch(c, [line(f"r{i}", f"Doc {i}.") for i in range(40)])
        clock.now = 3000.0
        batch = await c.batches.retrieve(batch.id)
        assert batch.output_file_id is not None
        content = (await c.files.content(batch.output_file_id)).text.splitlines()
    bad = [text for text in content if not _is_json(text)]
    assert 0 < len(bad) < 40 and len(content) == 40
    assert all(text.startswith('{"id"') and '"custom_id":"r' in text for text in bad)
    async with anthropic.AsyncAnthropic(
        base_url=server.root_url, api_key="k", max_retries=0
    ) as claude:
        requests: Any = [
            {
                "custom_id": f"m{i}",
                "params": {
                    "model": "claude-haiku-4-5",
                    "max_tokens": 20,
                    "messages": [{"role": "user", "content": f"Doc {i}."}],
                },
            }
            for i in range(40)
        ]
        made = await claude.messages.batches.create(requests=requests)
    clock.now = 4000.0
    import aiohttp  # the results as sent: the official client would refuse the bad lines

    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{server.root_url}/v1/messages/batches/{made.id}/results",
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
        ) as answer,
    ):
        lines = (await answer.read()).decode().splitlines()
    assert len(lines) == 40
    assert 0 < sum(not _is_json(text) for text in lines) < 40


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


async def test_create_answers_the_batch_as_made_however_fast_it_runs(start_sim: StartSim) -> None:
    """The create call answers a batch that has just begun (OpenAI: validating; Anthropic:
    in_progress), as the APIs do, even when the simulated batch runs so fast that it is over
    by the time the answer is written."""
    clock = FakeClock()
    server = await start_sim(clock=clock, batch_speed=1e9)

    class Jumping(FakeClock):  # each reading of the clock is a day later
        def __call__(self) -> float:
            self.now += 86400.0
            return self.now

    clock.__class__ = Jumping
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
        batch = await start_batch(c, [line("r0", "Doc zero.")])
        assert batch.status == "validating" and batch.output_file_id is None
        assert (await c.batches.retrieve(batch.id)).status == "completed"
    async with anthropic.AsyncAnthropic(
        base_url=server.root_url, api_key="k", max_retries=0
    ) as client:
        request = {
            "custom_id": "a0",
            "params": {
                "model": "claude-haiku-4-5",
                "max_tokens": 50,
                "messages": [{"role": "user", "content": "Doc zero."}],
            },
        }
        made = await client.messages.batches.create(requests=[request])  # type: ignore[list-item]
        assert made.processing_status == "in_progress" and made.results_url is None
        assert (await client.messages.batches.retrieve(made.id)).processing_status == "ended"
