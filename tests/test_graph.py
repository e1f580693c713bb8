"""runnable.get_graph() / get_prompts() (runnables/graph.py), as LangChain builds the graph."""

from __future__ import annotations

from aiochain.prompts import ChatPromptTemplate, PromptTemplate
from aiochain.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough


def _names(chain: object) -> tuple[list[str], set[tuple[str, str]]]:
    graph = chain.get_graph()  # type: ignore[attr-defined]
    names = {node.id: node.name for node in graph.nodes.values()}
    return list(names.values()), {(names[e.source], names[e.target]) for e in graph.edges}


def test_sequence_with_a_parallel_step() -> None:
    """A sequence drops its steps' inner input/output nodes; a parallel step fans out from
    one Parallel<keys>Input node and back into one Parallel<keys>Output node."""

    def double(x: int) -> list[int]:
        return [x] * 2

    chain = RunnableLambda(lambda x: {"foo": x}) | RunnableParallel(
        second=RunnableLambda(double), third=RunnableLambda(str)
    )
    names, edges = _names(chain)
    assert names[0] == "LambdaInput"
    assert names.count("Parallel<second,third>Input") == 1
    assert ("Parallel<second,third>Input", "double") in edges
    assert ("str", "Parallel<second,third>Output") in edges
    assert ("LambdaInput", 'Lambda(lambda x: {"foo": x})') in edges
    graph = chain.get_graph()
    assert graph.first_node() is not None and graph.first_node().name == "LambdaInput"
    assert graph.last_node() is not None
    assert graph.last_node().name == "Parallel<second,third>Output"
    drawn = graph.draw_ascii()
    assert "| double |   | str |" in drawn or "| str |   | double |" in drawn


def test_single_runnable_and_bindings() -> None:
    """One runnable is input -> itself -> output; a binding shows what it wraps."""
    prompt = PromptTemplate.from_template("{x}")
    names, edges = _names(prompt.with_config(tags=["t"]))
    assert names == ["PromptTemplateInput", "PromptTemplate", "PromptTemplateOutput"]
    assert len(edges) == 2


def test_get_prompts_finds_prompts_behind_an_assign() -> None:
    """get_prompts lists the chain's prompt templates in order, assign branches included."""
    first = ChatPromptTemplate.from_messages([("system", "good ai"), ("human", "{input}")])
    second = PromptTemplate.from_template("{input} {extra}")
    fake = RunnableLambda(lambda prompt: "i am good ai")
    chain = first.assign(extra=fake) | second | fake
    assert chain.get_prompts() == [first, second]
    names, _ = _names(RunnablePassthrough.assign(extra=fake))
    assert "Passthrough" in names and "Parallel<extra>Input" in names
