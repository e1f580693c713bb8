"""`InMemoryVectorStore`: documents and their vectors in memory, searched by cosine similarity,
with LangChain's API (`langchain_core.vectorstores.InMemoryVectorStore`).

    store = InMemoryVectorStore.from_texts(texts, embedding=OpenAIEmbeddings())
    docs = store.similarity_search("question", k=4)
    retriever = store.as_retriever(search_kwargs={"k": 2})

The vectors live in one float32 matrix when NumPy is installed (a search is one matrix
product), else in lists of floats. Any embeddings object works: ours (async at heart), or one
with only the sync `embed_documents` / `embed_query` (run in a worker thread).
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, Self, TypeVar

from ._exceptions import ConfigurationError
from .documents import Document
from .retrievers import VectorStoreRetriever
from .runnables._sync import run_sync

DocumentFilter = Callable[[Document], bool]
T = TypeVar("T")


class InMemoryVectorStore:
    """Documents and their embeddings, in memory.

    Args:
        embedding: what embeds the documents and the queries (`OpenAIEmbeddings`, ...).
    """

    def __init__(self, embedding: Any) -> None:
        self.embedding = embedding
        self.store: dict[str, dict[str, Any]] = {}
        """Every entry by id: `{"id", "vector", "text", "metadata"}`, as LangChain's."""
        self._matrix: Any = None  # the vectors of `store`, in its order, normalised; or None

    @property
    def embeddings(self) -> Any:
        """The embeddings object (LangChain's name)."""
        return self.embedding

    # --- adding -----------------------------------------------------------------------------

    async def aadd_documents(
        self, documents: Sequence[Document], ids: Sequence[str] | None = None, **kwargs: Any
    ) -> list[str]:
        """Embed and keep `documents`; returns their ids (their own `id`, else `ids`, else new
        ones). A document with an id already kept replaces it."""
        documents = list(documents)
        if ids is not None and len(ids) != len(documents):
            raise ConfigurationError(
                f"got {len(ids)} ids for {len(documents)} documents; give one id per document"
            )
        vectors = await _aembed_documents(self.embedding, [d.page_content for d in documents])
        kept = []
        for position, (doc, vector) in enumerate(zip(documents, vectors, strict=True)):
            ident = (ids[position] if ids is not None else None) or doc.id or str(uuid.uuid4())
            self.store[ident] = {
                "id": ident,
                "vector": vector,
                "text": doc.page_content,
                "metadata": dict(doc.metadata),
            }
            kept.append(ident)
        self._matrix = None
        return kept

    def add_documents(
        self, documents: Sequence[Document], ids: Sequence[str] | None = None, **kwargs: Any
    ) -> list[str]:
        """`aadd_documents`, blocking."""
        return _blocking(lambda: self.aadd_documents(documents, ids), name="add_documents")

    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: Sequence[dict[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Embed and keep `texts` (with `metadatas`, one per text); returns their ids."""
        texts = list(texts)
        if metadatas is not None and len(metadatas) != len(texts):
            raise ConfigurationError(
                f"got {len(metadatas)} metadatas for {len(texts)} texts; give one per text"
            )
        docs = [
            Document(text, metadata=dict(metadatas[i]) if metadatas else {})
            for i, text in enumerate(texts)
        ]
        return await self.aadd_documents(docs, ids)

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: Sequence[dict[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """`aadd_texts`, blocking."""
        return _blocking(lambda: self.aadd_texts(texts, metadatas, ids), name="add_texts")

    @classmethod
    async def afrom_texts(
        cls,
        texts: Iterable[str],
        embedding: Any,
        metadatas: Sequence[dict[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> Self:
        """A new store holding `texts`."""
        store = cls(embedding)
        await store.aadd_texts(texts, metadatas, ids)
        return store

    @classmethod
    def from_texts(
        cls,
        texts: Iterable[str],
        embedding: Any,
        metadatas: Sequence[dict[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> Self:
        """`afrom_texts`, blocking."""
        return _blocking(
            lambda: cls.afrom_texts(texts, embedding, metadatas, ids), name="from_texts"
        )

    @classmethod
    async def afrom_documents(
        cls, documents: Sequence[Document], embedding: Any, **kwargs: Any
    ) -> Self:
        """A new store holding `documents`."""
        store = cls(embedding)
        await store.aadd_documents(documents, kwargs.get("ids"))
        return store

    @classmethod
    def from_documents(cls, documents: Sequence[Document], embedding: Any, **kwargs: Any) -> Self:
        """`afrom_documents`, blocking."""
        return _blocking(
            lambda: cls.afrom_documents(documents, embedding, **kwargs), name="from_documents"
        )

    # --- reading and deleting ---------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str]) -> list[Document]:
        """The documents kept under `ids` (unknown ids are skipped)."""
        return [_document(self.store[i]) for i in ids if i in self.store]

    async def aget_by_ids(self, ids: Sequence[str]) -> list[Document]:
        return self.get_by_ids(ids)

    def delete(self, ids: Sequence[str] | None = None, **kwargs: Any) -> None:
        """Forget the documents kept under `ids` (every document when None)."""
        if ids is None:
            self.store.clear()
        for ident in ids or ():
            self.store.pop(ident, None)
        self._matrix = None

    async def adelete(self, ids: Sequence[str] | None = None, **kwargs: Any) -> None:
        self.delete(ids)

    # --- searching --------------------------------------------------------------------------

    def similarity_search_with_score_by_vector(
        self, embedding: Sequence[float], k: int = 4, filter: DocumentFilter | None = None
    ) -> list[tuple[Document, float]]:
        """The `k` documents nearest to a vector, with their cosine similarity, best first."""
        if not isinstance(k, int) or k < 1:
            raise ConfigurationError(f"k must be a positive integer, got {k!r}")
        entries = list(self.store.values())
        scores = self._scores(embedding)
        order = sorted(range(len(entries)), key=lambda i: -scores[i])
        found = []
        for i in order:
            doc = _document(entries[i])
            if filter is None or filter(doc):
                found.append((doc, float(scores[i])))
                if len(found) == k:
                    break
        return found

    def similarity_search_by_vector(
        self, embedding: Sequence[float], k: int = 4, **kwargs: Any
    ) -> list[Document]:
        """The `k` documents nearest to a vector."""
        return [d for d, _ in self.similarity_search_with_score_by_vector(embedding, k, **kwargs)]

    async def asimilarity_search_by_vector(
        self, embedding: Sequence[float], k: int = 4, **kwargs: Any
    ) -> list[Document]:
        return self.similarity_search_by_vector(embedding, k, **kwargs)

    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """The `k` documents nearest to `query`, with their cosine similarity, best first."""
        vector = await _aembed_query(self.embedding, query)
        return self.similarity_search_with_score_by_vector(vector, k, **kwargs)

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """`asimilarity_search_with_score`, blocking."""
        return _blocking(
            lambda: self.asimilarity_search_with_score(query, k, **kwargs),
            name="similarity_search_with_score",
        )

    async def asimilarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The `k` documents nearest to `query`, best first (`filter=` a function of a
        document keeps only those it accepts)."""
        return [d for d, _ in await self.asimilarity_search_with_score(query, k, **kwargs)]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """`asimilarity_search`, blocking."""
        return _blocking(
            lambda: self.asimilarity_search(query, k, **kwargs), name="similarity_search"
        )

    async def asimilarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """As `asimilarity_search_with_score`: for cosine similarity, the score is the
        relevance (1 the same direction, 0 unrelated)."""
        kwargs.pop("score_threshold", None)
        return await self.asimilarity_search_with_score(query, k, **kwargs)

    def similarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        return _blocking(
            lambda: self.asimilarity_search_with_relevance_scores(query, k, **kwargs),
            name="similarity_search_with_relevance_scores",
        )

    async def amax_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        **kwargs: Any,
    ) -> list[Document]:
        """`k` documents near `query` and far from each other, chosen among the `fetch_k`
        nearest: each next one maximises `lambda_mult * similarity to the query - (1 -
        lambda_mult) * its largest similarity to those already chosen`."""
        vector = await _aembed_query(self.embedding, query)
        candidates = self.similarity_search_with_score_by_vector(vector, max(k, fetch_k), **kwargs)
        vectors = {doc.id: self.store[str(doc.id)]["vector"] for doc, _ in candidates}
        chosen: list[tuple[Document, float]] = []
        rest = list(candidates)
        while rest and len(chosen) < k:

            def value(item: tuple[Document, float]) -> float:
                doc, score = item
                nearest = max(
                    (_cosine(vectors[doc.id], vectors[c.id]) for c, _ in chosen), default=0.0
                )
                return lambda_mult * score - (1 - lambda_mult) * nearest

            best = max(rest, key=value)
            rest.remove(best)
            chosen.append(best)
        return [doc for doc, _ in chosen]

    def max_marginal_relevance_search(
        self, query: str, k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5, **kwargs: Any
    ) -> list[Document]:
        return _blocking(
            lambda: self.amax_marginal_relevance_search(query, k, fetch_k, lambda_mult, **kwargs),
            name="max_marginal_relevance_search",
        )

    def as_retriever(self, **kwargs: Any) -> VectorStoreRetriever:
        """This store as a retriever: `search_type=` ("similarity", "mmr",
        "similarity_score_threshold") and `search_kwargs={"k": ...}`."""
        return VectorStoreRetriever(vectorstore=self, **kwargs)

    def _scores(self, query: Sequence[float]) -> Any:
        """The cosine similarity of `query` to every kept vector, in `store` order."""
        try:
            import numpy as np
        except ImportError:
            return [_cosine(query, entry["vector"]) for entry in self.store.values()]
        if not self.store:
            return []
        if self._matrix is None:
            matrix = np.asarray([e["vector"] for e in self.store.values()], dtype=np.float32)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            self._matrix = matrix / np.where(norms == 0, 1, norms)
        q = np.asarray(query, dtype=np.float32)
        length = float(np.linalg.norm(q)) or 1.0
        return (self._matrix @ (q / length)).tolist()


async def _aembed_documents(embedding: Any, texts: list[str]) -> list[list[float]]:
    if not texts:
        return []
    if hasattr(embedding, "aembed_documents"):
        return list(await embedding.aembed_documents(texts))
    return list(await asyncio.to_thread(embedding.embed_documents, texts))


async def _aembed_query(embedding: Any, text: str) -> list[float]:
    if hasattr(embedding, "aembed_query"):
        return list(await embedding.aembed_query(text))
    return list(await asyncio.to_thread(embedding.embed_query, text))


def _blocking(make: Callable[[], Coroutine[Any, Any, T]], *, name: str) -> T:
    """Run the async method behind the sync method `name` on a fresh event loop."""
    return run_sync(make, name=f"InMemoryVectorStore.{name}", async_name=f"a{name}")


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) != len(b):
        raise ConfigurationError(
            f"vectors of different lengths ({len(a)} and {len(b)}): one store, one embedding"
        )
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _document(entry: dict[str, Any]) -> Document:
    return Document(entry["text"], metadata=dict(entry["metadata"]), id=entry["id"])


__all__ = ["InMemoryVectorStore"]
