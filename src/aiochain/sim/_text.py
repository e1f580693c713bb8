"""What the simulation server answers, and how it counts tokens.

Token estimate (documented, so tests can predict it): one token is a run of non-space characters
together with the white space before it, so `" Hello world."` is two tokens and a streamed answer
is exactly its tokens joined. A chat prompt counts the tokens of every message's content.

Answer: the lead sentences of the user's text, with an instruction line ending in a colon (such as
"Summarize the following text:") dropped: the first third of its sentences, rounded to nearest
and at least one (texts of up to four sentences get their first sentence). It depends only on
the text, so the same request always gets the same answer.

Structured answers: with a JSON schema (a `json_schema` response format, or the JSON format
instructions that LangChain's `JsonOutputParser`, `PydanticOutputParser` and
`StructuredOutputParser` put in a prompt, which a real model follows) the answer is JSON fitting
the schema, filled by `_responses_wire.fill_schema`
(the first string gets the answer text), as `/v1/responses` answers a `json_schema` format.
A prompt that asks for JSON in words ("in JSON format", "respond in JSON", "Return a JSON
object", "as JSON") gets JSON mode's answer, as a model would.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._json import dumps
from ._responses_wire import fill_schema

_TOKEN = re.compile(r"\s*\S+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_INSTRUCTION = re.compile(r"\A[^\n]*:[ \t]*\n\s*\n?")
# LangChain's JSON format instructions (JsonOutputParser / PydanticOutputParser with a schema),
# from their first sentence to the fenced schema that ends them.
_FORMAT_INSTRUCTIONS = re.compile(
    r"The output should be formatted as a JSON instance that conforms to the JSON schema "
    r"below\..*?Here is the output schema:\s*```\s*(?P<schema>\{.*?\})\s*```",
    re.S,
)


def tokenize(text: str) -> list[str]:
    """Split text into tokens whose concatenation is the text without trailing white space."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """How many tokens `text` has."""
    return len(_TOKEN.findall(text))


def lead_sentences(text: str) -> str:
    """The first third of the sentences of `text` (at least one), without an instruction line."""
    body = _INSTRUCTION.sub("", text.strip(), count=1).strip() or text.strip()
    if not body:
        return "There is no text to answer."
    sentences = [s.strip() for s in _SENTENCE_END.split(body) if s.strip()]
    how_many = max(1, int(len(sentences) / 3 + 0.5))
    return " ".join(sentences[:how_many])


def answer(
    text: str,
    *,
    max_tokens: int | None,
    stop: list[str] | None,
    json_mode: bool,
    summarize: bool = True,
) -> tuple[list[str], str]:
    """The answer's tokens and its finish reason (`stop` or `length`).

    In JSON mode the answer is `{"summary": "..."}`; the summary is cut so the JSON stays valid.
    """
    summary = lead_sentences(text) if summarize else text
    finish = "stop"
    if stop:
        cuts = [summary.find(s) for s in stop if s and s in summary]
        if cuts:
            summary = summary[: min(cuts)]
    if json_mode:
        words = tokenize(summary)
        if max_tokens is not None:
            # The braces and key cost four tokens; the rest is left for the summary.
            room = max(0, max_tokens - 4)
            if len(words) > room:
                words, finish = words[:room], "length"
        return tokenize(json.dumps({"summary": "".join(words).strip()})), finish
    tokens = tokenize(summary)
    if max_tokens is not None and len(tokens) > max_tokens:
        tokens, finish = tokens[:max_tokens], "length"
    return tokens, finish


_ASKS_FOR_JSON = re.compile(r"\b(?:in|as|a|valid)\s+JSON\b|\bJSON\s+(?:format|object|only)\b")


def asks_for_json(text: str) -> bool:
    """Whether `text` asks for a JSON answer in words (see the module docstring)."""
    return "JSON" in text and _ASKS_FOR_JSON.search(text) is not None


# StructuredOutputParser's instructions: a ```json snippet of `"name": type  // description`.
_SNIPPET_INSTRUCTIONS = re.compile(
    r"The output should be (?:a markdown code snippet formatted in the following schema|"
    r"formatted as a JSON instance that conforms to the JSON schema below).*?"
    r"```json\s*\{(?P<fields>.*?)\}\s*```",
    re.S,
)
_SNIPPET_FIELD = re.compile(r'^\s*"(?P<name>[^"]+)"\s*:\s*(?P<type>[\w\[\]]+)', re.M)
_SNIPPET_TYPES = {
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "list": "array",
    "array": "array",
}


def schema_in_prompt(text: str) -> tuple[dict[str, Any] | None, str]:
    """The JSON schema of LangChain's format instructions in `text`, if any, and the text
    without them (what the answer summarizes)."""
    if "```json" in text and "The output should be" in text:
        snippet = _SNIPPET_INSTRUCTIONS.search(text)
        if snippet is not None:
            properties = {
                field["name"]: {"type": _SNIPPET_TYPES.get(field["type"].lower(), "string")}
                for field in _SNIPPET_FIELD.finditer(snippet["fields"])
            }
            if properties:
                schema = {"type": "object", "properties": properties}
                return schema, text[: snippet.start()] + text[snippet.end() :]
    if "Here is the output schema:" not in text:  # the common case, at substring speed
        return None, text
    found = _FORMAT_INSTRUCTIONS.search(text)
    if found is None:
        return None, text
    try:
        schema = json.loads(found.group("schema"))
    except ValueError:
        return None, text
    if not isinstance(schema, dict):
        return None, text
    return schema, text[: found.start()] + text[found.end() :]


def schema_answer(
    schema: dict[str, Any], text: str, *, max_tokens: int | None, summarize: bool = True
) -> tuple[list[str], str]:
    """The tokens of JSON fitting `schema` (the first string gets the answer to `text`) and the
    finish reason: `length` when `max_tokens` cuts it (leaving JSON that does not parse, as a
    real model's cut answer)."""
    base, _ = answer(text, max_tokens=None, stop=None, json_mode=False, summarize=summarize)
    tokens = tokenize(dumps(fill_schema(schema, "".join(base).strip())).decode())
    if max_tokens is not None and len(tokens) > max_tokens:
        return tokens[:max_tokens], "length"
    return tokens, "stop"
