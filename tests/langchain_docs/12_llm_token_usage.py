# Source: https://python.langchain.com/docs/how_to/llm_token_usage_tracking/
# Changes: imports only.
# %%
from aiochain.callbacks import get_openai_callback
from aiochain.llms import OpenAI

llm = OpenAI(model_name="gpt-3.5-turbo-instruct")

with get_openai_callback() as cb:
    result = llm.invoke("Tell me a joke")
    print(result)
    print("---")
print()

print(f"Total Tokens: {cb.total_tokens}")
print(f"Prompt Tokens: {cb.prompt_tokens}")
print(f"Completion Tokens: {cb.completion_tokens}")
print(f"Total Cost (USD): ${cb.total_cost}")

# %%
llm = OpenAI(model_name="gpt-3.5-turbo-instruct")

stream_tokens = 0
with get_openai_callback() as cb:
    for chunk in llm.stream("Tell me a joke"):
        print(chunk, end="", flush=True)
    print(result)
    print("---")
print()

print(f"Total Tokens: {cb.total_tokens}")
print(f"Prompt Tokens: {cb.prompt_tokens}")
print(f"Completion Tokens: {cb.completion_tokens}")
print(f"Total Cost (USD): ${cb.total_cost}")
stream_tokens = cb.total_tokens

# %%
import asyncio

with get_openai_callback() as cb:
    await asyncio.gather(
        *[llm.agenerate(["What is the square root of 4?"]) for _ in range(3)]
    )

gathered_tokens = cb.total_tokens

# %%
with get_openai_callback() as cb:
    await llm.agenerate(["What is the square root of 4?"])

one_call_tokens = cb.total_tokens
