"""One message from a template: LangChain's `SystemMessagePromptTemplate`,
`HumanMessagePromptTemplate` and `AIMessagePromptTemplate`.

    system = SystemMessagePromptTemplate.from_template("You translate {input_language}.")
    human = HumanMessagePromptTemplate(prompt=PromptTemplate(template="{text}",
                                                             input_variables=["text"]))
    chat_prompt = ChatPromptTemplate.from_messages([system, human])

The classic way to build a chat prompt (LangChain's chat quickstart and LLMChain guides before
`("system", "...")` pairs): each is a `PromptTemplate` whose text becomes one message of its
class's role, and a `ChatPromptTemplate` takes them as it takes any template of messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .._exceptions import UsageError
from ..messages import BaseMessage, message_class
from ._titles import title_line
from .prompt import BasePromptTemplate, ChatPromptValue, PartialValue, PromptTemplate


class BaseMessagePromptTemplate(BasePromptTemplate):
    """A template of one message of the class's `role`.

    Args:
        prompt: the template of the message's text.
        template: the text itself, instead of `prompt` (LangChain's keyword too).

    Raises:
        UsageError: when neither or both are given.
    """

    role: ClassVar[str] = "human"

    def __init__(
        self, prompt: PromptTemplate | None = None, *, template: str | None = None
    ) -> None:
        if (prompt is None) == (template is None):
            raise UsageError(f"{type(self).__name__} takes prompt= or template=, one of them")
        self.prompt = prompt if prompt is not None else PromptTemplate(template=template or "")
        self.input_variables = list(self.prompt.input_variables)
        self.partial_variables = dict(self.prompt.partial_variables)

    @classmethod
    def from_template(
        cls,
        template: str,
        template_format: str = "f-string",
        partial_variables: Mapping[str, PartialValue] | None = None,
    ) -> BaseMessagePromptTemplate:
        """A message template whose text is `template`."""
        return cls(
            PromptTemplate(
                template=template,
                template_format=template_format,
                partial_variables=partial_variables,
            )
        )

    def format(self, **kwargs: Any) -> BaseMessage:
        """The message, its text filled from `kwargs`."""
        return message_class(self.role)(self.prompt.format(**kwargs))

    def format_messages(self, **kwargs: Any) -> list[BaseMessage]:
        """The one message, as a list (what a `ChatPromptTemplate` asks its parts for)."""
        return [self.format(**kwargs)]

    def format_prompt(self, **kwargs: Any) -> ChatPromptValue:
        return ChatPromptValue(self.format_messages(**kwargs))

    def pretty_repr(self, html: bool = False) -> str:
        """The message's title line and template, as LangChain prints it."""
        title = type(self).__name__.replace("MessagePromptTemplate", " Message")
        return f"{title_line(title)}\n\n{self.prompt.template}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(template={self.prompt.template!r})"


class SystemMessagePromptTemplate(BaseMessagePromptTemplate):
    """A system message from a template."""

    role = "system"


class HumanMessagePromptTemplate(BaseMessagePromptTemplate):
    """A human message from a template."""

    role = "human"


class AIMessagePromptTemplate(BaseMessagePromptTemplate):
    """An AI message from a template."""

    role = "ai"


__all__ = [
    "AIMessagePromptTemplate",
    "BaseMessagePromptTemplate",
    "HumanMessagePromptTemplate",
    "SystemMessagePromptTemplate",
]
