"""String prompt templates (`PromptTemplate`), the prompt values every template returns, and the
template compiler the chat templates share.

Templates use `str.format` syntax restricted to plain `{name}` fields (`{{` and `}}` escape a
brace). Attribute access, indexing, conversions and format specs (`{x.__class__}`, `{x[0]}`,
`{x!r:>10}`) are rejected when the template is built: templates may come from users, and full
`str.format` lets a template read attributes of the objects it is given, an injection hole
other libraries have had. A template is compiled once into literal/field pairs, so `format`
is a join, not a parse.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias, Union

from .._exceptions import MissingVariablesError, TemplateError
from ..messages import BaseMessage, HumanMessage, MessageLike
from ..runnables.base import Config, PureRunnable

_parse_format = string.Formatter().parse

PartialValue = Union[str, Callable[[], str]]  # noqa: UP007 - a runtime alias


class PromptValue:
    """A formatted prompt, convertible for either kind of model."""

    __slots__ = ()

    def to_string(self) -> str:
        """The prompt as one string, for completion models."""
        raise NotImplementedError

    def to_messages(self) -> list[BaseMessage]:
        """The prompt as messages, for chat models."""
        raise NotImplementedError


LanguageModelInput: TypeAlias = "str | PromptValue | Sequence[MessageLike]"
"""What an LLM accepts: a plain prompt, a formatted prompt value, or a list of messages."""


class StringPromptValue(PromptValue):
    """A prompt that is one string; chat models receive it as one human message."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def to_string(self) -> str:
        return self.text

    def to_messages(self) -> list[BaseMessage]:
        return [HumanMessage(self.text)]

    def __repr__(self) -> str:
        return f"StringPromptValue(text={self.text!r})"


class ChatPromptValue(PromptValue):
    """A prompt that is a list of messages; completion models receive them as labelled lines."""

    __slots__ = ("messages",)

    def __init__(self, messages: list[BaseMessage]) -> None:
        self.messages = messages

    def to_string(self) -> str:
        return "\n".join(f"{_LABELS[m.type]}: {m.text}" for m in self.messages)

    def to_messages(self) -> list[BaseMessage]:
        return list(self.messages)

    def __repr__(self) -> str:
        return f"ChatPromptValue(messages={self.messages!r})"


_LABELS = {"system": "System", "human": "Human", "ai": "AI", "AIMessageChunk": "AI", "tool": "Tool"}


def compile_template(template: str) -> tuple[tuple[tuple[str, str | None], ...], list[str]]:
    """Split `template` into (literal, field-or-None) pairs and list its fields in order.

    Raises:
        TemplateError: for unbalanced braces or any field that is not a plain `{name}`.
    """
    if not isinstance(template, str):
        raise TemplateError(f"a template must be a string, got {type(template).__name__}")
    parts: list[tuple[str, str | None]] = []
    names: list[str] = []
    try:
        for literal, field, spec, conversion in _parse_format(template):
            if field is None:
                parts.append((literal, None))
                continue
            shown = "{" + field + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            if not field:
                raise TemplateError(
                    f"template field {shown} has no name; use a named field like {{text}}"
                )
            if not field.isidentifier():
                raise TemplateError(
                    f"template field {shown} is not allowed: only plain {{name}} fields, "
                    "no attribute access or indexing (write {{ and }} for literal braces)"
                )
            if conversion or spec:
                raise TemplateError(
                    f"template field {shown} is not allowed: conversions and format specs "
                    "are not supported; format the value before passing it"
                )
            parts.append((literal, field))
            if field not in names:
                names.append(field)
    except TemplateError:
        raise  # already says what is wrong
    except ValueError as exc:
        raise TemplateError(
            f"malformed template ({exc}); write {{{{ and }}}} for literal braces: {template[:60]!r}"
        ) from exc
    return tuple(parts), names


def render(parts: tuple[tuple[str, str | None], ...], values: Mapping[str, Any]) -> str:
    out: list[str] = []
    for literal, name in parts:
        if literal:
            out.append(literal)
        if name is not None:
            value = values[name]
            out.append(value if type(value) is str else str(value))
    return "".join(out)


def check_variables(
    what: str, required: Sequence[str], allowed: Iterable[str], given: Mapping[str, Any]
) -> None:
    missing = [name for name in required if name not in given]
    allowed_set = set(allowed)
    unexpected = [name for name in given if name not in allowed_set]
    if not missing and not unexpected:
        return
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected " + ", ".join(unexpected))
    expects = ", ".join(required) or "no variables"
    raise MissingVariablesError(
        f"{what}: {'; '.join(problems)} (it expects: {expects})",
        missing=missing,
        unexpected=unexpected,
    )


def check_format(template_format: str) -> None:
    if template_format != "f-string":
        raise TemplateError(
            f"template_format {template_format!r} is not supported: aiochain renders only "
            "'f-string' templates with plain {name} fields, because jinja2 and mustache "
            "templates can run code or read attributes when a template comes from a user"
        )


def resolve_partials(partials: Mapping[str, PartialValue]) -> dict[str, Any]:
    return {k: (v() if callable(v) else v) for k, v in partials.items()}


