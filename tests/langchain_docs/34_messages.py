# Source: https://python.langchain.com/docs/concepts/messages/ and the message docstrings in
#   langchain_core/messages (AIMessage, ToolMessage, pretty_print, text)
# Changes: imports only.
# %%
from aiochain.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from aiochain.chat_models import ChatOpenAI

model = ChatOpenAI(model="gpt-4o-mini")

reply = model.invoke([HumanMessage(content="Hello, how are you?")])

# %%
system_reply = model.invoke([
    SystemMessage(content="You are a helpful assistant! Your name is Bob."),
    HumanMessage(content="What is your name?")
])

# %%
dict_reply = model.invoke([
    {"role": "user", "content": "Hello, how are you?"},
    {"role": "assistant", "content": "I'm doing well, thank you for asking."},
    {"role": "user", "content": "Can you tell me a joke?"}
])

# %%
tool_message = ToolMessage(content="42", tool_call_id="call_Jja7J89XsjrOLA5r!MEOW!SL")

# %%
tool_message_with_artifact = ToolMessage(
    content="42",
    tool_call_id="call_Jja7J89XsjrOLA5r!MEOW!SL",
    artifact={"foo": "bar"},
)

# %%
reply.pretty_print()

# %%
message_text = reply.text()
message_type = reply.type
message_id = reply.id
tool_calls = reply.tool_calls
