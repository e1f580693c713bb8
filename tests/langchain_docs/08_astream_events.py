# Source: https://python.langchain.com/docs/how_to/streaming/ (Using Stream Events: Chat Model,
#   Chain, Filtering Events)
# Changes: imports only.
# %%
from aiochain.chat_models import ChatOpenAI

model = ChatOpenAI(model="gpt-4o-mini")

# %%
events = []
async for event in model.astream_events("hello", version="v2"):
    events.append(event)

# %%
events[:3]

# %%
events[-2:]

# %%
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import ChatPromptTemplate

prompt = ChatPromptTemplate.from_template("tell me a joke about {topic}")
chain = prompt | model | StrOutputParser()

# %%
num_events = 0
chain_events = []
async for event in chain.astream_events({"topic": "parrot"}, version="v2"):
    kind = event["event"]
    chain_events.append(kind)
    if kind == "on_chat_model_stream":
        print(
            f"Chat model chunk: {repr(event['data']['chunk'].content)}",
            flush=True,
        )
    if kind == "on_parser_stream":
        print(f"Parser chunk: {event['data']['chunk']}", flush=True)
    num_events += 1
    if num_events > 30:
        # Truncate the output
        print("...")
        break

# %%
chain = model.with_config({"run_name": "model"}) | StrOutputParser().with_config(
    {"run_name": "my_parser"}
)

max_events = 0
filtered = []
async for event in chain.astream_events(
    "Tell me a joke about parrots",
    version="v2",
    include_names=["my_parser"],
):
    filtered.append(event)
    max_events += 1
    if max_events > 10:
        # Truncate output
        print("...")
        break