class BasePromptTemplate(PureRunnable[Any, PromptValue]):
    """What both templates share: variables, partials, and `invoke` for `|` composition."""

    run_type = "prompt"  # reported as `on_prompt_start` / `on_prompt_end`

    input_variables: list[str]
    partial_variables: dict[str, PartialValue]

    def format_prompt(self, **kwargs: Any) -> PromptValue:
        """Fill the template and return a prompt value for either kind of model."""
        raise NotImplementedError

    def pretty_repr(self, html: bool = False) -> str:
        """The template with its variables shown as `{name}` (LangChain's `pretty_repr`)."""
        shown = {name: "{" + name + "}" for name in self.input_variables}
        return str(self.format(**shown))  # type: ignore[attr-defined]

    def pretty_print(self) -> None:
        """Print `pretty_repr()`."""
        print(self.pretty_repr())

    def known_variables(self) -> frozenset[str]:
        """Every variable the template reads: inputs, partials and optional ones."""
        optional = getattr(self, "optional_variables", ())
        return frozenset((*self.input_variables, *self.partial_variables, *optional))

    def invoke(self, input: Any, config: Config = None, **kwargs: Any) -> PromptValue:
        """Fill the template from a dict of variables (or one value for a one-variable prompt).

        Keys the template does not use are ignored here, as in LangChain, since the dicts of a
        composed chain carry more than each prompt needs; `format` refuses them.
        """
        if isinstance(input, Mapping):
            try:
                return self.format_prompt(**input)
            except MissingVariablesError as exc:
                if exc.missing or not exc.unexpected:
                    raise
            known = self.known_variables()
            return self.format_prompt(**{k: v for k, v in input.items() if k in known})
        if len(self.input_variables) == 1:
            return self.format_prompt(**{self.input_variables[0]: input})
        raise MissingVariablesError(
            f"{type(self).__name__} expects a dict with {', '.join(self.input_variables)}, "
            f"got {type(input).__name__}",
            missing=list(self.input_variables),
        )


class PromptTemplate(BasePromptTemplate):
    """A string template with `{name}` fields.

    Args:
        template: the template text.
        input_variables: the field names; when given they must match the template's fields.
        partial_variables: values (or zero-argument functions) fixed in advance.
        template_format: only "f-string" is supported.
    """

    def __init__(
        self,
        *,
        template: str,
        input_variables: Sequence[str] | None = None,
        partial_variables: Mapping[str, PartialValue] | None = None,
        template_format: str = "f-string",
    ) -> None:
        check_format(template_format)
        self.template = template
        self._parts, fields = compile_template(template)
        self.partial_variables = dict(partial_variables or {})
        unknown_partials = [k for k in self.partial_variables if k not in fields]
        if unknown_partials:
            raise TemplateError(
                f"partial variables not in the template: {', '.join(unknown_partials)}"
            )
        variables = [f for f in fields if f not in self.partial_variables]
        if input_variables is not None and set(input_variables) != set(variables):
            raise TemplateError(
                f"input_variables {list(input_variables)} do not match the template's fields "
                f"{variables}"
            )
        self.input_variables = variables

    @classmethod
    def from_template(cls, template: str, **kwargs: Any) -> PromptTemplate:
        """Build a template whose variables are the fields of `template`."""
        return cls(template=template, **kwargs)

    def format(self, **kwargs: Any) -> str:
        """Fill the template.

        Raises:
            MissingVariablesError: naming every missing and every unexpected variable.
        """
        if self.partial_variables:
            kwargs = {**resolve_partials(self.partial_variables), **kwargs}
            check_variables(
                "PromptTemplate.format",
                self.input_variables,
                [*self.input_variables, *self.partial_variables],
                kwargs,
            )
        elif len(kwargs) != len(self.input_variables) or any(
            name not in kwargs for name in self.input_variables
        ):
            check_variables(
                "PromptTemplate.format", self.input_variables, self.input_variables, kwargs
            )
        return render(self._parts, kwargs)

    def format_prompt(self, **kwargs: Any) -> StringPromptValue:
        """Fill the template and wrap the text as a prompt value."""
        return StringPromptValue(self.format(**kwargs))

    def partial(self, **kwargs: PartialValue) -> PromptTemplate:
        """A copy with some variables fixed (values or zero-argument functions)."""
        return PromptTemplate(
            template=self.template, partial_variables={**self.partial_variables, **kwargs}
        )

    def __add__(self, other: PromptTemplate | str) -> PromptTemplate:
        """The two templates joined; both sets of partial variables are kept.

        Raises:
            TemplateError: when both fix the same variable to different values.
        """
        if isinstance(other, str):
            return PromptTemplate(
                template=self.template + other, partial_variables=self.partial_variables
            )
        clash = [
            key
            for key in self.partial_variables.keys() & other.partial_variables.keys()
            if self.partial_variables[key] != other.partial_variables[key]
        ]
        if clash:
            raise TemplateError(f"both templates fix {', '.join(sorted(clash))} differently")
        return PromptTemplate(
            template=self.template + other.template,
            partial_variables={**self.partial_variables, **other.partial_variables},
        )

    def __repr__(self) -> str:
        return f"PromptTemplate(template={self.template!r})"
