# Source: https://python.langchain.com/v0.1/docs/modules/model_io/chat/quick_start/ (generate,
#   LLMResult with llm_output token_usage) and the LLMResult docstring in langchain_core/outputs
# Changes: imports only.
# %%
from aiochain.chat_models import ChatOpenAI
from aiochain.messages import HumanMessage, SystemMessage

chat = ChatOpenAI(temperature=0)

batch_messages = [
    [
        SystemMessage(content="You are a helpful assistant that translates English to French."),
        HumanMessage(content="I love programming.")
    ],
    [
        SystemMessage(content="You are a helpful assistant that translates English to French."),
        HumanMessage(content="I love artificial intelligence.")
    ],
]
result = chat.generate(batch_messages)
result

# %%
result.llm_output

# %%
first_generation = result.generations[0][0]
first_text = first_generation.text
first_message = first_generation.message
first_info = first_generation.generation_info

# %%
aresult = await chat.agenerate(batch_messages)
token_usage = aresult.llm_output["token_usage"]
flattened = aresult.flatten()
