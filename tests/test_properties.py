"""Property-based tests (hypothesis, derandomized so CI is stable): the SSE reader, templates and
output parsers hold for every input of a kind, not just the ones we thought of."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import string
from collections.abc import AsyncIterator
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aiochain import (
    AiochainError,
    JsonOutputParser,
    MissingVariablesError,
    OutputParserError,
    PromptTemplate,
    StreamError,
    TemplateError,
)
from aiochain._http.sse import iter_sse_json
from aiochain.output_parsers import CommaSeparatedListOutputParser, parse_json_text

SETTINGS = settings(
    derandomize=True, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(
    st.text(max_size=8).filter(lambda k: k != "error"), json_values, max_size=4
)


# --- the SSE reader --------------------------------------------------------------------------


def _serialize(events: list[dict[str, Any]], ends: list[str], comments: list[bool]) -> bytes:
    """An SSE body for `events`: each a data line (its JSON split over several data lines when
    it contains a newline), line ends chosen per event, comment lines here and there."""
    out = []
    for number, event in enumerate(events):
        end = ends[number % len(ends)]
        if comments[number % len(comments)]:
            out.append(f": keep-alive{end}")
        text = json.dumps(event, indent=1 if number % 2 else None)
        out.extend(f"data: {line}{end}" for line in text.split("\n"))
        out.append(end)
    out.append(f"data: [DONE]{ends[0]}{ends[0]}")
    return "".join(out).encode()


async def _parse(pieces: list[bytes]) -> list[dict[str, Any]]:
    async def body() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    return [event async for event in iter_sse_json(body(), url="test")]


def _cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


@SETTINGS
@given(
    events=st.lists(json_objects, max_size=6),
    ends=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3),
    comments=st.lists(st.booleans(), min_size=1, max_size=3),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_every_chunking_of_a_valid_stream_parses_the_same(
    events: list[dict[str, Any]], ends: list[str], comments: list[bool], cuts: list[int]
) -> None:
    """However the body is cut into pieces (even between CR and LF), the events are the same,
    and they are the events that were sent."""
    body = _serialize(events, ends, comments)
    whole = asyncio.run(_parse([body]))
    assert whole == events
    assert asyncio.run(_parse(_cut(body, cuts))) == events
    assert asyncio.run(_parse([bytes([b]) for b in body[:400]] + [body[400:]])) == events


@SETTINGS
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=6))
def test_any_bytes_end_in_events_or_an_aiochain_error(data: bytes, cuts: list[int]) -> None:
    """Arbitrary bytes never raise anything but an aiochain error."""
    with contextlib.suppress(AiochainError):
        asyncio.run(_parse(_cut(data, cuts)))


@SETTINGS
@given(json_objects)
def test_an_error_object_mid_stream_is_a_stream_error(payload: dict[str, Any]) -> None:
    """An event carrying a non-null `error` raises StreamError; `"error": null` does not."""
    body = _serialize([payload, {"error": {"message": "boom"}}], ["\n"], [False])
    try:
        asyncio.run(_parse([body]))
    except StreamError as exc:
        assert "boom" in str(exc)
    else:
        raise AssertionError("no StreamError")
    assert asyncio.run(_parse([_serialize([{**payload, "error": None}], ["\n"], [False])])) == [
        {**payload, "error": None}
    ]


# --- templates -----------------------------------------------------------------------------

names = st.text(string.ascii_letters + "_", min_size=1, max_size=8)
literals = st.text(max_size=12).map(lambda t: t.replace("{", "{{").replace("}", "}}"))


@SETTINGS
@given(st.lists(st.tuples(literals, names), max_size=5), literals, st.data())
def test_templates_fill_exactly_their_fields(
    parts: list[tuple[str, str]], tail: str, data: st.DataObject
) -> None:
    """A template of literals and {name} fields formats to the literals with the values in
    place, whatever the text; a missing variable is a MissingVariablesError naming it."""
    template = "".join(f"{literal}{{{name}}}" for literal, name in parts) + tail
    fields = sorted({name for _, name in parts})
    values = {name: data.draw(st.text(max_size=10)) for name in fields}
    prompt = PromptTemplate.from_template(template)
    assert sorted(prompt.input_variables) == fields
    expected = "".join(
        literal.replace("{{", "{").replace("}}", "}") + values[name] for literal, name in parts
    ) + tail.replace("{{", "{").replace("}}", "}")
    assert prompt.format(**values) == expected
    if fields:
        missing = fields[0]
        try:
            prompt.format(**{k: v for k, v in values.items() if k != missing})
        except MissingVariablesError as exc:
            assert missing in exc.missing
        else:
            raise AssertionError("no MissingVariablesError")


@SETTINGS
@given(st.text(max_size=40))
def test_any_template_text_builds_or_is_a_template_error(text: str) -> None:
    """Arbitrary text is a template or a TemplateError, never another exception."""
    with contextlib.suppress(TemplateError):
        PromptTemplate.from_template(text)


# --- output parsers ------------------------------------------------------------------------


@SETTINGS
@given(json_values, st.sampled_from(["{}", "```json\n{}\n```", "Here it is: {} Hope it helps."]))
def test_json_parser_finds_the_value_in_model_text(value: Any, frame: str) -> None:
    """A JSON object or array in model text (bare, fenced, or with chatter) parses back."""
    if not isinstance(value, dict | list):
        value = {"value": value}
    text = frame.replace("{}", json.dumps(value))
    assert JsonOutputParser().parse(text) == value


@SETTINGS
@given(
    st.text(max_size=60)
    | st.builds(lambda n: "[" * n, st.integers(1, 50_000))
    | st.builds(lambda n: "9" * n, st.integers(4000, 6000))
)
def test_parsers_raise_only_output_parser_errors(text: str) -> None:
    """Any text, deep nesting or absurd numbers included, parses or is an OutputParserError."""
    for parse in (parse_json_text, CommaSeparatedListOutputParser().parse):
        with contextlib.suppress(OutputParserError):
            parse(text)


# --- the map job's input readers -------------------------------------------------------------

field_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
record_lists = st.lists(
    st.fixed_dictionaries({"text": field_text}, optional={"id": field_text.filter(bool)}),
    max_size=8,
)


def _read(path: Any, fmt: str) -> list[Any]:
    from aiochain.cli.map.records import Source

    source = Source(str(path), fmt)
    try:
        return list(source.records())
    finally:
        source.close()


@SETTINGS
@given(record_lists, st.booleans())
@example([{"text": "\r"}, {"text": "x\ry", "id": "\r"}], True)
def test_jsonl_and_csv_readers_give_back_what_was_written(
    records: list[dict[str, str]], with_bom: bool
) -> None:
    """Records written as JSON Lines or as CSV (with or without a UTF-8 BOM, any text in the
    fields) read back with the same fields, in order; ids are kept when given, made unique
    when not, and the same on every read."""
    import csv
    import io
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        jsonl = Path(folder) / "in.jsonl"
        jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        buffer = io.StringIO()
        # csv's own line ends (\r\n): with "\n" alone it leaves a field holding "\r"
        # unquoted, which no reader can tell from a line end.
        writer = csv.DictWriter(buffer, fieldnames=["id", "text"])
        writer.writeheader()
        for number, record in enumerate(records):
            writer.writerow({"id": record.get("id") or f"row{number}", "text": record["text"]})
        table = Path(folder) / "in.csv"
        table.write_bytes((b"\xef\xbb\xbf" if with_bom else b"") + buffer.getvalue().encode())
        for path, fmt in ((jsonl, "jsonl"), (table, "csv")):
            read = _read(path, fmt)
            assert [r.fields["text"] for r in read] == [r["text"] for r in records]
            given = [r.get("id") or None for r in records]
            if fmt == "csv":
                given = [r.get("id") or f"row{n}" for n, r in enumerate(records)]
            assert [r.id for r, g in zip(read, given, strict=True) if g] == [g for g in given if g]
            made = [r.id for r, g in zip(read, given, strict=True) if not g]
            assert len(set(made)) == len(made)
            assert [r.id for r in read] == [r.id for r in _read(path, fmt)]


@SETTINGS
@given(st.binary(max_size=200), st.sampled_from(["jsonl", "csv", "txt"]))
def test_any_bytes_read_as_records_or_one_input_error(data: bytes, fmt: str) -> None:
    """Whatever a file holds, reading it gives records or an aiochain error naming the file;
    never another exception."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"in.{fmt}"
        path.write_bytes(data)
        with contextlib.suppress(AiochainError):
            _read(path, fmt)
