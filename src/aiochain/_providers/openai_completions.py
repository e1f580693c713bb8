"""`OpenAI`: a completion model on the `/completions` endpoint, as LangChain's `OpenAI` is
(public in `llms`)."""

from __future__ import annotations

from .._exceptions import BadResponseError
from .._types import JSONDict
from ..messages import to_messages
from ..outputs import Generation, Usage
from ..prompts import ChatPromptValue, LanguageModelInput, PromptValue
from .openai import BaseOpenAI


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
                f"{self._where} answered a choice without text",
                body=str(data)[:2000],
            )
        return text

    def _chunk_text(self, choice: JSONDict) -> str | None:
        text = choice.get("text")
        if text is not None and not isinstance(text, str):
            raise BadResponseError(
                f"{self._where} streamed text that is not text: {str(text)[:80]!r}",
                body=str(choice)[:2000],
            )
        return text

    def _answer(self, data: JSONDict, usage: Usage) -> str:
        return self._choice_text(self._choices_of(data)[0], data)


__all__ = ["OpenAI"]
