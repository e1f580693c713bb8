"""Lazy re-exports for package `__init__` modules, as langchain_core does: a name's module is
imported the first time the name is used, so `import aiochain` (and every CLI command) loads only
what it touches."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    module: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of module `module` (a package's `__init__` or a plain
    re-export module), whose public names live in the modules `exports` maps them to, written
    relative to that module's package."""

    def __getattr__(name: str) -> Any:
        where = exports.get(name)
        if where is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        this = sys.modules[module]
        value = getattr(importlib.import_module(where, this.__package__), name)
        setattr(this, name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(sys.modules[module])))

    return __getattr__, __dir__
