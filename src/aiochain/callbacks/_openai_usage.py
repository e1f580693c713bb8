"""`get_openai_callback()`: counts tokens and dollars of every model call in a block, through an
`OpenAICallbackHandler` that every run in the context hears."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from .._config import current_config
from ..pricing import cost_of
from ._dispatch import context_handlers
from ._handlers import BaseCallbackHandler


class OpenAICallbackHandler(BaseCallbackHandler):
    """Adds up the tokens and estimated dollars of every model call it hears.

    Counts come from each call's `llm_output["token_usage"]`, which holds what the server
    reported for the requests actually sent: an answer from the cache adds no tokens, no cost
    and no request. Updates are made without awaiting, so calls gathered on one event loop
    never lose one; a lock covers calls from other threads.

    Attributes:
        prompt_tokens / completion_tokens / total_tokens: tokens used.
        successful_requests: model calls answered by the server.
        total_cost: US dollars, for models with a known price (`aiochain.pricing`).
    """

    def __init__(self) -> None:
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.total_tokens = 0
        self.successful_requests = 0
        self.total_cost = 0.0
        self._lock = threading.Lock()

    @property
    def always_verbose(self) -> bool:
        return True

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        output = getattr(response, "llm_output", None) or {}
        usage = output.get("token_usage") or {}
        usage_of = getattr(response, "usage", None)
        requests = usage_of.requests if usage_of is not None else 1
        prompt = int(usage.get("prompt_tokens", 0))
        completion = int(usage.get("completion_tokens", 0))
        cost = cost_of(str(output.get("model_name") or ""), prompt, completion) or 0.0
        with self._lock:
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            self.total_tokens += int(usage.get("total_tokens", prompt + completion))
            self.successful_requests += requests
            self.total_cost += cost

    def __repr__(self) -> str:
        return (
            f"Tokens Used: {self.total_tokens}\n"
            f"\tPrompt Tokens: {self.prompt_tokens}\n"
            f"\tCompletion Tokens: {self.completion_tokens}\n"
            f"Successful Requests: {self.successful_requests}\n"
            f"Total Cost (USD): ${self.total_cost}"
        )


class _HandlerScope:
    """`with` / `async with`: `handler` hears every run started in the block."""

    def __init__(self, handler: BaseCallbackHandler) -> None:
        self.handler = handler
        self._tokens: list[Any] = []

    def __enter__(self) -> Any:
        self._tokens.append(context_handlers.set((*context_handlers.get(), self.handler)))
        # A run only looks for handlers when a config is around: make sure one is.
        self._tokens.append(current_config.set(current_config.get() or {}))
        return self.handler

    def __exit__(self, *exc_info: object) -> None:
        current_config.reset(self._tokens.pop())
        context_handlers.reset(self._tokens.pop())

    async def __aenter__(self) -> Any:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__()


def get_openai_callback() -> Any:
    """A context manager (`with` or `async with`) yielding an `OpenAICallbackHandler` that
    hears every model call made in the block, including in tasks it starts (`gather`)."""
    return _HandlerScope(OpenAICallbackHandler())


@contextlib.contextmanager
def collect_runs_with(handler: BaseCallbackHandler) -> Iterator[BaseCallbackHandler]:
    """Any handler for every run in the block, as `get_openai_callback()` does for its own."""
    with _HandlerScope(handler):
        yield handler
