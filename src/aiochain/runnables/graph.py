"""`runnable.get_graph()`: the steps of a composed runnable as a graph, drawn in ASCII.

As LangChain's `Runnable.get_graph()` builds it: a runnable is an input node, itself and an
output node; a sequence joins its steps' graphs (dropping the inner input and output nodes); a
parallel step fans out from one `Parallel<keys>Input` node to its branches and back into one
`Parallel<keys>Output`; bindings, retries and configured copies show what they wrap; an
assign shows its passthrough beside its branches. `get_prompts()` lists the prompt nodes.

`print_ascii()` draws the nodes in layers (each node below everything it depends on), in
boxes joined by `*` lines; LangChain lays the same graph out with the optional grandalf
package, so the drawing differs, not the nodes and edges.

This module reads runnables by their attributes (`steps`, `bound`, `mapper`, `func`), not by
class, so it imports no runnable module and any of them may import it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Node:
    """One node: an id, the name drawn, and the runnable (or None for input/output nodes)."""

    id: str
    name: str
    data: Any = None


@dataclass(frozen=True)
class Edge:
    """An edge from the node with id `source` to the node with id `target`."""

    source: str
    target: str


@dataclass
class Graph:
    """Nodes by id, in the order added, and the edges between them."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def add_node(self, name: str, data: Any = None) -> Node:
        """A new node, with an id unique in this graph."""
        node = Node(str(len(self.nodes)), name, data)
        self.nodes[node.id] = node
        return node

    def add_edge(self, source: Node, target: Node) -> None:
        self.edges.append(Edge(source.id, target.id))

    def first_node(self) -> Node | None:
        """The node no edge enters (the input), when there is exactly one."""
        entered = {edge.target for edge in self.edges}
        starts = [node for node in self.nodes.values() if node.id not in entered]
        return starts[0] if len(starts) == 1 else None

    def last_node(self) -> Node | None:
        """The node no edge leaves (the output), when there is exactly one."""
        left = {edge.source for edge in self.edges}
        ends = [node for node in self.nodes.values() if node.id not in left]
        return ends[0] if len(ends) == 1 else None

    def draw_ascii(self) -> str:
        """The graph as text: layers of boxed node names joined by `*` lines."""
        return _draw(self)

    def print_ascii(self) -> None:
        """Print `draw_ascii()`."""
        print(self.draw_ascii())


def graph_of(runnable: Any) -> Graph:
    """The graph of `runnable`: its input node, its steps, its output node."""
    graph = Graph()
    entry = _end_name(runnable, "Input")
    entry_node = graph.add_node(entry) if entry else None
    first, last = _add_steps(graph, runnable)
    if entry_node is not None:
        graph.add_edge(entry_node, first)
    exit_ = _end_name(runnable, "Output")
    if exit_:
        graph.add_edge(last, graph.add_node(exit_))
    return graph


def prompts_of(runnable: Any) -> list[Any]:
    """The prompt templates among `runnable`'s nodes, in order."""
    return [
        node.data
        for node in graph_of(runnable).nodes.values()
        if getattr(node.data, "run_type", None) == "prompt"
    ]


def _end_name(runnable: Any, which: str) -> str | None:
    """The name of the input (or output) node a graph of `runnable` starts (ends) with, or
    None when its own first (last) node is that: a parallel step's fan-out (fan-in)."""
    steps = getattr(runnable, "steps", None)
    if isinstance(steps, list) and steps:
        return _end_name(steps[0] if which == "Input" else steps[-1], which)
    if (isinstance(steps, dict) and steps) or _assigned(runnable) is not None:
        return None
    bound = _bound(runnable)
    if bound is not None:
        return _end_name(bound, which)
    return _name(runnable, source=False) + which


