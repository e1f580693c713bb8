"""`Language` and the separators `RecursiveCharacterTextSplitter.from_language` splits code
with: LangChain's (`langchain_text_splitters.Language`), so chunks of code break where
LangChain's do (before a class, a function, a control statement, then blank lines, lines,
words). Markdown's and LaTeX's separators are regular expressions, as in LangChain.
"""

from __future__ import annotations

from enum import StrEnum

from .._exceptions import ConfigurationError


class Language(StrEnum):
    """The languages LangChain names (values as LangChain spells them)."""

    CPP = "cpp"
    GO = "go"
    JAVA = "java"
    KOTLIN = "kotlin"
    JS = "js"
    TS = "ts"
    PHP = "php"
    PROTO = "proto"
    PYTHON = "python"
    RST = "rst"
    RUBY = "ruby"
    RUST = "rust"
    SCALA = "scala"
    SWIFT = "swift"
    MARKDOWN = "markdown"
    LATEX = "latex"
    HTML = "html"
    SOL = "sol"
    CSHARP = "csharp"
    COBOL = "cobol"
    C = "c"
    LUA = "lua"
    PERL = "perl"
    HASKELL = "haskell"
    ELIXIR = "elixir"
    POWERSHELL = "powershell"


_TAIL = ["\n\n", "\n", " ", ""]
_C_LIKE = [
    "\nclass ",
    "\nvoid ",
    "\nint ",
    "\nfloat ",
    "\ndouble ",
    "\nif ",
    "\nfor ",
    "\nwhile ",
    "\nswitch ",
    "\ncase ",
    *_TAIL,
]

_SEPARATORS: dict[Language, list[str]] = {
    Language.PYTHON: ["\nclass ", "\ndef ", "\n\tdef ", *_TAIL],
    Language.JS: [
        "\nfunction ",
        "\nconst ",
        "\nlet ",
        "\nvar ",
        "\nclass ",
        "\nif ",
        "\nfor ",
        "\nwhile ",
        "\nswitch ",
        "\ncase ",
        "\ndefault ",
        *_TAIL,
    ],
    Language.TS: [
        "\nenum ",
        "\ninterface ",
        "\nnamespace ",
        "\ntype ",
        "\nclass ",
        "\nfunction ",
        "\nconst ",
        "\nlet ",
        "\nvar ",
        "\nif ",
        "\nfor ",
        "\nwhile ",
        "\nswitch ",
        "\ncase ",
        "\ndefault ",
        *_TAIL,
    ],
    Language.JAVA: [
        "\nclass ",
        "\npublic ",
        "\nprotected ",
        "\nprivate ",
        "\nstatic ",
        "\nif ",
        "\nfor ",
        "\nwhile ",
        "\nswitch ",
        "\ncase ",
        *_TAIL,
    ],
    Language.KOTLIN: [
        "\nclass ",
        "\npublic ",
        "\nprotected ",
        "\nprivate ",
        "\ninternal ",
        "\ncompanion ",
        "\nfun ",
        "\nval ",
        "\nvar ",
        "\nif ",
        "\nfor ",
        "\nwhile ",
        "\nwhen ",
        "\ncase ",
        "\nelse ",
        *_TAIL,
    ],
    Language.GO: [
        "\nfunc ",
        "\nvar ",
        "\nconst ",
        "\ntype ",
        "\nif ",
        "\nfor ",
        "\nswitch ",
        "\ncase ",
        *_TAIL,
    ],
    Language.RUST: [
        "\nfn ",
        "\nconst ",
        "\nlet ",
        "\nif ",
        "\nwhile ",
        "\nfor ",
        "\nloop ",
        "\nmatch ",
        "\nconst ",
        *_TAIL,
    ],
    Language.CPP: _C_LIKE,
    Language.C: _C_LIKE,
    Language.CSHARP: [
        "\ninterface ",
        "\nenum ",
        "\nimplements ",
        "\ndelegate ",
        "\nevent ",
        "\nclass ",
        "\nabstract ",
        "\npublic ",
        "\nprotected ",
        "\nprivate ",
        "\nstatic ",
        "\nreturn ",
        "\nif ",
        "\ncontinue ",
        "\nfor ",
        "\nforeach ",
        "\nwhile ",
        "\nswitch ",
        "\nbreak ",
        "\ncase ",
        "\nelse ",
        "\ntry ",
        "\nthrow ",
        "\nfinally ",
        "\ncatch ",
        *_TAIL,
    ],
    Language.RUBY: [
        "\ndef ",
        "\nclass ",
        "\nif ",
        "\nunless ",
        "\nwhile ",
        "\nfor ",
        "\ndo ",
        "\nbegin ",
        "\nrescue ",
        *_TAIL,
    ],
    Language.PHP: [
        "\nfunction ",
        "\nclass ",
        "\nif ",
        "\nforeach ",
        "\nwhile ",
        "\ndo ",
        "\nswitch ",
        "\ncase ",
        *_TAIL,
    ],
    Language.SCALA: [
        "\nclass ",
        "\nobject ",
        "\ndef ",
        "\nval ",
        "\nvar ",
        "\nif ",
        "\nfor ",
        "\nwhile ",
        "\nmatch ",
        "\ncase ",
        *_TAIL,
    ],
    Language.SWIFT: [
        "\nfunc ",
        "\nclass ",
        "\nstruct ",
        "\nenum ",
        "\nif ",
        "\nfor ",
        "\nwhile ",
        "\ndo ",
        "\nswitch ",
        "\ncase ",
        *_TAIL,
    ],
    Language.LUA: ["\nlocal ", "\nfunction ", "\nif ", "\nfor ", "\nwhile ", "\nrepeat ", *_TAIL],
    Language.MARKDOWN: ["\n#{1,6} ", "```\n", "\n\\*\\*\\*+\n", "\n---+\n", "\n___+\n", *_TAIL],
    Language.LATEX: [
        "\n\\\\chapter{",
        "\n\\\\section{",
        "\n\\\\subsection{",
        "\n\\\\subsubsection{",
        "\n\\\\begin{enumerate}",
        "\n\\\\begin{itemize}",
        "\n\\\\begin{description}",
        "\n\\\\begin{list}",
        "\n\\\\begin{quote}",
        "\n\\\\begin{quotation}",
        "\n\\\\begin{verse}",
        "\n\\\\begin{verbatim}",
        "\n\\\\begin{align}",
        "$$",
        "$",
        " ",
        "",
    ],
    Language.HTML: [
        "<body",
        "<div",
        "<p",
        "<br",
        "<li",
        "<h1",
        "<h2",
        "<h3",
        "<h4",
        "<h5",
        "<h6",
        "<span",
        "<table",
        "<tr",
        "<td",
        "<th",
        "<ul",
        "<ol",
        "<header",
        "<footer",
        "<nav",
        "<head",
        "<style",
        "<script",
        "<meta",
        "<title",
        "",
    ],
}


def separators_for(language: Language | str) -> list[str]:
    """The separators LangChain splits `language` with (most preferred first).

    Raises:
        ConfigurationError: for a language without separators here.
    """
    try:
        return list(_SEPARATORS[Language(language)])
    except (KeyError, ValueError):
        known = ", ".join(sorted(lang.value for lang in _SEPARATORS))
        raise ConfigurationError(
            f"no separators for language {language!r}; known: {known}"
        ) from None


__all__ = ["Language", "separators_for"]
