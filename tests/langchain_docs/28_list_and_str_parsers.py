# Source: https://python.langchain.com/docs/how_to/output_parser_structured/ (list parser
#   section of the classic output parser guide) and
#   https://python.langchain.com/docs/how_to/output_parser_string/
#   and, last cells, the classic StructuredOutputParser page
# Changes: imports only.
# %%
from aiochain.output_parsers import CommaSeparatedListOutputParser
from aiochain.prompts import PromptTemplate
from aiochain.chat_models import ChatOpenAI

output_parser = CommaSeparatedListOutputParser()

format_instructions = output_parser.get_format_instructions()
prompt = PromptTemplate(
    template="List five {subject}.\n{format_instructions}",
    input_variables=["subject"],
    partial_variables={"format_instructions": format_instructions},
)

model = ChatOpenAI(temperature=0)

chain = prompt | model | output_parser

# %%
flavors = chain.invoke({"subject": "ice cream flavors"})

# %%
streamed = []
for s in chain.stream({"subject": "ice cream flavors"}):
    streamed.append(s)
    print(s)

# %%
parsed = output_parser.parse("foo, bar, baz")

# %%
from aiochain.output_parsers import StrOutputParser

str_chain = model | StrOutputParser()
text = str_chain.invoke("Tell me a joke")

# %%
# From https://python.langchain.com/v0.1/docs/modules/model_io/output_parsers/types/structured/
# (StructuredOutputParser), imports only changed.
from aiochain.output_parsers import ResponseSchema, StructuredOutputParser
from aiochain.prompts import PromptTemplate
from aiochain.chat_models import ChatOpenAI

response_schemas = [
    ResponseSchema(name="answer", description="answer to the user's question"),
    ResponseSchema(
        name="source",
        description="source used to answer the user's question, should be a website.",
    ),
]
output_parser = StructuredOutputParser.from_response_schemas(response_schemas)

format_instructions = output_parser.get_format_instructions()
prompt = PromptTemplate(
    template="answer the users question as best as possible.\n{format_instructions}\n{question}",
    input_variables=["question"],
    partial_variables={"format_instructions": format_instructions},
)

model = ChatOpenAI(temperature=0)
chain = prompt | model | output_parser

structured = chain.invoke({"question": "what's the capital of france?"})

# %%
structured_streamed = []
for s in chain.stream({"question": "what's the capital of france?"}):
    structured_streamed.append(s)
    print(s)
