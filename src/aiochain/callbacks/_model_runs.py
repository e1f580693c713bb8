"""Runs that report to callback handlers: model calls, streams, tool calls and runnable
sequences (chains are in `_chain_run.py`).

A model call has one prologue, `traced_call`, used by every model (ours and a user's own) and
every entry point (`ainvoke`, each prompt of `agenerate` / `generate`, and so `batch`,
`LLMChain` and the rest); streams have `traced_stream`. Each returns None at once when nobody
can listen (no config, no callbacks on the model, none in the context): the caller then makes
its plain call, with no callback work. With a handler, the run starts (`on_chat_model_start`
/ `on_llm_start`), the model's own untraced call runs inside the run (streamed, with
`on_llm_new_token` for every piece, when the model has `streaming=True` or `on_token=`), and
the run ends with an `LLMResult` whose `llm_output["token_usage"]` holds the tokens the
request pipeline counted.

The tokens come from the pipeline's own hooks: for the length of the call, the run's
`RunStats` in the context is a `CallRecorder` that adds up what the pipeline reports (and
passes it on to the stats of an enclosing `amap`), so plain calls, streams, retries and cache
hits are counted exactly as the pipeline counts them, with no edit to the pipeline.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from .._config import RunnableConfig, current_config
from .._pipeline.run_stats import RunStats, current_stats
from .._types import Usage
from ..messages import (
    AIMessage,
    AIMessageChunk,
    convert_to_messages,
    get_buffer_string,
    message_chunk_to_message,
)
from ..outputs import Generation, LLMResult
from ._generations import generation_of, model_name_of
from ._handlers import RetryState
from ._managers import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    configure,
)

_inside_model: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "aiochain_inside_model_run", default=False
)
inside_runnable: contextvars.ContextVar[object] = contextvars.ContextVar(
    "aiochaininside_runnable", default=None
)


class CallRecorder(RunStats):
    """The `RunStats` of one traced model call: counts its answers and passes every report on
    to the stats of the run around it (an `amap`), and turns retries into `on_retry` events."""

    __slots__ = ("outer", "pending", "run")

    def __init__(self, outer: RunStats | None, run: AsyncCallbackManagerForLLMRun) -> None:
        # Only the counters the hooks below touch (RunStats' own __init__ does far more).
        self.requests = self.prompt_tokens = self.completion_tokens = 0
        self.retries = self.cached = 0
        self.cost = 0.0
        self.outer = outer
        self.run = run
        self.pending: list[asyncio.Future[None]] = []

    def answered(self, usage: Usage, cost: float, seconds: float | None = None) -> None:
        RunStats.answered(self, usage, cost)
        if self.outer is not None:
            self.outer.answered(usage, cost, seconds)

    def refused(self, *, rate_limited: bool) -> None:
        if self.outer is not None:
            self.outer.refused(rate_limited=rate_limited)

    def retry_scheduled(self) -> None:
        self.retries += 1
        if self.outer is not None:
            self.outer.retry_scheduled()
        state = RetryState(attempt_number=self.retries)
        self.pending.append(asyncio.ensure_future(self.run.on_retry(state)))

    def retry_started(self) -> None:
        if self.outer is not None:
            self.outer.retry_started()

    def cache_hit(self) -> None:
        self.cached += 1
        if self.outer is not None:
            self.outer.cache_hit()

    def record_latency(self, seconds: float) -> None:
        if self.outer is not None:
            self.outer.record_latency(seconds)

    async def settle(self) -> None:
        """Wait for the `on_retry` events still running."""
        if self.pending:
            await asyncio.gather(*self.pending)
            self.pending.clear()

    def usage(self) -> Usage:
        return Usage(
            self.prompt_tokens,
            self.completion_tokens,
            self.prompt_tokens + self.completion_tokens,
            self.requests,
        )


def config_parts(config: RunnableConfig | None) -> tuple[Any, Any, Any]:
    """(callbacks, tags, metadata) of a config (or of the one in the context)."""
    if config is None:
        config = current_config.get()
        if config is None:
            return None, None, None
    return config.get("callbacks"), config.get("tags"), config.get("metadata")


def manager_for(
    obj: Any, config: RunnableConfig | None, *, verbose: bool = False
) -> AsyncCallbackManager | None:
    """The callback manager of a run of `obj` (its own `callbacks`, `tags`, `metadata` are
    local to it), or None when no handler listens."""
    callbacks, tags, metadata = config_parts(config)
    return configure(
        callbacks,
        getattr(obj, "callbacks", None),
        verbose=verbose,
        inheritable_tags=tags,
        local_tags=getattr(obj, "tags", None),
        inheritable_metadata=metadata,
        local_metadata=getattr(obj, "metadata", None),
    )


def run_config(config: RunnableConfig | None, run: Any) -> RunnableConfig:
    """The config of the runs started inside `run`: the same, with `run.get_child()` as
    their callbacks (so that they name `run` as their parent)."""
    base = config if config is not None else current_config.get()
    child: dict[str, Any] = {
        k: v for k, v in (base or {}).items() if k not in ("run_name", "run_id")
    }
    child["callbacks"] = run.get_child()
    return child  # type: ignore[return-value]


# --- model calls ----------------------------------------------------------------------------


def _is_chat(model: Any) -> bool:
    return hasattr(model, "bind_tools") or hasattr(model, "_agenerate")


def _text_of(input: Any) -> str:
    if isinstance(input, str):
        return input
    if hasattr(input, "to_string"):
        return str(input.to_string())
    return get_buffer_string(convert_to_messages(input))


_DESCRIPTIONS: dict[tuple[type, int], tuple[Any, dict[str, Any], dict[str, Any], bool]] = {}


def _described(model: Any) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(serialized, base invocation params, is chat) of a model, built once per model and
    request body (a bound copy has its own body)."""
    payload = getattr(model, "_base_payload", None)
    key = (type(model), id(payload))
    cached = _DESCRIPTIONS.get(key)
    if cached is not None and cached[0] is payload:
        return cached[1], cached[2], cached[3]
    name = type(model).__name__
    chat = _is_chat(model)
    model_name = getattr(model, "model", None)
    params = {**(payload or {}), "model_name": model_name}
    params["_type"] = "openai-chat" if chat else "openai"
    kind = "chat_models" if chat else "llms"
    serialized = {"lc": 1, "type": "constructor", "id": ["aiochain", kind, name], "name": name}
    serialized["kwargs"] = {"model_name": model_name}
    if len(_DESCRIPTIONS) > 1024:
        _DESCRIPTIONS.clear()
    _DESCRIPTIONS[key] = (payload, serialized, params, chat)
    return serialized, params, chat


