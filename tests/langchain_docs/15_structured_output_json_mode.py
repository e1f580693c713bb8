# Source: https://python.langchain.com/docs/how_to/structured_output/ (JSON mode)
# Changes: imports only.
# %%
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini")

# %%
structured_llm = llm.with_structured_output(None, method="json_mode")

json_mode_joke = structured_llm.invoke(
    "Tell me a joke about cats, respond in JSON with `setup` and `punchline` keys"
)

