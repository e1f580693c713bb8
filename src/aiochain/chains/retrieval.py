"""`create_retrieval_chain`: retrieve documents for a question, then answer from them, as
LangChain's `langchain.chains.create_retrieval_chain` builds it.

    qa = create_stuff_documents_chain(llm, prompt)   # a prompt with {context} and {input}
    rag = create_retrieval_chain(retriever, qa)
    rag.invoke({"input": "What is X?"})              # {"input", "context": [docs], "answer"}
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from ..retrievers import BaseRetriever
from ..runnables._composition import RunnableLambda, RunnableParallel
from ..runnables._modifiers import RunnableAssign
from ..runnables.base import Runnable


def create_retrieval_chain(
    retriever: BaseRetriever | Runnable[Any, Any], combine_docs_chain: Runnable[Any, Any]
) -> Runnable[dict[str, Any], dict[str, Any]]:
    """A runnable that retrieves documents for `input["input"]` and answers from them.

    Args:
        retriever: a retriever (given the input's `"input"`), or any runnable given the whole
            input dict that returns documents (a history-aware retriever).
        combine_docs_chain: answers from `{"context": docs, **input}`
            (`create_stuff_documents_chain`).

    Returns:
        A runnable whose output is its input with `"context"` (the documents) and `"answer"`.
    """
    if isinstance(retriever, BaseRetriever):
        documents: Runnable[Any, Any] = RunnableLambda(itemgetter("input")) | retriever
    else:
        documents = retriever
    with_context = RunnableAssign(RunnableParallel({"context": documents}))
    answered = RunnableAssign(RunnableParallel({"answer": combine_docs_chain}))
    return with_context | answered


__all__ = ["create_retrieval_chain"]