def _add_steps(graph: Graph, runnable: Any) -> tuple[Node, Node]:
    """Add `runnable`'s nodes but its input and output; return the first and last added."""
    steps = getattr(runnable, "steps", None)
    if isinstance(steps, list) and steps:  # a sequence
        first, last = _add_steps(graph, steps[0])
        for step in steps[1:]:
            head, tail = _add_steps(graph, step)
            graph.add_edge(last, head)
            last = tail
        return first, last
    assigned = _assigned(runnable)
    if (isinstance(steps, dict) and steps) or assigned is not None:  # parallel, or an assign
        branches: dict[str, Any] = dict(assigned if assigned is not None else steps or {})
        keys = ",".join(branches)
        fan_in = graph.add_node(f"Parallel<{keys}>Input")
        if assigned is not None:
            branches = {"": _PASSTHROUGH, **branches}
        added = [_add_steps(graph, step) for step in branches.values()]
        fan_out = graph.add_node(f"Parallel<{keys}>Output")
        for head, tail in added:
            graph.add_edge(fan_in, head)
            graph.add_edge(tail, fan_out)
        return fan_in, fan_out
    bound = _bound(runnable)
    if bound is not None:  # a binding, retry or configured copy shows what it wraps
        return _add_steps(graph, bound)
    if runnable is _PASSTHROUGH:
        node = graph.add_node("Passthrough")
    else:
        node = graph.add_node(_name(runnable), runnable)
    return node, node


_PASSTHROUGH = object()


def _assigned(runnable: Any) -> dict[str, Any] | None:
    """The branches of an assign (`RunnablePassthrough.assign`, `runnable.assign`)."""
    mapper = getattr(runnable, "mapper", None)
    steps = getattr(mapper, "steps", None)
    return steps if isinstance(steps, dict) else None


def _bound(runnable: Any) -> Any:
    bound = getattr(runnable, "bound", None)
    return bound if bound is not None and hasattr(bound, "ainvoke") else None


def _name(runnable: Any, *, source: bool = True) -> str:
    """The name LangChain draws: a lambda's source (`source`), a function's name, else the
    runnable's name without its `Runnable` prefix."""
    func = getattr(runnable, "func", None)
    if callable(func) and getattr(runnable, "name", None) in (None, "", "RunnableLambda"):
        if getattr(func, "__name__", "") == "<lambda>":
            text = _lambda_source(func) if source else None
            return f"Lambda({text})" if text else "Lambda"
        return str(getattr(func, "__name__", "Lambda"))
    get_name = getattr(runnable, "get_name", None)
    name = str(get_name()) if callable(get_name) else type(runnable).__name__
    return name[len("Runnable") :] if name.startswith("Runnable") and len(name) > 8 else name


def _lambda_source(func: Any) -> str | None:
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source if not source.startswith((".", ")")) else "(" + source)
    except (OSError, TypeError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda):
            return ast.get_source_segment(source, node)
    return None


def _draw(graph: Graph) -> str:
    layer: dict[str, int] = {}
    for node_id in graph.nodes:  # longest path from an input (the graph has no cycles)
        layer[node_id] = 0
    for _ in graph.nodes:
        for edge in graph.edges:
            layer[edge.target] = max(layer[edge.target], layer[edge.source] + 1)
    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node_id, node in graph.nodes.items():
        rows[layer[node_id]].append(node.name)
    drawn = [_boxes(names) for names in rows]
    width = max((len(line) for block in drawn for line in block), default=0)
    lines: list[str] = []
    for position, block in enumerate(drawn):
        if position:
            lines.extend(["*".center(width).rstrip()] * 3)
        lines.extend(line.center(width).rstrip() for line in block)
    return "\n".join(lines)


def _boxes(names: list[str]) -> list[str]:
    """Names boxed side by side, three lines."""
    rules = ["+" + "-" * (len(name) + 2) + "+" for name in names]
    middles = [f"| {name} |" for name in names]
    gap = "   "
    return [gap.join(rules), gap.join(middles), gap.join(rules)]


__all__ = ["Edge", "Graph", "Node", "graph_of", "prompts_of"]
