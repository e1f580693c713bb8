"""Every example in examples/ runs, offline, and prints what it promises."""

from __future__ import annotations

import subprocess

from .conftest import PYTHON, ROOT


def run_example(name: str) -> str:
    done = subprocess.run(
        [PYTHON, "-W", "error::ResourceWarning", str(ROOT / "examples" / name)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_agent_example() -> None:
    """The agent example answers from both tools, which ran at the same time."""
    out = run_example("agent.py")
    assert out.startswith(
        "Based on the tools: get_weather: Lisbon: 21 C and sunny; get_time: Lisbon: 14:05."
    )
    assert "get_weather({'city': 'Lisbon'})" in out


def test_batch_example() -> None:
    """The batch example summarizes 500 documents within the rate limit."""
    out = run_example("batch.py")
    assert out.splitlines()[0] == "Document 0 is about topic 0."
    assert "500 done" in out and " 0 x 429" in out


def test_lcel_example() -> None:
    """The LCEL example runs parallel, branch, structured and streamed-JSON steps offline."""
    out = run_example("lcel.py").splitlines()
    first = "Runnables compose with a pipe."
    assert out[0] == f"short: {first} | again: {first}"
    assert out[1] == f"routed: [{{'summary': '{first}'}}, '{first}']"
    assert out[2] == f"structured: summary='{first}'"
    assert out[3] == f"streamed JSON, last: {{'summary': '{first}'}}"


def test_streaming_example() -> None:
    """The streaming example prints a chat model's pieces as text (never AIMessageChunk
    reprs), and the AsyncIteratorCallbackHandler recipe yields an agenerate's tokens."""
    out = run_example("streaming.py").splitlines()
    first = "Streams arrive piece by piece."
    assert out[0] == first and out[1] == first
    assert "AIMessageChunk" not in "\n".join(out)
    assert out[2] == f"tokens: {first}"
    assert out[3] == "same answer: True"
    assert out[4] == "requests: 1, tokens counted: True"
