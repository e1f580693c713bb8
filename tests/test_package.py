"""The package surface: exports, import cost, and what `import aiochain` must not pull in."""

from __future__ import annotations

import json
import subprocess

import aiochain

from .conftest import PYTHON


def test_all_is_sorted_and_importable() -> None:
    """__all__ is sorted and every name in it exists (httpx's test_exported_members)."""
    assert aiochain.__all__ == sorted(aiochain.__all__)
    for name in aiochain.__all__:
        assert hasattr(aiochain, name), name


def test_every_exported_error_is_under_the_root() -> None:
    """Every exception class exported derives from AiochainError."""
    for name in aiochain.__all__:
        value = getattr(aiochain, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, aiochain.AiochainError), name


def test_import_does_not_load_heavy_or_optional_modules() -> None:
    """`import aiochain` imports neither rich, sqlite3, the CLI nor the simulation server."""
    code = (
        "import sys, json, aiochain;"
        "print(json.dumps([m for m in ('rich', 'sqlite3', 'aiochain.cli', 'aiochain.sim',"
        " 'pydantic', 'openai') if m in sys.modules]))"
    )
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs the README's second line verbatim, so the two cannot drift apart."""
    from .conftest import ROOT

    readme_lines = (ROOT / "README.md").read_text().splitlines()
    commands = [line.strip() for line in readme_lines[:5] if line.startswith("    ")]
    assert len(commands) == 2
    assert "aiochain demo" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text().splitlines()
