"""aiochain's own Batch API client (`aiochain.batches`, `ChatOpenAI.abatch_api`, `aiochain
batches`) against the simulation server, on the server's clock: polling sleeps move the clock
forward instead of waiting (issue 18)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from aiochain import APIError, BadResponseError, BatchRequestError, ChatOpenAI, NotFoundError
from aiochain.batches import AnthropicBatchClient, BatchRequest, BatchStatus, OpenAIBatchClient
from aiochain.messages import AIMessage
from aiochain.pricing import cost_of, price_of
from aiochain.sim import SimServer

from .conftest import PYTHON

StartSim = Callable[..., Awaitable[SimServer]]


class Killed(Exception):
    """Stands for SIGKILL in the middle of polling."""


class SimClock:
    """The server's clock; the client's polling sleeps advance it instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        await asyncio.sleep(0)


def body(text: str, model: str = "gpt-4o-mini") -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def client_for(server: SimServer, clock: SimClock, **options: Any) -> OpenAIBatchClient:
    return OpenAIBatchClient(
        server.base_url, "sk-test-key-123", clock=clock, sleep=clock.sleep, **options
    )


def official(server: SimServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0)


async def counts(server: SimServer) -> tuple[int, int]:
    """(input files, batches) the server holds, as the official client lists them."""
    async with official(server) as c:
        files = [f async for f in c.files.list(purpose="batch")]
        batches = [b async for b in c.batches.list(limit=100)]
    return len(files), len(batches)


async def test_2000_requests_come_back_in_input_order(start_sim: StartSim) -> None:
    """abatch_api sends 2,000 chat requests as one batch file (each line the model's request
    body) and returns one AIMessage per input, in input order, with usage."""
    clock = SimClock()
    server = await start_sim(clock=clock, seed=3)
    inputs = [f"Doc {i}." for i in range(2000)]
    async with ChatOpenAI(base_url=server.base_url, api_key="k", temperature=0) as llm:
        seen: list[BatchStatus] = []
        results = await llm.abatch_api(
            inputs, clock=clock, sleep=clock.sleep, on_progress=seen.append
        )
    assert all(isinstance(r, AIMessage) for r in results)
    assert [r.content for r in results if isinstance(r, AIMessage)] == inputs
    assert all(r.usage and r.usage.completion_tokens > 0 for r in results)  # type: ignore[union-attr]
    statuses = [s.status for s in seen]
    assert statuses[0] == "validating" and statuses[-1] == "completed"
    assert "in_progress" in statuses
    assert seen[-1].completed == 2000
    async with official(server) as c:
        (upload,) = [f async for f in c.files.list(purpose="batch")]
        sent = [json.loads(t) for t in (await c.files.content(upload.id)).text.splitlines()]
    assert len(sent) == 2000 and len({line["custom_id"] for line in sent}) == 2000
    assert sent[7]["url"] == "/v1/chat/completions" and sent[7]["method"] == "POST"
    assert sent[7]["body"] == {**body("Doc 7."), "temperature": 0}


async def test_custom_ids_are_stable_and_depend_on_everything() -> None:
    """The same key and body give the same id; another key, prompt, model or parameter,
    another id; ids fit Anthropic's 64 characters."""
    first = BatchRequest.make("r1", body("x"))
    assert first == BatchRequest.make("r1", body("x"))
    others = [
        BatchRequest.make("r2", body("x")),
        BatchRequest.make("r1", body("y")),
        BatchRequest.make("r1", body("x", model="gpt-4o")),
        BatchRequest.make("r1", {**body("x"), "temperature": 1}),
    ]
    assert len({first.custom_id, *(o.custom_id for o in others)}) == 5
    assert len(first.custom_id) <= 64


