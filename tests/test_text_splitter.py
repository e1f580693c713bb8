"""Text splitters: the same chunks as LangChain's for the same settings, overlap, documents."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aiochain import ConfigurationError
from aiochain.documents import Document
from aiochain.text_splitter import (
    CharacterTextSplitter,
    RecursiveCharacterTextSplitter,
    TextSplitter,
    Tokenizer,
    TokenTextSplitter,
    split_text_on_tokens,
)

# Recorded from langchain_text_splitters by tools/record_splitter_cases.py.
RECORDED = json.loads(
    (Path(__file__).parent / "data" / "text_splitter_cases.json").read_text(encoding="utf-8")
)
LENGTHS: dict[str, Callable[[str], int]] = {
    "len": len,
    "words": lambda text: len(text.split()),
    "quarter": lambda text: -(-len(text) // 4),
}


def build(kind: str, settings: dict[str, Any]) -> TextSplitter:
    options = dict(settings)
    length = LENGTHS[options.pop("length", "len")]
    cls = RecursiveCharacterTextSplitter if kind == "recursive" else CharacterTextSplitter
    return cls(length_function=length, add_start_index=True, **options)


def case_id(case: dict[str, Any]) -> str:
    return f"{case['kind']}-{case['text']}-{json.dumps(case['settings'], sort_keys=True)}"


@pytest.mark.parametrize("case", RECORDED["cases"], ids=case_id)
def test_chunks_and_start_indexes_equal_langchains(case: dict[str, Any]) -> None:
    """Every recorded setting gives LangChain's chunks and start indexes, exactly."""
    splitter = build(case["kind"], case["settings"])
    text = RECORDED["texts"][case["text"]]
    documents = splitter.create_documents([text], metadatas=[{"name": case["text"]}])
    assert [d.page_content for d in documents] == case["chunks"]
    assert [d.metadata["start_index"] for d in documents] == case["start_indexes"]
    assert all(d.metadata["name"] == case["text"] for d in documents)


@pytest.mark.parametrize(
    "case", RECORDED["token_windows"], ids=lambda c: f"{c['tokens_per_chunk']}-{c['chunk_overlap']}"
)
def test_token_windows_equal_langchains(case: dict[str, Any]) -> None:
    """Token windows (over a character tokenizer) are LangChain's, exactly."""
    tokenizer = Tokenizer(
        chunk_overlap=case["chunk_overlap"],
        tokens_per_chunk=case["tokens_per_chunk"],
        decode=lambda ids: "".join(map(chr, ids)),
        encode=lambda text: [ord(c) for c in text],
    )
    text = RECORDED["texts"][case["text"]]
    assert split_text_on_tokens(text=text, tokenizer=tokenizer) == case["chunks"]


def test_recorded_cases_cover_the_options() -> None:
    """The recorded settings exercise every option whose boundaries must match."""
    seen = {key for case in RECORDED["cases"] for key in case["settings"]}
    assert {
        "chunk_size",
        "chunk_overlap",
        "keep_separator",
        "separators",
        "separator",
        "is_separator_regex",
        "strip_whitespace",
        "length",
    } <= seen
    assert len(RECORDED["cases"]) >= 300


def test_chunks_respect_size_and_overlap() -> None:
    """Chunks fit chunk_size and each starts with (part of) the previous one's end."""
    text = " ".join(f"word{i:03d}" for i in range(300))
    splitter = RecursiveCharacterTextSplitter(chunk_size=100, chunk_overlap=30)
    chunks = splitter.split_text(text)
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert " ".join(chunks[0].split()[-3:]) in chunks[1]
    assert chunks[0].startswith("word000") and chunks[-1].endswith("word299")
    words = [w for chunk in chunks for w in chunk.split()]
    assert sorted(set(words)) == text.split()


def test_no_overlap_reassembles_the_text() -> None:
    """With no overlap and separators kept, the chunks joined are the text (less stripping)."""
    text = "First paragraph here.\n\nSecond one, longer than the first.\n\nThird."
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=30, chunk_overlap=0, strip_whitespace=False
    )
    assert "".join(splitter.split_text(text)) == text


