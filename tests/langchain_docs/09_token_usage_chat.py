# Source: https://python.langchain.com/docs/how_to/chat_token_usage_tracking/
# Changes: imports only (the Anthropic cells of the page are left out; its response_metadata
#   cell is 39_response_metadata_token_usage.py, its with_structured_output cell is in 31).
# %%
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini")
openai_response = llm.invoke("hello")
openai_response.usage_metadata

# %%
llm = ChatOpenAI(model="gpt-4o-mini")

aggregate = None
for chunk in llm.stream("hello", stream_usage=True):
    print(chunk)
    aggregate = chunk if aggregate is None else aggregate + chunk

# %%
print(aggregate.content)
print(aggregate.usage_metadata)

# %%
from aiochain.callbacks import get_openai_callback

llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)

with get_openai_callback() as cb:
    result = llm.invoke("Tell me a joke")
    print(cb)

# %%
with get_openai_callback() as cb2:
    result = llm.invoke("Tell me a joke")
    result2 = llm.invoke("Tell me a joke")
    print(cb2.total_tokens)
# %%
from aiochain.callbacks import get_openai_callback
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)

with get_openai_callback() as cb:
    for chunk in llm.stream("Tell me a joke", stream_usage=True):
        pass
    print(cb)
streamed_total = cb.total_tokens

# %%
questions = [
    "What is the capital of France?",
    "What is the capital of Germany?",
]
with get_openai_callback() as cb:
    response = llm.batch(questions)
print(cb)
batch_total = cb.total_tokens
batch_requests = cb.successful_requests

# %%
with get_openai_callback() as cb:
    aresponse = await llm.abatch(questions)
abatch_total = cb.total_tokens
