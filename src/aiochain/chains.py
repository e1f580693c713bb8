"""Chains with LangChain's classic API: `run` / `arun`, `invoke` / `ainvoke`, `apply` / `aapply`.

Also where LangChain users find the document chains: `load_summarize_chain`,
`create_stuff_documents_chain`, and the stuff / map-reduce / refine classes.

A custom chain is one small subclass of `Chain`: name its `input_keys` and `output_keys` and
override `_acall` (or a sync `_call`, which then runs in a worker thread so that it never blocks
the event loop). Every sync method runs the async path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from ._callback_manager import AsyncCallbackManagerForChainRun
from ._chain import Chain
from ._combine_documents import (
    BaseCombineDocumentsChain,
    RefineDocumentsChain,
    StuffDocumentsChain,
)
from ._exceptions import ConfigurationError, UsageError
from ._map_reduce import MapReduceDocumentsChain, ReduceDocumentsChain
from ._runnable import Config, Runnable
from ._summarize import create_stuff_documents_chain, load_summarize_chain
from ._sync import run_sync
from .agents import AgentChain
from .messages import BaseMessage
from .output_parsers import BaseOutputParser
from .prompts import BasePromptTemplate, PromptValue


def _green(text: str) -> str:
    return f"\u001b[32;1m\033[1;3m{text}\u001b[0m"


def _text_of(output: Any) -> Any:
    return output.content if isinstance(output, BaseMessage) else output


class LLMChain(Chain):
    """A prompt, a model and an optional parser: format, call, parse.

    Args:
        llm: the model (any runnable taking a prompt value: `OpenAI`, `ChatOpenAI`, ...).
        prompt: the prompt template; its variables are the chain's inputs.
        output_parser: parses the model's text; None returns the text.
        output_key: the name of the single output.
    """

    def __init__(
        self,
        *,
        llm: Runnable[Any, Any],
        prompt: BasePromptTemplate,
        output_parser: BaseOutputParser[Any] | None = None,
        output_key: str = "text",
        **options: Any,
    ) -> None:
        """See the class docstring; `options`: `verbose`, `callbacks`, `tags`, `metadata`,
        `memory`, as on every chain."""
        self.set_run_options(options)
        if options:
            raise ConfigurationError(f"LLMChain has no option {', '.join(map(repr, options))}")
        if not isinstance(prompt, BasePromptTemplate):
            raise ConfigurationError(
                f"LLMChain's prompt must be a PromptTemplate or ChatPromptTemplate, "
                f"got {type(prompt).__name__}"
            )
        if not isinstance(llm, Runnable):
            raise ConfigurationError(f"LLMChain's llm must be a model, got {type(llm).__name__}")
        self.llm = llm
        self.prompt = prompt
        self.output_parser = output_parser
        self.output_key = output_key

    @property
    def input_keys(self) -> list[str]:
        return self.prompt.input_variables

    @property
    def output_keys(self) -> list[str]:
        return [self.output_key]

    def _prompt_for(self, inputs: dict[str, Any]) -> PromptValue:
        """The prompt for these inputs (the chain's inputs may hold more than the prompt's)."""
        return self.prompt.format_prompt(**{k: inputs[k] for k in self.prompt.input_variables})

    async def _acall(
        self,
        inputs: dict[str, Any],
        run_manager: AsyncCallbackManagerForChainRun | None = None,
    ) -> dict[str, Any]:
        prompt = self._prompt_for(inputs)
        if self.verbose and run_manager is not None:
            text = _green(prompt.to_string())
            await run_manager.on_text(f"Prompt after formatting:\n{text}", end="\n")
        output = _text_of(await self.llm.ainvoke(prompt))
        if self.output_parser is not None:
            output = self.output_parser.parse(output)
        return {self.output_key: output}

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Yield the answer's text as it arrives; a parser that needs the whole text (JSON,
        pydantic) yields its result once at the end."""
        inputs = self.prep_inputs(input)
        chunks = self.llm.astream(self._prompt_for(inputs))
        if self.output_parser is not None:
            chunks = self.output_parser.atransform(chunks)
        async for chunk in chunks:
            yield chunk.content if isinstance(chunk, BaseMessage) else chunk

    async def apredict(self, **kwargs: Any) -> Any:
        """Run with keyword inputs and return the output."""
        return (await self.ainvoke(kwargs, return_only_outputs=True))[self.output_key]

    def predict(self, **kwargs: Any) -> Any:
        """`apredict`, blocking; do not call from inside an event loop."""
        return run_sync(
            lambda: self.apredict(**kwargs), name="LLMChain.predict", async_name="apredict"
        )

    async def agenerate(self, input_list: Sequence[Mapping[str, Any]]) -> Any:
        """Format every input and call the model's `agenerate` once over all the prompts."""
        agenerate = getattr(self.llm, "agenerate", None)
        if agenerate is None:
            raise UsageError(f"{type(self.llm).__name__} has no agenerate(); use aapply()")
        prompts = []
        for item in input_list:
            inputs = self.prep_inputs(item)
            prompts.append(self._prompt_for(inputs))
        return await agenerate(prompts)

    def generate(self, input_list: Sequence[Mapping[str, Any]]) -> Any:
        """`agenerate`, blocking; do not call from inside an event loop."""
        return run_sync(
            lambda: self.agenerate(input_list), name="LLMChain.generate", async_name="agenerate"
        )


