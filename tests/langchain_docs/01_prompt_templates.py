# Source: https://python.langchain.com/docs/concepts/prompt_templates/ (String
#   PromptTemplates, ChatPromptTemplates, MessagesPlaceholder),
#   https://python.langchain.com/docs/how_to/prompts_composition/ and the ChatPromptTemplate
#   docstring in langchain_core/prompts/chat.py
# Changes: imports only.
# %%
from aiochain.prompts import PromptTemplate

prompt_template = PromptTemplate.from_template("Tell me a joke about {topic}")

prompt_value = prompt_template.invoke({"topic": "cats"})

# %%
prompt = (
    PromptTemplate.from_template("Tell me a joke about {topic}")
    + ", make it funny"
    + "\n\nand in {language}"
)

composed = prompt
formatted = prompt.format(topic="sports", language="spanish")

# %%
prompt = PromptTemplate(
    input_variables=["product"],
    template="What is a good name for a company that makes {product}?",
)
partial_prompt = PromptTemplate.from_template("{foo}{bar}").partial(foo="foo")
partial_text = partial_prompt.format(bar="baz")

# %%
from aiochain.prompts import ChatPromptTemplate

prompt_template = ChatPromptTemplate([
    ("system", "You are a helpful assistant"),
    ("user", "Tell me a joke about {topic}")
])

prompt_value = prompt_template.invoke({"topic": "cats"})

# %%
from aiochain.prompts import ChatPromptTemplate, MessagesPlaceholder
from aiochain.messages import HumanMessage

prompt_template = ChatPromptTemplate([
    ("system", "You are a helpful assistant"),
    MessagesPlaceholder("msgs")
])

placeholder_value = prompt_template.invoke({"msgs": [HumanMessage(content="hi!")]})

# %%
prompt_template = ChatPromptTemplate([
    ("system", "You are a helpful assistant"),
    ("placeholder", "{msgs}") # <-- This is the changed part
])
placeholder_value_2 = prompt_template.invoke({"msgs": [HumanMessage(content="hi!")]})

# %%
template = ChatPromptTemplate.from_messages(
    [
        ("system", "You are a helpful AI bot. Your name is {name}."),
        ("human", "Hello, how are you doing?"),
        ("ai", "I'm doing well, thanks!"),
        ("human", "{user_input}"),
    ]
)

prompt_value = template.invoke(
    {
        "name": "Bob",
        "user_input": "What is your name?"
    }
)
messages = template.format_messages(name="Bob", user_input="What is your name?")
