"""RunnableSerializable (runnables/serializable.py) and runnables that implement only invoke."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from aiochain import ConfigurationError
from aiochain.runnables import ConfigurableField, Runnable, RunnableLambda, RunnableSerializable


class Subtract(RunnableSerializable[dict, dict]):
    output_key: str
    amount: int = 7
    kind: ClassVar[str] = "not a field"

    def invoke(self, input: dict, config: Any = None, **kwargs: Any) -> dict:
        return {self.output_key: input["foo"] - self.amount}


class Listed(RunnableSerializable[Any, list]):
    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> list:
        return self._call_with_config(self._invoke, input, config, **kwargs)

    def _invoke(self, input: Any) -> list:
        return [input]


def test_fields_are_set_by_keyword() -> None:
    """Annotated attributes are fields: required ones must be given, defaults apply, and
    unknown keywords (or ClassVars) are refused with the fields named."""
    assert Subtract(output_key="bar").amount == 7
    assert Subtract(output_key="bar", amount=1).invoke({"foo": 10}) == {"bar": 9}
    with pytest.raises(ConfigurationError, match="needs output_key"):
        Subtract()
    with pytest.raises(ConfigurationError, match="no field kind"):
        Subtract(output_key="x", kind="y")


async def test_only_invoke_is_enough_for_every_entry_point() -> None:
    """A subclass with only `invoke` works through ainvoke, abatch, astream, in a sequence and
    as configurable fields (LangChain's way of writing a runnable)."""
    runnable = Subtract(output_key="bar")
    assert await runnable.ainvoke({"foo": 10}) == {"bar": 3}
    assert await runnable.abatch([{"foo": 8}, {"foo": 9}]) == [{"bar": 1}, {"bar": 2}]
    assert [c async for c in runnable.astream({"foo": 10})] == [{"bar": 3}]
    chain = RunnableLambda(lambda x: {"foo": x}) | Listed()
    assert await chain.ainvoke(7) == [{"foo": 7}]
    configurable = runnable.configurable_fields(output_key=ConfigurableField(id="key"))
    config: Any = {"configurable": {"key": "not bar"}}
    assert await configurable.ainvoke({"foo": 10}, config) == {"not bar": 3}


async def test_a_runnable_with_neither_method_still_says_so() -> None:
    """A Runnable subclass that implements neither invoke nor ainvoke raises
    NotImplementedError, not a recursion."""

    class Empty(Runnable[Any, Any]):
        pass

    with pytest.raises(NotImplementedError):
        await Empty().ainvoke(1)
