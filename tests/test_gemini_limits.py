"""Gemini's limits: a 429's RetryInfo paces the shared limiter like retry-after, a per-day
quota fails at once (QuotaExhaustedError), and `aiochain map` / `demo` with --provider gemini."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from aiochain import QuotaExhaustedError, RateLimitError
from aiochain.chat_models import ChatGoogleGenerativeAI
from aiochain.sim import SimServer

from .conftest import PYTHON, Reply, ScriptedServer
from .test_map import map_cli, rows

Start = Callable[..., Awaitable[SimServer]]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
StartThreaded = Callable[..., SimServer]
RPC = "type.googleapis.com/google.rpc."
OK = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
}


def quota_429(quota_id: str, delay: str | None) -> Reply:
    """A 429 RESOURCE_EXHAUSTED as Gemini sends it: no headers, the wait in the body."""
    details: list[dict[str, Any]] = [
        {
            "@type": RPC + "QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                    "quotaId": quota_id,
                    "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                    "quotaValue": "250",
                }
            ],
        }
    ]
    if delay is not None:
        details.append({"@type": RPC + "RetryInfo", "retryDelay": delay})
    body = {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota.\n* Quota exceeded for metric: x",
            "status": "RESOURCE_EXHAUSTED",
            "details": details,
        }
    }
    return Reply(status=429, json=body)


def model_for(server: ScriptedServer, **options: Any) -> ChatGoogleGenerativeAI:
    return ChatGoogleGenerativeAI(
        google_api_key="k", base_url=server.base_url.removesuffix("/v1"), **options
    )


async def test_retry_delay_is_the_rate_limit_error_s_retry_after(scripted: Scripted) -> None:
    """A per-minute 429's RetryInfo.retryDelay ("0.25s") becomes `retry_after`, as a
    retry-after header would, and pauses the shared limiter."""
    server = await scripted([quota_429("GenerateRequestsPerMinutePerProjectPerModel", "0.25s")])
    async with model_for(server, max_retries=0) as model:
        with pytest.raises(RateLimitError) as caught:
            await model.ainvoke("hi")
        assert caught.value.retry_after == 0.25
        assert model.rate_limiter.rate_limited == 1


async def test_a_per_minute_429_is_retried_after_its_delay(scripted: Scripted) -> None:
    """The call waits out the retryDelay and then gets its answer."""
    server = await scripted(
        [quota_429("GenerateRequestsPerMinutePerProjectPerModel", "0.05s"), Reply(json=OK)]
    )
    async with model_for(server) as model:
        message = await model.ainvoke("hi")
    assert message.content == "ok"
    assert len(server.requests) == 2


async def test_a_per_day_quota_fails_at_once_and_names_the_quota(scripted: Scripted) -> None:
    """A per-day QuotaFailure is QuotaExhaustedError after one request (never retried, the
    limiter not paused), with a one-line message naming the quota, even with a retryDelay."""
    quota = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
    server = await scripted([quota_429(quota, "20s"), Reply(json=OK)])
    async with model_for(server, max_retries=5) as model:
        with pytest.raises(QuotaExhaustedError) as caught:
            await model.ainvoke("hi")
        assert model.rate_limiter.rate_limited == 0
    error = caught.value
    assert error.quota_id == quota and error.status_code == 429
    assert quota in str(error) and "\n" not in str(error)
    assert "gemini-2.5-flash" in str(error)
    assert len(server.requests) == 1


async def test_a_per_day_quota_on_a_stream_fails_at_once(scripted: Scripted) -> None:
    """A stream refused by a per-day quota fails the same way, without a retry."""
    server = await scripted([quota_429("GenerateRequestsPerDayPerProjectPerModel", None)])
    async with model_for(server) as model:
        with pytest.raises(QuotaExhaustedError):
            async for _ in model.astream("hi"):
                pass
    assert len(server.requests) == 1


async def test_concurrent_calls_over_rpm_all_finish(start_sim: Start) -> None:
    """Over the simulator's rpm, the 429s' retryDelay paces every caller and every call gets
    its answer."""
    server = await start_sim(rpm=240)
    async with ChatGoogleGenerativeAI(
        model="gemini-2.0-flash", api_key="k", base_url=server.root_url, max_retries=6
    ) as model:
        answers = await asyncio.gather(*(model.ainvoke(f"Note {n}. More.") for n in range(10)))
        assert [a.content for a in answers] == [f"Note {n}." for n in range(10)]
        assert model.rate_limiter.rate_limited > 0
    assert server.stats()["requests"]["gemini.generate"]["429"] > 0


def records(path: Path, count: int) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"r{n}", "text": f"Record {n} is about rivers. It is short."}) + "\n"
            for n in range(count)
        )
    )
    return path


def gemini_map(server: SimServer, data: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return map_cli(
        server.base_url,
        "--provider",
        "gemini",
        "--template",
        "Summarize:\n\n{text}",
        "--input",
        str(data),
        "--output",
        str(out),
        "--quiet",
        env={"GOOGLE_API_KEY": "g-test"},
    )


def test_map_stops_in_one_line_on_a_per_day_quota_and_resumes(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """`map --provider gemini` stops at the per-day quota with one line naming it, keeps what
    it finished, and a rerun after the reset sends only the rest."""
    server = start_threaded_sim(gemini_rpd=5)
    data, out = records(tmp_path / "in.jsonl", 12), tmp_path / "out.jsonl"
    done = gemini_map(server, data, out)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "GenerateRequestsPerDayPerProjectPerModel" in lines[0]
    assert "Traceback" not in done.stderr
    first = server.stats()["requests"]["gemini.generate"]
    assert first["200"] == 5
    server.gemini_rpd = None  # the day has passed
    done = gemini_map(server, data, out)
    assert done.returncode == 0, done.stderr
    assert sorted(r["id"] for r in rows(out)) == sorted(f"r{n}" for n in range(12))
    assert server.stats()["requests"]["gemini.generate"]["200"] == 12


def test_map_over_a_per_minute_quota_finishes_with_none_failed(
    start_threaded_sim: StartThreaded, tmp_path: Path
) -> None:
    """Over the per-minute quota the job is paced by the 429s' retryDelay and finishes with
    every record answered."""
    server = start_threaded_sim(rpm=600)
    data, out = records(tmp_path / "in.jsonl", 30), tmp_path / "out.jsonl"
    done = gemini_map(server, data, out)
    assert done.returncode == 0, done.stderr
    answered = rows(out)
    assert len(answered) == 30 and not [r for r in answered if "error" in r]
    assert server.stats()["requests"]["gemini.generate"]["429"] > 0


def test_demo_runs_against_gemini() -> None:
    """`aiochain demo --provider gemini` runs the demo on the simulated Gemini API."""
    done = subprocess.run(
        [PYTHON, "-m", "aiochain", "demo", "--latency", "0.1", "--provider", "gemini"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "simulated Google Gemini" in done.stdout
    assert "1,000 summaries in" in done.stdout


@pytest.mark.parametrize(
    ("delay", "expected"),
    [("45.8s", 45.8), ("2s", 2.0), ("0s", 0.0), ("1e12s", None), ("-3s", None), ("soon", None),
     ("nans", None), (7, None)],
)  # fmt: skip
def test_retry_delay_is_read_sanely(delay: Any, expected: float | None) -> None:
    """A Duration's JSON form is read in seconds; absurd or malformed ones are ignored."""
    from aiochain._http.google_rpc import retry_delay

    body = {"error": {"details": [{"@type": RPC + "RetryInfo", "retryDelay": delay}]}}
    assert retry_delay(body) == expected


async def test_a_hostile_retry_delay_is_not_believed(scripted: Scripted) -> None:
    """A 429 with a retryDelay of decades is no pause: the wait is ignored, as an absurd
    retry-after is."""
    server = await scripted([quota_429("GenerateRequestsPerMinutePerProjectPerModel", "9e15s")])
    async with model_for(server, max_retries=0) as model:
        with pytest.raises(RateLimitError) as caught:
            await model.ainvoke("hi")
    assert caught.value.retry_after is None
