# Source: https://python.langchain.com/docs/how_to/sequence/, then (last cells)
#   https://python.langchain.com/docs/how_to/passthrough/ and .../how_to/assign/
# Changes: imports only.
# %%
from aiochain.chat_models import ChatOpenAI

model = ChatOpenAI(model="gpt-4o-mini")

# %%
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import ChatPromptTemplate

prompt = ChatPromptTemplate.from_template("tell me a joke about {topic}")

chain = prompt | model | StrOutputParser()

# %%
joke = chain.invoke({"topic": "bears"})

# %%
analysis_prompt = ChatPromptTemplate.from_template("is this a funny joke? {joke}")

composed_chain = {"joke": chain} | analysis_prompt | model | StrOutputParser()

analysis = composed_chain.invoke({"topic": "bears"})

# %%
composed_chain_with_lambda = (
    chain
    | (lambda input: {"joke": input})
    | analysis_prompt
    | model
    | StrOutputParser()
)

with_lambda = composed_chain_with_lambda.invoke({"topic": "beets"})

# %%
from aiochain.runnables import RunnableParallel

composed_chain_with_pipe = (
    RunnableParallel({"joke": chain})
    .pipe(analysis_prompt)
    .pipe(model)
    .pipe(StrOutputParser())
)

with_pipe = composed_chain_with_pipe.invoke({"topic": "battlestar galactica"})

# %%
composed_chain_with_pipe = RunnableParallel({"joke": chain}).pipe(
    analysis_prompt, model, StrOutputParser()
)
with_pipe_args = composed_chain_with_pipe.invoke({"topic": "battlestar galactica"})

# %%
from aiochain.runnables import RunnableParallel, RunnablePassthrough

runnable = RunnableParallel(
    passed=RunnablePassthrough(),
    modified=lambda x: x["num"] + 1,
)

passed = runnable.invoke({"num": 1})

# %%
runnable = RunnableParallel(
    extra=RunnablePassthrough.assign(mult=lambda x: x["num"] * 3),
    modified=lambda x: x["num"] + 1,
)

assigned = runnable.invoke({"num": 1})

# %%
from aiochain.runnables import RunnableParallel, RunnablePassthrough

runnable = RunnableParallel(
    extra=RunnablePassthrough.assign(mult=lambda x: x["num"] * 3),
    modified=lambda x: x["num"] + 1,
)

streamed = []
for chunk in runnable.stream({"num": 1}):
    streamed.append(chunk)
    print(chunk)
