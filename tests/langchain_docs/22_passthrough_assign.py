# Source: https://python.langchain.com/docs/how_to/passthrough/ and
#   https://python.langchain.com/docs/how_to/assign/
# Changes: imports only.
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
