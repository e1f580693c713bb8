"""`Document`: a piece of text with metadata, what loaders return and splitters cut.

The same shape as LangChain's `langchain_core.documents.Document`: `page_content`, a `metadata`
dict (`source`, `start_index`, `row`, ... as loaders and splitters set them), and an optional
`id`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Document:
    """A text and what is known about it.

    Args:
        page_content: the text.
        metadata: anything about the text: where it came from, its place in a larger one.
        id: an optional identifier.
    """

    page_content: str
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)
    id: str | None = field(default=None, kw_only=True)

    def __str__(self) -> str:
        if self.metadata:
            return f"page_content={self.page_content!r} metadata={self.metadata!r}"
        return f"page_content={self.page_content!r}"


__all__ = ["Document"]
