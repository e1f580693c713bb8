"""`BaseTool`: a tool written as a class, LangChain's "Subclass BaseTool" way.

    class CustomCalculatorTool(BaseTool):
        name: str = "Calculator"
        description: str = "useful for when you need to answer questions about math"
        args_schema: Type[BaseModel] = CalculatorInput
        return_direct: bool = True

        def _run(self, a: int, b: int, run_manager=None) -> str:
            return a * b

        async def _arun(self, a: int, b: int, run_manager=None) -> str:
            return self._run(a, b, run_manager=run_manager.get_sync())

The class's annotated attributes are fields, set by keyword (`GenerateRandomFloats(ndigits=4)`),
as on LangChain's pydantic class. The tool calls `_arun` when the class defines one, else
`_run` (in a worker thread, as every sync tool runs); a `run_manager` parameter gets the tool
run's manager (see `Tool`). Everything else is `Tool`'s.
"""

from __future__ import annotations

from typing import Any

from .._exceptions import ConfigurationError
from .base import Tool

_TOOL_OPTIONS = ("name", "description", "args_schema", "return_direct", "response_format")
_HANDLERS = ("handle_tool_error", "handle_validation_error")


class BaseTool(Tool):
    """Subclass with a `name`, a `description` and `_run` (and optionally `_arun`).

    Raises:
        ConfigurationError: from the constructor, for a keyword that is no field of the class,
            or a class without a name or `_run` / `_arun`.
    """

    name: str
    description: str = ""
    return_direct: bool = False
    response_format: str = "content"

    def __init__(self, **fields: Any) -> None:
        declared = _declared_fields(type(self))
        accepted = {*declared, *_TOOL_OPTIONS, *_HANDLERS}
        unknown = [key for key in fields if key not in accepted]
        if unknown:
            raise ConfigurationError(
                f"{type(self).__name__} has no field {', '.join(unknown)}; "
                f"its fields: {', '.join(declared)}"
            )
        values = {key: getattr(type(self), key, None) for key in declared}
        values.update(fields)
        for key, value in values.items():
            if key not in _TOOL_OPTIONS and key not in _HANDLERS:
                object.__setattr__(self, key, value)
        overrides_async = type(self)._arun is not BaseTool._arun
        overrides_sync = type(self)._run is not BaseTool._run
        if not (overrides_async or overrides_sync):
            raise ConfigurationError(f"{type(self).__name__} defines neither _run nor _arun")
        if not values.get("name"):
            raise ConfigurationError(f"{type(self).__name__} needs a name")
        super().__init__(
            self._arun if overrides_async else self._run,
            name=values["name"],
            description=values.get("description") or values["name"],
            args_schema=values.get("args_schema"),
            return_direct=bool(values.get("return_direct")),
            response_format=values.get("response_format") or "content",
            **{key: fields[key] for key in _HANDLERS if key in fields},
        )

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        """The tool's work (override)."""
        raise NotImplementedError

    async def _arun(self, *args: Any, **kwargs: Any) -> Any:
        """The tool's async work (override, optionally)."""
        raise NotImplementedError


def _declared_fields(cls: type) -> list[str]:
    """The public annotated attributes of `cls` and its bases from BaseTool down."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseTool)):
            continue
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_") or name in names or "ClassVar" in str(annotation):
                continue
            names.append(name)
    return names


__all__ = ["BaseTool"]
