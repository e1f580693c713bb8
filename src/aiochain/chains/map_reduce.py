"""Map-reduce over documents: answer for each concurrently, then combine, collapsing first.

LangChain's `MapReduceDocumentsChain` and `ReduceDocumentsChain`, with the same arguments and
results, run differently: the map step goes through the runner (`_runner.amap`), all at once
within the model's `max_concurrency` (or `concurrency=`), its rpm / tpm limits and its retries,
results in input order; and each collapse level runs its groups concurrently too (LangChain
runs them one after another), so a run takes one model latency per level, not per group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .._exceptions import ConfigurationError
from ..documents import Document
from ..prompts import BasePromptTemplate
from ..runnables import _runner
from ..runnables.base import Runnable
from .combine_documents import BaseCombineDocumentsChain, ModelStep, StuffDocumentsChain

logger = logging.getLogger("aiochain")


class ReduceDocumentsChain(BaseCombineDocumentsChain):
    """Combine documents with a stuff chain, collapsing them first while they are too long.

    While the combine prompt for all the documents exceeds `token_max` tokens, the documents are
    cut, in order, into groups whose prompt fits, and each group is replaced by the answer of the
    collapse chain for it (the combine chain when none is given), its metadata merged. The
    groups of one level run concurrently; the levels run one after another.

    Args:
        combine_documents_chain: the final stuff chain.
        collapse_documents_chain: the stuff chain for collapsing (default: the combine chain).
        token_max: the most tokens a combine prompt may have (LangChain's default, 3000).
        collapse_max_retries: give up after this many levels (None: go on while it shrinks).
        concurrency: collapse calls at once (default: all, within the model's max_concurrency).
    """

    def __init__(
        self,
        *,
        combine_documents_chain: StuffDocumentsChain,
        collapse_documents_chain: StuffDocumentsChain | None = None,
        token_max: int = 3000,
        collapse_max_retries: int | None = None,
        concurrency: int | None = None,
        verbose: bool | None = None,
    ) -> None:
        if token_max < 1:
            raise ConfigurationError(f"token_max must be >= 1, got {token_max}")
        del verbose  # the stuff chains log their prompts
        self.combine_documents_chain = combine_documents_chain
        self.collapse_documents_chain = collapse_documents_chain or combine_documents_chain
        self.token_max = token_max
        self.collapse_max_retries = collapse_max_retries
        self.concurrency = _checked_concurrency(concurrency)

    async def acombine_docs(
        self, docs: list[Document], token_max: int | None = None, **kwargs: Any
    ) -> tuple[str, dict[str, Any]]:
        """Collapse while too long, then combine."""
        collapsed = await self.acollapse(docs, token_max=token_max, **kwargs)
        return await self.combine_documents_chain.acombine_docs(collapsed, **kwargs)

    async def acollapse(
        self, docs: list[Document], token_max: int | None = None, **kwargs: Any
    ) -> list[Document]:
        """The documents, collapsed level by level until the combine prompt fits."""
        limit = token_max or self.token_max
        measure = self.combine_documents_chain.prompt_length
        levels = 0
        while len(docs) > 1 and (measure(docs, **kwargs) or 0) > limit:
            groups = _groups_that_fit(docs, limit, lambda group: measure(group, **kwargs) or 0)

            async def collapse(group: list[Document]) -> Document:
                text, _ = await self.collapse_documents_chain.acombine_docs(group, **kwargs)
                return Document(text, metadata=_merged_metadata(group))

            docs = await _runner.amap(
                collapse,
                groups,
                concurrency=self.concurrency
                or _concurrency_for(self.collapse_documents_chain.step.llm, len(groups)),
            )
            levels += 1
            logger.debug("collapsed to %d documents (level %d)", len(docs), levels)
            if self.collapse_max_retries and levels >= self.collapse_max_retries:
                raise ConfigurationError(
                    f"the documents still exceed token_max={limit} after "
                    f"{levels} collapse levels (collapse_max_retries)"
                )
        return docs


def _groups_that_fit(
    docs: list[Document], limit: int, measure: Callable[[list[Document]], int]
) -> list[list[Document]]:
    """Consecutive groups of documents whose prompt is at most `limit` tokens each."""
    groups: list[list[Document]] = []
    group: list[Document] = []
    for doc in docs:
        group.append(doc)
        if measure(group) > limit:
            if len(group) == 1:
                raise ConfigurationError(
                    f"one document's prompt alone exceeds token_max={limit} tokens: raise "
                    "token_max or split the text into smaller chunks"
                )
            groups.append(group[:-1])
            group = [doc]
    groups.append(group)
    return groups


def _merged_metadata(docs: list[Document]) -> dict[str, Any]:
    """Metadata of several documents as one: values as text, joined by ", " (LangChain's)."""
    merged: dict[str, Any] = {}
    for doc in docs:
        for key, value in doc.metadata.items():
            merged[key] = f"{merged[key]}, {value}" if key in merged else str(value)
    return merged


def _checked_concurrency(concurrency: int | None) -> int | None:
    if concurrency is not None and (not isinstance(concurrency, int) or concurrency < 1):
        raise ConfigurationError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    return concurrency


def _concurrency_for(llm: Any, count: int) -> int:
    return _runner.batch_concurrency(count, getattr(llm, "rate_limiter", None))


class MapReduceDocumentsChain(BaseCombineDocumentsChain):
    """Answer for every document concurrently (map), then combine the answers (reduce).

    Args:
        llm: the model for the map step.
        prompt: the map prompt; `document_variable_name` receives each document's text.
        llm_chain: an `LLMChain` instead of `llm` and `prompt`.
        reduce_documents_chain: combines the map answers (a `ReduceDocumentsChain`).
        document_variable_name: the map prompt's variable for the document.
        return_intermediate_steps: also return the map answers as `intermediate_steps`.
        concurrency: map calls at once (default: all, within the model's max_concurrency).
        verbose: log each prompt at INFO.
    """

    def __init__(
        self,
        *,
        reduce_documents_chain: ReduceDocumentsChain,
        llm: Runnable[Any, Any] | None = None,
        prompt: BasePromptTemplate | None = None,
        llm_chain: Any = None,
        document_variable_name: str | None = None,
        return_intermediate_steps: bool = False,
        concurrency: int | None = None,
        verbose: bool | None = None,
    ) -> None:
        self.step = ModelStep.of(llm, prompt, llm_chain, bool(verbose), "MapReduceDocumentsChain")
        self.document_variable_name = self.step.check_variable(
            document_variable_name, "MapReduceDocumentsChain"
        )
        self.reduce_documents_chain = reduce_documents_chain
        self.return_intermediate_steps = return_intermediate_steps
        self.concurrency = _checked_concurrency(concurrency)

    async def acombine_docs(
        self, docs: list[Document], token_max: int | None = None, **kwargs: Any
    ) -> tuple[str, dict[str, Any]]:
        """Map every document, then reduce the answers, in the documents' order."""

        async def map_one(doc: Document) -> str:
            return await self.step.apredict(
                {**kwargs, self.document_variable_name: doc.page_content}
            )

        answers: list[str] = await _runner.amap(
            map_one,
            docs,
            concurrency=self.concurrency or _concurrency_for(self.step.llm, len(docs)),
        )
        mapped = [
            Document(answer, metadata=doc.metadata)
            for answer, doc in zip(answers, docs, strict=True)
        ]
        text, extra = await self.reduce_documents_chain.acombine_docs(
            mapped, token_max=token_max, **kwargs
        )
        if self.return_intermediate_steps:
            extra = {**extra, "intermediate_steps": answers}
        return text, extra