async def test_forced_expiry_keeps_the_finished_half(start_sim: StartSim) -> None:
    """An expired batch's finished requests are kept; the rest are retryable batch_expired
    errors, so a caller can send exactly those live."""
    clock = SimClock()
    server = await start_sim(clock=clock, batch_expire_rate=1.0)
    requests = [BatchRequest.make(str(i), body(f"Doc {i}.")) for i in range(30)]
    async with client_for(server, clock) as client:
        outcome = await client.run(requests)
        await client.delete_file(outcome.batches[0].input_file_id or "")
    assert await counts(server) == (0, 1)
    assert outcome.batches[0].status == "expired"
    assert len(outcome.results) == 15 and len(outcome.errors) == 15
    usage = outcome.usage()
    assert usage.requests == 15 and usage.prompt_tokens > 0
    live = cost_of("gpt-4o-mini", usage.prompt_tokens, usage.completion_tokens)
    assert live is not None and outcome.cost("gpt-4o-mini") == pytest.approx(live / 2)
    assert {e.code for e in outcome.errors.values()} == {"batch_expired"}
    assert sorted(outcome.retryable()) == sorted(outcome.errors)
    assert set(outcome.results) | set(outcome.errors) == {r.custom_id for r in requests}


async def test_stuck_in_finalizing_is_reported(start_sim: StartSim) -> None:
    """A batch that stays in finalizing past stuck_after is reported (not waited on for ever):
    every request is a batch_stuck error naming the batch."""
    clock = SimClock()
    server = await start_sim(clock=clock, batch_stuck_rate=1.0)
    requests = [BatchRequest.make(str(i), body(f"Doc {i}.")) for i in range(4)]
    async with client_for(server, clock, stuck_after=900) as client:
        outcome = await client.run(requests)
    (status,) = outcome.batches
    assert status.stuck and status.status == "finalizing"
    assert "stuck in finalizing" in status.describe()
    assert {e.code for e in outcome.errors.values()} == {"batch_stuck"}
    assert {e.batch_id for e in outcome.errors.values()} == {status.id}
    assert 900 <= clock.slept < 900 + 61


async def test_ids_are_recorded_before_polling_and_resume_polls_the_same_batch(
    start_sim: StartSim,
) -> None:
    """The record hook gets the file and batch ids before the first poll; a run killed while
    polling and resumed from the recorded ids polls the same batch: no new upload, no new
    batch, every request answered once."""
    clock = SimClock()
    server = await start_sim(clock=clock)
    requests = [BatchRequest.make(str(i), body(f"Doc {i}.")) for i in range(50)]
    recorded: list[tuple[str, str]] = []
    at_first_poll: list[list[tuple[str, str]]] = []

    def progress(status: BatchStatus) -> None:
        at_first_poll.append(list(recorded))
        raise Killed  # as if the process were killed here

    async with client_for(server, clock) as client:
        with pytest.raises(Killed):
            await client.run(
                requests,
                record=lambda kind, ident: recorded.append((kind, ident)),
                on_progress=progress,
            )
    assert [kind for kind, _ in recorded] == ["file", "batch"]
    assert at_first_poll == [recorded]
    assert await counts(server) == (1, 1)

    polled: list[str] = []
    async with client_for(server, clock) as client:
        outcome = await client.run(
            requests, resume=[recorded[1][1]], on_progress=lambda s: polled.append(s.id)
        )
    assert set(polled) == {recorded[1][1]}
    assert await counts(server) == (1, 1)
    assert len(outcome.results) == 50 and not outcome.errors


async def test_shards_and_partial_resume(start_sim: StartSim) -> None:
    """Requests past max_requests go to several batches, merged back in full; resuming with
    some of the batch ids submits only the shards they do not cover."""
    clock = SimClock()
    server = await start_sim(clock=clock)
    requests = [BatchRequest.make(str(i), body(f"Doc {i}.")) for i in range(20)]
    recorded: list[tuple[str, str]] = []
    async with client_for(server, clock, max_requests=7) as client:
        made = await client.submit(requests, record=lambda k, i: recorded.append((k, i)))
        assert [len(shard.custom_ids) for shard, _ in made] == [7, 7, 6]
        kept = [ident for kind, ident in recorded if kind == "batch"][:2]
        outcome = await client.run(requests, resume=kept)
    assert await counts(server) == (4, 4)  # the third shard was submitted again, not the others
    assert {b.id for b in outcome.batches} >= set(kept)
    assert len(outcome.results) == 20
    assert outcome.results[requests[13].custom_id]["choices"][0]["message"]["content"] == "Doc 13."


