# Source: https://python.langchain.com/docs/how_to/message_history/ (the v0.2 page: a
#   prompt with MessagesPlaceholder and RunnableWithMessageHistory keyed by session_id)
# Changes: imports only.
# %%
from aiochain.chat_history import InMemoryChatMessageHistory
from aiochain.prompts import ChatPromptTemplate, MessagesPlaceholder
from aiochain.runnables.history import RunnableWithMessageHistory
from aiochain.chat_models import ChatOpenAI

model = ChatOpenAI(model="gpt-4o-mini")

store = {}


def get_session_history(session_id: str) -> InMemoryChatMessageHistory:
    if session_id not in store:
        store[session_id] = InMemoryChatMessageHistory()
    return store[session_id]


prompt = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "You're an assistant who's good at {ability}. Respond in 20 words or fewer",
        ),
        MessagesPlaceholder(variable_name="history"),
        ("human", "{input}"),
    ]
)
runnable = prompt | model

with_message_history = RunnableWithMessageHistory(
    runnable,
    get_session_history,
    input_messages_key="input",
    history_messages_key="history",
)

# %%
first = with_message_history.invoke(
    {"ability": "math", "input": "What does cosine mean?"},
    config={"configurable": {"session_id": "abc123"}},
)

# %%
# Remembers
second = with_message_history.invoke(
    {"ability": "math", "input": "What?"},
    config={"configurable": {"session_id": "abc123"}},
)

# %%
# New session_id --> does not remember.
other = with_message_history.invoke(
    {"ability": "math", "input": "What?"},
    config={"configurable": {"session_id": "def234"}},
)

# %%
with_message_history_plain = RunnableWithMessageHistory(model, get_session_history)
plain = with_message_history_plain.invoke(
    "Hi! I'm Bob", config={"configurable": {"session_id": "plain"}}
)

# %%
ainvoked = await with_message_history.ainvoke(
    {"ability": "math", "input": "And sine?"},
    config={"configurable": {"session_id": "abc123"}},
)