def test_split_documents_keeps_metadata_and_start_index() -> None:
    """Each chunk keeps its own copy of its document's metadata and its offset in the text."""
    docs = [
        Document("alpha beta gamma delta epsilon zeta", metadata={"source": "a.txt"}),
        Document("one two three four five six seven", metadata={"source": "b.txt"}, id="b"),
    ]
    splitter = RecursiveCharacterTextSplitter(chunk_size=12, chunk_overlap=0, add_start_index=True)
    chunks = splitter.split_documents(docs)
    for chunk in chunks:
        original = next(d for d in docs if d.metadata["source"] == chunk.metadata["source"])
        start = chunk.metadata["start_index"]
        assert original.page_content[start : start + len(chunk.page_content)] == chunk.page_content
    chunks[0].metadata["source"] = "changed"
    assert docs[0].metadata == {"source": "a.txt"}
    assert {c.metadata["source"] for c in chunks[1:]} == {"a.txt", "b.txt"}


def test_create_documents_checks_metadata_count() -> None:
    """One metadata dict per text, or an error."""
    with pytest.raises(ConfigurationError, match="2 metadata dicts for 1 texts"):
        CharacterTextSplitter().create_documents(["x"], metadatas=[{}, {}])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"chunk_size": 0}, "chunk_size must be > 0"),
        ({"chunk_overlap": -1}, "chunk_overlap must be >= 0"),
        ({"chunk_size": 10, "chunk_overlap": 11}, "larger than chunk_size"),
    ],
)
def test_bad_sizes_are_configuration_errors(options: dict[str, int], message: str) -> None:
    """A bad size is a ConfigurationError (a ValueError too, as LangChain raises)."""
    with pytest.raises(ConfigurationError, match=message):
        RecursiveCharacterTextSplitter(**options)
    with pytest.raises(ValueError):
        CharacterTextSplitter(**options)


def test_token_windows_refuse_overlap_as_large_as_window() -> None:
    """A window that does not advance is refused, not looped on."""
    tokenizer = Tokenizer(chunk_overlap=5, tokens_per_chunk=5, decode=str, encode=list)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="greater than chunk_overlap"):
        split_text_on_tokens(text="abc", tokenizer=tokenizer)


def test_from_tiktoken_encoder_estimates_without_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without tiktoken, token sizes are estimated at four characters per token."""
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(chunk_size=10, chunk_overlap=0)
    chunks = splitter.split_text("abcd " * 40)
    # Each piece " abcd" is 5 characters, so 2 estimated tokens: five pieces make a chunk.
    assert chunks == ["abcd abcd abcd abcd abcd"] * 8


def test_token_splitter_needs_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    """TokenTextSplitter without tiktoken says which extra to install."""
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    with pytest.raises(ConfigurationError, match=r"aiochain\[tiktoken\]"):
        TokenTextSplitter(chunk_size=10, chunk_overlap=2)


def test_lookaround_separator_is_not_reinserted() -> None:
    """A zero-width regex separator cuts without adding text."""
    splitter = CharacterTextSplitter(
        separator=r"(?<=\. )", is_separator_regex=True, chunk_size=20, chunk_overlap=0
    )
    assert splitter.split_text("One two. Three four. Five six seven.") == [
        "One two.",
        "Three four.",
        "Five six seven.",
    ]


def test_from_language_splits_code_where_langchain_does() -> None:
    """RecursiveCharacterTextSplitter.from_language(Language.PYTHON) breaks before a def or
    class first (LangChain's separators), and an unknown language is refused by name."""
    from aiochain import ConfigurationError
    from aiochain.text_splitter import Language, RecursiveCharacterTextSplitter

    code = "class A:\n    x = 1\n\ndef f():\n    return 2\n\ndef g():\n    return 3\n"
    splitter = RecursiveCharacterTextSplitter.from_language(
        Language.PYTHON, chunk_size=30, chunk_overlap=0
    )
    assert splitter.split_text(code) == [
        "class A:\n    x = 1",
        "def f():\n    return 2",
        "def g():\n    return 3",
    ]
    with pytest.raises(ConfigurationError, match="cobol"):
        RecursiveCharacterTextSplitter.from_language("cobol")
