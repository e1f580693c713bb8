# Source: https://python.langchain.com/docs/how_to/callbacks_async/ and, last cell, the
#   AsyncIteratorCallbackHandler recipe of the classic streaming guide (langchain.callbacks)
# Changes: imports only (ChatAnthropic's endpoint from ANTHROPIC_BASE_URL, the simulator's).
# %%
import asyncio
from typing import Any, Dict, List

from aiochain.chat_models import ChatAnthropic, ChatOpenAI
from aiochain.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from aiochain.messages import HumanMessage
from aiochain.outputs import LLMResult

events = []


class MyCustomSyncHandler(BaseCallbackHandler):
    def on_llm_new_token(self, token: str, **kwargs) -> None:
        events.append(("token", token))
        print(f"Sync handler being called in a `thread_pool_executor`: token: {token}")


class MyCustomAsyncHandler(AsyncCallbackHandler):
    """Async callback handler that can be used to handle callbacks from langchain."""

    async def on_llm_start(
        self, serialized: Dict[str, Any], prompts: List[str], **kwargs: Any
    ) -> None:
        """Run when chain starts running."""
        events.append(("start", prompts))
        print("zzzz....")
        await asyncio.sleep(0.3)
        class_name = serialized["name"]
        print("Hi! I just woke up. Your llm is starting")

    async def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Run when chain ends running."""
        events.append(("end", response))
        print("zzzz....")
        await asyncio.sleep(0.3)
        print("Hi! I just woke up. Your llm is ending")


# To enable streaming, we pass in `streaming=True` to the ChatModel constructor
# Additionally, we pass in a list with our custom handler
chat = ChatAnthropic(
    model="claude-3-sonnet-20240229",
    max_tokens=25,
    streaming=True,
    callbacks=[MyCustomSyncHandler(), MyCustomAsyncHandler()],
)

result = await chat.agenerate([[HumanMessage(content="Tell me a joke")]])

# %%
from aiochain.callbacks import AsyncIteratorCallbackHandler

handler = AsyncIteratorCallbackHandler()
streaming_llm = ChatOpenAI(model="gpt-4o-mini", streaming=True, callbacks=[handler])
task = asyncio.create_task(streaming_llm.agenerate([[HumanMessage(content="Tell me a joke")]]))
iterated = []
async for token in handler.aiter():
    iterated.append(token)
iterated_result = await task
