# Source: https://python.langchain.com/docs/how_to/tool_calling/,
#   https://python.langchain.com/docs/how_to/tool_results_pass_to_model/ and
#   https://python.langchain.com/docs/how_to/tool_choice/
# Changes: imports only (the page's tool_choice="any" cell is 02_tool_choice_any.py).
# %%
from aiochain.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Adds a and b."""
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiplies a and b."""
    return a * b


tools = [add, multiply]

# %%
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini")

llm_with_tools = llm.bind_tools(tools)

# %%
query = "What is 3 * 12?"

first = llm_with_tools.invoke(query)

# %%
from aiochain.messages import HumanMessage

query = "What is 3 * 12? Also, what is 11 + 49?"

messages = [HumanMessage(query)]

ai_msg = llm_with_tools.invoke(messages)

print(ai_msg.tool_calls)

messages.append(ai_msg)

# %%
for tool_call in ai_msg.tool_calls:
    selected_tool = {"add": add, "multiply": multiply}[tool_call["name"].lower()]
    tool_msg = selected_tool.invoke(tool_call)
    messages.append(tool_msg)

messages

# %%
final = llm_with_tools.invoke(messages)

# %%
llm_forced_to_multiply = llm.bind_tools(tools, tool_choice="multiply")
forced = llm_forced_to_multiply.invoke("what is 2 + 4")

# %%
messages = [HumanMessage("what is 2 + 4")]
forced_msg = llm_forced_to_multiply.invoke(messages)
messages.append(forced_msg)
for tool_call in forced_msg.tool_calls:
    selected_tool = {"add": add, "multiply": multiply}[tool_call["name"].lower()]
    tool_msg = selected_tool.invoke(tool_call)
    messages.append(tool_msg)
round_trip = llm_with_tools.invoke(messages)
