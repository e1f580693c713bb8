"""LangChain-style runnables (LCEL) on aiochain, offline against the simulation server.

python examples/lcel.py
"""

import asyncio
from operator import itemgetter

import pydantic

from aiochain.chat_models import ChatOpenAI
from aiochain.output_parsers import JsonOutputParser, StrOutputParser
from aiochain.prompts import ChatPromptTemplate, MessagesPlaceholder
from aiochain.runnables import RunnableBranch, RunnableParallel, RunnablePassthrough
from aiochain.sim import SimServer


class Summary(pydantic.BaseModel):
    """A one-line summary."""

    summary: str


DOC = "Runnables compose with a pipe. Branches run concurrently. Configs flow down."


async def main() -> None:
    async with SimServer() as base_url, ChatOpenAI(base_url=base_url) as llm:
        prompt = ChatPromptTemplate.from_messages(
            [("system", "Be brief."), MessagesPlaceholder("history"), ("human", "{text}")]
        )
        summarize = prompt | llm | StrOutputParser()
        # Two model calls at once, then one more that uses both answers.
        chain = RunnableParallel(
            text=itemgetter("text"), history=itemgetter("history"), short=summarize
        ) | RunnablePassthrough.assign(again=summarize)
        result = await chain.ainvoke({"text": DOC, "history": [("human", "Hi")]})
        print("short:", result["short"], "| again:", result["again"])

        route = RunnableBranch(
            (
                lambda x: x["kind"] == "json",
                prompt | llm.bind(response_format={"type": "json_object"}) | JsonOutputParser(),
            ),
            summarize,
        )
        answers = await route.abatch(
            [
                {"kind": "json", "text": DOC, "history": []},
                {"kind": "text", "text": DOC, "history": []},
            ],
            config={"max_concurrency": 2},
        )
        print("routed:", answers)

        structured = llm.with_structured_output(Summary)
        print("structured:", await structured.ainvoke(DOC))

        async for partial in (
            llm.bind(response_format={"type": "json_object"}) | JsonOutputParser()
        ).astream(DOC):
            last = partial
        print("streamed JSON, last:", last)


if __name__ == "__main__":
    asyncio.run(main())