async def start_model_run(
    model: Any,
    manager: AsyncCallbackManager,
    input: Any,
    config: RunnableConfig | None,
    kwargs: dict[str, Any],
    stream: bool,
) -> AsyncCallbackManagerForLLMRun:
    serialized, params, chat = _described(model)
    params = {**params, **kwargs, "stream": stream} if kwargs else {**params, "stream": stream}
    model_name = params["model_name"]
    manager.metadata = {
        **manager.metadata,
        "ls_provider": getattr(model, "provider", "openai"),
        "ls_model_name": model_name,
        "ls_model_type": "chat" if chat else "llm",
    }
    options = {"stop": params.get("stop")}
    run_name = (config or current_config.get() or {}).get("run_name")
    if chat:
        runs = await manager.on_chat_model_start(
            serialized,
            [convert_to_messages(input)],
            invocation_params=params,
            options=options,
            name=run_name,
            batch_size=1,
        )
    else:
        runs = await manager.on_llm_start(
            serialized,
            [_text_of(input)],
            invocation_params=params,
            options=options,
            name=run_name,
            batch_size=1,
        )
    return runs[0]


def traced_call(
    model: Any, input: Any, config: RunnableConfig | None, kwargs: dict[str, Any]
) -> Coroutine[Any, Any, tuple[list[Generation], Usage]] | None:
    """One model call (any model, any entry point: `ainvoke`, each prompt of `agenerate`) as
    a run reported to its handlers, returning its generations and usage; or None when no
    handler listens (or when this is the model's own call inside such a run), and the caller
    makes its plain call. The first line is the only work a call does when nobody listens."""
    if config is None and model.callbacks is None and current_config.get() is None:
        return None
    if _inside_model.get():
        return None
    manager = manager_for(model, config)
    if manager is None:
        return None
    return _model_run(model, manager, input, config, kwargs)


