"""Gemini batch mode: the simulator's `batchGenerateContent` and `batches/{id}` operations,
`GeminiBatchClient` against them, and `aiochain map --batch --provider gemini` (answered at
batch price, resumable after a kill without a second batch), as subprocess runs of the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from aiochain.batches import BatchRequest, GeminiBatchClient
from aiochain.pricing import price_of
from aiochain.sim import SimServer

from .conftest import PYTHON, poll_until
from .test_map import rows

StartSim = Callable[..., Awaitable[SimServer]]
StartThreaded = Callable[..., SimServer]
MODEL = "gemini-2.5-flash"


def root(server: SimServer) -> str:
    return server.base_url.rsplit("/v1", 1)[0]


def inline(count: int) -> dict[str, Any]:
    requests = [
        {
            "request": {"contents": [{"role": "user", "parts": [{"text": f"About rivers {n}."}]}]},
            "metadata": {"key": f"k{n}"},
        }
        for n in range(count)
    ]
    return {"batch": {"display_name": "t", "input_config": {"requests": {"requests": requests}}}}


def answered(server: SimServer, name: str) -> int:
    """Requests on the endpoint `name` the server answered with a 2xx."""
    statuses = server.stats()["requests"].get(name, {})
    return sum(c for s, c in statuses.items() if s.startswith("2"))


def creates(server: SimServer) -> int:
    """Batches the server made."""
    return answered(server, "gemini.batch_create")


async def test_the_simulator_runs_an_inline_batch_to_its_end(start_sim: StartSim) -> None:
    """Create answers a pending operation; once done, `response.inlinedResponses` holds a
    GenerateContentResponse for each request in input order with its metadata key; the list
    names it; cancelling an ended batch changes nothing; a missing one is a Google 404."""
    server = await start_sim(batch_speed=1000)
    url = root(server) + "/v1beta"
    async with aiohttp.ClientSession(headers={"x-goog-api-key": "k"}) as http:
        made = await http.post(f"{url}/models/{MODEL}:batchGenerateContent", json=inline(3))
        operation = await made.json()
        assert made.status == 200 and operation["metadata"]["state"] == "BATCH_STATE_PENDING"
        name = operation["name"]
        for _ in range(200):
            operation = await (await http.get(f"{url}/{name}")).json()
            if operation.get("done"):
                break
            await asyncio.sleep(0.01)
        assert operation["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"
        assert operation["metadata"]["batchStats"]["successfulRequestCount"] == "3"
        rows_ = operation["response"]["inlinedResponses"]["inlinedResponses"]
        assert [r["metadata"]["key"] for r in rows_] == ["k0", "k1", "k2"]
        assert all(r["response"]["usageMetadata"]["promptTokenCount"] > 0 for r in rows_)
        listed = await (await http.get(f"{url}/batches")).json()
        assert [op["name"] for op in listed["operations"]] == [name]
        cancel = await http.post(f"{url}/{name}:cancel")
        assert cancel.status == 200
        again = await (await http.get(f"{url}/{name}")).json()
        assert again["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"
        missing = await http.get(f"{url}/batches/nope")
        assert missing.status == 404 and (await missing.json())["error"]["status"] == "NOT_FOUND"
        unkeyed = await http.get(f"{url}/batches")
        assert unkeyed.status == 200
    async with aiohttp.ClientSession() as http:
        refused = await http.get(f"{url}/batches")
        assert refused.status == 403


async def test_a_cancelled_batch_reads_cancelled(start_sim: StartSim) -> None:
    """A batch cancelled while pending ends CANCELLED (the client reads `cancelled`)."""
    server = await start_sim(batch_speed=1)
    async with GeminiBatchClient(MODEL, root(server), "k") as client:
        shard = client.shards([BatchRequest("a", {"contents": [{"parts": [{"text": "x"}]}]})])[0]
        made = await client.create(shard)
        assert made.status == "validating" and made.metadata["aiochain_shard"] == shard.key
        await client.cancel(made.id)
        for _ in range(400):
            status = await client.retrieve(made.id)
            if status.terminal:
                break
            await asyncio.sleep(0.01)
        assert status.status == "cancelled"


async def test_the_client_runs_and_resumes_a_batch(start_sim: StartSim) -> None:
    """`run` answers every request by its key with usage counting thoughts; a rerun with the
    recorded id collects that batch again and creates none."""
    server = await start_sim(batch_speed=1000)
    requests = [
        BatchRequest(f"r{n}", {"contents": [{"parts": [{"text": f"Tell me of item {n}."}]}]})
        for n in range(5)
    ]
    recorded: list[str] = []
    async with GeminiBatchClient(MODEL, root(server), "k", poll_interval=0.01) as client:
        outcome = await client.run(requests, record=lambda kind, ident: recorded.append(ident))
        assert sorted(outcome.results) == [f"r{n}" for n in range(5)] and not outcome.errors
        meta = outcome.results["r0"]["usageMetadata"]
        assert meta["thoughtsTokenCount"] > 0
        assert creates(server) == 1
        again = await client.run(requests, resume=recorded)
        assert sorted(again.results) == sorted(outcome.results)
        assert creates(server) == 1  # the recorded batch collected again, none made
        assert len(await client.list_batches()) == 1


def gemini_batch_map(server: SimServer, data: Path, out: Path, *flags: str) -> list[str]:
    return [
        PYTHON, "-m", "aiochain", "map", "--base-url", server.base_url,
        "--provider", "gemini", "--model", MODEL,
        "--template", "Summarize:\n\n{text}", "--input", str(data), "--output", str(out),
        "--batch", "--batch-poll", "0.05", *flags,
    ]  # fmt: skip


def records(path: Path, count: int) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"r{n}", "text": f"Record {n} is about rivers. It is short."}) + "\n"
            for n in range(count)
        )
    )
    return path


def test_map_batch_gemini_answers_every_record_at_batch_price(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Every record is answered by one Gemini batch (`via: batch`), keyed by its record id,
    and each row costs the batch price of its tokens (thoughts counted as output)."""
    server = start_threaded_sim(batch_speed=1000)
    data, out = records(tmp_path / "in.jsonl", 50), tmp_path / "out.jsonl"
    env = {"GOOGLE_API_KEY": "g-test"}
    done = subprocess.run(
        gemini_batch_map(server, data, out), capture_output=True, text=True, timeout=120,
        env={**os.environ, **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"r{n}" for n in range(50))
    assert all(r["via"] == "batch" and "error" not in r for r in lines)
    price = price_of(MODEL, batch=True)
    live = price_of(MODEL)
    assert price is not None and live is not None and price[0] == live[0] / 2
    tokens_in = sum(r["usage"]["prompt_tokens"] for r in lines)
    tokens_out = sum(r["usage"]["completion_tokens"] for r in lines)
    assert "answered by batch / live" in done.stderr and "50 / 0" in done.stderr
    shown = [ln for ln in done.stderr.splitlines() if "job cost" in ln]
    assert shown and f"{(tokens_in * price[0] + tokens_out * price[1]) / 1e6:.4f}" in shown[0]
    assert server.stats()["requests"].get("gemini.generate") is None  # nothing went live
    assert creates(server) == 1


def test_map_batch_gemini_killed_while_polling_makes_no_second_batch(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """SIGKILL while polling: the rerun collects the batch it recorded, creates none for the
    records it covers, and writes each record once."""
    server = start_threaded_sim(batch_speed=2)  # ~2 s: still polling at the kill
    data, out = records(tmp_path / "in.jsonl", 40), tmp_path / "out.jsonl"
    env = {**os.environ, "GOOGLE_API_KEY": "g-test"}
    command = gemini_batch_map(server, data, out, "--quiet")
    job = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    # created and polled: the id is journaled
    poll_until(lambda: creates(server) == 1 and answered(server, "gemini.batches") >= 1)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert creates(server) == 1
    assert not out.exists() or len(rows(out)) < 40  # killed before the results were read
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert creates(server) == 1  # no second batch
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"r{n}" for n in range(40))
    assert all(r["via"] == "batch" for r in lines)


def test_map_batch_gemini_killed_before_noting_its_batch_finds_it_by_name(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Killed once the server made the batch but before the journal noted it: the rerun finds
    that batch by its display name (the shard key) and makes no second one."""
    server = start_threaded_sim(batch_speed=1000)
    data, out = records(tmp_path / "in.jsonl", 20), tmp_path / "out.jsonl"
    env = {**os.environ, "GOOGLE_API_KEY": "g-test"}
    command = gemini_batch_map(server, data, out, "--quiet")
    killed = subprocess.run(
        command, capture_output=True, text=True, timeout=120,
        env={**env, "AIOCHAIN_TEST_KILL_WHEN_BATCH_MADE": "1"},
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL and creates(server) == 1
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert creates(server) == 1
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"r{n}" for n in range(20))
    assert all(r["via"] == "batch" for r in lines)


def test_map_batch_gemini_expired_keeps_its_answers_and_sends_the_rest_live(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """A Gemini batch that expires half done: its answers are kept (`via: batch`), the rest go
    live (`via: live`), every record once."""
    server = start_threaded_sim(batch_speed=1000, batch_expire_rate=1.0)
    data, out = records(tmp_path / "in.jsonl", 40), tmp_path / "out.jsonl"
    env = {**os.environ, "GOOGLE_API_KEY": "g-test"}
    command = gemini_batch_map(server, data, out, "--quiet")
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    lines = rows(out)
    assert sorted(r["id"] for r in lines) == sorted(f"r{n}" for n in range(40))
    via = [r["via"] for r in lines]
    assert 0 < via.count("batch") < 40 and via.count("live") == 40 - via.count("batch")
    assert answered(server, "gemini.generate") == via.count("live")


def test_batches_command_lists_shows_and_collects_gemini_batches(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """`aiochain batches --provider gemini` lists the batch a map job made, shows its state,
    and collects its answers with each row's record id from the job's journal."""
    server = start_threaded_sim(batch_speed=1000)
    data, out = records(tmp_path / "in.jsonl", 5), tmp_path / "out.jsonl"
    env = {**os.environ, "GOOGLE_API_KEY": "g-test"}
    command = gemini_batch_map(server, data, out, "--quiet")
    assert subprocess.run(command, capture_output=True, timeout=120, env=env).returncode == 0
    batches = [PYTHON, "-m", "aiochain", "batches", "--provider", "gemini"]
    batches += ["--base-url", server.base_url]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*batches, *args], capture_output=True, text=True, timeout=60, env=env
        )

    listed = cli("list")
    assert listed.returncode == 0, listed.stderr
    ident = listed.stdout.split()[0]
    assert listed.stdout.split()[1:3] == ["completed", "5/5"]
    assert cli("status", ident).stdout.split()[1] == "completed"
    journals = [p for p in tmp_path.iterdir() if "journal" in p.name]
    collected = cli("collect", ident, "--journal", str(journals[0]))
    assert collected.returncode == 0, collected.stderr
    got = [json.loads(line) for line in collected.stdout.splitlines()]
    assert sorted(r["record_id"] for r in got) == [f"r{n}" for n in range(5)]
    assert all(r["response"]["candidates"] for r in got)


def test_google_genai_sdk_runs_a_batch_against_the_simulator(
    start_threaded_sim: StartThreaded,
) -> None:
    """The official google-genai client creates an inline batch, polls it to
    JOB_STATE_SUCCEEDED, reads its inlined answers, lists it; OpenAI's /v1/batches still
    answers OpenAI's clients beside it."""
    from google import genai
    from google.genai import types

    server = start_threaded_sim(batch_speed=1000)
    options = types.HttpOptions(
        base_url=server.root_url, retry_options=types.HttpRetryOptions(attempts=1)
    )
    client = genai.Client(api_key="test-key", http_options=options)
    request = {"contents": [{"role": "user", "parts": [{"text": "Tell me about rivers."}]}]}
    job = client.batches.create(model=MODEL, src=[request], config={"display_name": "sdk"})
    assert job.name is not None and job.state == types.JobState.JOB_STATE_PENDING
    for _ in range(500):
        job = client.batches.get(name=job.name)
        if job.done:
            break
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED
    assert job.dest is not None and job.dest.inlined_responses
    answer = job.dest.inlined_responses[0].response
    assert answer is not None and answer.text and answer.usage_metadata is not None
    assert [j.name for j in client.batches.list()] == [job.name]
    openai = subprocess.run(
        [PYTHON, "-m", "aiochain", "batches", "--base-url", server.base_url, "list"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "OPENAI_API_KEY": "k"},
    )  # fmt: skip
    assert openai.returncode == 0 and openai.stdout == ""  # OpenAI's list: no OpenAI batches


def test_google_genai_sdk_runs_a_batch_from_an_uploaded_file(
    start_threaded_sim: StartThreaded,
) -> None:
    """The simulator's file variant, driven by the official client: a JSON Lines file goes up
    by the resumable upload, a batch is made from it, and its answers come back as a
    responses file of `{"key", "response"}` lines, one per request."""
    import io

    from google import genai
    from google.genai import types

    server = start_threaded_sim(batch_speed=1000)
    options = types.HttpOptions(
        base_url=server.root_url, retry_options=types.HttpRetryOptions(attempts=1)
    )
    client = genai.Client(api_key="test-key", http_options=options)
    lines = "".join(
        json.dumps(
            {"key": f"q{n}", "request": {"contents": [{"parts": [{"text": f"Rivers {n}."}]}]}}
        )
        + "\n"
        for n in range(3)
    )
    config = {"display_name": "in", "mime_type": "jsonl"}
    uploaded = client.files.upload(file=io.BytesIO(lines.encode()), config=config)
    assert uploaded.name is not None and uploaded.size_bytes == len(lines)
    job = client.batches.create(model=MODEL, src=uploaded.name, config={"display_name": "f"})
    assert job.name is not None
    for _ in range(500):
        job = client.batches.get(name=job.name)
        if job.done:
            break
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED
    assert job.dest is not None and job.dest.file_name is not None
    got = [json.loads(line) for line in client.files.download(file=job.dest.file_name).splitlines()]
    assert [row["key"] for row in got] == ["q0", "q1", "q2"]
    assert all(row["response"]["usageMetadata"]["promptTokenCount"] > 0 for row in got)
