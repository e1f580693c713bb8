"""Documents and loaders: text files, directories with globs, JSON Lines, CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiochain import AiochainError
from aiochain.document_loaders import CSVLoader, DirectoryLoader, JSONLinesLoader, TextLoader
from aiochain.documents import Document
from aiochain.text_splitter import RecursiveCharacterTextSplitter


def test_document_shape() -> None:
    """page_content positional, metadata and id by keyword, metadata not shared."""
    first, second = Document("a"), Document("b", metadata={"k": 1}, id="x")
    first.metadata["k"] = 2
    assert (first.page_content, first.metadata, first.id) == ("a", {"k": 2}, None)
    assert (second.metadata, second.id) == ({"k": 1}, "x")
    assert Document("a") == Document("a")


def test_text_loader(tmp_path: Path) -> None:
    """A file is one document whose source is its path."""
    path = tmp_path / "a.txt"
    path.write_text("Hello.\nWorld.\n", encoding="utf-8")
    assert TextLoader(path).load() == [Document("Hello.\nWorld.\n", metadata={"source": str(path)})]


def test_text_loader_errors_name_the_file(tmp_path: Path) -> None:
    """A missing or non-UTF-8 file is a DocumentLoadError naming it."""
    with pytest.raises(AiochainError, match=r"missing\.txt: cannot read"):
        TextLoader(tmp_path / "missing.txt").load()
    bad = tmp_path / "latin.txt"
    bad.write_bytes("café".encode("latin-1"))
    with pytest.raises(AiochainError, match=r"latin\.txt: not UTF-8"):
        TextLoader(bad).load()
    assert TextLoader(bad, encoding="latin-1").load()[0].page_content == "café"


def test_directory_loader_globs_exclude_and_order(tmp_path: Path) -> None:
    """Globs pick files, exclude drops some, recursion reaches subfolders, order is by path;
    the default glob skips dot files (an explicit one matches them, as pathlib's does)."""
    (tmp_path / "sub").mkdir()
    for name in ["b.txt", "a.txt", "c.md", ".hidden.txt", "sub/d.txt", "sub/skip.txt"]:
        (tmp_path / name).write_text(f"text of {name}", encoding="utf-8")
    top = DirectoryLoader(tmp_path, glob="*.txt").load()
    assert [d.page_content for d in top] == [
        f"text of {n}" for n in (".hidden.txt", "a.txt", "b.txt")
    ]
    deep = DirectoryLoader(
        tmp_path, glob=["[!.]*.txt", "*.md"], recursive=True, exclude=["sub/skip*"]
    ).load()
    assert [Path(d.metadata["source"]).name for d in deep] == ["a.txt", "b.txt", "c.md", "d.txt"]
    everything = DirectoryLoader(tmp_path).load()
    assert ".hidden.txt" not in {Path(d.metadata["source"]).name for d in everything}


def test_directory_loader_silent_errors(tmp_path: Path) -> None:
    """An unreadable file stops the load, unless silent_errors skips it."""
    (tmp_path / "good.txt").write_text("ok", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(AiochainError, match=r"bad\.txt"):
        DirectoryLoader(tmp_path, glob="*.txt").load()
    loaded = DirectoryLoader(tmp_path, glob="*.txt", silent_errors=True).load()
    assert [d.page_content for d in loaded] == ["ok"]
    with pytest.raises(AiochainError, match="not a directory"):
        DirectoryLoader(tmp_path / "good.txt").load()


def test_jsonl_loader(tmp_path: Path) -> None:
    """A document per line: the content field, other fields and the line in metadata."""
    path = tmp_path / "docs.jsonl"
    path.write_text(
        '{"id": 7, "text": "First.", "lang": "en"}\n\n{"text": "Second.", "lang": "fr"}\n',
        encoding="utf-8",
    )
    docs = JSONLinesLoader(path).load()
    assert [(d.page_content, d.id) for d in docs] == [("First.", "7"), ("Second.", None)]
    assert docs[0].metadata == {"source": str(path), "seq_num": 1, "id": 7, "lang": "en"}
    assert docs[1].metadata["seq_num"] == 3
    only = JSONLinesLoader(path, metadata_keys=["lang"]).load()
    assert only[0].metadata == {"source": str(path), "seq_num": 1, "lang": "en"}


def test_jsonl_loader_errors_name_the_line(tmp_path: Path) -> None:
    """Bad JSON, a non-object or a missing content field name file and line."""
    path = tmp_path / "bad.jsonl"
    for body, message in [
        ('{"text": "ok"}\n{"text": \n', r"bad\.jsonl:2: not valid JSON"),
        ("[1, 2]\n", r"bad\.jsonl:1: expected a JSON object"),
        ('{"body": "x"}\n', r"bad\.jsonl:1: no text field 'text'"),
    ]:
        path.write_text(body, encoding="utf-8")
        with pytest.raises(AiochainError, match=message):
            JSONLinesLoader(path).load()


def test_csv_loader(tmp_path: Path) -> None:
    """A document per row, `column: value` lines; source, row and metadata columns."""
    path = tmp_path / "rows.csv"
    path.write_text('title,body,url\nOne," first body ",u1\nTwo,"second, body",u2\n')
    docs = CSVLoader(path).load()
    assert docs[0].page_content == "title: One\nbody: first body\nurl: u1"
    assert docs[1].metadata == {"source": str(path), "row": 1}
    chosen = CSVLoader(path, source_column="url", metadata_columns=["title"]).load()
    assert chosen[1].page_content == "body: second, body\nurl: u2"
    assert chosen[1].metadata == {"source": "u2", "row": 1, "title": "Two"}
    only = CSVLoader(path, content_columns=["body"]).load()
    assert [d.page_content for d in only] == ["body: first body", "body: second, body"]


def test_csv_loader_errors(tmp_path: Path) -> None:
    """A row that does not match the header, or an unknown column, names file and line."""
    path = tmp_path / "rows.csv"
    path.write_text("a,b\n1,2\n3\n")
    with pytest.raises(AiochainError, match=r"rows\.csv:3: the row's fields"):
        CSVLoader(path).load()
    path.write_text("a,b\n1,2\n")
    with pytest.raises(AiochainError, match=r"rows\.csv:2: no column 'url'"):
        CSVLoader(path, source_column="url").load()


def test_loaded_documents_split_keeping_source(tmp_path: Path) -> None:
    """Loader then splitter: every chunk keeps its file's source and its offset."""
    path = tmp_path / "long.txt"
    text = "\n\n".join(f"Paragraph {i} has a few words in it." for i in range(30))
    path.write_text(text, encoding="utf-8")
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=120, chunk_overlap=20, add_start_index=True
    )
    chunks = splitter.split_documents(TextLoader(path).load())
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.metadata["source"] == str(path)
        start = chunk.metadata["start_index"]
        assert text[start : start + len(chunk.page_content)] == chunk.page_content
