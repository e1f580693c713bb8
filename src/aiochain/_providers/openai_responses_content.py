"""A Responses answer as an `AIMessage`'s content, in each of langchain-openai's
`output_version`s, for whole answers (`answer_content`) and streams (`StreamBlocks`).

- None or "responses/v1" (langchain-openai's default on this API): content is the list of
  the response's output items: each `output_text` part as `{"type": "text", "text",
  "annotations", "id"}` (the id is its message item's), refusals as `{"type": "refusal"}`,
  and `function_call`, `reasoning` and built-in tool items as the API sent them. The
  message's `id` is the response's.
- "v0" (langchain-openai 0.3's shape): text blocks without ids (the message item's id is the
  message's `id`); the reasoning item in `additional_kwargs["reasoning"]`, built-in tool items
  in `additional_kwargs["tool_outputs"]`, a refusal in `additional_kwargs["refusal"]`.
- "v1" (LangChain's provider-independent standard): `content_blocks` of the "responses/v1"
  content (text, reasoning, tool calls; unknown items as `non_standard`).

Streams carry the same blocks in pieces, each with an `index` (one per output item part, in
order of appearance) that `chunk + chunk` merges on.
"""

from __future__ import annotations

from typing import Any

from .._types import JSONDict
from ..messages.content import MessageContent
from ..messages.standard import standard_blocks

# Output items of built-in tools (web search, file search, ...), which v0 keeps apart.
TOOL_ITEMS = frozenset(
    {
        "web_search_call", "file_search_call", "computer_call", "code_interpreter_call",
        "mcp_call", "mcp_list_tools", "mcp_approval_request", "image_generation_call",
        "tool_search_call", "tool_search_output", "apply_patch_call", "apply_patch_call_output",
        "custom_tool_call", "compaction",
    }
)  # fmt: skip
FUNCTION_CALL_IDS = "__openai_function_call_ids__"
"""langchain-openai's `additional_kwargs` key (v0) mapping each call id to its item id."""


def answer_blocks(output: list[JSONDict]) -> list[JSONDict]:
    """The "responses/v1" blocks of a response's (already checked) output items."""
    blocks: list[JSONDict] = []
    for item in output:
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or ():
                if part.get("type") == "output_text":
                    annotations = part.get("annotations")
                    blocks.append(
                        {
                            "type": "text",
                            "text": part["text"],
                            "annotations": annotations if isinstance(annotations, list) else [],
                            "id": item.get("id"),
                        }
                    )
                elif part.get("type") == "refusal":
                    refusal = str(part.get("refusal") or "")
                    blocks.append({"type": "refusal", "refusal": refusal, "id": item.get("id")})
        elif isinstance(kind, str):
            blocks.append(dict(item))  # function calls, reasoning, built-in tools: as sent
    return blocks


def answer_content(
    data: JSONDict, output_version: str | None, tool_calls: list[dict[str, Any]]
) -> tuple[MessageContent, dict[str, Any], str | None]:
    """(content, additional_kwargs, message id) of a checked response object."""
    blocks = answer_blocks(data["output"])
    if output_version == "v0":
        return v0_content(blocks)
    if output_version == "v1":
        return standard_blocks(blocks, tool_calls), {}, data.get("id")
    return blocks, {}, data.get("id")


def v0_content(blocks: list[JSONDict]) -> tuple[MessageContent, dict[str, Any], str | None]:
    """ "responses/v1" blocks in langchain-openai 0.3's shape (see the module docstring)."""
    content: list[Any] = []
    extra: dict[str, Any] = {}
    message_id: str | None = None
    for block in blocks:
        kind = block.get("type")
        if kind == "reasoning":
            extra["reasoning"] = {k: v for k, v in block.items() if k != "index"}
        elif kind in TOOL_ITEMS:
            extra.setdefault("tool_outputs", []).append(block)
        elif kind == "function_call":
            if block.get("call_id") and block.get("id"):
                extra.setdefault(FUNCTION_CALL_IDS, {})[block["call_id"]] = block["id"]
        elif kind == "refusal":
            if block.get("refusal"):
                extra["refusal"] = block["refusal"]
        elif kind == "text":
            message_id = block.get("id") or message_id
            content.append({k: v for k, v in block.items() if k != "id"})
        elif kind is not None:
            content.append(block)
    return content, extra, message_id


class StreamBlocks:
    """One stream's content pieces: `blocks(event)` gives the blocks of one event (None for
    an event that adds none), keeping the running `index` of each output part."""

    __slots__ = ("_indices", "output_version")

    def __init__(self, output_version: str | None) -> None:
        self.output_version = output_version
        self._indices: dict[tuple[Any, Any], int] = {}

    def _index(self, event: JSONDict, part: Any = 0) -> int:
        key = (event.get("output_index"), part)
        return self._indices.setdefault(key, len(self._indices))

    def blocks(self, event: JSONDict) -> list[JSONDict] | None:
        kind = event.get("type")
        v0, v1 = self.output_version == "v0", self.output_version == "v1"
        if kind == "response.output_text.delta":
            index = self._index(event, event.get("content_index"))
            return [{"type": "text", "text": event["delta"], "index": index}]
        if kind == "response.output_text.done" and not v0:
            index = self._index(event, event.get("content_index"))
            return [{"type": "text", "text": "", "id": event.get("item_id"), "index": index}]
        if kind == "response.output_text.annotation.added" and not v1:
            index = self._index(event, event.get("content_index"))
            annotation = event.get("annotation")
            return [{"type": "text", "annotations": [annotation], "index": index}]
        if kind == "response.output_item.added":
            return self._item_added(event, event.get("item"), v0, v1)
        if kind == "response.output_item.done":
            item = event.get("item")
            if not isinstance(item, dict) or item.get("type") not in TOOL_ITEMS:
                return None
            # Every item takes its place in the count, also where v0 shows it elsewhere.
            block = {**item, "index": self._index(event)}
            if v0:
                return None
            return [{"type": "non_standard", "value": block}] if v1 else [block]
        if kind == "response.function_call_arguments.delta" and not v0:
            index = self._index(event)
            if v1:
                return [{"type": "tool_call_chunk", "args": event["delta"], "index": index}]
            return [{"type": "function_call", "arguments": event["delta"], "index": index}]
        if kind == "response.reasoning_summary_text.delta" and not v0:
            index = self._index(event)
            if v1:
                return [{"type": "reasoning", "reasoning": event.get("delta"), "index": index}]
            piece = {"index": event.get("summary_index"), "type": "summary_text"}
            piece["text"] = event.get("delta")
            return [{"type": "reasoning", "summary": [piece], "index": index}]
        return None

    def _item_added(self, event: JSONDict, item: Any, v0: bool, v1: bool) -> list[JSONDict] | None:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in ("function_call", "reasoning") or not isinstance(item, dict):
            return None
        index = self._index(event)  # counted in every version, as langchain-openai counts it
        if v0:
            return None
        if kind == "function_call":
            if v1:
                return [
                    {"type": "tool_call_chunk", "name": item.get("name"), "args": "",
                     "id": item.get("call_id"), "index": index}
                ]  # fmt: skip
            block = {k: item[k] for k in ("type", "name", "call_id", "id") if k in item}
            return [{**block, "arguments": "", "index": index}]
        if v1:
            return None
        block = {k: v for k, v in item.items() if k != "encrypted_content"}
        return [{**block, "index": index}]


__all__ = [
    "FUNCTION_CALL_IDS",
    "TOOL_ITEMS",
    "StreamBlocks",
    "answer_blocks",
    "answer_content",
    "v0_content",
]
