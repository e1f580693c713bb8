# Source: https://python.langchain.com/docs/how_to/chat_token_usage_tracking/
#   (Using AIMessage.response_metadata)
# Changes: imports only.
# %%
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini")
openai_response = llm.invoke("hello")

# %%
print(f'OpenAI: {openai_response.response_metadata["token_usage"]}\n')