async def test_failed_lines_say_whether_to_retry(start_sim: StartSim) -> None:
    """Lines that failed with a 500 are retryable; a request for an unknown model (404) is
    not; both carry the status and the server's body."""
    clock = SimClock()
    server = await start_sim(clock=clock, batch_fail_rate=0.5, seed=5)
    requests = [BatchRequest.make(str(i), body(f"Doc {i}.")) for i in range(20)]
    async with client_for(server, clock) as client:
        outcome = await client.run(requests)
    failed = list(outcome.errors.values())
    assert failed and all(e.status_code == 500 and e.retryable for e in failed)
    assert isinstance(failed[0].body, dict) and failed[0].body["error"]["type"] == "server_error"
    assert len(outcome.results) + len(outcome.errors) == 20
    server = await start_sim(clock=clock)
    bad = BatchRequest.make("bad", body("x", model="no-such-model"))
    async with client_for(server, clock) as client:
        outcome = await client.run([bad, *requests[:2]])
    error = outcome.errors[bad.custom_id]
    assert error.status_code == 404 and not error.retryable and len(outcome.results) == 2


async def test_token_limit_fails_the_batch_retryably(start_sim: StartSim) -> None:
    """A batch refused for the queued-token limit fails; its requests are batch_failed and
    retryable, with the server's validation errors as the body."""
    clock = SimClock()
    server = await start_sim(clock=clock, batch_token_limit=5)
    requests = [BatchRequest.make(str(i), body("one two three four.")) for i in range(3)]
    async with client_for(server, clock) as client:
        outcome = await client.run(requests)
    assert outcome.batches[0].status == "failed"
    errors = list(outcome.errors.values())
    assert len(errors) == 3 and all(e.code == "batch_failed" and e.retryable for e in errors)
    assert "token_limit_exceeded" in str(errors[0])


async def test_transport_requests_are_bounded_and_redacted(start_sim: StartSim) -> None:
    """The transport's general request: 404 becomes NotFoundError, a body past max_bytes a
    BadResponseError, and the key never appears in an error."""
    server = await start_sim()
    key = "sk-secret-key-0123456789"
    async with OpenAIBatchClient(server.base_url, key, max_download_bytes=10) as client:
        with pytest.raises(NotFoundError) as missing:
            await client.retrieve("batch_nope")
        assert key not in str(missing.value)
        file_id = await client.upload(b'{"a": 1}\n' * 10)
        with pytest.raises(BadResponseError, match="larger than 10 bytes"):
            await client.file_content(file_id)


def test_batch_prices_are_half() -> None:
    """Batch prices are half the live ones; cost_of(batch=True) uses them."""
    live = price_of("gpt-4o-mini")
    assert live is not None and price_of("gpt-4o-mini", batch=True) == (live[0] / 2, live[1] / 2)
    assert cost_of("gpt-4o-mini", 1_000_000, 0, batch=True) == pytest.approx(0.075)
    assert cost_of("unknown-model", 1, 1, batch=True) is None


