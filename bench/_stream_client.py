"""One streaming client in its own process: `python bench/_stream_client.py NAME URL N TOKENS`.

Opens N streams at once, each asking for TOKENS tokens, reads them to the end, and prints one
JSON line: client CPU seconds, chunks read, and each stream's time to its first chunk.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable

MODEL = "gpt-4o-mini"
# Thirty ten-word sentences: the simulated answer is the first ten, cut at max_tokens.
TEXT = " ".join(f"Sentence {i} has exactly ten words in it, counting this." for i in range(30))


async def baseline(url: str, n: int, tokens: int) -> tuple[list[float], int, float]:
    """The hand-written reader: one session, `async for line in response.content`."""
    import aiohttp

    payload = {
        "model": MODEL,
        "stream": True,
        "max_tokens": tokens,
        "messages": [{"role": "user", "content": TEXT}],
    }

    async def one(session: aiohttp.ClientSession) -> AsyncIterator[str]:
        async with session.post(f"{url}/chat/completions", json=payload) as response:
            async for line in response.content:
                if line.startswith(b"data: "):
                    data = line[6:].strip()
                    if data == b"[DONE]":
                        return
                    chunk = json.loads(data)
                    if chunk["choices"]:
                        content = chunk["choices"][0]["delta"].get("content")
                        if content:
                            yield content

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        return await run_all(lambda: one(session), n)


async def aiochain_client(url: str, n: int, tokens: int) -> tuple[list[float], int, float]:
    from aiochain import ChatOpenAI

    async with ChatOpenAI(base_url=url, api_key="sk", max_tokens=tokens) as chat:
        return await run_all(lambda: chat.astream(TEXT), n)


async def openai_client(url: str, n: int, tokens: int) -> tuple[list[float], int, float]:
    import openai

    async with openai.AsyncOpenAI(base_url=url, api_key="sk", max_retries=0) as client:

        async def one() -> AsyncIterator[str]:
            stream = await client.chat.completions.create(
                model=MODEL,
                stream=True,
                max_tokens=tokens,
                messages=[{"role": "user", "content": TEXT}],
            )
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

        return await run_all(one, n)


async def run_all(
    open_stream: Callable[[], AsyncIterator[str]], n: int
) -> tuple[list[float], int, float]:
    first: list[float] = []
    chunks = 0

    async def consume() -> None:
        nonlocal chunks
        started = time.perf_counter()
        seen = False
        async for _ in open_stream():
            if not seen:
                first.append(time.perf_counter() - started)
                seen = True
            chunks += 1

    cpu = time.process_time()
    await asyncio.gather(*(consume() for _ in range(n)))
    return first, chunks, time.process_time() - cpu


CLIENTS = {"baseline": baseline, "aiochain": aiochain_client, "openai": openai_client}


def main() -> None:
    name, url, n, tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    first, chunks, cpu = asyncio.run(CLIENTS[name](url, n, tokens))
    print(
        json.dumps(
            {"client": name, "streams": len(first), "chunks": chunks, "cpu": cpu, "first": first}
        )
    )


if __name__ == "__main__":
    main()
