"""One benchmark client in its own process: `python bench/_client.py NAME URL N CONCURRENCY`.

Prints one JSON line: client CPU seconds and wall seconds for N chat completions with at most
CONCURRENCY in flight, measured after a warm-up, plus peak RSS and the answers' count. Each
client does what its users write: the hand-written baseline is one aiohttp session, a
semaphore and `asyncio.gather`, nothing else.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

MODEL = "gpt-4o-mini"
KEY = "sk-bench"


def texts(n: int, offset: int = 0) -> list[str]:
    return [f"Document {i + offset} opens here. It has a second sentence." for i in range(n)]


async def gathered(
    call: Callable[[str], Awaitable[str]], items: list[str], limit: int
) -> list[str]:
    gate = asyncio.Semaphore(limit)

    async def one(text: str) -> str:
        async with gate:
            return await call(text)

    return list(await asyncio.gather(*(one(t) for t in items)))


async def baseline(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    import aiohttp

    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        headers={"Authorization": f"Bearer {KEY}"},
    ) as session:

        async def call(text: str) -> str:
            payload = {"model": MODEL, "messages": [{"role": "user", "content": text}]}
            async with session.post(f"{url}/chat/completions", json=payload) as response:
                data = await response.json()
                return str(data["choices"][0]["message"]["content"])

        await gathered(call, warm, limit)
        return await timed(gathered(call, items, limit))


async def aiochain_llm(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    from aiochain import ChatOpenAI

    # Rate-limit and fault benchmarks set these; the others leave the defaults.
    rpm = float(os.environ["BENCH_RPM"]) if os.environ.get("BENCH_RPM") else None
    retries = int(os.environ.get("BENCH_RETRIES", "2"))
    async with ChatOpenAI(
        base_url=url, api_key=KEY, model=MODEL, rpm=rpm, max_retries=retries
    ) as chat:
        if warm:
            await chat.amap(warm, concurrency=limit)
        messages, cpu, wall = await timed(chat.amap(items, concurrency=limit))
        return [m.content for m in messages], cpu, wall


async def aiochain_chain(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    from aiochain import ChatOpenAI, ChatPromptTemplate, StrOutputParser

    async with ChatOpenAI(base_url=url, api_key=KEY, model=MODEL) as chat:
        chain = ChatPromptTemplate.from_messages([("human", "{text}")]) | chat | StrOutputParser()
        await chain.amap([{"text": t} for t in warm], concurrency=limit)
        return await timed(chain.amap([{"text": t} for t in items], concurrency=limit))


async def openai_sdk(
    url: str, items: list[str], limit: int, warm: list[str], aiohttp_transport: bool = False
) -> tuple[list[str], float, float]:
    import openai

    http_client = openai.DefaultAioHttpClient() if aiohttp_transport else None
    async with openai.AsyncOpenAI(
        base_url=url, api_key=KEY, max_retries=0, http_client=http_client
    ) as client:

        async def call(text: str) -> str:
            reply = await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": text}]
            )
            return reply.choices[0].message.content or ""

        await gathered(call, warm, limit)
        return await timed(gathered(call, items, limit))


async def openai_aiohttp(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    return await openai_sdk(url, items, limit, warm, aiohttp_transport=True)


async def langchain(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model=MODEL, base_url=url, api_key=KEY, max_retries=0)
    chain = ChatPromptTemplate.from_messages([("human", "{text}")]) | llm | StrOutputParser()
    config = {"max_concurrency": limit}
    await chain.abatch([{"text": t} for t in warm], config=config)
    return await timed(chain.abatch([{"text": t} for t in items], config=config))


async def litellm_client(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    # Otherwise LiteLLM fetches a price list from the internet at import; benchmarks stay local.
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    async def call(text: str) -> str:
        reply = await litellm.acompletion(
            model=f"openai/{MODEL}",
            api_base=url,
            api_key=KEY,
            messages=[{"role": "user", "content": text}],
        )
        return str(reply.choices[0].message.content)

    await gathered(call, warm, limit)
    return await timed(gathered(call, items, limit))


# --- Anthropic's Messages API (the simulator's /v1/messages; its root URL, without /v1) -----

CLAUDE = "claude-haiku-4-5"


async def baseline_anthropic(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    import aiohttp

    root = url.removesuffix("/v1")
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
    ) as session:

        async def call(text: str) -> str:
            payload = {
                "model": CLAUDE,
                "max_tokens": 1024,
                "messages": [{"role": "user", "content": text}],
            }
            async with session.post(f"{root}/v1/messages", json=payload) as response:
                data = await response.json()
                return str(data["content"][0]["text"])

        await gathered(call, warm, limit)
        return await timed(gathered(call, items, limit))


async def aiochain_anthropic(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    from aiochain import ChatAnthropic

    root = url.removesuffix("/v1")
    async with ChatAnthropic(base_url=root, api_key=KEY, model=CLAUDE) as chat:
        if warm:
            await chat.amap(warm, concurrency=limit)
        messages, cpu, wall = await timed(chat.amap(items, concurrency=limit))
        return [m.content for m in messages], cpu, wall


async def anthropic_sdk(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    import anthropic

    root = url.removesuffix("/v1")
    async with anthropic.AsyncAnthropic(base_url=root, api_key=KEY, max_retries=0) as client:

        async def call(text: str) -> str:
            reply = await client.messages.create(
                model=CLAUDE, max_tokens=1024, messages=[{"role": "user", "content": text}]
            )
            block = reply.content[0]
            return block.text if block.type == "text" else ""

        await gathered(call, warm, limit)
        return await timed(gathered(call, items, limit))


async def langchain_anthropic(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    from langchain_anthropic import ChatAnthropic
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    root = url.removesuffix("/v1")
    llm = ChatAnthropic(model=CLAUDE, base_url=root, api_key=KEY, max_retries=0)  # type: ignore[call-arg]
    chain = ChatPromptTemplate.from_messages([("human", "{text}")]) | llm | StrOutputParser()
    config = {"max_concurrency": limit}
    await chain.abatch([{"text": t} for t in warm], config=config)  # type: ignore[arg-type]
    return await timed(chain.abatch([{"text": t} for t in items], config=config))  # type: ignore[arg-type]


async def baseline_responses(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    import aiohttp

    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        headers={"Authorization": f"Bearer {KEY}"},
    ) as session:

        async def call(text: str) -> str:
            payload = {"model": MODEL, "input": [{"role": "user", "content": text}], "store": False}
            async with session.post(f"{url}/responses", json=payload) as response:
                data = await response.json()
                return str(data["output"][0]["content"][0]["text"])

        await gathered(call, warm, limit)
        return await timed(gathered(call, items, limit))


async def aiochain_responses(
    url: str, items: list[str], limit: int, warm: list[str]
) -> tuple[list[str], float, float]:
    from aiochain import ChatOpenAI

    async with ChatOpenAI(base_url=url, api_key=KEY, model=MODEL, use_responses_api=True) as chat:
        if warm:
            await chat.amap(warm, concurrency=limit)
        messages, cpu, wall = await timed(chat.amap(items, concurrency=limit))
        return [m.text for m in messages], cpu, wall


async def timed(work: Awaitable[Any]) -> tuple[Any, float, float]:
    cpu = time.process_time()
    wall = time.perf_counter()
    result = await work
    return result, time.process_time() - cpu, time.perf_counter() - wall


CLIENTS: dict[str, Callable[..., Awaitable[tuple[list[str], float, float]]]] = {
    "baseline": baseline,
    "aiochain": aiochain_llm,
    "aiochain-chain": aiochain_chain,
    "openai": openai_sdk,
    "openai-aiohttp": openai_aiohttp,
    "langchain": langchain,
    "litellm": litellm_client,
    "baseline-anthropic": baseline_anthropic,
    "aiochain-anthropic": aiochain_anthropic,
    "anthropic": anthropic_sdk,
    "langchain-anthropic": langchain_anthropic,
    "baseline-responses": baseline_responses,
    "aiochain-responses": aiochain_responses,
}


def main() -> None:
    name, url, n, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    fast = os.environ.get("BENCH_LOOP") == "uvloop"
    warm = [] if os.environ.get("BENCH_NO_WARMUP") else texts(min(200, n), offset=10_000_000)
    coro = CLIENTS[name](url, texts(n), limit, warm)
    if fast:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            results, cpu, wall = runner.run(coro)
    else:
        results, cpu, wall = asyncio.run(coro)
    expected = "Document 0 opens here."
    print(
        json.dumps(
            {
                "client": name,
                "n": len(results),
                "ok": bool(results) and results[0] == expected,
                "cpu": cpu,
                "wall": wall,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
