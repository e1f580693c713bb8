"""The tutorial's program runs on aiochain with only its three import lines changed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from aiochain.sim import SimServer

from .conftest import PYTHON, SEED_DIR

SEED = SEED_DIR / "parallel_summaries.py"
IMPORTS = {
    "from langchain.llms import OpenAI": "from aiochain.llms import OpenAI",
    "from langchain.chains import LLMChain": "from aiochain.chains import LLMChain",
    "from langchain.prompts import PromptTemplate": "from aiochain.prompts import PromptTemplate",
}


def ported_seed() -> str:
    """The seed program with exactly its three langchain import lines replaced."""
    source = SEED.read_text()
    lines = source.splitlines(keepends=True)
    changed = 0
    for number, line in enumerate(lines):
        stripped = line.rstrip("\n")
        if stripped in IMPORTS:
            lines[number] = IMPORTS[stripped] + "\n"
            changed += 1
    assert changed == 3, "the seed's three import lines were not all found"
    ported = "".join(lines)
    assert "langchain" not in ported.replace("Langchain", "").split("import asyncio", 1)[1]
    return ported


@pytest.mark.skipif(not SEED.exists(), reason="shared/seed is not beside the checkout")
def test_seed_program_runs_with_only_imports_changed(tmp_path: Path) -> None:
    """Both summaries print, and the server saw the two requests in flight together."""
    program = tmp_path / "parallel_summaries.py"
    program.write_text(ported_seed())
    server = SimServer(latency=1.0)
    with server.serve_in_thread() as base_url:
        env = {**os.environ, "OPENAI_BASE_URL": base_url}
        env.pop("OPENAI_API_KEY", None)
        done = subprocess.run(
            [PYTHON, "-W", "error::ResourceWarning", str(program)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        stats = server.stats()
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Summary 1: This is a very long document about the history")
    assert lines[1].startswith("Summary 2: This document explores the intricate world")
    assert stats["requests"]["completions"] == {"200": 2}
    assert stats["max_in_flight"] == 2


def test_same_names_import_from_the_package_root() -> None:
    """OpenAI, LLMChain and PromptTemplate also import from aiochain directly."""
    import aiochain
    from aiochain.chains import LLMChain
    from aiochain.llms import OpenAI
    from aiochain.prompts import PromptTemplate

    assert (aiochain.OpenAI, aiochain.LLMChain, aiochain.PromptTemplate) == (
        OpenAI,
        LLMChain,
        PromptTemplate,
    )
