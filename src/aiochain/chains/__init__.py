"""Chains with LangChain's classic API: `run` / `arun`, `invoke` / `ainvoke`, `apply` / `aapply`.

This package's `__init__` only re-exports, lazily: the names live in its modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .._exceptions import ConfigurationError as ConfigurationError
    from ..agents.agent_chain import AgentChain as AgentChain
    from ..callbacks._managers import (
        AsyncCallbackManagerForChainRun as AsyncCallbackManagerForChainRun,
    )
    from .base import Chain as Chain
    from .combine_documents import BaseCombineDocumentsChain as BaseCombineDocumentsChain
    from .combine_documents import RefineDocumentsChain as RefineDocumentsChain
    from .combine_documents import StuffDocumentsChain as StuffDocumentsChain
    from .combine_documents import (
        create_stuff_documents_chain as create_stuff_documents_chain,
    )
    from .conversation import ConversationChain as ConversationChain
    from .llm import LLMChain as LLMChain
    from .map_reduce import MapReduceDocumentsChain as MapReduceDocumentsChain
    from .map_reduce import ReduceDocumentsChain as ReduceDocumentsChain
    from .retrieval import create_retrieval_chain as create_retrieval_chain
    from .sequential import SequentialChain as SequentialChain
    from .sequential import SimpleSequentialChain as SimpleSequentialChain
    from .summarize import load_summarize_chain as load_summarize_chain

_EXPORTS = {
    "AgentChain": "..agents.agent_chain",
    "AsyncCallbackManagerForChainRun": "..callbacks._managers",
    "BaseCombineDocumentsChain": ".combine_documents",
    "Chain": ".base",
    "ConfigurationError": ".._exceptions",
    "ConversationChain": ".conversation",
    "create_retrieval_chain": ".retrieval",
    "create_stuff_documents_chain": ".combine_documents",
    "LLMChain": ".llm",
    "load_summarize_chain": ".summarize",
    "MapReduceDocumentsChain": ".map_reduce",
    "ReduceDocumentsChain": ".map_reduce",
    "RefineDocumentsChain": ".combine_documents",
    "SequentialChain": ".sequential",
    "SimpleSequentialChain": ".sequential",
    "StuffDocumentsChain": ".combine_documents",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "AgentChain",
    "BaseCombineDocumentsChain",
    "Chain",
    "ConversationChain",
    "LLMChain",
    "MapReduceDocumentsChain",
    "ReduceDocumentsChain",
    "RefineDocumentsChain",
    "SequentialChain",
    "SimpleSequentialChain",
    "StuffDocumentsChain",
    "create_retrieval_chain",
    "create_stuff_documents_chain",
    "load_summarize_chain",
]
