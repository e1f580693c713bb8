"""The architecture the folders show, kept so: packages depend on each other in one order only,
every public module imports first in a fresh interpreter, and the top level stays small."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import PYTHON
from .test_layout import PACKAGE, _graph, _module_name

# Lowest first: a module may import modules of its own layer or of a lower one, never of a
# higher one. The kernel is the flat private engine; messages, outputs and documents are the
# data every layer passes; then the transport, the request pipeline, the callback system, the
# runnable protocol, what composes into runnables, the Batch-API flow, the model clients, the
# chains, and the command line around it all.
# A provider's wire format (its messages and usage as JSON) is data, not a client: it needs only
# messages, and the Batch-API flow reads usage with it as the live path does (one usage reader).
WIRE_FORMATS = (
    "aiochain._providers.openai_wire",
    "aiochain._providers.anthropic_wire",
    "aiochain._providers.gemini_wire",
    "aiochain._providers.openai_responses_wire",
)
LAYERS: list[tuple[str, ...]] = [
    (
        "aiochain._exceptions",
        "aiochain._types",
        "aiochain._json",
        "aiochain._config",
        "aiochain._lazy",
        "aiochain.pricing",
    ),
    (
        "aiochain.messages",
        "aiochain.outputs",
        "aiochain.documents",
        "aiochain.chat_history",
        *WIRE_FORMATS,
    ),
    ("aiochain._http",),
    ("aiochain._pipeline", "aiochain.cache", "aiochain.globals", "aiochain.rate_limiters"),
    ("aiochain.callbacks", "aiochain.tracing"),
    ("aiochain.runnables", "aiochain.tracers"),
    (
        "aiochain.prompts",
        "aiochain.output_parsers",
        "aiochain.tools",
        "aiochain.retrievers",
        "aiochain.document_loaders",
        "aiochain.text_splitter",
        "aiochain.messages.utils",
        "aiochain.messages._message_lists",
        "aiochain.messages._trimming",
    ),
    ("aiochain.batches",),
    (
        "aiochain._providers",
        "aiochain.chat_models",
        "aiochain.llms",
        "aiochain.language_models",
        "aiochain.embeddings",
    ),
    ("aiochain.chains", "aiochain.agents", "aiochain.memory", "aiochain.vectorstores"),
    ("aiochain.cli", "aiochain.__main__"),
]
# The simulation server stands apart: it imports nothing of the client but the error root.
APART = ("aiochain.sim",)


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def _is_facade(module: str) -> bool:
    """A package's `__init__` (or `aiochain.agents`) that only re-exports, lazily: it names
    modules of its own package, or lower, for type checkers only."""
    path = PACKAGE.parent.joinpath(*module.split("."))
    return module == "aiochain" or (path / "__init__.py").exists()


def test_every_module_has_a_layer() -> None:
    """Each module of the package is placed in the dependency order (or stands apart)."""
    unplaced = [
        m for m in _graph() if m != "aiochain" and _layer(m) is None and not m.startswith(APART)
    ]
    assert unplaced == []


def test_packages_depend_in_one_order() -> None:
    """kernel -> messages/outputs/documents -> _http -> _pipeline -> callbacks -> runnables ->
    prompts/parsers/tools -> batches -> _providers -> chains -> cli: no import goes upward."""
    upward = []
    for module, imported in _graph().items():
        if _is_facade(module) or module.startswith(APART):
            continue
        own = _layer(module)
        assert own is not None, module
        for target in imported:
            if _is_facade(target) and _layer(target) == own:
                continue
            layer = _layer(target)
            if layer is not None and layer > own:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_top_level_is_small() -> None:
    """At most 40 entries at the top of src/aiochain, as the libraries we model hold."""
    entries = [p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= 40, sorted(entries)


def _public_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        if any(part.startswith("_") for part in name.split(".")[1:]):
            continue
        if name.startswith(("aiochain.cli", "aiochain.sim")) and name not in (
            "aiochain.cli",
            "aiochain.sim",
        ):
            continue
        names.append(name)
    return names


def test_every_public_module_imports_first() -> None:
    """Every public module imports on its own in a fresh interpreter (no import order hides a
    cycle), and its public names resolve there."""
    code = (
        "import importlib, sys\n"
        "name = sys.argv[1]\n"
        "module = importlib.import_module(name)\n"
        "for item in getattr(module, '__all__', ()):\n"
        "    getattr(module, item)\n"
    )
    failures = []
    processes = {
        name: subprocess.Popen([PYTHON, "-c", code, name], stderr=subprocess.PIPE, text=True)
        for name in _public_modules()
        if name not in ("aiochain.tracing",)  # needs the otel extra: checked below
    }
    for name, process in processes.items():
        _, err = process.communicate(timeout=120)
        if process.returncode != 0:
            failures.append(f"{name}: {err.strip().splitlines()[-1] if err.strip() else '?'}")
    assert failures == []
    assert len(processes) > 20


@pytest.mark.parametrize("name", ["aiochain", "aiochain.runnables", "aiochain.chains"])
def test_public_packages_load_lazily(name: str) -> None:
    """Importing a public package loads none of its families until a name is used."""
    code = (
        f"import sys, {name}\n"
        "loaded = [m for m in sys.modules if m.startswith('aiochain.') and m.count('.') > 0]\n"
        "print(len(loaded))\n"
    )
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) <= 3, out.stdout
