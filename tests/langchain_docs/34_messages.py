# Source: https://python.langchain.com/docs/concepts/messages/ and the message docstrings in
#   langchain_core/messages (AIMessage, ToolMessage, pretty_print, text)
# Changes: imports only. The last cells are the custom_tools page's content_and_artifact ones
#   (ToolMessage.artifact again).
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

# %%
# From https://python.langchain.com/docs/how_to/custom_tools/ (Returning artifacts of Tool
# execution), imports only changed.
import random
from typing import List, Tuple

from aiochain.tools import tool


@tool(response_format="content_and_artifact")
def generate_random_ints(min: int, max: int, size: int) -> Tuple[str, List[int]]:
    """Generate size random ints in the range [min, max]."""
    array = [random.randint(min, max) for _ in range(size)]
    content = f"Successfully generated array of {size} random ints in [{min}, {max}]."
    return content, array

# %%
content_only = generate_random_ints.invoke({"min": 0, "max": 9, "size": 10})

# %%
with_artifact = generate_random_ints.invoke(
    {
        "name": "generate_random_ints",
        "args": {"min": 0, "max": 9, "size": 10},
        "id": "123",  # required
        "type": "tool_call",  # required
    }
)

# %%
from aiochain.tools import BaseTool


class GenerateRandomFloats(BaseTool):
    name: str = "generate_random_floats"
    description: str = "Generate size random floats in the range [min, max]."
    response_format: str = "content_and_artifact"

    ndigits: int = 2

    def _run(self, min: float, max: float, size: int) -> Tuple[str, List[float]]:
        range_ = max - min
        array = [
            round(min + (range_ * random.random()), ndigits=self.ndigits)
            for _ in range(size)
        ]
        content = f"Generated {size} floats in [{min}, {max}], rounded to {self.ndigits} decimals."
        return content, array

    # Optionally define an equivalent async method

    # async def _arun(self, min: float, max: float, size: int) -> Tuple[str, List[float]]:
    #     ...

# %%
rand_gen = GenerateRandomFloats(ndigits=4)

floats = rand_gen.invoke(
    {
        "name": "generate_random_floats",
        "args": {"min": 0.1, "max": 3.3333, "size": 3},
        "id": "123",
        "type": "tool_call",
    }
)
