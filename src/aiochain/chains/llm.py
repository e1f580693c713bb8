"""`LLMChain`: a prompt, a model and an optional parser, LangChain's classic chain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from .._config import check_config, current_config
from .._exceptions import ConfigurationError, UsageError
from ..callbacks._managers import AsyncCallbackManagerForChainRun
from ..messages import BaseMessage
from ..output_parsers import BaseOutputParser
from ..prompts import BasePromptTemplate, PromptValue
from ..runnables._reported_steps import listening, traced_stream
from ..runnables._sync import run_sync
from ..runnables.base import Config, Runnable
from .base import Chain


def _green(text: str) -> str:
    return f"\u001b[32;1m\033[1;3m{text}\u001b[0m"


def _text_of(output: Any) -> Any:
    return output.text if isinstance(output, BaseMessage) else output


class LLMChain(Chain):
    """A prompt, a model and an optional parser: format, call, parse.

    Args:
        llm: the model (any runnable taking a prompt value: `OpenAI`, `ChatOpenAI`, ...).
        prompt: the prompt template; its variables are the chain's inputs.
        output_parser: parses the model's text; None returns the text.
        output_key: the name of the single output.
    """

    llm: Runnable[Any, Any]
    prompt: BasePromptTemplate
    output_parser: BaseOutputParser[Any] | None = None
    output_key: str = "text"

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
        unknown = [name for name in options if name not in self._RUN_OPTIONS]
        if unknown:
            raise ConfigurationError(f"LLMChain has no option {', '.join(map(repr, unknown))}")
        if not isinstance(prompt, BasePromptTemplate):
            raise ConfigurationError(
                f"LLMChain's prompt must be a PromptTemplate or ChatPromptTemplate, "
                f"got {type(prompt).__name__}"
            )
        if not isinstance(llm, Runnable):
            raise ConfigurationError(f"LLMChain's llm must be a model, got {type(llm).__name__}")
        super().__init__(
            llm=llm, prompt=prompt, output_parser=output_parser, output_key=output_key, **options
        )

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
        config = config if config is not None else current_config.get()
        if config is not None and listening(config):  # a chain run (astream_events, handlers)
            traced = traced_stream(self, input, check_config(config), self._astream, own=True)
            async for chunk in traced:
                yield chunk
            return
        async for chunk in self._astream(input, None):
            yield chunk

    async def _astream(self, input: Any, config: Config) -> AsyncIterator[Any]:
        inputs = self.prep_inputs(input)
        prompt = self._prompt_for(inputs)
        chunks = self.llm.astream(prompt) if config is None else self.llm.astream(prompt, config)
        if self.output_parser is not None:
            chunks = self.output_parser.atransform(chunks)
        async for chunk in chunks:
            yield chunk.text if isinstance(chunk, BaseMessage) else chunk

    async def apredict(self, **kwargs: Any) -> Any:
        """Run with keyword inputs and return the output."""
        return (await self.ainvoke(kwargs, return_only_outputs=True))[self.output_key]

    def predict(self, **kwargs: Any) -> Any:
        """`apredict`, blocking; async code does better to await the async method."""
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
        """`agenerate`, blocking; async code does better to await the async method."""
        return run_sync(
            lambda: self.agenerate(input_list), name="LLMChain.generate", async_name="agenerate"
        )
