# Source: the classic chat model quickstart,
#   https://python.langchain.com/v0.1/docs/modules/model_io/chat/quick_start/ (langchain 0.0.x /
#   0.1: `from langchain.chat_models import ChatOpenAI`, `from langchain.schema import ...`)
# Changes: imports only.
# %%
from aiochain.chat_models import ChatOpenAI
from aiochain.messages import AIMessage, HumanMessage, SystemMessage

chat = ChatOpenAI(temperature=0)

# %%
translated = chat(
    [
        HumanMessage(
            content="Translate this sentence from English to French: I love programming."
        )
    ]
)

# %%
messages = [
    SystemMessage(
        content="You are a helpful assistant that translates English to French."
    ),
    HumanMessage(content="I love programming."),
]
with_system = chat(messages)

# %%
predicted = chat.predict_messages(
    [HumanMessage(content="Translate this sentence from English to French: I love programming.")]
)
