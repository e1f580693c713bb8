"""`with_listeners` / `with_alisteners`: functions called with the `Run` of each call.

    def on_end(run: Run) -> None:
        print(run.name, run.end_time - run.start_time, run.outputs)

    chain = (prompt | model).with_listeners(on_start=on_start, on_end=on_end)

As in LangChain, `run.inputs` and `run.outputs` are dicts (a value that is not a dict is put
under `"input"` / `"output"`), `run.error` is the formatted traceback of a failure, and the
times are timezone-aware UTC datetimes. A listener may take the call's config as its second
argument.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from .._config import current_config, filled_config
from ..callbacks._manager_base import new_run_id
from .base import Config, Runnable, bound_call, join_chunks


@dataclass(slots=True)
class Run:
    """One call of a runnable, as its listeners see it (LangChain's tracer `Run`)."""

    id: UUID
    name: str
    run_type: str
    inputs: dict[str, Any]
    start_time: datetime
    outputs: dict[str, Any] | None = None
    error: str | None = None
    end_time: datetime | None = None
    tags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    parent_run_id: UUID | None = None

    @property
    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = self.extra.setdefault("metadata", {})
        return metadata


def _as_dict(value: Any, key: str) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {key: value}


def _takes_two(listener: Callable[..., Any]) -> bool:
    try:
        parameters = list(inspect.signature(listener).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.name == "config" for p in parameters)


class RunnableWithListeners(Runnable[Any, Any]):
    """A runnable whose calls are reported to listener functions (see the module docstring)."""

    def __init__(
        self,
        bound: Runnable[Any, Any],
        on_start: Callable[..., Any] | None,
        on_end: Callable[..., Any] | None,
        on_error: Callable[..., Any] | None,
        *,
        is_async: bool,
    ) -> None:
        self.bound = bound
        self.listeners = {"start": on_start, "end": on_end, "error": on_error}
        self.is_async = is_async

    async def _call(self, which: str, run: Run, config: Config) -> None:
        listener = self.listeners[which]
        if listener is None:
            return
        result = listener(run, filled_config(config)) if _takes_two(listener) else listener(run)
        if self.is_async:
            await result

    def _start(self, input: Any, config: Config) -> Run:
        settings = config if config is not None else current_config.get() or {}
        return Run(
            id=new_run_id(),
            name=settings.get("run_name") or self.bound.get_name(),
            run_type=self.bound.run_type,
            inputs=_as_dict(input, "input"),
            start_time=datetime.now(UTC),
            tags=list(settings.get("tags") or []),
            extra={"metadata": dict(settings.get("metadata") or {})},
        )

    async def _failed(self, run: Run, exc: BaseException, config: Config) -> None:
        run.error = "".join(traceback.format_exception(exc)).strip()
        run.end_time = datetime.now(UTC)
        await self._call("error", run, config)

    async def _ended(self, run: Run, output: Any, config: Config) -> None:
        run.outputs = _as_dict(output, "output")
        run.end_time = datetime.now(UTC)
        await self._call("end", run, config)

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Call the runnable between its listeners."""
        run = self._start(input, config)
        await self._call("start", run, config)
        try:
            output = await bound_call(self.bound, config, kwargs)(input)
        except Exception as exc:
            await self._failed(run, exc, config)
            raise
        await self._ended(run, output, config)
        return output

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Stream the runnable between its listeners (`outputs` holds the joined stream)."""
        run = self._start(input, config)
        await self._call("start", run, config)
        pieces = []
        try:
            if config is None and not kwargs:
                stream = self.bound.astream(input)
            else:
                stream = self.bound.astream(input, config, **kwargs)
            async for chunk in stream:
                pieces.append(chunk)
                yield chunk
        except Exception as exc:
            await self._failed(run, exc, config)
            raise
        await self._ended(run, join_chunks(pieces), config)

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        yield await self.ainvoke(join_chunks([chunk async for chunk in chunks]), config, **kwargs)

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        return self.bound.get_name(suffix, name=name)

    def bound_runnable(self) -> Runnable[Any, Any]:
        """The runnable whose runs this one's are (for callback reporting)."""
        return self.bound

    @property
    def run_type(self) -> str:  # type: ignore[override]
        return self.bound.run_type

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "bound":
            raise AttributeError(name)
        return getattr(self.bound, name)

    def __repr__(self) -> str:
        return f"RunnableWithListeners(bound={self.bound!r})"
