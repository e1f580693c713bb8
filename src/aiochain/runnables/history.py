"""`RunnableWithMessageHistory`: a runnable that reads a session's earlier messages before each
call and adds the exchange after it, the session chosen by `config["configurable"]`.

    with_history = RunnableWithMessageHistory(
        prompt | chat,
        get_session_history,              # session_id -> InMemoryChatMessageHistory
        input_messages_key="question",
        history_messages_key="history",
    )
    await with_history.ainvoke({"question": "Hi"}, config={"configurable": {"session_id": "a"}})

Each call reads a copy of its session's messages, so concurrent calls of different sessions
never see each other's; concurrent calls of one session each see the history as it was when
they started.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from .._config import RunnableConfig, check_config, current_config
from .._exceptions import ConfigurationError, UsageError
from ..chat_history import BaseChatMessageHistory
from ..messages import AIMessage, BaseMessage, HumanMessage, message_chunk_to_message
from .base import Config, Runnable, join_chunks


class RunnableWithMessageHistory(Runnable[Any, Any]):
    """Runs `runnable` with the history of the session named in the config.

    Args:
        runnable: the runnable (a chat model, or a chain ending in one).
        get_session_history: returns the history of a session id (or, with
            `history_factory_config`, of those configurable fields by name); may be async.
        input_messages_key: the input dict's key holding the new message(s); None: the
            input itself is the new message(s).
        output_messages_key: the output dict's key holding the answer; None: the output.
        history_messages_key: the input key the earlier messages go under; None: they are
            put before the new messages in a list input.
        history_factory_config: the configurable fields `get_session_history` takes, as
            LangChain's `ConfigurableFieldSpec`s or plain names (default: `session_id`).
    """

    def __init__(
        self,
        runnable: Runnable[Any, Any],
        get_session_history: Callable[..., Any],
        *,
        input_messages_key: str | None = None,
        output_messages_key: str | None = None,
        history_messages_key: str | None = None,
        history_factory_config: Sequence[Any] | None = None,
    ) -> None:
        self.runnable = runnable
        self.get_session_history = get_session_history
        self.input_messages_key = input_messages_key
        self.output_messages_key = output_messages_key
        self.history_messages_key = history_messages_key
        fields = history_factory_config or ["session_id"]
        self.fields = [getattr(f, "id", f) for f in fields]

    async def _history(self, config: RunnableConfig | None) -> BaseChatMessageHistory:
        configurable = (config or {}).get("configurable") or {}
        missing = [name for name in self.fields if name not in configurable]
        if missing:
            raise ConfigurationError(
                f"RunnableWithMessageHistory needs config={{'configurable': "
                f"{{{', '.join(repr(m) + ': ...' for m in missing)}}}}}"
            )
        values = [configurable[name] for name in self.fields]
        if self.fields == ["session_id"]:
            history = self.get_session_history(*values)
        else:
            history = self.get_session_history(**dict(zip(self.fields, values, strict=True)))
        if inspect.isawaitable(history):
            history = await history
        if not isinstance(history, BaseChatMessageHistory):
            raise UsageError(
                f"get_session_history returned {type(history).__name__}, not a chat history"
            )
        return history

    def _new_messages(self, input: Any) -> list[BaseMessage]:
        if self.input_messages_key is not None and isinstance(input, Mapping):
            input = input[self.input_messages_key]
        elif isinstance(input, Mapping) and len(input) == 1:
            input = next(iter(input.values()))
        return _as_messages(input, HumanMessage)

    def _prepared(self, input: Any, earlier: list[BaseMessage]) -> Any:
        if self.history_messages_key is not None:
            if not isinstance(input, Mapping):
                raise UsageError("history_messages_key= needs a dict input")
            return {**input, self.history_messages_key: earlier}
        if isinstance(input, Mapping):
            key = self.input_messages_key or next(iter(input))
            return {**input, key: [*earlier, *_as_messages(input[key], HumanMessage)]}
        return [*earlier, *_as_messages(input, HumanMessage)]

    def _answer(self, output: Any) -> list[BaseMessage]:
        if isinstance(output, Mapping):
            key = self.output_messages_key or next(iter(output))
            output = output[key]
        return _as_messages(output, AIMessage)

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        """Run on `input` with the session's history; save the input and the answer."""
        config = check_config(config) if config is not None else current_config.get()
        history = await self._history(config)
        earlier = await history.aget_messages()
        output = await self.runnable.ainvoke(self._prepared(input, earlier), config, **kwargs)
        await history.aadd_messages([*self._new_messages(input), *self._answer(output)])
        return output

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Stream the answer; the exchange is saved once the stream is complete."""
        config = check_config(config) if config is not None else current_config.get()
        history = await self._history(config)
        earlier = await history.aget_messages()
        pieces = []
        async for chunk in self.runnable.astream(self._prepared(input, earlier), config, **kwargs):
            pieces.append(chunk)
            yield chunk
        answer = self._answer(join_chunks(pieces))
        await history.aadd_messages([*self._new_messages(input), *answer])


def _as_messages(value: Any, kind: type[BaseMessage]) -> list[BaseMessage]:
    if isinstance(value, BaseMessage):
        if kind is AIMessage and not isinstance(value, AIMessage):
            return [value]
        return [message_chunk_to_message(value)]  # a stream's joined chunk: its answer
    if isinstance(value, str):
        return [kind(value)]
    if isinstance(value, Sequence):
        return [m for item in value for m in _as_messages(item, kind)]
    return [kind(str(value))]
