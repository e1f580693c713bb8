"""`load_summarize_chain` and `create_stuff_documents_chain`, as LangChain builds them.

The default prompts are LangChain's, word for word (`langchain.chains.summarize`), so a program
moved from LangChain sends the same requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._exceptions import ConfigurationError
from ..prompts import BasePromptTemplate, PromptTemplate
from ..runnables.base import Runnable
from .combine_documents import (
    BaseCombineDocumentsChain,
    RefineDocumentsChain,
    StuffDocumentsChain,
)
from .combine_documents import (
    create_stuff_documents_chain as create_stuff_documents_chain,
)
from .map_reduce import MapReduceDocumentsChain, ReduceDocumentsChain

SUMMARY_PROMPT = PromptTemplate.from_template(
    'Write a concise summary of the following:\n\n\n"{text}"\n\n\nCONCISE SUMMARY:'
)
"""LangChain's prompt for stuff, for the map and combine steps, and for refine's first step."""

REFINE_PROMPT = PromptTemplate.from_template(
    "Your job is to produce a final summary.\n"
    "We have provided an existing summary up to a certain point: {existing_answer}\n"
    "We have the opportunity to refine the existing summary (only if needed) with some more "
    "context below.\n"
    "------------\n"
    "{text}\n"
    "------------\n"
    "Given the new context, refine the original summary.\n"
    "If the context isn't useful, return the original summary."
)
"""LangChain's prompt for refine's later steps."""

CHAIN_TYPES = ("stuff", "map_reduce", "refine")


def load_summarize_chain(
    llm: Runnable[Any, Any],
    chain_type: str = "stuff",
    verbose: bool | None = None,
    *,
    prompt: BasePromptTemplate | None = None,
    map_prompt: BasePromptTemplate | None = None,
    combine_prompt: BasePromptTemplate | None = None,
    collapse_prompt: BasePromptTemplate | None = None,
    question_prompt: BasePromptTemplate | None = None,
    refine_prompt: BasePromptTemplate | None = None,
    document_variable_name: str = "text",
    combine_document_variable_name: str = "text",
    map_reduce_document_variable_name: str = "text",
    initial_response_name: str = "existing_answer",
    reduce_llm: Runnable[Any, Any] | None = None,
    collapse_llm: Runnable[Any, Any] | None = None,
    refine_llm: Runnable[Any, Any] | None = None,
    token_max: int = 3000,
    collapse_max_retries: int | None = None,
    return_intermediate_steps: bool = False,
    concurrency: int | None = None,
    token_counter: Callable[[str], int] | None = None,
    input_key: str = "input_documents",
    output_key: str = "output_text",
) -> BaseCombineDocumentsChain:
    """A chain that summarizes documents: `chain.invoke({"input_documents": docs})["output_text"]`.

    Args:
        llm: the model (`OpenAI` or `ChatOpenAI`).
        chain_type: "stuff" (one call with every document), "map_reduce" (a summary of each
            document, concurrently, then a summary of the summaries, collapsing level by level
            while they exceed `token_max`), or "refine" (a summary of the first document
            refined with each next one: sequential by nature).
        verbose: log each prompt at INFO on the `aiochain` logger.
        prompt: stuff's prompt.
        map_prompt, combine_prompt, collapse_prompt: map-reduce's prompts (collapse: default
            the combine prompt).
        question_prompt, refine_prompt: refine's prompts.
        document_variable_name: the prompt variable for the documents (stuff, refine).
        combine_document_variable_name: the combine and collapse prompts' variable.
        map_reduce_document_variable_name: the map prompt's variable.
        initial_response_name: refine's variable for the summary so far.
        reduce_llm, collapse_llm, refine_llm: other models for those steps.
        token_max: the most tokens of a combine prompt (map-reduce).
        collapse_max_retries: give up after this many collapse levels.
        return_intermediate_steps: also return the map (or refine) answers.
        concurrency: map and collapse calls at once (default: all, within the model's
            `max_concurrency`).
        token_counter: counts tokens for `token_max` (default: tiktoken for the model when
            installed, else four characters per token).
        input_key, output_key: the chain's input and output names.

    Raises:
        ConfigurationError: for an unknown chain type or options that do not fit it.
    """
    if chain_type not in CHAIN_TYPES:
        raise ConfigurationError(
            f"unknown chain_type {chain_type!r}; use one of {', '.join(CHAIN_TYPES)}"
        )
    chain: BaseCombineDocumentsChain
    if chain_type == "stuff":
        chain = StuffDocumentsChain(
            llm=llm,
            prompt=prompt or SUMMARY_PROMPT,
            document_variable_name=document_variable_name,
            token_counter=token_counter,
            verbose=verbose,
        )
    elif chain_type == "map_reduce":
        if collapse_llm is not None and collapse_prompt is None:
            raise ConfigurationError("collapse_llm was given without a collapse_prompt")

        def stuff(model: Runnable[Any, Any], template: BasePromptTemplate) -> StuffDocumentsChain:
            return StuffDocumentsChain(
                llm=model,
                prompt=template,
                document_variable_name=combine_document_variable_name,
                token_counter=token_counter,
                verbose=verbose,
            )

        reduce = ReduceDocumentsChain(
            combine_documents_chain=stuff(reduce_llm or llm, combine_prompt or SUMMARY_PROMPT),
            collapse_documents_chain=(
                stuff(collapse_llm or llm, collapse_prompt) if collapse_prompt else None
            ),
            token_max=token_max,
            collapse_max_retries=collapse_max_retries,
            concurrency=concurrency,
        )
        chain = MapReduceDocumentsChain(
            llm=llm,
            prompt=map_prompt or SUMMARY_PROMPT,
            reduce_documents_chain=reduce,
            document_variable_name=map_reduce_document_variable_name,
            return_intermediate_steps=return_intermediate_steps,
            concurrency=concurrency,
            verbose=verbose,
        )
    else:
        chain = RefineDocumentsChain(
            llm=llm,
            question_prompt=question_prompt or SUMMARY_PROMPT,
            refine_prompt=refine_prompt or REFINE_PROMPT,
            document_variable_name=document_variable_name,
            initial_response_name=initial_response_name,
            return_intermediate_steps=return_intermediate_steps,
            verbose=verbose,
        )
        if refine_llm is not None:
            chain.refine.llm = refine_llm
    chain.input_key = input_key
    chain.output_key = output_key
    return chain
