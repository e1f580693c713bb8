# Source: https://python.langchain.com/docs/how_to/output_parser_json/
# Changes: imports only.
# %%
from aiochain.output_parsers import JsonOutputParser
from aiochain.prompts import PromptTemplate
from aiochain.chat_models import ChatOpenAI
from pydantic import BaseModel, Field

model = ChatOpenAI(temperature=0)


# Define your desired data structure.
class Joke(BaseModel):
    setup: str = Field(description="question to set up a joke")
    punchline: str = Field(description="answer to resolve the joke")


# And a query intented to prompt a language model to populate the data structure.
joke_query = "Tell me a joke."

# Set up a parser + inject instructions into the prompt template.
parser = JsonOutputParser(pydantic_object=Joke)

prompt = PromptTemplate(
    template="Answer the user query.\n{format_instructions}\n{query}\n",
    input_variables=["query"],
    partial_variables={"format_instructions": parser.get_format_instructions()},
)

chain = prompt | model | parser

joke = chain.invoke({"query": joke_query})

# %%
streamed = []
for s in chain.stream({"query": joke_query}):
    streamed.append(s)
    print(s)
