"""`astream_events(..., version="v2")`: every run of a chain as a stream of event dicts.

    async for event in chain.astream_events({"topic": "cats"}, version="v2"):
        if event["event"] == "on_chat_model_stream":
            await websocket.send_text(event["data"]["chunk"].content)

It works as LangChain's does (`langchain_core/tracers/event_stream.py`): the call runs with one
more callback handler, `EventStreamHandler`, that turns the run events every runnable already
reports (`on_chain_start`, `on_chat_model_start`, `on_llm_new_token`, `on_tool_end`, ...) into
the event dicts of LangChain's table, with the same keys (`event`, `name`, `run_id`,
`parent_ids`, `tags`, `metadata`, `data`) and the same `data` shapes (`input`, `chunk`,
`output`). The output of streaming steps is tapped for their `on_*_stream` events. Nothing here
runs unless `astream_events` is called.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar
from uuid import UUID

from .._config import RunnableConfig, check_config
from .._exceptions import UsageError
from ..messages import AIMessageChunk, BaseMessage
from ._handlers import BaseCallbackHandler
from ._manager_base import new_run_id

T = TypeVar("T")

StreamEvent = dict[str, Any]
"""One event: `{"event", "name", "run_id", "parent_ids", "tags", "metadata", "data"}`."""

_NO_INPUT = {"input": ""}  # what a streaming step reports as its input before it has read it


class EventFilter:
    """LangChain's include/exclude rules: with any include given, an event must match one
    (by name, run type or tag); then no exclude may match."""

    def __init__(
        self,
        *,
        include_names: Sequence[str] | None = None,
        include_types: Sequence[str] | None = None,
        include_tags: Sequence[str] | None = None,
        exclude_names: Sequence[str] | None = None,
        exclude_types: Sequence[str] | None = None,
        exclude_tags: Sequence[str] | None = None,
    ) -> None:
        self.include_names = include_names
        self.include_types = include_types
        self.include_tags = include_tags
        self.exclude_names = exclude_names
        self.exclude_types = exclude_types
        self.exclude_tags = exclude_tags
        includes = (include_names, include_types, include_tags)
        excludes = (exclude_names, exclude_types, exclude_tags)
        self.passes_all = all(f is None for f in (*includes, *excludes))

    def includes(self, event: StreamEvent, run_type: str) -> bool:
        if self.passes_all:
            return True
        tags = event.get("tags") or []
        include = self.include_names is None and self.include_types is None
        include = include and self.include_tags is None
        if self.include_names is not None:
            include = include or event["name"] in self.include_names
        if self.include_types is not None:
            include = include or run_type in self.include_types
        if self.include_tags is not None:
            include = include or any(tag in self.include_tags for tag in tags)
        if self.exclude_names is not None:
            include = include and event["name"] not in self.exclude_names
        if self.exclude_types is not None:
            include = include and run_type not in self.exclude_types
        if self.exclude_tags is not None:
            include = include and all(tag not in self.exclude_tags for tag in tags)
        return include


class EventStreamHandler(BaseCallbackHandler):
    """Turns run events into stream events on a queue (its methods are plain functions: they
    only put on the queue, so they cost no await and work from sync code too)."""

    wants_tokens = True  # models called with `ainvoke` stream when this handler listens

    def __init__(self, event_filter: EventFilter) -> None:
        self.filter = event_filter
        self.runs: dict[UUID, dict[str, Any]] = {}
        # Kept after a run ends: a parent may end before a child reports its last event.
        self.parents: dict[UUID, UUID | None] = {}
        self.tapped: set[UUID] = set()
        self.queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue()

    # --- helpers ----------------------------------------------------------------------------

    def parent_ids(self, run_id: UUID) -> list[str]:
        ids: list[str] = []
        while (parent := self.parents.get(run_id)) is not None and len(ids) < 1000:
            ids.append(str(parent))
            run_id = parent
        return ids[::-1]

    def _send(self, event: StreamEvent, run_type: str) -> None:
        if self.filter.includes(event, run_type):
            self.queue.put_nowait(event)

    def _start(
        self,
        kind: str,
        run_id: UUID,
        name: str,
        data: dict[str, Any],
        kwargs: dict[str, Any],
        inputs: Any = _NO_INPUT,
    ) -> None:
        parent = kwargs.get("parent_run_id")
        self.parents[run_id] = parent
        # What every event of this run repeats, built once (LangChain's key order).
        common = {
            "name": name,
            "tags": kwargs.get("tags") or [],
            "run_id": str(run_id),
            "metadata": kwargs.get("metadata") or {},
            "parent_ids": self.parent_ids(run_id) if parent is not None else [],
        }
        info: dict[str, Any] = {"run_type": kind, "common": common}
        if inputs is not _NO_INPUT:
            info["inputs"] = inputs
        self.runs[run_id] = info
        self._send({"event": f"on_{kind}_start", "data": data, **common}, kind)

    def _end(self, run_id: UUID, data: dict[str, Any]) -> None:
        info = self.runs.pop(run_id, None)
        if info is None:
            return
        kind = info["run_type"]
        self._send({"event": f"on_{kind}_end", "data": data, **info["common"]}, kind)

    async def tap(self, run_id: UUID, output: AsyncIterator[T]) -> AsyncIterator[T]:
        """`output`, with an `on_<type>_stream` event for each chunk while the run is open."""
        if run_id in self.tapped:
            async for chunk in output:
                yield chunk
            return
        self.tapped.add(run_id)
        runs = self.runs
        async for chunk in output:
            info = runs.get(run_id)
            if info is not None:
                kind = info["run_type"]
                event = {"event": f"on_{kind}_stream", "data": {"chunk": chunk}, **info["common"]}
                self._send(event, kind)
            yield chunk

    # --- run events -------------------------------------------------------------------------

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID, **kw: Any
    ) -> None:
        name = kw.get("name") or serialized.get("name") or "Unnamed"
        inputs = {"messages": messages}
        self._start("chat_model", run_id, name, {"input": inputs}, kw, inputs)

    def on_llm_start(
        self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID, **kw: Any
    ) -> None:
        name = kw.get("name") or serialized.get("name") or "Unnamed"
        inputs = {"prompts": prompts}
        self._start("llm", run_id, name, {"input": inputs}, kw, inputs)

    def on_llm_new_token(self, token: str, *, chunk: Any = None, run_id: UUID, **kw: Any) -> None:
        info = self.runs.get(run_id)
        if info is None or run_id in self.tapped:
            return
        kind = info["run_type"]
        piece = getattr(chunk, "message", chunk)  # a ChatGenerationChunk holds the message
        if kind == "chat_model" and not isinstance(piece, BaseMessage):
            piece = AIMessageChunk(token)
        elif kind == "llm" and piece is None:
            piece = token
        event = "on_chat_model_stream" if kind == "chat_model" else "on_llm_stream"
        self._send({"event": event, "data": {"chunk": piece}, **info["common"]}, kind)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kw: Any) -> None:
        info = self.runs.get(run_id)
        if info is None:
            return
        if info["run_type"] == "chat_model":
            generations = response.generations
            output: Any = generations[0][0].message if generations and generations[0] else {}
        else:
            output = {
                "generations": [
                    [
                        {"text": g.text, "generation_info": g.generation_info, "type": "Generation"}
                        for g in generation
                    ]
                    for generation in response.generations
                ],
                "llm_output": response.llm_output,
            }
        self._end(run_id, {"output": output, "input": info.get("inputs")})

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self.runs.pop(run_id, None)  # LangChain sends no event for a failed model run

    def on_chain_start(
        self, serialized: dict[str, Any] | None, inputs: Any, *, run_id: UUID, **kw: Any
    ) -> None:
        name = kw.get("name") or (serialized or {}).get("name") or "Unnamed"
        kind = kw.get("run_type") or "chain"
        if inputs == _NO_INPUT:
            self._start(kind, run_id, name, {}, kw)
        else:
            self._start(kind, run_id, name, {"input": inputs}, kw, inputs)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kw: Any) -> None:
        info = self.runs.get(run_id)
        if info is None:
            return
        inputs = kw.get("inputs")
        self._end(run_id, {"output": outputs, "input": info.get("inputs", inputs) or {}})

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self.runs.pop(run_id, None)  # as LangChain: the error is raised, not sent

    def on_tool_start(
        self, serialized: dict[str, Any], input_str: str, *, run_id: UUID, **kw: Any
    ) -> None:
        name = kw.get("name") or serialized.get("name") or "Unnamed"
        inputs = kw.get("inputs")
        self._start("tool", run_id, name, {"input": inputs or {}}, kw, inputs)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kw: Any) -> None:
        info = self.runs.get(run_id)
        if info is not None:
            self._end(run_id, {"output": output, "input": info.get("inputs")})

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        info = self.runs.pop(run_id, None)
        if info is not None:
            data = {"error": error, "input": info.get("inputs"), "tool_call_id": None}
            self._send({"event": "on_tool_error", "data": data, **info["common"]}, "tool")

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kw: Any) -> None:
        event = {
            "event": "on_custom_event",
            "run_id": str(run_id),
            "name": name,
            "tags": kw.get("tags") or [],
            "metadata": kw.get("metadata") or {},
            "data": data,
            "parent_ids": self.parent_ids(run_id),
        }
        self._send(event, name)

    def __deepcopy__(self, memo: Any) -> EventStreamHandler:
        return self

    def __copy__(self) -> EventStreamHandler:
        return self


def tap_output(run: Any, output: AsyncIterator[T]) -> AsyncIterator[T]:
    """`output` tapped by every event stream hearing `run` (for its `on_*_stream` events)."""
    for handler in run.handlers:
        if isinstance(handler, EventStreamHandler):
            output = handler.tap(run.run_id, output)
    return output


async def astream_events(
    runnable: Any,
    input: Any,
    config: RunnableConfig | None,
    *,
    version: str,
    filters: dict[str, Sequence[str] | None],
    stream: Any,
    kwargs: dict[str, Any],
) -> AsyncIterator[StreamEvent]:
    """The events of one streamed run of `runnable` (see the module docstring).

    `stream(runnable, input, config, kwargs)` runs it (its `astream`, or a traced form).
    """
    if version != "v2":
        raise UsageError(f'astream_events supports version="v2" only, got {version!r}')
    handler = EventStreamHandler(EventFilter(**filters))
    settings: dict[str, Any] = dict(check_config(config)) if config is not None else {}
    settings.setdefault("run_id", new_run_id())
    callbacks = settings.get("callbacks")
    if callbacks is None:
        settings["callbacks"] = [handler]
    elif isinstance(callbacks, list):
        settings["callbacks"] = [*callbacks, handler]
    else:  # a manager: a copy with the handler added (its lists copied: `copy()` shares them)
        settings["callbacks"] = type(callbacks)(
            [*callbacks.handlers, handler],
            [*callbacks.inheritable_handlers, handler],
            callbacks.parent_run_id,
            tags=list(callbacks.tags),
            inheritable_tags=list(callbacks.inheritable_tags),
            metadata=dict(callbacks.metadata),
            inheritable_metadata=dict(callbacks.inheritable_metadata),
        )

    async def consume() -> None:
        try:
            chunks = stream(runnable, input, settings, kwargs)
            async with contextlib.aclosing(chunks):
                async for _ in chunks:
                    pass
        finally:
            handler.queue.put_nowait(None)

    task = asyncio.ensure_future(consume())
    first_run: str | None = None
    try:
        while (event := await handler.queue.get()) is not None:
            if first_run is None:
                first_run = event["run_id"]
                event["data"] = {**event["data"], "input": input}
            elif event["run_id"] == first_run and event["event"].endswith("_end"):
                event["data"] = {k: v for k, v in event["data"].items() if k != "input"}
            yield event
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
