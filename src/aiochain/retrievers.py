"""Retrievers, as LangChain has them: a runnable from a query string to a list of documents.

`BaseRetriever` is the base of every retriever (override `_aget_relevant_documents`, or the
sync `_get_relevant_documents`); `VectorStoreRetriever` is what `vector_store.as_retriever()`
returns. Both compose with `|` and fit `create_retrieval_chain`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from ._exceptions import ConfigurationError
from .documents import Document
from .runnables.base import Config, Runnable


class BaseRetriever(Runnable[str, list[Document]]):
    """Finds the documents relevant to a query: `await retriever.ainvoke("question")`."""

    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None

    async def ainvoke(self, input: str, config: Config = None, **kwargs: Any) -> list[Document]:
        """The documents relevant to the query `input`."""
        if not isinstance(input, str):
            raise ConfigurationError(
                f"a retriever takes a query string, got {type(input).__name__}; in a chain, "
                'pick the question first, e.g. itemgetter("question") | retriever'
            )
        return await self._aget_relevant_documents(input, **kwargs)

    async def _aget_relevant_documents(self, query: str, **kwargs: Any) -> list[Document]:
        """What subclasses provide (by default the sync one, in a worker thread)."""
        return await asyncio.to_thread(self._get_relevant_documents, query, **kwargs)

    def _get_relevant_documents(self, query: str, **kwargs: Any) -> list[Document]:
        raise NotImplementedError

    async def aget_relevant_documents(self, query: str, **kwargs: Any) -> list[Document]:
        """LangChain's older name for `ainvoke`."""
        return await self.ainvoke(query, **kwargs)

    def get_relevant_documents(self, query: str, **kwargs: Any) -> list[Document]:
        """LangChain's older name for `invoke`."""
        return self.invoke(query, **kwargs)


class SearchableStore(Protocol):
    """What a `VectorStoreRetriever` needs of its store."""

    async def asimilarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]: ...

    async def asimilarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]: ...

    async def amax_marginal_relevance_search(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[Document]: ...


SEARCH_TYPES = ("similarity", "similarity_score_threshold", "mmr")


class VectorStoreRetriever(BaseRetriever):
    """A vector store as a retriever.

    Args:
        vectorstore: the store searched.
        search_type: "similarity" (the `k` nearest), "similarity_score_threshold" (those of
            them scoring at least `search_kwargs["score_threshold"]`) or "mmr" (maximal
            marginal relevance: near the query, far from each other).
        search_kwargs: passed to the search: `k`, `filter`, `score_threshold`, `fetch_k`,
            `lambda_mult`.
    """

    def __init__(
        self,
        *,
        vectorstore: SearchableStore,
        search_type: str = "similarity",
        search_kwargs: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if search_type not in SEARCH_TYPES:
            raise ConfigurationError(
                f"search_type must be one of {', '.join(SEARCH_TYPES)}, got {search_type!r}"
            )
        kwargs = dict(search_kwargs or {})
        if search_type == "similarity_score_threshold" and not isinstance(
            kwargs.get("score_threshold"), int | float
        ):
            raise ConfigurationError(
                'search_type="similarity_score_threshold" needs a number as '
                'search_kwargs["score_threshold"]'
            )
        self.vectorstore = vectorstore
        self.search_type = search_type
        self.search_kwargs = kwargs
        self.tags, self.metadata = tags, metadata

    async def _aget_relevant_documents(self, query: str, **kwargs: Any) -> list[Document]:
        options = {**self.search_kwargs, **kwargs}
        if self.search_type == "similarity":
            return await self.vectorstore.asimilarity_search(query, **options)
        if self.search_type == "mmr":
            return await self.vectorstore.amax_marginal_relevance_search(query, **options)
        threshold = float(options.pop("score_threshold"))
        scored = await self.vectorstore.asimilarity_search_with_relevance_scores(query, **options)
        return [doc for doc, score in scored if score >= threshold]

    def __repr__(self) -> str:
        return f"VectorStoreRetriever(search_type={self.search_type!r})"


__all__ = ["BaseRetriever", "SearchableStore", "VectorStoreRetriever"]
