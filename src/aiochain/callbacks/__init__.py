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

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._async_handler import AsyncCallbackHandler as AsyncCallbackHandler
    from ._custom_events import adispatch_custom_event as adispatch_custom_event
    from ._custom_events import dispatch_custom_event as dispatch_custom_event
    from ._handlers import BaseCallbackHandler as BaseCallbackHandler
    from ._handlers import RetryState as RetryState
    from ._handlers import StdOutCallbackHandler as StdOutCallbackHandler
    from ._manager_base import BaseCallbackManager as BaseCallbackManager
    from ._manager_base import BaseRunManager as BaseRunManager
    from ._manager_base import Callbacks as Callbacks
    from ._managers import AsyncCallbackManager as AsyncCallbackManager
    from ._managers import AsyncCallbackManagerForChainRun as AsyncCallbackManagerForChainRun
    from ._managers import AsyncCallbackManagerForLLMRun as AsyncCallbackManagerForLLMRun
    from ._managers import AsyncCallbackManagerForToolRun as AsyncCallbackManagerForToolRun
    from ._managers import AsyncParentRunManager as AsyncParentRunManager
    from ._managers import AsyncRunManager as AsyncRunManager
    from ._openai_usage import OpenAICallbackHandler as OpenAICallbackHandler
    from ._openai_usage import collect_runs_with as collect_runs_with
    from ._openai_usage import get_openai_callback as get_openai_callback
    from ._streaming import AsyncIteratorCallbackHandler as AsyncIteratorCallbackHandler
    from ._streaming import StreamingStdOutCallbackHandler as StreamingStdOutCallbackHandler
    from ._sync_managers import CallbackManager as CallbackManager
    from ._sync_managers import CallbackManagerForChainRun as CallbackManagerForChainRun
    from ._sync_managers import CallbackManagerForLLMRun as CallbackManagerForLLMRun
    from ._sync_managers import CallbackManagerForToolRun as CallbackManagerForToolRun
    from ._usage_metadata import UsageMetadataCallbackHandler as UsageMetadataCallbackHandler
    from ._usage_metadata import get_usage_metadata_callback as get_usage_metadata_callback

_EXPORTS = {
    "adispatch_custom_event": "._custom_events",
    "AsyncCallbackHandler": "._async_handler",
    "AsyncCallbackManager": "._managers",
    "AsyncCallbackManagerForChainRun": "._managers",
    "AsyncCallbackManagerForLLMRun": "._managers",
    "AsyncCallbackManagerForToolRun": "._managers",
    "AsyncIteratorCallbackHandler": "._streaming",
    "AsyncParentRunManager": "._managers",
    "AsyncRunManager": "._managers",
    "BaseCallbackHandler": "._handlers",
    "BaseCallbackManager": "._manager_base",
    "BaseRunManager": "._manager_base",
    "CallbackManager": "._sync_managers",
    "CallbackManagerForChainRun": "._sync_managers",
    "CallbackManagerForToolRun": "._sync_managers",
    "CallbackManagerForLLMRun": "._sync_managers",
    "Callbacks": "._manager_base",
    "collect_runs_with": "._openai_usage",
    "dispatch_custom_event": "._custom_events",
    "get_openai_callback": "._openai_usage",
    "get_usage_metadata_callback": "._usage_metadata",
    "OpenAICallbackHandler": "._openai_usage",
    "RetryState": "._handlers",
    "StdOutCallbackHandler": "._handlers",
    "StreamingStdOutCallbackHandler": "._streaming",
    "UsageMetadataCallbackHandler": "._usage_metadata",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
    "CallbackManagerForToolRun",
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
