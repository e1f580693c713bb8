# Source: https://python.langchain.com/docs/how_to/structured_output/ (Pydantic class,
#   TypedDict, JSON Schema, include_raw, json_mode)
#   The last cell is from https://python.langchain.com/docs/how_to/chat_token_usage_tracking/
#   (usage in astream_events of a structured model).
# Changes: imports only (the page's json_mode cell is 15_structured_output_json_mode.py).
# %%
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini")

# %%
from typing import Optional

from pydantic import BaseModel, Field


# Pydantic
class Joke(BaseModel):
    """Joke to tell user."""

    setup: str = Field(description="The setup of the joke")
    punchline: str = Field(description="The punchline to the joke")
    rating: Optional[int] = Field(
        default=None, description="How funny the joke is, from 1 to 10"
    )


structured_llm = llm.with_structured_output(Joke)

pydantic_joke = structured_llm.invoke("Tell me a joke about cats")

# %%
from typing_extensions import Annotated, TypedDict


# TypedDict
class JokeDict(TypedDict):
    """Joke to tell user."""

    setup: Annotated[str, ..., "The setup of the joke"]

    # Alternatively, we could have specified setup as:

    # setup: str                    # no default, no description
    # setup: Annotated[str, ...]    # no default, no description
    # setup: Annotated[str, "foo"]  # default, no description

    punchline: Annotated[str, ..., "The punchline of the joke"]
    rating: Annotated[Optional[int], None, "How funny the joke is, from 1 to 10"]


structured_llm = llm.with_structured_output(JokeDict)

typed_joke = structured_llm.invoke("Tell me a joke about cats")

# %%
json_schema = {
    "title": "joke",
    "description": "Joke to tell user.",
    "type": "object",
    "properties": {
        "setup": {
            "type": "string",
            "description": "The setup of the joke",
        },
        "punchline": {
            "type": "string",
            "description": "The punchline to the joke",
        },
        "rating": {
            "type": "integer",
            "description": "How funny the joke is, from 1 to 10",
            "default": None,
        },
    },
    "required": ["setup", "punchline"],
}
structured_llm = llm.with_structured_output(json_schema)

schema_joke = structured_llm.invoke("Tell me a joke about cats")

# %%
structured_llm = llm.with_structured_output(JokeDict, include_raw=True)

raw_joke = structured_llm.invoke("Tell me a joke about woodpeckers")

# %%
from aiochain.prompts import ChatPromptTemplate

system = """You are a hilarious comedian. Your specialty is knock-knock jokes. \
Return a joke which has the setup (the response to "Who's there?") and the final punchline (the response to "<setup> who?")."""

prompt = ChatPromptTemplate.from_messages([("system", system), ("human", "{input}")])

few_shot_structured_llm = prompt | llm.with_structured_output(Joke)
prompted_joke = few_shot_structured_llm.invoke("what's something funny about woodpeckers")

# %%
class Joke(BaseModel):
    """Joke to tell user."""

    setup: str = Field(description="question to set up a joke")
    punchline: str = Field(description="answer to resolve the joke")


llm = ChatOpenAI(
    model="gpt-4o-mini",
    stream_usage=True,
)
# Under the hood, .with_structured_output binds tools to the
# chat model and appends a parser.
structured_llm = llm.with_structured_output(Joke)

async for event in structured_llm.astream_events("Tell me a joke", version="v2"):
    if event["event"] == "on_chat_model_end":
        print(f'Token usage: {event["data"]["output"].usage_metadata}\n')
    elif event["event"] == "on_chain_end":
        print(event["data"]["output"])
    else:
        pass

