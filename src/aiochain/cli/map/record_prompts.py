"""What the live and the batch paths of `aiochain map` share about a record: its prompt
fields, the check that the template's variables are all there, and reading a JSON answer."""

from __future__ import annotations

import json
from typing import Any

from ..._exceptions import AiochainError
from ...output_parsers import parse_json_text
from ...prompts import PromptTemplate
from .records import Record


def field_text(value: Any) -> str:
    """A field as it goes into the prompt: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def missing_variables(template: PromptTemplate, record: Record) -> str | None:
    """The error of a record that lacks a template variable (it fails alone, unsent)."""
    missing = [n for n in template.input_variables if n not in record.fields]
    if not missing:
        return None
    return f"record {record.id}: missing template variable(s) {', '.join(missing)}"


def prompt_values(template: PromptTemplate, record: Record) -> dict[str, str]:
    """The template's variables, filled from the record's fields."""
    return {name: field_text(record.fields[name]) for name in template.input_variables}


def json_output(text: str) -> tuple[Any, AiochainError | None]:
    """With --json: the answer parsed, or the error saying it is not valid JSON."""
    try:
        return parse_json_text(text), None
    except AiochainError as exc:
        return None, exc
