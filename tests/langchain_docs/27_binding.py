# Source: https://python.langchain.com/docs/how_to/binding/
# Changes: imports only.
# %%
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import ChatPromptTemplate
from aiochain.runnables import RunnablePassthrough
from aiochain.chat_models import ChatOpenAI

prompt = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Write out the following equation using algebraic symbols then solve it. Use the format\n\nEQUATION:...\nSOLUTION:...\n\n",
        ),
        ("human", "{equation_statement}"),
    ]
)

model = ChatOpenAI(temperature=0)

runnable = (
    {"equation_statement": RunnablePassthrough()} | prompt | model | StrOutputParser()
)

unbound = runnable.invoke("x raised to the third plus seven equals 12")

# %%
runnable = (
    {"equation_statement": RunnablePassthrough()}
    | prompt
    | model.bind(stop="SOLUTION")
    | StrOutputParser()
)

bound = runnable.invoke("x raised to the third plus seven equals 12")

# %%
tools = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {
                        "type": "string",
                        "description": "The city and state, e.g. San Francisco, CA",
                    },
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["location"],
            },
        },
    }
]

# %%
model = ChatOpenAI(model="gpt-4o-mini").bind(tools=tools)
tool_answer = model.invoke("What's the weather in SF, NYC and LA?")
