"""Summarize many documents at once, with limits and progress, offline.

python examples/batch.py
"""

import asyncio

from aiochain import ChatOpenAI, PromptTemplate, RunStats, StrOutputParser
from aiochain.sim import SimServer


async def main() -> None:
    documents = [f"Document {i} is about topic {i % 7}. It has details." for i in range(500)]
    async with (
        SimServer(latency=0.2, rpm=30000) as base_url,
        ChatOpenAI(base_url=base_url, rpm=30000, max_concurrency=100) as llm,
    ):
        chain = PromptTemplate.from_template("Summarize:\n\n{text}") | llm | StrOutputParser()
        stats = RunStats()
        summaries = await chain.amap(({"text": d} for d in documents), progress=stats)
    print(summaries[0])
    print(
        f"{stats.done} done in {stats.elapsed:.1f} s, {stats.rate_limited} x 429, "
        f"{stats.prompt_tokens + stats.completion_tokens} tokens"
    )


if __name__ == "__main__":
    asyncio.run(main())
