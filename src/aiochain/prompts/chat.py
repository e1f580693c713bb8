"""`ChatPromptTemplate` and `MessagesPlaceholder`: message templates for chat models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Union

from .._exceptions import MissingVariablesError, TemplateError
from ..messages import BaseMessage, message_class, to_messages
from ._titles import title_line
from .message_templates import AIMessagePromptTemplate as AIMessagePromptTemplate
from .message_templates import BaseMessagePromptTemplate as BaseMessagePromptTemplate
from .message_templates import HumanMessagePromptTemplate as HumanMessagePromptTemplate
from .message_templates import SystemMessagePromptTemplate as SystemMessagePromptTemplate
from .prompt import (
    BasePromptTemplate,
    ChatPromptValue,
    PartialValue,
    PromptTemplate,
    check_format,
    check_variables,
    render,
    resolve_partials,
)


class MessagesPlaceholder:
    """A place in a chat template for a list of messages given at format time (a history).

    `("placeholder", "{history}")` in a template is the same as
    `MessagesPlaceholder("history", optional=True)`.

    Args:
        variable_name: the variable holding the messages (messages, `(role, text)` pairs or
            OpenAI-style dicts).
        optional: when True a missing variable means no messages.
        n_messages: keep only the last this many messages.
    """

    def __init__(
        self, variable_name: str, *, optional: bool = False, n_messages: int | None = None
    ) -> None:
        if not variable_name.isidentifier():
            raise TemplateError(f"a placeholder's variable must be a name, got {variable_name!r}")
        self.variable_name = variable_name
        self.optional = optional
        self.n_messages = n_messages

    def format_messages(self, **kwargs: Any) -> list[BaseMessage]:
        """The messages of the variable (none when optional and not given).

        Raises:
            MissingVariablesError: when the variable is not given and not optional.
            TemplateError: when the value is not a list of messages.
        """
        value = kwargs.get(self.variable_name)
        if value is None:
            if self.optional:
                return []
            raise MissingVariablesError(
                f"MessagesPlaceholder: missing {self.variable_name}",
                missing=[self.variable_name],
            )
        if isinstance(value, str | BaseMessage) or not isinstance(value, Sequence):
            raise TemplateError(
                f"variable {self.variable_name} should be a list of messages, "
                f"got {type(value).__name__}"
            )
        messages = to_messages(value)
        return messages[-self.n_messages :] if self.n_messages else messages

    def __repr__(self) -> str:
        return f"MessagesPlaceholder({self.variable_name!r}, optional={self.optional})"


MessageTemplateLike = Union[  # noqa: UP007 - a runtime alias
    BaseMessage, MessagesPlaceholder, BasePromptTemplate, tuple[str, str], str
]

_Item = Union[  # noqa: UP007
    tuple[type[BaseMessage], PromptTemplate], BaseMessage, MessagesPlaceholder, BasePromptTemplate
]


class ChatPromptTemplate(BasePromptTemplate):
    """A list of message templates: `(role, template)` pairs, fixed messages, placeholders.

    Roles: `system`, `human` (or `user`), `ai` (or `assistant`), and `placeholder` (with a
    template of one `{name}`, an optional `MessagesPlaceholder`).
    """

    def __init__(
        self,
        messages: Sequence[MessageTemplateLike],
        *,
        partial_variables: Mapping[str, PartialValue] | None = None,
        template_format: str = "f-string",
    ) -> None:
        check_format(template_format)
        self._messages: list[_Item] = []
        fields: list[str] = []
        optional: list[str] = []
        for item in messages:
            if isinstance(item, BaseMessage):
                self._messages.append(item)
                continue
            if isinstance(item, str):
                item = ("human", item)
            if isinstance(item, tuple) and len(item) == 2 and item[0] == "placeholder":
                item = _placeholder_of(item[1])
            if isinstance(item, MessagesPlaceholder):
                self._messages.append(item)
                name = item.variable_name
                (optional if item.optional else fields).append(name)
                continue
            if isinstance(item, BasePromptTemplate) and hasattr(item, "format_messages"):
                # A template of messages inside this one (few-shot examples, a chat prompt).
                self._messages.append(item)
                fields.extend(f for f in item.input_variables if f not in fields)
                continue
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TemplateError(
                    f"a chat message template must be a (role, template) pair, got {item!r}"
                )
            role, text = item
            template = PromptTemplate(template=text)
            self._messages.append((message_class(role), template))
            fields.extend(f for f in template.input_variables if f not in fields)
        self.partial_variables = dict(partial_variables or {})
        known = fields + optional
        unknown_partials = [k for k in self.partial_variables if k not in known]
        if unknown_partials:
            raise TemplateError(
                f"partial variables not in the template: {', '.join(unknown_partials)}"
            )
        self.input_variables = [f for f in fields if f not in self.partial_variables]
        self.optional_variables = optional
        self._fields = known

    @classmethod
    def from_messages(
        cls, messages: Sequence[MessageTemplateLike], **kwargs: Any
    ) -> ChatPromptTemplate:
        """Build from `[("system", "..."), ("placeholder", "{history}"), ("human", "{x}")]`."""
        return cls(messages, **kwargs)

    @classmethod
    def from_template(cls, template: str, **kwargs: Any) -> ChatPromptTemplate:
        """One human message from a template string."""
        return cls([("human", template)], **kwargs)

    def format_messages(self, **kwargs: Any) -> list[BaseMessage]:
        """Fill every message template and placeholder.

        Raises:
            MissingVariablesError: naming every missing and every unexpected variable.
        """
        if self.partial_variables:
            kwargs = {**resolve_partials(self.partial_variables), **kwargs}
        check_variables("ChatPromptTemplate.format", self.input_variables, self._fields, kwargs)
        out: list[BaseMessage] = []
        for item in self._messages:
            if isinstance(item, BaseMessage):
                out.append(item)
            elif isinstance(item, MessagesPlaceholder):
                out.extend(item.format_messages(**kwargs))
            elif isinstance(item, BasePromptTemplate):
                known = item.known_variables()
                inner = {k: v for k, v in kwargs.items() if k in known}
                out.extend(item.format_messages(**inner))  # type: ignore[attr-defined]
            else:
                cls, template = item
                out.append(cls(render(template._parts, kwargs)))
        return out

    def format_prompt(self, **kwargs: Any) -> ChatPromptValue:
        """Fill every message template and wrap the messages as a prompt value."""
        return ChatPromptValue(self.format_messages(**kwargs))

    def format(self, **kwargs: Any) -> str:
        """The filled messages as labelled lines (`System: ...`, `Human: ...`)."""
        return self.format_prompt(**kwargs).to_string()

    def partial(self, **kwargs: PartialValue) -> ChatPromptTemplate:
        """A copy with some variables fixed (values or zero-argument functions)."""
        copy = ChatPromptTemplate([], partial_variables=None)
        copy._messages = list(self._messages)
        copy._fields = list(self._fields)
        copy.optional_variables = list(self.optional_variables)
        copy.partial_variables = {**self.partial_variables, **kwargs}
        copy.input_variables = [
            f
            for f in self._fields
            if f not in copy.partial_variables and f not in copy.optional_variables
        ]
        return copy

    def __add__(self, other: ChatPromptTemplate | MessageTemplateLike) -> ChatPromptTemplate:
        """The two templates' messages, one after the other."""
        added = ChatPromptTemplate([], partial_variables=None)
        theirs = other if isinstance(other, ChatPromptTemplate) else ChatPromptTemplate([other])
        added._messages = [*self._messages, *theirs._messages]
        added._fields = [*self._fields, *(f for f in theirs._fields if f not in self._fields)]
        added.optional_variables = [*self.optional_variables, *theirs.optional_variables]
        added.partial_variables = {**self.partial_variables, **theirs.partial_variables}
        added.input_variables = [
            f
            for f in added._fields
            if f not in added.partial_variables and f not in added.optional_variables
        ]
        return added

    @property
    def messages(self) -> list[Any]:
        """Its parts as LangChain lists them: fixed messages, placeholders, and a message
        template (`SystemMessagePromptTemplate`, ...) for each `(role, template)` pair."""
        kinds = {
            "SystemMessage": SystemMessagePromptTemplate,
            "HumanMessage": HumanMessagePromptTemplate,
            "AIMessage": AIMessagePromptTemplate,
        }
        parts: list[Any] = []
        for item in self._messages:
            if isinstance(item, tuple):
                cls, template = item
                parts.append(kinds.get(cls.__name__, HumanMessagePromptTemplate)(template))
            else:
                parts.append(item)
        return parts

    def pretty_repr(self, html: bool = False) -> str:
        """Each message template under a title line, as LangChain prints a chat prompt."""
        parts = []
        for item in self._messages:
            if isinstance(item, BaseMessage):
                title, text = f"{item.type.title()} Message", str(item.content)
            elif isinstance(item, MessagesPlaceholder):
                title, text = "Messages Placeholder", "{" + item.variable_name + "}"
            elif isinstance(item, BasePromptTemplate):
                parts.append(item.pretty_repr(html))
                continue
            else:
                cls, template = item
                title, text = cls.__name__.replace("Message", " Message"), template.template
            parts.append(f"{title_line(title)}\n\n{text}")
        return "\n\n".join(parts)

    def __repr__(self) -> str:
        return f"ChatPromptTemplate(input_variables={self.input_variables!r})"


def _placeholder_of(template: str) -> MessagesPlaceholder:
    name = template.strip()
    if not (name.startswith("{") and name.endswith("}")):
        raise TemplateError(f'a placeholder takes "{{name}}", got {template!r}')
    return MessagesPlaceholder(name[1:-1].strip(), optional=True)
