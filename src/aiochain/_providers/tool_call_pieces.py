"""Tool calls of a streamed answer: the pieces each event adds (LangChain's
`tool_call_chunks`) and the whole calls once the stream has ended."""

from __future__ import annotations

from .._types import JSONDict
from ..messages import parse_tool_calls


def lengths(calls: dict[int, JSONDict] | None) -> dict[int, int]:
    """How much of each tool call's arguments has arrived so far."""
    return {index: len(call.get("args", "")) for index, call in (calls or {}).items()}


def new_pieces(calls: dict[int, JSONDict] | None, seen: dict[int, int]) -> list[JSONDict]:
    """The tool-call pieces one event added: new calls (with id and name), new argument text."""
    out = []
    for index, call in (calls or {}).items():
        args = call.get("args", "")
        start = seen.get(index)
        if start is None:
            out.append(
                {"name": call.get("name"), "args": args, "id": call.get("id"), "index": index}
            )
        elif len(args) > start:
            out.append({"name": None, "args": args[start:], "id": None, "index": index})
    return out


def streamed_tool_calls(calls: dict[int, JSONDict]) -> list[JSONDict]:
    """The whole tool calls gathered from a stream, as `AIMessage.tool_calls`."""
    return parse_tool_calls(
        [
            {"id": c.get("id"), "function": {"name": c.get("name"), "arguments": c["args"]}}
            for _, c in sorted(calls.items())
        ]
    )


__all__ = ["lengths", "new_pieces", "streamed_tool_calls"]
