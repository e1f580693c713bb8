"""Process-wide settings, as LangChain's `langchain_core.globals`: the cache every model uses
when it has none of its own.

    set_llm_cache(InMemoryCache())
    await chat.ainvoke("Tell me a joke")   # sent
    await chat.ainvoke("Tell me a joke")   # answered from the cache

A model's own `cache=` wins; `cache=False` keeps a model out of the global cache; `cache=True`
requires one. Streams are not cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._pipeline.answer_cache import AnswerCache

_llm_cache: AnswerCache | None = None


def set_llm_cache(value: AnswerCache | None) -> None:
    """Set the cache of every model without one of its own (None: no global cache).

    Raises:
        ConfigurationError: for anything but a cache (`InMemoryCache`, `SQLiteCache`) or None.
    """
    global _llm_cache
    if value is not None and not callable(getattr(value, "fetch", None)):
        raise ConfigurationError(
            f"set_llm_cache takes an aiochain.cache cache (InMemoryCache, SQLiteCache) or None, "
            f"got {type(value).__name__}"
        )
    _llm_cache = value


def get_llm_cache() -> AnswerCache | None:
    """The global cache, or None."""
    return _llm_cache


def resolve_cache(own: Any) -> AnswerCache | None:
    """The cache a model's call uses: its own; the global one when it has none (None) or asks
    for it (True); none for False.

    Raises:
        ConfigurationError: `cache=True` with no global cache set.
    """
    if own is None:
        return _llm_cache
    if own is True:
        if _llm_cache is None:
            raise ConfigurationError(
                "cache=True asks for the global cache, but none is set: call "
                "aiochain.globals.set_llm_cache(InMemoryCache()) first"
            )
        return _llm_cache
    if own is False:
        return None
    cache: AnswerCache = own
    return cache


__all__ = [
    "get_llm_cache",
    "resolve_cache",
    "set_llm_cache",
]
