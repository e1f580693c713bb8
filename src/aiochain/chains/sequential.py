"""Chains with LangChain's classic API: `run` / `arun`, `invoke` / `ainvoke`, `apply` / `aapply`.

Also where LangChain users find the document chains: `load_summarize_chain`,
`create_stuff_documents_chain`, and the stuff / map-reduce / refine classes.

A custom chain is one small subclass of `Chain`: name its `input_keys` and `output_keys` and
override `_acall` (or a sync `_call`, which then runs in a worker thread so that it never blocks
the event loop). Every sync method runs the async path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from .._exceptions import ConfigurationError
from ..callbacks._managers import AsyncCallbackManagerForChainRun
from .base import Chain


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
    "SequentialChain",
    "SimpleSequentialChain",
]
