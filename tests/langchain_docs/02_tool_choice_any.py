# Source: https://python.langchain.com/docs/how_to/tool_choice/ (forcing any tool)
# Changes: imports only.
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

# %%
llm_forced_to_use_tool = llm.bind_tools(tools, tool_choice="any")
forced_any = llm_forced_to_use_tool.invoke("What day is today?")

