# Source: https://python.langchain.com/docs/how_to/custom_tools/ (@tool decorator)
# Changes: imports only (the page's StructuredTool cell is 17_structured_tool_cell.py).
# %%
from aiochain.tools import tool


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two numbers."""
    return a * b


# Let's inspect some of the attributes associated with the tool.
print(multiply.name)
print(multiply.description)
print(multiply.args)

# %%
@tool
async def amultiply(a: int, b: int) -> int:
    """Multiply two numbers."""
    return a * b

# %%
from typing import Annotated, List


@tool
def multiply_by_max(
    a: Annotated[int, "scale factor"],
    b: Annotated[List[int], "list of ints over which to take maximum"],
) -> int:
    """Multiply a by the maximum of b."""
    return a * max(b)


schema = multiply_by_max.args_schema.model_json_schema()

# %%
from pydantic import BaseModel, Field


class CalculatorInput(BaseModel):
    a: int = Field(description="first number")
    b: int = Field(description="second number")


@tool("multiplication-tool", args_schema=CalculatorInput, return_direct=True)
def multiply_named(a: int, b: int) -> int:
    """Multiply two numbers."""
    return a * b


# Let's inspect some of the attributes associated with the tool.
print(multiply_named.name)
print(multiply_named.description)
print(multiply_named.args)
print(multiply_named.return_direct)

# %%
invoked = multiply.invoke({"a": 2, "b": 3})

# %%
ainvoked = await amultiply.ainvoke({"a": 2, "b": 3})
