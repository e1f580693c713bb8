# Source: Runnable.with_retry docstring in langchain_core/runnables/base.py
# Changes: imports only.
# %%
from aiochain.runnables import RunnableLambda

count = 0


def _lambda(x: int) -> None:
    global count
    count = count + 1
    if x == 1:
        raise ValueError("x is 1")
    else:
        pass


runnable = RunnableLambda(_lambda)
try:
    runnable.with_retry(
        stop_after_attempt=2,
        retry_if_exception_type=(ValueError,),
    ).invoke(1)
except ValueError:
    pass

assert count == 2

# %%
from aiochain.chat_models import ChatOpenAI
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import ChatPromptTemplate

model = ChatOpenAI(model="gpt-4o-mini")
chain = ChatPromptTemplate.from_template("tell me a joke about {topic}") | model.with_retry(
    stop_after_attempt=3
) | StrOutputParser()
retried = chain.invoke({"topic": "retries"})
