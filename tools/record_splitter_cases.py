"""Record LangChain's chunks for the text-splitter parity tests (`tests/data/`).

Run it in a throwaway virtualenv that has `langchain-text-splitters` (never in aiochain's own):

    python3 -m venv /tmp/lcts && /tmp/lcts/bin/pip install langchain-text-splitters
    /tmp/lcts/bin/python tools/record_splitter_cases.py

It writes `tests/data/text_splitter_cases.json`: the texts, every splitter setting, and the
chunks (and start indexes) LangChain produced. `tests/test_text_splitter.py` runs aiochain's
splitters on the same settings and requires the same chunks.
"""

from __future__ import annotations

import importlib.metadata
import json
import random
from pathlib import Path
from typing import Any

from langchain_text_splitters import (
    CharacterTextSplitter,
    RecursiveCharacterTextSplitter,
)
from langchain_text_splitters.base import Tokenizer, split_text_on_tokens

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "text_splitter_cases.json"

# Named length functions; the test maps the same names to the same functions.
LENGTHS = {
    "len": len,
    "words": lambda text: len(text.split()),
    "quarter": lambda text: -(-len(text) // 4),
}

VOCABULARY = (
    "the internet began as a research network linking universities and grew into a "
    "global system of packet switched links routers protocols and services that carry "
    "mail pages video and voice between billions of machines every second"
)
WORDS = VOCABULARY.split()


def prose(rng: random.Random, paragraphs: int) -> str:
    out = []
    for _ in range(paragraphs):
        lines = []
        for _ in range(rng.randint(1, 3)):
            sentences = []
            for _ in range(rng.randint(1, 4)):
                words = rng.choices(WORDS, k=rng.randint(3, 18))
                sentences.append(" ".join(words).capitalize() + rng.choice([".", ".", "!", "?"]))
            lines.append(" ".join(sentences))
        out.append("\n".join(lines))
    return "\n\n".join(out)


def texts() -> dict[str, str]:
    rng = random.Random(16)
    long_word = "".join(rng.choices("abcdefghij", k=700))
    return {
        "prose": prose(rng, 8),
        "long_words": f"Start {long_word} middle {long_word[:310]}\n\nend of it.",
        "messy": "  Title  \r\n\r\n\r\n\n  line one.  \n\n\n\nline two\t\ttabbed.   \n"
        + "word " * 90
        + "\n\n\n"
        + "a.b.c. d.e. " * 25
        + "\n \n \n final   ",
        "unicode": "Überall Grüße. 東京は大きい都市です。 Ça va? 🙂 emoji 🙂 text.\n\n" * 5,
        "repeated": ("Same sentence again. " * 8 + "\n\n") * 4,
    }


def recursive_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for size, overlap in [(100, 20), (250, 0), (400, 50), (1000, 200), (40, 10), (30, 25)]:
        for keep in [True, False, "start", "end"]:
            cases.append({"chunk_size": size, "chunk_overlap": overlap, "keep_separator": keep})
    cases += [
        {"chunk_size": 200, "chunk_overlap": 30, "strip_whitespace": False},
        {
            "chunk_size": 200,
            "chunk_overlap": 30,
            "strip_whitespace": False,
            "keep_separator": "end",
        },
        {"chunk_size": 60, "chunk_overlap": 10, "length": "words"},
        {"chunk_size": 25, "chunk_overlap": 5, "length": "words", "keep_separator": False},
        {"chunk_size": 75, "chunk_overlap": 15, "length": "quarter"},
        {"chunk_size": 150, "chunk_overlap": 20, "separators": ["\n\n", "\n", ". ", " ", ""]},
        {"chunk_size": 150, "chunk_overlap": 0, "separators": [". ", "!"]},
        {
            "chunk_size": 120,
            "chunk_overlap": 20,
            "separators": [r"\n\s*\n", r"\s+", ""],
            "is_separator_regex": True,
        },
        {
            "chunk_size": 120,
            "chunk_overlap": 20,
            "separators": [r"\n\s*\n", r"\s+", ""],
            "is_separator_regex": True,
            "keep_separator": False,
        },
        {
            "chunk_size": 90,
            "chunk_overlap": 0,
            "separators": [r"(?<=[.!?]) ", " ", ""],
            "is_separator_regex": True,
            "keep_separator": "end",
        },
    ]
    return cases


def character_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for separator in ["\n\n", "\n", " ", ". "]:
        for size, overlap in [(100, 20), (500, 100)]:
            for keep in [False, True, "end"]:
                cases.append(
                    {
                        "separator": separator,
                        "chunk_size": size,
                        "chunk_overlap": overlap,
                        "keep_separator": keep,
                    }
                )
    cases += [
        {"separator": r"\s+", "is_separator_regex": True, "chunk_size": 80, "chunk_overlap": 10},
        {
            "separator": r"(?<=\. )",
            "is_separator_regex": True,
            "chunk_size": 120,
            "chunk_overlap": 0,
        },
        {"separator": "", "chunk_size": 50, "chunk_overlap": 5},
        {"separator": " ", "chunk_size": 12, "chunk_overlap": 3, "length": "words"},
    ]
    return cases


def build(kind: str, settings: dict[str, Any]) -> Any:
    options = dict(settings)
    length = options.pop("length", "len")
    cls = RecursiveCharacterTextSplitter if kind == "recursive" else CharacterTextSplitter
    return cls(length_function=LENGTHS[length], add_start_index=True, **options)


def main() -> None:
    corpus = texts()
    cases = []
    for kind, settings_list in (("recursive", recursive_cases()), ("character", character_cases())):
        for settings in settings_list:
            splitter = build(kind, settings)
            for name, text in corpus.items():
                docs = splitter.create_documents([text], metadatas=[{"name": name}])
                cases.append(
                    {
                        "kind": kind,
                        "settings": settings,
                        "text": name,
                        "chunks": [d.page_content for d in docs],
                        "start_indexes": [d.metadata["start_index"] for d in docs],
                    }
                )
    # Token windows over a character "tokenizer" (tiktoken's data cannot be fetched offline).
    tokens = []
    for size, overlap in [(50, 0), (64, 16), (200, 199), (1000, 10)]:
        tokenizer = Tokenizer(
            chunk_overlap=overlap,
            tokens_per_chunk=size,
            decode=lambda ids: "".join(map(chr, ids)),
            encode=lambda text: [ord(c) for c in text],
        )
        tokens.append(
            {
                "tokens_per_chunk": size,
                "chunk_overlap": overlap,
                "text": "unicode",
                "chunks": split_text_on_tokens(text=corpus["unicode"], tokenizer=tokenizer),
            }
        )
    version = importlib.metadata.version("langchain-text-splitters")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "langchain_text_splitters": version,
                "texts": corpus,
                "cases": cases,
                "token_windows": tokens,
            },
            ensure_ascii=False,
            indent=0,
        )
        + "\n"
    )
    print(f"{len(cases)} splitter cases and {len(tokens)} token cases from {version} -> {OUT}")


if __name__ == "__main__":
    main()