async def _model_run(
    model: Any,
    manager: AsyncCallbackManager,
    input: Any,
    config: RunnableConfig | None,
    kwargs: dict[str, Any],
) -> tuple[list[Generation], Usage]:
    on_token = getattr(model, "on_token", None)
    streaming = bool(getattr(model, "streaming", False)) or on_token is not None
    # `astream_events` hears every token even of an `ainvoke` (as LangChain's models stream then).
    streaming = streaming or any(getattr(h, "wants_tokens", False) for h in manager.handlers)
    run = await start_model_run(model, manager, input, config, kwargs, streaming)
    recorder = CallRecorder(current_stats.get(), run)
    inside = _inside_model.set(True)
    counting = current_stats.set(recorder)
    try:
        if streaming:  # `streaming=True` or `on_token=`: tokens reach the handlers as they come
            pieces = []
            async for chunk in model.astream(input, config, **kwargs):
                text = chunk if isinstance(chunk, str) else chunk.text
                if text and on_token is not None:
                    on_token(text)
                if text or not isinstance(chunk, str):
                    await run.on_llm_new_token(text, chunk=chunk)
                pieces.append(chunk)
            generations = [generation_of(_joined(pieces, recorder) if pieces else "")]
        else:
            generations, own = await model._generate_one(input, kwargs)
    except BaseException as exc:
        current_stats.reset(counting)
        _inside_model.reset(inside)
        await recorder.settle()
        await run.on_llm_error(exc)
        raise
    current_stats.reset(counting)
    _inside_model.reset(inside)
    await recorder.settle()
    usage = recorder.usage()
    if not streaming and not recorder.requests and getattr(model, "usage_from_answers", False):
        # A user's model that sends through no pipeline of ours: what its answer says it used,
        # and one request answered (as LangChain's OpenAICallbackHandler counts every run).
        usage = Usage(own.prompt_tokens, own.completion_tokens, own.total_tokens, 1)
    await run.on_llm_end(_result(model, generations, usage))
    return generations, usage


def _result(model: Any, generations: list[Generation], usage: Usage) -> LLMResult:
    return LLMResult(
        generations=[generations],
        llm_output={
            "token_usage": usage.to_dict(),
            "model_name": model_name_of(generations, model),
        },
        usage=usage,
    )


def _joined(pieces: list[Any], recorder: CallRecorder) -> Any:
    if all(isinstance(p, str) for p in pieces):
        return "".join(pieces)
    whole: AIMessageChunk = pieces[0]
    for piece in pieces[1:]:
        whole = whole + piece
    message = message_chunk_to_message(whole)
    assert isinstance(message, AIMessage)
    message.usage = recorder.usage()
    return message


def traced_stream(
    model: Any, input: Any, config: RunnableConfig | None, kwargs: dict[str, Any]
) -> AsyncIterator[Any] | None:
    """A model's `astream` as a run reported to its handlers (`on_llm_new_token` for every
    piece), or None when none listens."""
    if config is None and model.callbacks is None and current_config.get() is None:
        return None
    if _inside_model.get():
        return None
    manager = manager_for(model, config)
    if manager is None:
        return None
    return _stream(model, manager, input, config, kwargs)


async def _stream(
    model: Any,
    manager: AsyncCallbackManager,
    input: Any,
    config: RunnableConfig | None,
    kwargs: dict[str, Any],
) -> AsyncIterator[Any]:
    run = await start_model_run(model, manager, input, config, kwargs, True)
    recorder = CallRecorder(current_stats.get(), run)
    inner = model.astream(input, config, **kwargs)
    pieces: list[Any] = []
    try:
        # The model's own generator starts (and reads the context) on its first step only.
        inside = _inside_model.set(True)
        counting = current_stats.set(recorder)
        try:
            head = [await anext(inner)]
        except StopAsyncIteration:
            head = []
        finally:
            current_stats.reset(counting)
            _inside_model.reset(inside)
        for chunk in head:
            pieces.append(chunk)
            await _token(run, chunk)
            yield chunk
        async for chunk in inner:
            pieces.append(chunk)
            await _token(run, chunk)
            yield chunk
    except BaseException as exc:  # a caller leaving early or cancelling ends the run too
        await recorder.settle()
        await run.on_llm_error(exc)
        raise
    finally:
        await inner.aclose()
    await recorder.settle()
    output = _joined(pieces, recorder) if pieces else ""
    await run.on_llm_end(_result(model, [generation_of(output)], recorder.usage()))


async def _token(run: AsyncCallbackManagerForLLMRun, chunk: Any) -> None:
    text = chunk if isinstance(chunk, str) else chunk.text
    if text or not isinstance(chunk, str):  # a tool-call or usage chunk is a token event too
        await run.on_llm_new_token(text, chunk=chunk)
