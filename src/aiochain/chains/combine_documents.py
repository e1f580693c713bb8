"""Chains that combine documents into one answer: the base, stuff and refine.

The classes of LangChain's `langchain.chains.combine_documents` with the same input key
(`input_documents`), output key (`output_text`) and arguments; `load_summarize_chain` builds
them with summarizing prompts. Map-reduce, built on stuff, is in `_map_reduce.py`. Refine is
sequential by nature: each step needs the previous step's answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from .._exceptions import ConfigurationError, MissingVariablesError
from ..callbacks._managers import AsyncCallbackManagerForChainRun
from ..documents import Document
from ..messages import BaseMessage
from ..output_parsers import BaseOutputParser, StrOutputParser
from ..prompts import BasePromptTemplate, PromptTemplate
from ..runnables._composition import RunnableLambda
from ..runnables.base import Runnable
from ..text_splitter._tokenizer import counter_for_model
from .base import Chain

logger = logging.getLogger("aiochain")

DEFAULT_DOCUMENT_PROMPT = PromptTemplate.from_template("{page_content}")
DEFAULT_DOCUMENT_SEPARATOR = "\n\n"


def format_document(document: Document, prompt: BasePromptTemplate) -> str:
    """`document` through `prompt`, whose variables are `page_content` and metadata keys.

    Raises:
        MissingVariablesError: when the prompt names metadata the document lacks.
    """
    values = {"page_content": document.page_content, **document.metadata}
    missing = [name for name in prompt.input_variables if name not in values]
    if missing:
        raise MissingVariablesError(
            f"the document prompt needs {', '.join(missing)}, which the document's metadata "
            f"lacks (it has: {', '.join(document.metadata) or 'nothing'})",
            missing=missing,
        )
    return prompt.format_prompt(
        **{name: values[name] for name in prompt.input_variables}
    ).to_string()


class ModelStep:
    """One prompt and one model: format the prompt, call the model, return its text."""

    def __init__(self, llm: Runnable[Any, Any], prompt: BasePromptTemplate, verbose: bool) -> None:
        if not isinstance(prompt, BasePromptTemplate):
            raise ConfigurationError(f"expected a prompt template, got {type(prompt).__name__}")
        if not isinstance(llm, Runnable):
            raise ConfigurationError(f"expected a model, got {type(llm).__name__}")
        self.llm = llm
        self.prompt = prompt
        self.verbose = verbose

    @classmethod
    def of(
        cls,
        llm: Runnable[Any, Any] | None,
        prompt: BasePromptTemplate | None,
        llm_chain: Any,
        verbose: bool,
        what: str,
    ) -> ModelStep:
        """From `llm` and `prompt`, or from an `LLMChain` (LangChain's way)."""
        if llm_chain is not None:
            llm, prompt = llm_chain.llm, llm_chain.prompt
        if llm is None or prompt is None:
            raise ConfigurationError(f"{what} needs llm and prompt (or an llm_chain)")
        return cls(llm, prompt, verbose)

    def text(self, values: dict[str, Any]) -> str:
        """The prompt's text for `values` (extra values are ignored)."""
        return self.prompt.format_prompt(**self._own(values)).to_string()

    def _own(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: values[name] for name in self.prompt.input_variables if name in values}

    async def apredict(self, values: dict[str, Any]) -> str:
        """Call the model on the prompt for `values`; return the answer's text."""
        prompt = self.prompt.format_prompt(**self._own(values))
        if self.verbose:
            logger.info("prompt after formatting:\n%s", prompt.to_string())
        answer = await self.llm.ainvoke(prompt)
        return answer.text if isinstance(answer, BaseMessage) else str(answer)

    def check_variable(self, name: str | None, what: str) -> str:
        """The prompt variable that receives the documents (`name`, or the only one)."""
        variables = self.prompt.input_variables
        if name is None:
            if len(variables) != 1:
                raise ConfigurationError(
                    f"{what}: document_variable_name must be given when the prompt has "
                    f"several variables ({', '.join(variables)})"
                )
            return variables[0]
        if name not in variables:
            raise ConfigurationError(
                f"{what}: document_variable_name {name!r} is not a variable of the prompt "
                f"({', '.join(variables) or 'none'})"
            )
        return name


class BaseCombineDocumentsChain(Chain):
    """A chain from documents (`input_documents`) to one text (`output_text`).

    Other inputs given with the documents fill the prompts' other variables.
    """

    input_key: str = "input_documents"
    output_key: str = "output_text"
    return_intermediate_steps: bool = False

    @property
    def input_keys(self) -> list[str]:
        return [self.input_key]

    @property
    def output_keys(self) -> list[str]:
        keys = [self.output_key]
        return [*keys, "intermediate_steps"] if self.return_intermediate_steps else keys

    def prompt_length(self, docs: list[Document], **kwargs: Any) -> int | None:
        """The prompt's length in tokens for these documents, when this chain can tell."""
        return None

    async def acombine_docs(
        self, docs: list[Document], **kwargs: Any
    ) -> tuple[str, dict[str, Any]]:
        """Combine the documents; return the text and any extra outputs."""
        raise NotImplementedError

    async def _acall(
        self, inputs: dict[str, Any], run_manager: AsyncCallbackManagerForChainRun | None = None
    ) -> dict[str, Any]:
        docs = inputs[self.input_key]
        if isinstance(docs, Document) or not isinstance(docs, Sequence):
            raise ConfigurationError(
                f"{type(self).__name__} takes a list of Documents as {self.input_key!r}, "
                f"got {type(docs).__name__}"
            )
        others = {key: value for key, value in inputs.items() if key != self.input_key}
        text, extra = await self.acombine_docs(list(docs), **others)
        return {self.output_key: text, **extra}


class StuffDocumentsChain(BaseCombineDocumentsChain):
    """Put every document into one prompt and call the model once.

    Args:
        llm: the model.
        prompt: the prompt; `document_variable_name` receives the documents' text.
        llm_chain: an `LLMChain` instead of `llm` and `prompt`.
        document_variable_name: the prompt variable for the documents (default: the only one).
        document_prompt: how each document is written (default `{page_content}`).
        document_separator: what goes between documents.
        token_counter: counts a prompt's tokens for `prompt_length` (default: the model's
            tokenizer with tiktoken, else four characters per token).
        verbose: log each prompt at INFO.
    """

    def __init__(
        self,
        *,
        llm: Runnable[Any, Any] | None = None,
        prompt: BasePromptTemplate | None = None,
        llm_chain: Any = None,
        document_variable_name: str | None = None,
        document_prompt: BasePromptTemplate | None = None,
        document_separator: str = DEFAULT_DOCUMENT_SEPARATOR,
        token_counter: Callable[[str], int] | None = None,
        verbose: bool | None = None,
    ) -> None:
        self.step = ModelStep.of(llm, prompt, llm_chain, bool(verbose), "StuffDocumentsChain")
        self.document_variable_name = self.step.check_variable(
            document_variable_name, "StuffDocumentsChain"
        )
        self.document_prompt = document_prompt or DEFAULT_DOCUMENT_PROMPT
        self.document_separator = document_separator
        self._token_counter = token_counter

    @property
    def token_counter(self) -> Callable[[str], int]:
        """Counts a prompt's tokens: the one given, else the model's (looked up on first use)."""
        if self._token_counter is None:
            llm = self.step.llm  # the model's own count, as LangChain's (custom_get_token_ids)
            counter = getattr(llm, "get_num_tokens", None)
            self._token_counter = counter or counter_for_model(str(getattr(llm, "model", "")))
        return self._token_counter

    def _inputs(self, docs: list[Document], kwargs: dict[str, Any]) -> dict[str, Any]:
        joined = self.document_separator.join(
            format_document(d, self.document_prompt) for d in docs
        )
        return {**kwargs, self.document_variable_name: joined}

    def prompt_length(self, docs: list[Document], **kwargs: Any) -> int | None:
        """The prompt's length in tokens for these documents."""
        return self.token_counter(self.step.text(self._inputs(docs, kwargs)))

    async def acombine_docs(
        self, docs: list[Document], **kwargs: Any
    ) -> tuple[str, dict[str, Any]]:
        """One call with every document in the prompt."""
        return await self.step.apredict(self._inputs(docs, kwargs)), {}


class RefineDocumentsChain(BaseCombineDocumentsChain):
    """Answer for the first document, then refine the answer with each next one, in order.

    Sequential by nature: every step needs the answer of the step before, so a refine over N
    documents takes N model calls one after another (map-reduce is the concurrent choice).

    Args:
        llm: the model.
        question_prompt: the prompt for the first document.
        refine_prompt: the prompt for the next ones; it receives the answer so far as
            `initial_response_name`.
        initial_llm_chain, refine_llm_chain: `LLMChain`s instead of `llm` and the prompts.
        document_variable_name: the prompts' variable for a document's text.
        initial_response_name: the refine prompt's variable for the answer so far.
        document_prompt: how each document is written (default `{page_content}`).
        return_intermediate_steps: also return every step's answer as `intermediate_steps`.
        verbose: log each prompt at INFO.
    """

    def __init__(
        self,
        *,
        llm: Runnable[Any, Any] | None = None,
        question_prompt: BasePromptTemplate | None = None,
        refine_prompt: BasePromptTemplate | None = None,
        initial_llm_chain: Any = None,
        refine_llm_chain: Any = None,
        document_variable_name: str | None = None,
        initial_response_name: str = "existing_answer",
        document_prompt: BasePromptTemplate | None = None,
        return_intermediate_steps: bool = False,
        verbose: bool | None = None,
    ) -> None:
        self.initial = ModelStep.of(
            llm, question_prompt, initial_llm_chain, bool(verbose), "RefineDocumentsChain"
        )
        self.refine = ModelStep.of(
            llm, refine_prompt, refine_llm_chain, bool(verbose), "RefineDocumentsChain"
        )
        self.document_variable_name = self.initial.check_variable(
            document_variable_name, "RefineDocumentsChain"
        )
        self.refine.check_variable(self.document_variable_name, "RefineDocumentsChain")
        self.refine.check_variable(initial_response_name, "RefineDocumentsChain")
        self.initial_response_name = initial_response_name
        self.document_prompt = document_prompt or DEFAULT_DOCUMENT_PROMPT
        self.return_intermediate_steps = return_intermediate_steps

    async def acombine_docs(
        self, docs: list[Document], **kwargs: Any
    ) -> tuple[str, dict[str, Any]]:
        """One call per document, each refining the answer of the one before."""
        if not docs:
            raise ConfigurationError("RefineDocumentsChain needs at least one document")
        first = format_document(docs[0], self.document_prompt)
        answer = await self.initial.apredict({**kwargs, self.document_variable_name: first})
        steps = [answer]
        for doc in docs[1:]:
            values = {
                **kwargs,
                self.document_variable_name: format_document(doc, self.document_prompt),
                self.initial_response_name: answer,
            }
            answer = await self.refine.apredict(values)
            steps.append(answer)
        return answer, ({"intermediate_steps": steps} if self.return_intermediate_steps else {})


def create_stuff_documents_chain(
    llm: Runnable[Any, Any],
    prompt: BasePromptTemplate,
    *,
    output_parser: BaseOutputParser[Any] | None = None,
    document_prompt: BasePromptTemplate | None = None,
    document_separator: str = DEFAULT_DOCUMENT_SEPARATOR,
    document_variable_name: str = "context",
) -> Runnable[dict[str, Any], Any]:
    """A runnable that puts a list of documents into one prompt: LangChain's current way.

    `chain.ainvoke({"context": docs, ...other prompt variables})` returns the parsed answer
    (a string by default). It composes like any runnable: `amap`, `astream`, `|`.

    Args:
        llm: the model.
        prompt: a prompt with a `document_variable_name` variable.
        output_parser: parses the answer (default `StrOutputParser`).
        document_prompt: how each document is written (default `{page_content}`).
        document_separator: what goes between documents.
        document_variable_name: the input key and prompt variable of the documents.

    Raises:
        ConfigurationError: when the prompt lacks the documents' variable.
    """
    if document_variable_name not in prompt.input_variables:
        raise ConfigurationError(
            f"the prompt must have a {document_variable_name!r} variable for the documents; "
            f"it has {', '.join(prompt.input_variables) or 'none'}"
        )
    each = document_prompt or DEFAULT_DOCUMENT_PROMPT

    def format_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
        docs = inputs[document_variable_name]
        text = document_separator.join(format_document(doc, each) for doc in docs)
        return {**inputs, document_variable_name: text}

    parser = output_parser or StrOutputParser()
    return RunnableLambda(format_inputs) | prompt | llm | parser


__all__ = [
    "BaseCombineDocumentsChain",
    "ModelStep",
    "RefineDocumentsChain",
    "StuffDocumentsChain",
    "create_stuff_documents_chain",
    "format_document",
]
