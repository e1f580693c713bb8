# Source: ChatOpenAI docstring, langchain_openai/chat_models/base.py ("Invoke", "Token usage",
#   "Response metadata"); https://python.langchain.com/docs/integrations/chat/openai/
# Changes: imports only (endpoint from OPENAI_BASE_URL / OPENAI_API_KEY).
# %%
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(
    model="gpt-4o",
    temperature=0,
    max_tokens=None,
    timeout=None,
    max_retries=2,
    # api_key="...",
    # base_url="...",
    # organization="...",
    # other params...
)

# %%
messages = [
    (
        "system",
        "You are a helpful translator. Translate the user sentence to French.",
    ),
    ("human", "I love programming."),
]
ai_msg = llm.invoke(messages)
ai_msg

# %%
print(ai_msg.content)

# %%
usage = ai_msg.usage_metadata

# %%
metadata = ai_msg.response_metadata

# %%
from aiochain.prompts import ChatPromptTemplate

prompt = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "You are a helpful assistant that translates {input_language} to {output_language}.",
        ),
        ("human", "{input}"),
    ]
)

chain = prompt | llm
chained = chain.invoke(
    {
        "input_language": "English",
        "output_language": "German",
        "input": "I love programming.",
    }
)
