"""`RunnableSerializable`: LangChain's base class for runnables with declared fields.

LangChain's guides write their own runnables as

    class FooRunnable(RunnableSerializable[dict, dict]):
        output_key: str

        def invoke(self, input, config=None, **kwargs):
            return {self.output_key: input["foo"] - 7}

    FooRunnable(output_key="bar").configurable_fields(output_key=ConfigurableField(id="key"))

In LangChain the class is a pydantic model; here the annotated fields are plain attributes set
from keyword arguments (a field with a class-level value is optional), which is what such
classes use: construction by keyword, attributes, and copies with one attribute changed (as
`configurable_fields` makes them). A subclass that implements only `invoke` is awaited through
it (see `Runnable.ainvoke`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from .._exceptions import ConfigurationError
from .base import Config, Runnable

InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")


class RunnableSerializable(Runnable[InputT, OutputT]):
    """A runnable whose annotated class attributes are fields set by keyword arguments.

    Raises:
        ConfigurationError: from the constructor, for an unknown keyword or a missing field.
    """

    def __init__(self, **fields: Any) -> None:
        declared = _declared_fields(type(self))
        unknown = [name for name in fields if name not in declared]
        if unknown:
            raise ConfigurationError(
                f"{type(self).__name__} has no field {', '.join(unknown)}; "
                f"its fields: {', '.join(declared) or 'none'}"
            )
        missing = [n for n in declared if n not in fields and not hasattr(type(self), n)]
        if missing:
            raise ConfigurationError(f"{type(self).__name__} needs {', '.join(missing)}")
        for name, value in fields.items():
            setattr(self, name, value)

    def _call_with_config(
        self,
        func: Callable[..., OutputT],
        input: InputT,
        config: Config = None,
        run_type: str | None = None,
        **kwargs: Any,
    ) -> OutputT:
        """`func(input)`, given `config` too when it takes one (LangChain's helper for an
        `invoke` written around a private `_invoke`)."""
        if "config" in _parameters(func):
            return func(input, config=config, **kwargs)
        return func(input, **kwargs)

    async def _acall_with_config(
        self,
        func: Callable[..., Any],
        input: InputT,
        config: Config = None,
        run_type: str | None = None,
        **kwargs: Any,
    ) -> OutputT:
        """`_call_with_config` for a function that may be async."""
        result = self._call_with_config(func, input, config, run_type, **kwargs)
        if inspect.isawaitable(result):
            awaited: OutputT = await result
            return awaited
        return result


def _declared_fields(cls: type) -> list[str]:
    """The public annotated attributes of `cls` and its bases below RunnableSerializable."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        if not issubclass(klass, RunnableSerializable) or klass is RunnableSerializable:
            continue
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_") or name in names or _is_class_var(annotation):
                continue
            names.append(name)
    return names


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return getattr(annotation, "__origin__", None) is ClassVar or annotation is ClassVar


def _parameters(func: Callable[..., Any]) -> set[str]:
    try:
        return set(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return set()


__all__ = ["RunnableSerializable"]
