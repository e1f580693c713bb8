"""The two bases of callback managers: `BaseCallbackManager` (who hears the runs that start
from here) and `BaseRunManager` (who hears one run's later events)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Self, TypeVar
from uuid import UUID

from ._dispatch import context_handlers
from ._handlers import BaseCallbackHandler, StdOutCallbackHandler

ManagerT = TypeVar("ManagerT", bound="BaseCallbackManager")


def new_run_id() -> uuid.UUID:
    """A random (version 4) UUID from the operating system's generator (`uuid4`), never from
    the global `random`: a program that calls `random.seed(0)` (or forks) would otherwise
    give every process the same run ids, and tracing backends merge runs by id (issue 23)."""
    return uuid.uuid4()


class BaseCallbackManager:
    """The handlers, tags and metadata of a run and of the runs it starts.

    Args:
        handlers: the handlers of this run.
        inheritable_handlers: the handlers child runs get too.
        parent_run_id: the id of the run this one belongs to.
        tags / inheritable_tags / metadata / inheritable_metadata: likewise.
    """

    def __init__(
        self,
        handlers: Sequence[BaseCallbackHandler],
        inheritable_handlers: Sequence[BaseCallbackHandler] | None = None,
        parent_run_id: UUID | None = None,
        *,
        tags: Sequence[str] | None = None,
        inheritable_tags: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inheritable_metadata: dict[str, Any] | None = None,
    ) -> None:
        # Taken as given, not copied, as LangChain's managers do (a manager is built per run).
        self.handlers = handlers if isinstance(handlers, list) else list(handlers)
        self.inheritable_handlers = list(inheritable_handlers or ())
        self.parent_run_id = parent_run_id
        self.tags = tags if isinstance(tags, list) else list(tags or ())
        self.inheritable_tags = (
            inheritable_tags if isinstance(inheritable_tags, list) else list(inheritable_tags or ())
        )
        self.metadata = metadata if metadata is not None else {}
        self.inheritable_metadata = inheritable_metadata if inheritable_metadata is not None else {}

    @property
    def is_async(self) -> bool:
        return False

    def add_handler(self, handler: BaseCallbackHandler, inherit: bool = True) -> None:
        if handler not in self.handlers:
            self.handlers.append(handler)
        if inherit and handler not in self.inheritable_handlers:
            self.inheritable_handlers.append(handler)

    def remove_handler(self, handler: BaseCallbackHandler) -> None:
        if handler in self.handlers:
            self.handlers.remove(handler)
        if handler in self.inheritable_handlers:
            self.inheritable_handlers.remove(handler)

    def set_handlers(self, handlers: list[BaseCallbackHandler], inherit: bool = True) -> None:
        self.handlers, self.inheritable_handlers = [], []
        for handler in handlers:
            self.add_handler(handler, inherit)

    def set_handler(self, handler: BaseCallbackHandler, inherit: bool = True) -> None:
        self.set_handlers([handler], inherit)

    def add_tags(self, tags: list[str], inherit: bool = True) -> None:
        self.tags.extend(t for t in tags if t not in self.tags)
        if inherit:
            self.inheritable_tags.extend(t for t in tags if t not in self.inheritable_tags)

    def add_metadata(self, metadata: dict[str, Any], inherit: bool = True) -> None:
        self.metadata.update(metadata)
        if inherit:
            self.inheritable_metadata.update(metadata)

    def copy(self) -> Self:
        return type(self)(
            self.handlers,
            self.inheritable_handlers,
            self.parent_run_id,
            tags=self.tags,
            inheritable_tags=self.inheritable_tags,
            metadata=self.metadata,
            inheritable_metadata=self.inheritable_metadata,
        )

    @classmethod
    def configure(
        cls,
        inheritable_callbacks: Any = None,
        local_callbacks: Any = None,
        verbose: bool = False,
        inheritable_tags: Sequence[str] | None = None,
        local_tags: Sequence[str] | None = None,
        inheritable_metadata: dict[str, Any] | None = None,
        local_metadata: dict[str, Any] | None = None,
    ) -> Self:
        """A manager for a run, as LangChain's `CallbackManager.configure` builds it."""
        manager = configure_manager(
            cls,
            inheritable_callbacks,
            local_callbacks,
            verbose=verbose,
            inheritable_tags=inheritable_tags,
            local_tags=local_tags,
            inheritable_metadata=inheritable_metadata,
            local_metadata=local_metadata,
        )
        return manager if manager is not None else cls([])

    def _start(self, run_id: UUID | None) -> dict[str, Any]:
        return {
            "run_id": run_id or new_run_id(),
            "parent_run_id": self.parent_run_id,
            "tags": self.tags,
            "metadata": self.metadata,
        }

    def _run_fields(self, run_id: UUID) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "handlers": self.handlers,
            "inheritable_handlers": self.inheritable_handlers,
            "parent_run_id": self.parent_run_id,
            "tags": self.tags,
            "inheritable_tags": self.inheritable_tags,
            "metadata": self.metadata,
            "inheritable_metadata": self.inheritable_metadata,
        }


