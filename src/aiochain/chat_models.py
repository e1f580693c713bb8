"""`ChatOpenAI`: a chat model on the `/chat/completions` endpoint."""

from __future__ import annotations

from typing import Any

from ._exceptions import BadResponseError
from ._openai import BaseOpenAI
from ._types import JSONDict, LanguageModelInput
from .messages import AIMessage, HumanMessage, to_messages
from .outputs import ChatGeneration, Generation, Usage
from .prompts import PromptValue


class ChatOpenAI(BaseOpenAI[AIMessage]):
    """A chat model (default `gpt-4o-mini`); `ainvoke` returns an `AIMessage`.

    Accepts a string (sent as one user message), a prompt value, or a list of messages. See
    `BaseOpenAI` for every option.
    """

    _path = "/chat/completions"
    default_model = "gpt-4o-mini"

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        if isinstance(input, str):
            messages: list[dict[str, Any]] = [{"role": "user", "content": input}]
        elif isinstance(input, PromptValue):
            messages = [m.to_openai() for m in input.to_messages()]
        else:
            messages = [m.to_openai() for m in to_messages(input)]
        payload = self._base_payload.copy()
        payload["messages"] = messages
        return payload

    def _message_of(self, choice: JSONDict, data: JSONDict, usage: Usage) -> AIMessage:
        message = choice.get("message")
        if not isinstance(message, dict):
            raise BadResponseError(
                f"{self.base_url}{self._path} answered a choice without a message",
                body=str(data)[:2000],
            )
        content = message.get("content")
        return AIMessage(
            content if isinstance(content, str) else "",
            usage=usage,
            response_metadata={
                "finish_reason": choice.get("finish_reason"),
                "model_name": data.get("model"),
            },
        )

    def _generations(self, data: JSONDict, usage: Usage) -> list[Generation]:
        out: list[Generation] = []
        for choice in self._choices_of(data):
            message = self._message_of(choice, data, usage)
            out.append(
                ChatGeneration(
                    text=message.content,
                    generation_info=dict(message.response_metadata),
                    message=message,
                )
            )
        return out

    def _choice_text(self, choice: JSONDict, data: JSONDict) -> str:
        return self._message_of(choice, data, Usage()).content

    def _chunk_text(self, choice: JSONDict) -> str | None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            content = delta.get("content")
            if isinstance(content, str):
                return content
        return None

    async def ainvoke(self, input: LanguageModelInput) -> AIMessage:
        """The model's answer to one prompt or conversation."""
        if self.on_token is not None:
            text, _, usage = await self._ainvoke_text(input)
            return AIMessage(text, usage=usage, response_metadata={"model_name": self.model})
        data, usage = await self._apost(self._payload(input))
        return self._message_of(self._choices_of(data)[0], data, usage)


__all__ = ["AIMessage", "ChatOpenAI", "HumanMessage"]
