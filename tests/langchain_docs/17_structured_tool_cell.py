# Source: https://python.langchain.com/docs/how_to/custom_tools/ (StructuredTool): one
#   notebook cell that calls the sync `invoke` and awaits `ainvoke`.
# Changes: imports only.
# %%
from aiochain.tools import StructuredTool


def multiply_fn(a: int, b: int) -> int:
    """Multiply two numbers."""
    return a * b


async def amultiply_fn(a: int, b: int) -> int:
    """Multiply two numbers."""
    return a * b


calculator = StructuredTool.from_function(func=multiply_fn, coroutine=amultiply_fn)

print(calculator.invoke({"a": 2, "b": 3}))
print(await calculator.ainvoke({"a": 2, "b": 5}))
