# Source: https://python.langchain.com/docs/how_to/tool_calling/ (first cells: langchain repo
#   docs/docs/how_to/tool_calling.ipynb @ 0120e82, with `pydantic` for `langchain_core.pydantic_v1`
#   as the page has it since langchain-core 0.3),
#   https://python.langchain.com/docs/how_to/tool_results_pass_to_model/ and
#   https://python.langchain.com/docs/how_to/tool_choice/
# Changes: imports only (the page's tool_choice="any" cell is 02_tool_choice_any.py).
# %%
# The function name, type hints, and docstring are all part of the tool
# schema that's passed to the model. Defining good, descriptive schemas
# is an extension of prompt engineering and is an important part of
# getting models to perform well.
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: First integer
        b: Second integer
    """
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers.

    Args:
        a: First integer
        b: Second integer
    """
    return a * b

# %%
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)

# %%
from pydantic import BaseModel, Field


class add(BaseModel):
    """Add two integers."""

    a: int = Field(..., description="First integer")
    b: int = Field(..., description="Second integer")


class multiply(BaseModel):
    """Multiply two integers."""

    a: int = Field(..., description="First integer")
    b: int = Field(..., description="Second integer")

# %%
from typing_extensions import Annotated, TypedDict


class add(TypedDict):
    """Add two integers."""

    # Annotations must have the type and can optionally include a default value and description (in that order).
    a: Annotated[int, ..., "First integer"]
    b: Annotated[int, ..., "Second integer"]


class multiply(BaseModel):
    """Multiply two integers."""

    a: Annotated[int, ..., "First integer"]
    b: Annotated[int, ..., "Second integer"]


tools = [add, multiply]

# %%
llm_with_tools = llm.bind_tools(tools)

query = "What is 3 * 12?"

schema_bound = llm_with_tools.invoke(query)

# %%
query = "What is 3 * 12? Also, what is 11 + 49?"

schema_calls = llm_with_tools.invoke(query).tool_calls

# %%
from aiochain.output_parsers import PydanticToolsParser
from pydantic import BaseModel, Field


class add(BaseModel):
    """Add two integers."""

    a: int = Field(..., description="First integer")
    b: int = Field(..., description="Second integer")


class multiply(BaseModel):
    """Multiply two integers."""

    a: int = Field(..., description="First integer")
    b: int = Field(..., description="Second integer")


chain = llm_with_tools | PydanticToolsParser(tools=[add, multiply])
parsed_calls = chain.invoke(query)

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
