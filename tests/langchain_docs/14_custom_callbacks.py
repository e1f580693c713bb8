# Source: https://python.langchain.com/docs/how_to/custom_callbacks/
# Changes: imports only; the page's model is ChatAnthropic, this uses ChatOpenAI.
# %%
from aiochain.chat_models import ChatOpenAI
from aiochain.callbacks import BaseCallbackHandler
from aiochain.prompts import ChatPromptTemplate

tokens = []


class MyCustomHandler(BaseCallbackHandler):
    def on_llm_new_token(self, token: str, **kwargs) -> None:
        tokens.append(token)
        print(f"My custom handler, token: {token}")


prompt = ChatPromptTemplate.from_messages(["Tell me a joke about {animal}"])

# To enable streaming, we pass in `streaming=True` to the ChatModel constructor
# Additionally, we pass in our custom handler as a list to the callbacks parameter
model = ChatOpenAI(
    model="gpt-4o-mini", streaming=True, callbacks=[MyCustomHandler()]
)

chain = prompt | model

response = chain.invoke({"animal": "bears"})
