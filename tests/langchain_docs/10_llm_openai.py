# Source: https://python.langchain.com/v0.1/docs/modules/model_io/llms/quick_start/ and the
#   classic "LLMs: generate" guide (generate, LLMResult.generations, llm_output)
# Changes: imports only.
# %%
from aiochain.llms import OpenAI

llm = OpenAI()

# %%
text = llm.invoke("What are some theories about the relationship between unemployment and inflation?")

# %%
streamed = []
for chunk in llm.stream(
    "What are some theories about the relationship between unemployment and inflation?"
):
    streamed.append(chunk)
    print(chunk, end="", flush=True)

# %%
llm_result = llm.generate(["Tell me a joke", "Tell me a poem"] * 15)

# %%
len(llm_result.generations)

# %%
llm_result.generations[0]

# %%
llm_result.generations[-1]

# %%
llm_result.llm_output

# %%
batched = llm.batch(["Tell me a joke", "Tell me a poem"])

# %%
llm = OpenAI(model="gpt-3.5-turbo-instruct", temperature=0, max_tokens=512)
astreamed = []
async for chunk in llm.astream("Write me a 1 verse song about sparkling water."):
    astreamed.append(chunk)
    print(chunk, end="|", flush=True)
