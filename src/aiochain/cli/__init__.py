"""The `aiochain` command line and the `map` job: an application around the library.

Nothing here runs on the path of a program that only imports `aiochain`; `import aiochain`
never loads this package.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
