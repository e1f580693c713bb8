"""The package's shape: no import cycles (not even under TYPE_CHECKING), small modules, and
public names exported both ways."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import aiochain

PACKAGE = Path(aiochain.__file__).parent
MAX_LINES = 420  # "about 400": a module past this owns two ideas


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every aiochain module `path` imports, anywhere in the file (top level, functions,
    TYPE_CHECKING blocks): a cycle is a cycle wherever its import stands."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("aiochain"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("aiochain"):
                continue
            # `from . import _json` names a module; `from .x import y` names module x.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
    found.discard(name)
    return {m for m in found if _exists(m)}


def _exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (
        PACKAGE / relative / "__init__.py"
    ).exists()


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        graph[_module_name(path)] = _imports(path)
    # A package's __init__ is imported before any of its modules: a module importing its own
    # package (`from . import x` inside the package) is not a cycle through __init__'s names.
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node.rpartition(".")[0] or node.startswith(nxt + "."):
                continue  # a module's own package: loaded first, never a cycle
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_import_graph_is_read() -> None:
    """The import reader sees real edges (so an empty graph cannot pass the cycle test)."""
    graph = _graph()
    assert "aiochain._exceptions" in graph["aiochain.chains"]
    assert "aiochain.chains.base" in graph["aiochain.agents"]
    assert "aiochain.cli.map.journal" in graph["aiochain.cli.map.job"]


def test_cycle_finder_finds_a_cycle() -> None:
    """The cycle finder reports a planted cycle."""
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles() -> None:
    """No module imports, directly or through others, a module that imports it back."""
    assert _find_cycle(_graph()) is None


def test_no_module_is_too_long() -> None:
    """Every module stays near 400 lines; a longer one holds two ideas and is split."""
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_library_never_imports_the_cli_or_the_simulator() -> None:
    """The library's modules import neither the CLI package nor the simulation server; the
    simulation server imports nothing of the client but the error root."""
    graph = _graph()
    for module, imported in graph.items():
        if module.startswith(("aiochain.cli", "aiochain.sim", "aiochain.__main__")):
            continue
        assert not any(m.startswith(("aiochain.cli", "aiochain.sim")) for m in imported), module
    for module, imported in graph.items():
        if module.startswith("aiochain.sim"):
            outside = {m for m in imported if not m.startswith("aiochain.sim")}
            assert outside <= {"aiochain._exceptions"}, module


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's (RUF022) isort-style order: CONSTANTS, then Classes, then functions."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def test_every_public_name_is_exported() -> None:
    """Every public class of the public modules is in `aiochain.__all__` or in its own
    module's `__all__`, and every name in any `__all__` exists."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__main__.py":
            continue  # importing it runs the command line
        name = _module_name(path)
        try:
            module = importlib.import_module(name)
        except aiochain.ConfigurationError as exc:
            assert "pip install" in str(exc), name  # an optional extra (ray) not installed
            continue
        exported = getattr(module, "__all__", None)
        if exported is None:
            continue
        assert list(exported) in (sorted(exported), sorted(exported, key=_isort_key)), name
        for item in exported:
            assert hasattr(module, item), f"{name}.{item}"
    public_modules = [p for p in PACKAGE.glob("*.py") if not p.name.startswith("_")]
    public_modules += [
        p for p in PACKAGE.glob("*/*.py") if not any(part.startswith("_") for part in p.parts[-2:])
    ]
    for path in public_modules:
        module = importlib.import_module(_module_name(path))
        own = set(getattr(module, "__all__", ()))
        if path.parent != PACKAGE:  # a module of a public package: its package may export it
            own |= set(importlib.import_module(module.__name__.rpartition(".")[0]).__all__)
        for item, value in vars(module).items():
            if item.startswith("_") or not isinstance(value, type):
                continue
            if value.__module__ != module.__name__:
                continue
            assert item in aiochain.__all__ or item in own, f"{module.__name__}.{item}"
