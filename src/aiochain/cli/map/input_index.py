"""Reading an `aiochain map` input once before anything is sent: each record checked and
noted in the journal, and the job refused when no record has the fields it needs (every
record would fail, one request-less error row each, and the run would look like a server's
fault)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence

from ..._exceptions import InputError
from .journal import InputIndex, Journal
from .records import Record, Source


async def index_input(
    journal: Journal, source: Source, needed: Sequence[str], *, what: str
) -> InputIndex:
    """Check and index the input on the journal's thread; Ctrl-C stops it at the next record
    (the thread cannot be cancelled, and closing the journal waits for it).

    Args:
        needed: the fields a record must have to be sent (a template's variables, the field
            `--embed --field` embeds).
        what: how the error names them ("every template variable", "the --field").

    Raises:
        InputError: naming the file and line that cannot be read or parsed; also when no
            record has all of `needed`, naming the fields there are.
    """
    stop = threading.Event()
    complete = 0  # records with every needed field
    fields: set[str] = set()

    def records() -> Iterator[Record]:
        nonlocal complete
        for record in source.records():
            if stop.is_set():
                raise InputError("interrupted while checking the input")
            if all(name in record.fields for name in needed):
                complete += 1
            elif len(fields) < 50:
                fields.update(list(record.fields)[:50])
            yield record

    try:
        index = await journal.call(journal.index, records())
    except asyncio.CancelledError:
        stop.set()
        raise
    if index.total and not complete:
        there = ", ".join(sorted(fields)) or "none"
        raise InputError(
            f"{source.name}: no record has {what} ({', '.join(needed)}); the records have: {there}"
        )
    return index


__all__ = ["index_input"]
