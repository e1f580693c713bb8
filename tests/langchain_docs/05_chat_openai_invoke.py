# Source: ChatOpenAI docstring, langchain_openai/chat_models/base.py ("Invoke", "Token usage",
#   "Response metadata"); https://python.langchain.com/docs/integrations/chat/openai/
#   The last cells: https://python.langchain.com/docs/tutorials/llm_chain/
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

# %%
# From https://python.langchain.com/docs/tutorials/llm_chain/ (Build a simple LLM application
# with chat models and prompt templates).
from aiochain.chat_models import init_chat_model

model = init_chat_model("gpt-4o-mini", model_provider="openai")

# %%
from aiochain.messages import HumanMessage, SystemMessage

messages = [
    SystemMessage("Translate the following from English into Italian"),
    HumanMessage("hi!"),
]

tutorial_answer = model.invoke(messages)

# %%
hello_answers = [
    model.invoke("Hello"),
    model.invoke([{"role": "user", "content": "Hello"}]),
    model.invoke([HumanMessage("Hello")]),
]

# %%
for token in model.stream(messages):
    print(token.content, end="|")

# %%
from aiochain.prompts import ChatPromptTemplate

system_template = "Translate the following from English into {language}"

prompt_template = ChatPromptTemplate.from_messages(
    [("system", system_template), ("user", "{text}")]
)

# %%
tutorial_prompt = prompt_template.invoke({"language": "Italian", "text": "hi!"})

tutorial_prompt

# %%
tutorial_messages = tutorial_prompt.to_messages()

# %%
response = model.invoke(tutorial_prompt)
print(response.content)
