# Source: ChatOpenAI docstring, langchain_openai/chat_models/base.py ("Async": ainvoke, astream,
#   abatch) and https://python.langchain.com/docs/how_to/chat_streaming/ (Async Streaming)
# Changes: imports only. The docstring's `async for chunk in (await llm.astream(messages))`
#   is a typo in LangChain's own docstring (astream is not awaitable there either); the
#   loop below is the form LangChain's streaming guide uses.
# %%
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o", temperature=0)
messages = [
    (
        "system",
        "You are a helpful translator. Translate the user sentence to French.",
    ),
    ("human", "I love programming."),
]

# %%
ainvoked = await llm.ainvoke(messages)

# %%
astreamed = []
async for chunk in llm.astream(messages):
    astreamed.append(chunk)
    print(chunk.content, end="|", flush=True)

# %%
abatched = await llm.abatch([messages])

# %%
batched = llm.batch(
    [
        "Write me a 1 verse song about goldfish on the moon",
        "Write me a 1 verse song about sparrows on the sea",
    ],
    config={"max_concurrency": 5},
)
