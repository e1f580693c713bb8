"""`python -m aiochain` works like the `aiochain` command."""

from .cli import main

raise SystemExit(main())
