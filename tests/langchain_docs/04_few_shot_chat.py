# Source: https://python.langchain.com/docs/how_to/few_shot_examples_chat/ (Fixed Examples)
# Changes: imports only.
# %%
from aiochain.chat_models import ChatOpenAI

model = ChatOpenAI(model="gpt-4o-mini", temperature=0.0)

# %%
from aiochain.prompts import ChatPromptTemplate, FewShotChatMessagePromptTemplate

examples = [
    {"input": "2 🦜 2", "output": "4"},
    {"input": "2 🦜 3", "output": "5"},
]

# %%
# This is a prompt template used to format each individual example.
example_prompt = ChatPromptTemplate.from_messages(
    [
        ("human", "{input}"),
        ("ai", "{output}"),
    ]
)
few_shot_prompt = FewShotChatMessagePromptTemplate(
    example_prompt=example_prompt,
    examples=examples,
)

print(few_shot_prompt.invoke({}).to_messages())

# %%
final_prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "You are a wondrous wizard of math."),
        few_shot_prompt,
        ("human", "{input}"),
    ]
)

# %%
chain = final_prompt | model

answer = chain.invoke({"input": "What is 2 🦜 9?"})