async def test_official_clients_page_batches_and_files(start_sim: StartSim) -> None:
    """The openai package's auto-pager walks every batch page by page (`after`), and files
    list by purpose; the anthropic package lists and cancels message batches."""
    import anthropic

    clock = SimClock()
    server = await start_sim(clock=clock)
    async with client_for(server, clock) as client:
        for i in range(5):
            await client.submit([BatchRequest.make(str(i), body(f"Doc {i}."))])
    async with official(server) as c:
        paged = [b.id async for b in c.batches.list(limit=2)]
        outputs = [f async for f in c.files.list(purpose="batch_output")]
    assert len(paged) == 5 and len(set(paged)) == 5 and outputs == []
    params: Any = {"model": "claude-haiku-4-5", "max_tokens": 9, "messages": []}
    params["messages"] = [{"role": "user", "content": "Hi."}]
    async with anthropic.AsyncAnthropic(base_url=server.root_url, api_key="k") as claude:
        made = await claude.messages.batches.create(requests=[{"custom_id": "a", "params": params}])
        cancelled = await claude.messages.batches.cancel(made.id)
        assert cancelled.processing_status == "canceling"
        listed = [b.id async for b in claude.messages.batches.list()]
    assert listed == [made.id]


# --- Anthropic's Message Batches -----------------------------------------------------------


def claude_request(i: int, model: str = "claude-haiku-4-5") -> BatchRequest:
    params = {
        "model": model,
        "max_tokens": 50,
        "messages": [{"role": "user", "content": f"Doc {i}."}],
    }
    return BatchRequest.make(str(i), params)


def claude_client(server: SimServer, clock: SimClock, **options: Any) -> AnthropicBatchClient:
    return AnthropicBatchClient(
        server.root_url, "sk-ant-test-key-123", clock=clock, sleep=clock.sleep, **options
    )


async def test_message_batches_run_shard_and_resume(start_sim: StartSim) -> None:
    """Message Batches: requests past max_requests go to several batches, each id is
    recorded before polling, answers are Messages by custom_id; resuming with the recorded
    ids (in order) polls them and creates no batch."""
    clock = SimClock()
    server = await start_sim(clock=clock)
    requests = [claude_request(i) for i in range(25)]
    recorded: list[tuple[str, str]] = []
    seen: list[str] = []
    async with claude_client(server, clock, max_requests=10) as client:
        outcome = await client.run(
            requests,
            record=lambda kind, ident: recorded.append((kind, ident)),
            on_progress=lambda s: seen.append(s.status),
        )
        again = await client.run(requests, resume=[ident for _, ident in recorded])
        listed = await client.list_batches(limit=100)
    assert [kind for kind, _ in recorded] == ["batch"] * 3 and len(listed) == 3
    assert seen[0] == "in_progress" and seen[-1] == "completed"
    for result in (outcome, again):
        assert len(result.results) == 25 and not result.errors
    message = outcome.results[requests[7].custom_id]
    assert message["type"] == "message" and message["content"][0]["text"] == "Doc 7."


async def test_message_batches_expiry_errors_and_stuck(start_sim: StartSim) -> None:
    """An expired Message Batch keeps its succeeded half, the rest batch_expired (retryable);
    an invalid request is errored and not retryable; a batch that never ends is stuck."""
    clock = SimClock()
    server = await start_sim(clock=clock, batch_expire_rate=1.0)
    requests = [claude_request(i) for i in range(10)]
    async with claude_client(server, clock) as client:
        outcome = await client.run(requests)
    assert outcome.batches[0].status == "expired"
    assert len(outcome.results) == 5
    assert {(e.code, e.retryable) for e in outcome.errors.values()} == {("batch_expired", True)}

    server = await start_sim(clock=clock)
    bad = claude_request(0, model="no-such-model")
    async with claude_client(server, clock) as client:
        outcome = await client.run([bad, *requests[:2]])
    error = outcome.errors[bad.custom_id]
    assert error.code == "not_found_error" and not error.retryable and len(outcome.results) == 2

    server = await start_sim(clock=clock, batch_stuck_rate=1.0)
    async with claude_client(server, clock, stuck_after=600) as client:
        outcome = await client.run(requests[:3])
    assert outcome.batches[0].stuck
    assert {e.code for e in outcome.errors.values()} == {"batch_stuck"}


# --- the command line ---------------------------------------------------------------------


