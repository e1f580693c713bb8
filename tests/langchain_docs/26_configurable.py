# Source: https://python.langchain.com/docs/how_to/configure/ (Configurable Fields,
#   Configurable Alternatives with a prompt)
# Changes: imports only.
# %%
from aiochain.prompts import PromptTemplate
from aiochain.runnables import ConfigurableField
from aiochain.chat_models import ChatOpenAI

model = ChatOpenAI(temperature=0).configurable_fields(
    temperature=ConfigurableField(
        id="llm_temperature",
        name="LLM Temperature",
        description="The temperature of the LLM",
    )
)

default = model.invoke("pick a random number")

# %%
configured = model.with_config(configurable={"llm_temperature": 0.9}).invoke("pick a random number")

# %%
prompt = PromptTemplate.from_template("Pick a random number above {x}")
chain = prompt | model

chained_default = chain.invoke({"x": 0})

# %%
chained_configured = chain.with_config(configurable={"llm_temperature": 0.9}).invoke({"x": 0})

# %%
llm = ChatOpenAI(model="gpt-4o-mini")
prompt = PromptTemplate.from_template(
    "Tell me a joke about {topic}"
).configurable_alternatives(
    # This gives this field an id
    # When configuring the end runnable, we can then use this id to configure this field
    ConfigurableField(id="prompt"),
    # This sets a default_key.
    # If we specify this key, the default prompt (asking for a joke, as initialized above) will be used
    default_key="joke",
    # This adds a new option, with name `poem`
    poem=PromptTemplate.from_template("Write a short poem about {topic}"),
    # You can add more configuration options here
)
chain = prompt | llm

# By default it will write a joke
joke = chain.invoke({"topic": "bears"})

# %%
# We can configure it write a poem
poem = chain.with_config(configurable={"prompt": "poem"}).invoke({"topic": "bears"})
