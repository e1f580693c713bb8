"""`OpenAI`: a completion model on the `/completions` endpoint, as LangChain's `OpenAI` is
(public in `llms`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._config import RunnableConfig, current_config
from ._exceptions import BadResponseError
from ._model_options import log_verbose
from ._openai import BaseOpenAI
from ._pipeline import StreamOutcome
from ._sync import run_sync
from ._traced import traced_invoke
from ._types import JSONDict
from .messages import to_messages
from .outputs import Generation, Usage
from .prompts import ChatPromptValue, LanguageModelInput, PromptValue


class OpenAI(BaseOpenAI[str]):
    """A completion model (default `gpt-3.5-turbo-instruct`); `ainvoke` returns the text.

    `max_tokens` defaults to 256, as in LangChain: the endpoint's own default is 16 tokens, which
    cuts most answers short. See `BaseOpenAI` for every option.
    """

    _path = "/completions"
    default_model = "gpt-3.5-turbo-instruct"
    default_max_tokens = 256

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        if isinstance(input, str):
            prompt = input
        elif isinstance(input, PromptValue):
            prompt = input.to_string()
        else:
            prompt = ChatPromptValue(to_messages(input)).to_string()
        payload = self._base_payload.copy()
        payload["prompt"] = prompt
        return payload

    def _generations(self, data: JSONDict, usage: Usage) -> list[Generation]:
        return [
            Generation(
                text=self._choice_text(choice, data),
                generation_info={"finish_reason": choice.get("finish_reason")},
            )
            for choice in self._choices_of(data)
        ]

    def _choice_text(self, choice: JSONDict, data: JSONDict) -> str:
        text = choice.get("text")
        if not isinstance(text, str):
            raise BadResponseError(
                f"{self.base_url}{self._path} answered a choice without text",
                body=str(data)[:2000],
            )
        return text

    def _chunk_text(self, choice: JSONDict) -> str | None:
        text = choice.get("text")
        if text is not None and not isinstance(text, str):
            raise BadResponseError(
                f"{self.base_url}{self._path} streamed text that is not text: {str(text)[:80]!r}",
                body=str(choice)[:2000],
            )
        return text

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> str:
        """The generated text for one prompt; `kwargs` (`stop=`, ...) are request fields for
        this call."""
        if (
            config is not None or self.callbacks is not None or current_config.get() is not None
        ) and (traced := traced_invoke(self, input, config, kwargs)) is not None:  # callbacks
            return await traced  # type: ignore[no-any-return]
        if kwargs:
            return await self.bind(**kwargs).ainvoke(input, config)
        if self.verbose:
            log_verbose(self, "prompt", self._payload(input)["prompt"])
        if self.on_token is not None:
            text, _ = await self._collect_stream(input, StreamOutcome())
        else:
            data, _ = await self._apost(self._payload(input))
            text = self._choice_text(self._choices_of(data)[0], data)
        if self.verbose:
            log_verbose(self, "answer", text)
        return text

    def __call__(self, prompt: str, stop: Sequence[str] | None = None) -> str:
        """The old LangChain call style, `llm("prompt")`; blocking."""
        return run_sync(
            lambda: self.ainvoke(prompt, stop=stop), name="OpenAI.__call__", async_name="ainvoke"
        )


__all__ = ["OpenAI"]