class SequentialChain(Chain):
    """Chains run one after another, each reading any earlier input or output by name.

    Args:
        chains: the chains, in order.
        input_variables: the inputs of the whole sequence.
        output_variables: what it returns; default the last chain's outputs (or, with
            `return_all`, every intermediate output).
        return_all: return every output of every step.
    """

    def __init__(
        self,
        *,
        chains: Sequence[Chain],
        input_variables: Sequence[str],
        output_variables: Sequence[str] | None = None,
        return_all: bool = False,
        **options: Any,
    ) -> None:
        self.set_run_options(options)
        if not chains:
            raise ConfigurationError("SequentialChain needs at least one chain")
        known = list(input_variables)
        produced: list[str] = []
        for position, chain in enumerate(chains, 1):
            missing = [key for key in chain.input_keys if key not in known]
            if missing:
                raise ConfigurationError(
                    f"step {position} ({type(chain).__name__}) needs {', '.join(missing)}, "
                    f"which no input or earlier step provides (available: {', '.join(known)})"
                )
            clash = [key for key in chain.output_keys if key in known]
            if clash:
                raise ConfigurationError(
                    f"step {position} ({type(chain).__name__}) outputs {', '.join(clash)}, "
                    "which is already an input or an earlier output"
                )
            known.extend(chain.output_keys)
            produced.extend(chain.output_keys)
        if output_variables is None:
            output_variables = produced if return_all else list(chains[-1].output_keys)
        unknown = [key for key in output_variables if key not in known]
        if unknown:
            raise ConfigurationError(
                f"output_variables {', '.join(unknown)} are produced by no step "
                f"(available: {', '.join(known)})"
            )
        self.chains = list(chains)
        self.input_variables = list(input_variables)
        self.output_variables = list(output_variables)

    @property
    def input_keys(self) -> list[str]:
        return self.input_variables

    @property
    def output_keys(self) -> list[str]:
        return self.output_variables

    async def _acall(
        self, inputs: dict[str, Any], run_manager: AsyncCallbackManagerForChainRun | None = None
    ) -> dict[str, Any]:
        known = dict(inputs)
        for chain in self.chains:
            step_inputs = {key: known[key] for key in chain.input_keys}
            known.update(await chain.ainvoke(step_inputs, return_only_outputs=True))
        return {key: known[key] for key in self.output_variables}


class SimpleSequentialChain(Chain):
    """Chains of one input and one output each, the output of one the input of the next.

    Args:
        chains: the chains, in order.
        strip_outputs: strip white space from each intermediate output.
    """

    input_key: ClassVar[str] = "input"
    output_key: ClassVar[str] = "output"

    def __init__(
        self, *, chains: Sequence[Chain], strip_outputs: bool = False, **options: Any
    ) -> None:
        self.set_run_options(options)
        if not chains:
            raise ConfigurationError("SimpleSequentialChain needs at least one chain")
        for position, chain in enumerate(chains, 1):
            if len(chain.input_keys) != 1 or len(chain.output_keys) != 1:
                raise ConfigurationError(
                    f"step {position} ({type(chain).__name__}) must have one input and one "
                    f"output, has inputs {chain.input_keys} and outputs {chain.output_keys}"
                )
        self.chains = list(chains)
        self.strip_outputs = strip_outputs

    @property
    def input_keys(self) -> list[str]:
        return [self.input_key]

    @property
    def output_keys(self) -> list[str]:
        return [self.output_key]

    async def _acall(
        self, inputs: dict[str, Any], run_manager: AsyncCallbackManagerForChainRun | None = None
    ) -> dict[str, Any]:
        value = inputs[self.input_key]
        for chain in self.chains:
            value = (await chain.ainvoke({chain.input_keys[0]: value}, return_only_outputs=True))[
                chain.output_keys[0]
            ]
            if self.strip_outputs and isinstance(value, str):
                value = value.strip()
        return {self.output_key: value}


__all__ = [
    "AgentChain",
    "BaseCombineDocumentsChain",
    "Chain",
    "LLMChain",
    "MapReduceDocumentsChain",
    "ReduceDocumentsChain",
    "RefineDocumentsChain",
    "SequentialChain",
    "SimpleSequentialChain",
    "StuffDocumentsChain",
    "create_stuff_documents_chain",
    "load_summarize_chain",
]
