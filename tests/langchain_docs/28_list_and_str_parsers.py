# Source: https://python.langchain.com/docs/how_to/output_parser_structured/ (list parser
#   section of the classic output parser guide) and
#   https://python.langchain.com/docs/how_to/output_parser_string/
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
