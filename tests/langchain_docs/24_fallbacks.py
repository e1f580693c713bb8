# Source: https://python.langchain.com/docs/how_to/fallbacks/ (Fallbacks for Sequences)
# Changes: imports only.
# %%
# First let's create a chain with a ChatModel
# We add in a string output parser here so the outputs between the two are the same type
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import ChatPromptTemplate
from aiochain.chat_models import ChatOpenAI

chat_prompt = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "You're a nice assistant who always includes a compliment in your response",
        ),
        ("human", "Why did the {animal} cross the road"),
    ]
)
# Here we're going to use a bad model name to easily create a chain that will error
chat_model = ChatOpenAI(model="gpt-fake")
bad_chain = chat_prompt | chat_model | StrOutputParser()

# %%
# Now lets create a chain with the normal OpenAI model
from aiochain.prompts import PromptTemplate
from aiochain.llms import OpenAI

prompt_template = """Instructions: You should always include a compliment in your response.

Question: Why did the {animal} cross the road?"""
prompt = PromptTemplate.from_template(prompt_template)
llm = OpenAI()
good_chain = prompt | llm

# %%
# We can now create a final chain which combines the two
chain = bad_chain.with_fallbacks([good_chain])
fallback_answer = chain.invoke({"animal": "turtle"})

# %%
short_llm = ChatOpenAI()
long_llm = ChatOpenAI(model="gpt-3.5-turbo-16k")
llm = short_llm.with_fallbacks([long_llm])
