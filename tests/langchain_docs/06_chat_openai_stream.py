# Source: ChatOpenAI docstring, langchain_openai/chat_models/base.py ("Stream", "Token usage"
#   with stream_usage) and https://python.langchain.com/docs/how_to/chat_streaming/
# Changes: imports only.
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
for chunk in llm.stream(messages):
    print(chunk.content, end="", flush=True)

# %%
stream = llm.stream(messages)
full = next(stream)
for chunk in stream:
    full += chunk
full

# %%
stream = llm.stream(messages, stream_usage=True)
full_with_usage = next(stream)
for chunk in stream:
    full_with_usage += chunk
full_with_usage.usage_metadata

# %%
chunks = []
for chunk in llm.stream("Write me a 1 verse song about goldfish on the moon"):
    chunks.append(chunk)
    print(chunk.content, end="|", flush=True)
