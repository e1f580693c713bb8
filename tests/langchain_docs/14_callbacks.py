# Source: https://python.langchain.com/docs/how_to/custom_callbacks/ (first cell),
#   https://python.langchain.com/docs/how_to/callbacks_runtime/ and
#   https://python.langchain.com/docs/how_to/callbacks_attach/ (the others)
# Changes: imports only (ChatAnthropic's endpoint from ANTHROPIC_BASE_URL, the simulator's).
# %%
from aiochain.chat_models import ChatAnthropic
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
model = ChatAnthropic(
    model="claude-3-sonnet-20240229", streaming=True, callbacks=[MyCustomHandler()]
)

chain = prompt | model

response = chain.invoke({"animal": "bears"})

# %%
from typing import Any, Dict, List

from aiochain.chat_models import ChatAnthropic
from aiochain.callbacks import BaseCallbackHandler
from aiochain.messages import BaseMessage
from aiochain.outputs import LLMResult
from aiochain.prompts import ChatPromptTemplate

seen = []


class LoggingHandler(BaseCallbackHandler):
    def on_chat_model_start(
        self, serialized: Dict[str, Any], messages: List[List[BaseMessage]], **kwargs
    ) -> None:
        seen.append("chat_model_start")
        print("Chat model started")

    def on_llm_end(self, response: LLMResult, **kwargs) -> None:
        seen.append("llm_end")
        print(f"Chat model ended, response: {response}")

    def on_chain_start(
        self, serialized: Dict[str, Any], inputs: Dict[str, Any], **kwargs
    ) -> None:
        seen.append("chain_start")
        print(f"Chain {serialized.get('name')} started")

    def on_chain_end(self, outputs: Dict[str, Any], **kwargs) -> None:
        seen.append("chain_end")
        print(f"Chain ended, outputs: {outputs}")


callbacks = [LoggingHandler()]
llm = ChatAnthropic(model="claude-3-sonnet-20240229")
prompt = ChatPromptTemplate.from_template("What is 1 + {number}?")

chain = prompt | llm

runtime_result = chain.invoke({"number": "2"}, config={"callbacks": callbacks})

# %%
attached_seen_before = len(seen)
chain_with_callbacks = chain.with_config(callbacks=callbacks)

attached_result = chain_with_callbacks.invoke({"number": "2"})
