"""Few-shot prompts: LangChain's `FewShotPromptTemplate` (examples formatted into one string
between a prefix and a suffix) and `FewShotChatMessagePromptTemplate` (examples formatted into
messages, placed inside a `ChatPromptTemplate`), with `LengthBasedExampleSelector`.

    example_prompt = ChatPromptTemplate.from_messages([("human", "{input}"), ("ai", "{output}")])
    few_shot = FewShotChatMessagePromptTemplate(examples=examples, example_prompt=example_prompt)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a wondrous wizard of math."), few_shot, ("human", "{input}")]
    )
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from .._exceptions import ConfigurationError
from ..messages import BaseMessage, get_buffer_string
from .prompt import (
    BasePromptTemplate,
    ChatPromptValue,
    PartialValue,
    PromptTemplate,
    StringPromptValue,
    check_format,
    resolve_partials,
)


class ExampleSelector(Protocol):
    """Chooses the examples for one input (LangChain's `BaseExampleSelector`)."""

    def select_examples(self, input_variables: dict[str, Any]) -> list[dict[str, Any]]: ...


def _check_source(examples: Any, example_selector: Any) -> None:
    if (examples is None) == (example_selector is None):
        raise ConfigurationError("give exactly one of examples and example_selector")
    if examples is not None and not all(isinstance(e, Mapping) for e in examples):
        raise ConfigurationError("examples must be a list of dicts of the example's variables")


def _examples(
    examples: Sequence[Mapping[str, Any]] | None,
    selector: ExampleSelector | None,
    variables: Sequence[str],
    kwargs: dict[str, Any],
) -> list[dict[str, Any]]:
    """The examples to show, each cut to the example prompt's variables."""
    chosen = list(examples) if examples is not None else selector.select_examples(kwargs)  # type: ignore[union-attr]
    return [{k: example[k] for k in variables if k in example} for example in chosen]


class FewShotPromptTemplate(BasePromptTemplate):
    """A string prompt of examples between a prefix and a suffix.

    Args:
        examples: the examples, dicts of the example prompt's variables.
        example_prompt: formats one example (a `PromptTemplate`).
        suffix: the template after the examples (usually holds the input).
        prefix: the template before them.
        example_separator: put between the pieces.
        input_variables: accepted as LangChain spells it; the variables are those of the
            prefix and suffix.
        example_selector: chooses examples per input instead of `examples`.
        partial_variables: values (or zero-argument functions) fixed in advance.
        template_format: only "f-string".

    The examples are formatted on their own, so braces in an example's text are kept as
    they are (LangChain formats them a second time with the prefix and suffix).
    """

    def __init__(
        self,
        *,
        example_prompt: PromptTemplate,
        suffix: str,
        examples: Sequence[Mapping[str, Any]] | None = None,
        example_selector: ExampleSelector | None = None,
        prefix: str = "",
        example_separator: str = "\n\n",
        input_variables: Sequence[str] | None = None,
        partial_variables: Mapping[str, PartialValue] | None = None,
        template_format: str = "f-string",
        validate_template: bool = False,
    ) -> None:
        check_format(template_format)
        _check_source(examples, example_selector)
        self.examples = list(examples) if examples is not None else None
        self.example_selector = example_selector
        self.example_prompt = example_prompt
        self.prefix, self.suffix = prefix, suffix
        self.example_separator = example_separator
        self.partial_variables = dict(partial_variables or {})
        self._prefix = PromptTemplate(template=prefix)
        self._suffix = PromptTemplate(template=suffix)
        fields = [*self._prefix.input_variables]
        fields += [f for f in self._suffix.input_variables if f not in fields]
        variables = [f for f in fields if f not in self.partial_variables]
        if (
            validate_template
            and input_variables is not None
            and set(input_variables) != set(variables)
        ):
            raise ConfigurationError(
                f"input_variables {list(input_variables)} do not match the prefix and suffix "
                f"variables {variables}"
            )
        self.input_variables = variables

    def format(self, **kwargs: Any) -> str:
        """The prefix, the formatted examples and the suffix, joined by the separator.

        Raises:
            MissingVariablesError: when the prefix or suffix lacks a variable.
        """
        kwargs = {**resolve_partials(self.partial_variables), **kwargs}
        examples = _examples(
            self.examples, self.example_selector, self.example_prompt.input_variables, kwargs
        )
        pieces = [
            _fill(self._prefix, kwargs),
            *(self.example_prompt.format(**example) for example in examples),
            _fill(self._suffix, kwargs),
        ]
        return self.example_separator.join(piece for piece in pieces if piece)

    def format_prompt(self, **kwargs: Any) -> StringPromptValue:
        """`format`, as a prompt value."""
        return StringPromptValue(self.format(**kwargs))

    def __repr__(self) -> str:
        return f"FewShotPromptTemplate(input_variables={self.input_variables!r})"


def _fill(template: PromptTemplate, values: dict[str, Any]) -> str:
    return template.format(**{k: values[k] for k in template.input_variables if k in values})


class FewShotChatMessagePromptTemplate(BasePromptTemplate):
    """Examples as chat messages; put it in `ChatPromptTemplate.from_messages([...])`.

    Args:
        examples: the examples, dicts of the example prompt's variables.
        example_prompt: turns one example into messages (a `ChatPromptTemplate`).
        example_selector: chooses examples per input instead of `examples`.
        input_variables: the variables the selector reads (none with fixed examples).
    """

    def __init__(
        self,
        *,
        example_prompt: Any,
        examples: Sequence[Mapping[str, Any]] | None = None,
        example_selector: ExampleSelector | None = None,
        input_variables: Sequence[str] | None = None,
    ) -> None:
        _check_source(examples, example_selector)
        if not callable(getattr(example_prompt, "format_messages", None)):
            raise ConfigurationError("example_prompt must be a ChatPromptTemplate")
        self.examples = list(examples) if examples is not None else None
        self.example_selector = example_selector
        self.example_prompt = example_prompt
        self.input_variables = list(input_variables or [])
        self.partial_variables: dict[str, PartialValue] = {}

    def format_messages(self, **kwargs: Any) -> list[BaseMessage]:
        """The messages of every example, in order (variables it does not read are ignored)."""
        examples = _examples(
            self.examples, self.example_selector, self.example_prompt.input_variables, kwargs
        )
        return [m for example in examples for m in self.example_prompt.format_messages(**example)]

    def format_prompt(self, **kwargs: Any) -> ChatPromptValue:
        """The example messages, as a prompt value."""
        return ChatPromptValue(self.format_messages(**kwargs))

    def format(self, **kwargs: Any) -> str:
        """The example messages as `Human: ...` / `AI: ...` lines."""
        return get_buffer_string(self.format_messages(**kwargs))

    def __repr__(self) -> str:
        return f"FewShotChatMessagePromptTemplate(examples={len(self.examples or [])})"


def _word_count(text: str) -> int:
    return len(re.split(r"\n| ", text))


class LengthBasedExampleSelector:
    """Takes examples in order while their formatted text stays within `max_length` (words,
    by default) beside the input's own length (LangChain's `LengthBasedExampleSelector`).

    Args:
        examples: the examples.
        example_prompt: formats one example, to measure it.
        max_length: the most length of the examples and the input together.
        get_text_length: measures a text (default: words and lines).
    """

    def __init__(
        self,
        *,
        examples: Sequence[Mapping[str, Any]],
        example_prompt: PromptTemplate,
        max_length: int = 2048,
        get_text_length: Callable[[str], int] = _word_count,
    ) -> None:
        self.examples = [dict(e) for e in examples]
        self.example_prompt = example_prompt
        self.max_length = max_length
        self.get_text_length = get_text_length

    def add_example(self, example: Mapping[str, Any]) -> None:
        """Add one example at the end."""
        self.examples.append(dict(example))

    def select_examples(self, input_variables: dict[str, Any]) -> list[dict[str, Any]]:
        """The first examples that fit beside the input."""
        remaining = self.max_length - self.get_text_length(
            " ".join(str(v) for v in input_variables.values())
        )
        chosen = []
        for example in self.examples:
            length = self.get_text_length(self.example_prompt.format(**example))
            remaining -= length
            if remaining < 0:
                break
            chosen.append(example)
        return chosen


__all__ = [
    "ExampleSelector",
    "FewShotChatMessagePromptTemplate",
    "FewShotPromptTemplate",
    "LengthBasedExampleSelector",
]
