"""`aiochain map --split TOKENS`: long records are split into chunks, mapped, then reduced, so
each output line is still one input record.

A record whose split field holds more than `TOKENS` tokens (estimated at four characters a
token, or counted with `tiktoken` when it is installed) is cut with the recursive character
splitter (`--overlap` tokens shared by neighbours). Every chunk goes through the job's template
(the split field holding the chunk) concurrently, within the job's limits; the answers are then
combined with `--reduce-template` (default: a summary of the summaries, LangChain's combine
prompt), collapsing in groups while they are longer than `TOKENS` together.

Resuming: every chunk and reduce request goes through an answer cache kept in the journal's
own file, so a run killed in the middle of a document resends only the chunks that had not been
answered. Records that fit in one chunk take the ordinary path.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ..._exceptions import ConfigurationError
from ..._pipeline.estimates import CHARS_PER_TOKEN
from ..._providers.model_client import ModelClient
from ..._types import Usage
from ...cache import SQLiteCache
from ...messages import HumanMessage, SystemMessage
from ...prompts import PromptTemplate
from ...text_splitter import RecursiveCharacterTextSplitter

DEFAULT_REDUCE_TEMPLATE = (
    'Write a concise summary of the following:\n\n"{text}"\n\nCONCISE SUMMARY:'
)
"""LangChain's map-reduce combine prompt."""


@dataclass(slots=True)
class SplitAnswer:
    """What a split record came to: the reduced text, its usage over every request (with
    `requests == 0` when the cache answered them all), and the number of chunks."""

    text: str
    usage: Usage = field(default_factory=Usage)
    chunks: int = 0


class RecordSplitter:
    """Splits, maps and reduces the long records of one job.

    Args:
        llm: the job's model; chunk and reduce requests go through a copy that shares its
            connections, limits and usage totals and answers from `cache`.
        cache: the chunk cache, kept in the journal's file.
        template: the job's prompt template.
        tokens: the most tokens of a chunk (and of a reduce step's input).
        overlap: tokens shared by neighbouring chunks.
        field: the record field to split; default the template's only variable, else `text`.
        reduce_template: the prompt combining chunk answers, with a `{text}` variable.
        system: the job's system message, sent with every request.
    """

    def __init__(
        self,
        llm: ModelClient[Any],
        cache: SQLiteCache,
        template: PromptTemplate,
        *,
        tokens: int,
        overlap: int = 0,
        field: str | None = None,
        reduce_template: str | None = None,
        system: str | None = None,
    ) -> None:
        if tokens < 16:
            raise ConfigurationError(f"--split takes at least 16 tokens a chunk, got {tokens}")
        if not 0 <= overlap < tokens:
            raise ConfigurationError(f"--overlap must be from 0 to less than --split ({tokens})")
        variables = template.input_variables
        self.field = field or (variables[0] if len(variables) == 1 else "text")
        if self.field not in variables:
            raise ConfigurationError(
                f"--split-field {self.field!r} is not a variable of the template "
                f"({', '.join(variables) or 'none'})"
            )
        self.reduce = PromptTemplate.from_template(reduce_template or DEFAULT_REDUCE_TEMPLATE)
        if self.reduce.input_variables != ["text"]:
            raise ConfigurationError(
                "--reduce-template must use exactly one variable, {text} (the answers joined)"
            )
        self.tokens = tokens
        self.template = template
        self.system = SystemMessage(system) if system else None
        self.splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
            chunk_size=tokens, chunk_overlap=overlap
        )
        self.llm = llm.with_cache(cache)

    def chunks_of(self, values: dict[str, str]) -> list[str] | None:
        """The chunks of a record's split field, or None when it fits in one."""
        text = values.get(self.field, "")
        if len(text) <= self.tokens * CHARS_PER_TOKEN:
            return None  # cheap test first: most records are short
        chunks = self.splitter.split_text(text)
        return chunks if len(chunks) > 1 else None

    async def answer(self, values: dict[str, str], chunks: list[str]) -> SplitAnswer:
        """Map every chunk through the template, then reduce the answers to one."""
        result = SplitAnswer("", chunks=len(chunks))
        answers = await asyncio.gather(
            *(
                self._ask(self.template.format(**{**values, self.field: chunk}), result)
                for chunk in chunks
            )
        )
        while True:
            groups = self._groups(answers)
            if len(groups) == 1:
                result.text = await self._ask(self.reduce.format(text=groups[0]), result)
                return result
            # Too long to combine at once: collapse each group, all groups at once.
            answers = list(
                await asyncio.gather(
                    *(self._ask(self.reduce.format(text=g), result) for g in groups)
                )
            )

    def _groups(self, answers: list[str]) -> list[str]:
        """Answers joined into as few texts as fit in `tokens` each (at least one answer per
        text, in order)."""
        limit = self.tokens * CHARS_PER_TOKEN
        groups: list[list[str]] = [[]]
        size = 0
        for answer in answers:
            if groups[-1] and size + len(answer) > limit:
                groups.append([])
                size = 0
            groups[-1].append(answer)
            size += len(answer) + 2
        if len(groups) > 1 and len(groups) >= len(answers):
            # Every answer alone passes the limit: combining cannot shrink them; take them
            # all at once rather than loop.
            return ["\n\n".join(answers)]
        return ["\n\n".join(group) for group in groups]

    async def _ask(self, prompt: str, result: SplitAnswer) -> str:
        messages: Any = [self.system, HumanMessage(prompt)] if self.system else prompt
        message = await self.llm.ainvoke(messages)
        if message.usage is not None:
            result.usage.add(message.usage)
        return str(message.text)