async def cli(base_url: str, *args: str, provider: str = "openai") -> tuple[int, str, str]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-cli-key-0123456789"}
    env["ANTHROPIC_API_KEY"] = "sk-ant-cli-key-0123456789"
    process = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "aiochain", "batches", "--provider", provider, "--base-url", base_url,
        *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_batches_commands(start_threaded_sim: Any, tmp_path: Path) -> None:
    """`aiochain batches list / status / cancel / collect` as a user runs them: one line per
    batch, the merged JSON Lines of an ended batch, one-line errors with status 1 or 2."""
    server = start_threaded_sim(batch_speed=1e6, batch_expire_rate=1.0)
    requests = [BatchRequest.make(str(i), body(f"Doc {i}.")) for i in range(6)]
    async with OpenAIBatchClient(server.base_url, "k") as client:
        ((_, status),) = await client.submit(requests)
    code, out, _ = await cli(server.base_url, "list")
    assert code == 0 and out.startswith(f"{status.id} expired 3/6")
    code, out, _ = await cli(server.base_url, "status", status.id)
    assert code == 0 and out.strip() == f"{status.id} expired 3/6"
    target = tmp_path / "rows.jsonl"
    code, out, err = await cli(server.base_url, "collect", status.id, "-o", str(target))
    rows = [json.loads(t) for t in target.read_text().splitlines()]
    assert code == 1 and "3 answered, 3 without an answer" in err
    assert sorted(r["custom_id"] for r in rows) == sorted(r.custom_id for r in requests)
    assert sum("response" in r for r in rows) == 3
    assert {r["error"]["code"] for r in rows if "error" in r} == {"batch_expired"}
    code, _, err = await cli(server.base_url, "cancel", status.id)
    assert code == 1 and err.count("\n") == 1 and "Cannot cancel" in err
    code, _, err = await cli(server.base_url, "status", "batch_missing")
    assert code == 1 and err.startswith("aiochain batches: error: 404")
    code, _, err = await cli(server.base_url, "status", "../files")
    assert code == 2 and "not a batch or file id" in err


async def test_collect_refuses_a_running_batch(start_threaded_sim: Any) -> None:
    """`collect` of a batch still running says so in one line, status 1; `cancel` cancels."""
    server = start_threaded_sim(batch_speed=1e-6)
    async with OpenAIBatchClient(server.base_url, "k") as client:
        ((_, status),) = await client.submit([BatchRequest.make("a", body("x."))])
    code, _, err = await cli(server.base_url, "collect", status.id)
    assert code == 1 and "validating" in err and "--wait" in err
    code, out, _ = await cli(server.base_url, "cancel", status.id)
    assert code == 0 and "cancelling" in out


async def test_batches_commands_on_message_batches(start_threaded_sim: Any, tmp_path: Path) -> None:
    """`--provider anthropic` lists, shows and collects Message Batches."""
    server = start_threaded_sim(batch_speed=1e6)
    async with AnthropicBatchClient(server.root_url, "k") as client:
        ((_, status),) = await client.submit([claude_request(i) for i in range(4)])
    code, out, _ = await cli(server.root_url, "list", provider="anthropic")
    assert code == 0 and out.strip() == f"{status.id} completed 4/4"
    target = tmp_path / "rows.jsonl"
    args = ("collect", status.id, "-o", str(target))
    code, _, err = await cli(server.root_url, *args, provider="anthropic")
    rows = [json.loads(t) for t in target.read_text().splitlines()]
    assert code == 0 and "4 answered, 0 without an answer" in err
    assert {r["response"]["content"][0]["text"] for r in rows} == {f"Doc {i}." for i in range(4)}


def test_batch_request_error_is_an_api_error() -> None:
    """BatchRequestError sits under APIError and carries its data."""
    error = BatchRequestError("x", custom_id="c", code="batch_expired", batch_id="b")
    assert isinstance(error, APIError)
    assert (error.custom_id, error.code, error.retryable, error.status_code) == (
        "c", "batch_expired", True, None,
    )  # fmt: skip
