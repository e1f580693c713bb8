"""Callbacks, where LangChain users look for them (`langchain_core.callbacks`,
`langchain_community.callbacks.get_openai_callback`).

    from aiochain.callbacks import AsyncCallbackHandler, get_openai_callback

    class Tokens(AsyncCallbackHandler):
        async def on_llm_new_token(self, token, **kwargs):
            await websocket.send_text(token)

    with get_openai_callback() as cb:
        await asyncio.gather(*(chain.ainvoke(x, config={"callbacks": [Tokens()]}) for x in xs))
    print(cb.total_tokens, cb.total_cost)

Handlers are given as `callbacks=[...]` to a model or chain (its own runs), per call
(`chain.ainvoke(x, callbacks=[...])`, `config={"callbacks": [...]}`: that run and every run it
starts), or through the context (`get_openai_callback()`). With no handler anywhere, a call does
no callback work.
"""

from __future__ import annotations

from .._async_callback_handler import AsyncCallbackHandler
from .._callback_handlers import BaseCallbackHandler, RetryState, StdOutCallbackHandler
from .._callback_manager import (
    AsyncCallbackManager,
    AsyncCallbackManagerForChainRun,
    AsyncCallbackManagerForLLMRun,
    AsyncCallbackManagerForToolRun,
    AsyncParentRunManager,
    AsyncRunManager,
    BaseCallbackManager,
    BaseRunManager,
    CallbackManager,
    CallbackManagerForChainRun,
    CallbackManagerForLLMRun,
    Callbacks,
)
from .._custom_events import adispatch_custom_event, dispatch_custom_event
from .._openai_callback import OpenAICallbackHandler, collect_runs_with, get_openai_callback
from .._streaming_handlers import AsyncIteratorCallbackHandler, StreamingStdOutCallbackHandler
from .._usage_callback import UsageMetadataCallbackHandler, get_usage_metadata_callback

__all__ = [
    "AsyncCallbackHandler",
    "AsyncCallbackManager",
    "AsyncCallbackManagerForChainRun",
    "AsyncCallbackManagerForLLMRun",
    "AsyncCallbackManagerForToolRun",
    "AsyncIteratorCallbackHandler",
    "AsyncParentRunManager",
    "AsyncRunManager",
    "BaseCallbackHandler",
    "BaseCallbackManager",
    "BaseRunManager",
    "CallbackManager",
    "CallbackManagerForChainRun",
    "CallbackManagerForLLMRun",
    "Callbacks",
    "OpenAICallbackHandler",
    "RetryState",
    "StdOutCallbackHandler",
    "StreamingStdOutCallbackHandler",
    "UsageMetadataCallbackHandler",
    "adispatch_custom_event",
    "collect_runs_with",
    "dispatch_custom_event",
    "get_openai_callback",
    "get_usage_metadata_callback",
]
