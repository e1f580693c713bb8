"""The callback handler classes, with LangChain's event methods and signatures.

A handler subclasses `BaseCallbackHandler` (sync methods) or `AsyncCallbackHandler` (async
methods) and overrides the events it cares about; every event is a no-op by default. Every
event gets `run_id`, `parent_run_id` and `tags` (start events also `metadata`) as keywords,
as in `langchain_core.callbacks.base`. `on_chat_model_start` raises `NotImplementedError` by
default, which makes the dispatcher call `on_llm_start` with the messages as text instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(slots=True)
class RetryState:
    """What `on_retry` receives (tenacity's `RetryCallState` in LangChain).

    Attributes:
        attempt_number: the attempt that failed (1 for the first).
        outcome: the error of that attempt, when known.
    """

    attempt_number: int
    outcome: BaseException | None = None


class BaseCallbackHandler:
    """A handler of run events; override the `on_*` methods you need (all sync here).

    Attributes:
        raise_error: re-raise an exception raised by this handler (else it is logged).
        run_inline: accepted for compatibility (every handler runs inline).
    """

    raise_error: bool = False
    run_inline: bool = False

    @property
    def ignore_llm(self) -> bool:
        """Skip the LLM events."""
        return False

    @property
    def ignore_retry(self) -> bool:
        """Skip the retry events."""
        return False

    @property
    def ignore_chain(self) -> bool:
        """Skip the chain events."""
        return False

    @property
    def ignore_agent(self) -> bool:
        """Skip the agent events (and the tool events, as LangChain does)."""
        return False

    @property
    def ignore_retriever(self) -> bool:
        """Skip the retriever events."""
        return False

    @property
    def ignore_chat_model(self) -> bool:
        """Skip `on_chat_model_start`."""
        return False

    @property
    def ignore_custom_event(self) -> bool:
        """Skip custom events."""
        return False

    # --- starts ---------------------------------------------------------------------------

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A completion model (or a chat model, for handlers without
        `on_chat_model_start`) starts on `prompts`."""

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A chat model starts on `messages` (one list per prompt)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement on_chat_model_start")

    def on_chain_start(
        self,
        serialized: dict[str, Any],
        inputs: dict[str, Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A chain (or runnable sequence) starts on `inputs`."""

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A tool starts on `input_str` (`inputs`: the arguments as a dict)."""

    def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A retriever starts (accepted for compatibility; we have no retrievers yet)."""

    # --- model runs -----------------------------------------------------------------------

    def on_llm_new_token(
        self,
        token: str,
        *,
        chunk: Any = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A streamed model produced a piece of text."""

    def on_llm_end(
        self,
        response: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A model run ended with an `LLMResult` (`llm_output["token_usage"]`)."""

    def on_llm_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A model run failed."""

    # --- chain runs -----------------------------------------------------------------------

    def on_chain_end(
        self,
        outputs: dict[str, Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A chain run ended with `outputs`."""

    def on_chain_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A chain run failed."""

    def on_agent_action(
        self,
        action: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """An agent decided on an action."""

    def on_agent_finish(
        self,
        finish: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """An agent finished."""

    # --- tool runs ------------------------------------------------------------------------

    def on_tool_end(
        self,
        output: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A tool run ended with `output`."""

    def on_tool_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A tool run failed."""

    def on_retriever_end(
        self,
        documents: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A retriever run ended."""

    def on_retriever_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A retriever run failed."""

    # --- any run --------------------------------------------------------------------------

    def on_text(
        self,
        text: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A run logged some text (`LLMChain` logs its prompt when verbose)."""

    def on_retry(
        self,
        retry_state: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        """A run failed an attempt and will try again (`retry_state`: a `RetryState`)."""

    def on_custom_event(
        self,
        name: str,
        data: Any,
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A custom event (accepted for compatibility)."""


class StdOutCallbackHandler(BaseCallbackHandler):
    """Prints chain starts and ends, text and tool outputs, as LangChain's `verbose=True` does.

    Args:
        color: the color of printed text (`"green"`, `"blue"`, ...; None: the terminal's).
    """

    def __init__(self, color: str | None = None) -> None:
        self.color = color

    def on_chain_start(
        self, serialized: dict[str, Any], inputs: dict[str, Any], **kwargs: Any
    ) -> None:
        if kwargs.get("name"):
            name = kwargs["name"]
        elif serialized:
            name = serialized.get("name", serialized.get("id", ["<unknown>"])[-1])
        else:
            name = "<unknown>"
        print(f"\n\n\033[1m> Entering new {name} chain...\033[0m")

    def on_chain_end(self, outputs: dict[str, Any], **kwargs: Any) -> None:
        print("\n\033[1m> Finished chain.\033[0m")

    def on_tool_end(
        self,
        output: Any,
        color: str | None = None,
        observation_prefix: str | None = None,
        llm_prefix: str | None = None,
        **kwargs: Any,
    ) -> None:
        if observation_prefix is not None:
            print_text(f"\n{observation_prefix}")
        print_text(str(output), color=color or self.color)
        if llm_prefix is not None:
            print_text(f"\n{llm_prefix}")

    def on_text(self, text: str, color: str | None = None, end: str = "", **kwargs: Any) -> None:
        print_text(text, color=color or self.color, end=end)


_COLORS = {"blue": "36;1", "yellow": "33;1", "pink": "38;5;200", "green": "32;1", "red": "31;1"}


def print_text(text: str, color: str | None = None, end: str = "") -> None:
    """Print `text` in `color` (LangChain's `print_text`)."""
    if color in _COLORS:
        text = f"\u001b[{_COLORS[color]}m\033[1;3m{text}\u001b[0m"
    print(text, end=end, flush=True)