class BaseRunManager:
    """The handlers of one run, for its later events."""

    def __init__(
        self,
        *,
        run_id: UUID,
        handlers: list[BaseCallbackHandler],
        inheritable_handlers: list[BaseCallbackHandler],
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        inheritable_tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inheritable_metadata: dict[str, Any] | None = None,
    ) -> None:
        self.run_id = run_id
        self.handlers = handlers
        self.inheritable_handlers = inheritable_handlers
        self.parent_run_id = parent_run_id
        self.tags = tags or []
        self.inheritable_tags = inheritable_tags or []
        self.metadata = metadata or {}
        self.inheritable_metadata = inheritable_metadata or {}

    @classmethod
    def get_noop_manager(cls) -> Self:
        """A run manager with no handlers, for code that wants one either way."""
        return cls(run_id=new_run_id(), handlers=[], inheritable_handlers=[])

    def _ids(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "parent_run_id": self.parent_run_id, "tags": self.tags}

    def _fields(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "handlers": self.handlers,
            "inheritable_handlers": self.inheritable_handlers,
            "parent_run_id": self.parent_run_id,
            "tags": self.tags,
            "inheritable_tags": self.inheritable_tags,
            "metadata": self.metadata,
            "inheritable_metadata": self.inheritable_metadata,
        }

    def _child(self, cls: type[BaseCallbackManager], tag: str | None) -> Any:
        child = cls(
            list(self.inheritable_handlers),
            self.inheritable_handlers,
            self.run_id,
            tags=list(self.inheritable_tags),
            inheritable_tags=self.inheritable_tags,
            metadata=dict(self.inheritable_metadata),
            inheritable_metadata=self.inheritable_metadata,
        )
        if tag is not None:
            child.add_tags([tag], inherit=False)
        return child


def _handlers_of(callbacks: Any) -> list[BaseCallbackHandler]:
    if callbacks is None:
        return []
    if isinstance(callbacks, BaseCallbackManager):
        return list(callbacks.handlers)
    if isinstance(callbacks, BaseCallbackHandler):
        return [callbacks]
    return list(callbacks)


def configure_manager(
    cls: type[ManagerT],
    inheritable_callbacks: Any,
    local_callbacks: Any = None,
    *,
    verbose: bool = False,
    inheritable_tags: Sequence[str] | None = None,
    local_tags: Sequence[str] | None = None,
    inheritable_metadata: dict[str, Any] | None = None,
    local_metadata: dict[str, Any] | None = None,
) -> ManagerT | None:
    """A manager of class `cls` for a run, or None when no handler would hear it.

    Args:
        inheritable_callbacks: the call's `callbacks` (a list, or a parent's `get_child()`).
        local_callbacks: the object's own handlers (not inherited by child runs).
        verbose: add a `StdOutCallbackHandler` for this run.
    """
    # Nobody listens, the common case: decided without building anything.
    if (
        inheritable_callbacks is None
        and local_callbacks is None
        and not verbose
        and not context_handlers.get()
    ):
        return None
    parent = (
        inheritable_callbacks if isinstance(inheritable_callbacks, BaseCallbackManager) else None
    )
    if parent is not None:
        handlers = list(parent.handlers)
        inheritable = list(parent.inheritable_handlers)
    else:
        handlers = _handlers_of(inheritable_callbacks)
        inheritable = list(handlers)
    for handler in context_handlers.get():
        if handler not in handlers:
            handlers.append(handler)
            inheritable.append(handler)
    for handler in _handlers_of(local_callbacks):
        if handler not in handlers:
            handlers.append(handler)
    if verbose and not any(isinstance(h, StdOutCallbackHandler) for h in handlers):
        handlers.append(StdOutCallbackHandler())
    if not handlers:
        return None
    manager = cls(
        handlers,
        inheritable,
        parent.parent_run_id if parent is not None else None,
        # A child's config repeats the tags its parent's manager already carries: once each.
        tags=list(
            dict.fromkeys(
                [*(parent.tags if parent else ()), *(inheritable_tags or ()), *(local_tags or ())]
            )
        ),
        inheritable_tags=list(
            dict.fromkeys([*(parent.inheritable_tags if parent else ()), *(inheritable_tags or ())])
        ),
        metadata={
            **(parent.metadata if parent else {}),
            **(inheritable_metadata or {}),
            **(local_metadata or {}),
        },
        inheritable_metadata={
            **(parent.inheritable_metadata if parent else {}),
            **(inheritable_metadata or {}),
        },
    )
    return manager


Callbacks = list[BaseCallbackHandler] | BaseCallbackManager | None
"""What `callbacks=` takes: a list of handlers, or a manager (`run_manager.get_child()`)."""
