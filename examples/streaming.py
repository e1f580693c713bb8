"""Streaming on aiochain, offline against the simulation server: a chat model's chunks printed
as text, and LangChain's AsyncIteratorCallbackHandler recipe (`streaming=True`, `agenerate`),
with the tokens counted by `get_openai_callback`.

python examples/streaming.py
"""

import asyncio

from aiochain.callbacks import AsyncIteratorCallbackHandler, get_openai_callback
from aiochain.chat_models import ChatOpenAI
from aiochain.messages import HumanMessage
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import ChatPromptTemplate
from aiochain.sim import SimServer

QUESTION = "Streams arrive piece by piece. Print each piece as text."


async def main() -> None:
    async with SimServer() as base_url:
        async with ChatOpenAI(base_url=base_url) as chat:
            pieces = []
            async for chunk in chat.astream(QUESTION):  # AIMessageChunk pieces
                print(chunk.content, end="", flush=True)
                pieces.append(chunk.content)
            print()
            chain = ChatPromptTemplate.from_messages([("human", "{text}")]) | chat
            async for text in (chain | StrOutputParser()).astream({"text": QUESTION}):
                print(text, end="", flush=True)
            print()

        handler = AsyncIteratorCallbackHandler()
        async with ChatOpenAI(base_url=base_url, streaming=True, callbacks=[handler]) as chat:
            with get_openai_callback() as cb:
                task = asyncio.create_task(
                    chat.agenerate(messages=[[HumanMessage(content=QUESTION)]])
                )
                tokens = [token async for token in handler.aiter()]
                result = await task
            print("tokens:", "".join(tokens))
            print("same answer:", "".join(tokens) == result.generations[0][0].text)
            print(f"requests: {cb.successful_requests}, tokens counted: {cb.total_tokens > 0}")


if __name__ == "__main__":
    asyncio.run(main())
