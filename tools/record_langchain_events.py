"""Record LangChain's `astream_events` for tests/event_scenarios.py into
tests/data/langchain_events.json (run once, by hand; needs the `bench` extra:
`pip install langchain-core langchain-openai`). The chat model is langchain-openai's
`ChatOpenAI` against our simulation server on 127.0.0.1, as aiochain's is in the test.

    python tools/record_langchain_events.py
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiochain.sim import SimServer  # noqa: E402
from tests.event_scenarios import scenarios, sequence  # noqa: E402


async def main() -> None:
    from langchain_core.callbacks import adispatch_custom_event
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnableLambda
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI

    lib = SimpleNamespace(
        ChatOpenAI=ChatOpenAI,
        ChatPromptTemplate=ChatPromptTemplate,
        RunnableLambda=RunnableLambda,
        StrOutputParser=StrOutputParser,
        adispatch_custom_event=adispatch_custom_event,
        tool=tool,
    )
    recorded = {}
    async with SimServer() as base_url:
        for name, run in scenarios(lib, base_url).items():
            recorded[name] = sequence(await run())
    path = ROOT / "tests" / "data" / "langchain_events.json"
    path.write_text(json.dumps(recorded, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main())
