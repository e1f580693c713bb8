"""LangChain's standard content blocks (`message.content_blocks`, and `output_version="v1"`):
one provider-independent view of a message's content, as langchain-core 1.x derives it.

Text blocks keep their text and id, OpenAI's annotations as `citation`s (annotations already
standard, `citation` and `non_standard_annotation`, as they are); OpenAI's reasoning items
become one `reasoning` block per summary part; function-call items become `tool_call`s (from
the message's parsed tool calls); built-in tool items become a `server_tool_call` and its
`server_tool_result`; images are `image` blocks; anything else is `non_standard`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

# Blocks already in the standard's shape, kept as they are (langchain-core's
# KNOWN_BLOCK_TYPES less those read here; a `citation` is an annotation, not a block, so one
# standing alone in the content is `non_standard`, as there).
_STANDARD = frozenset(
    {"image", "audio", "file", "video", "text-plain", "tool_call", "tool_call_chunk",
     "invalid_tool_call", "server_tool_call", "server_tool_call_chunk", "server_tool_result",
     "non_standard"}
)  # fmt: skip
# Annotations already in the standard's shape, kept as they are.
_STANDARD_ANNOTATIONS = frozenset({"citation", "non_standard_annotation"})
_CITATION_FIELDS = ("end_index", "start_index", "title")
_SERVER_TOOLS = {
    "web_search_call": ("web_search", "lc_wsc"),
    "file_search_call": ("file_search", "lc_fsc"),
    "code_interpreter_call": ("code_interpreter", "lc_cic"),
    "mcp_call": ("remote_mcp", "lc_mcp"),
}


def message_blocks(message: Any) -> list[dict[str, Any]]:
    """A message's `content_blocks`, by langchain-core's rules (`AIMessage.content_blocks`,
    `AIMessageChunk.content_blocks` and, for OpenAI answers, its OpenAI translator).

    - content already standard (`output_version="v1"`, a list): as it is;
    - an OpenAI answer (`model_provider="openai"`) with text content: the text, then a
      `tool_call` per valid tool call (a chunk not `chunk_position="last"`: a
      `tool_call_chunk` per piece), then its `refusal`;
    - an OpenAI answer with blocks: the blocks read (function calls in place), nothing added;
    - any other message: the blocks read, then a `tool_call` for each valid call with an id
      that no block holds; a chunk with no content but tool-call pieces gives those pieces as
      `tool_call_chunk`s instead; `additional_kwargs["reasoning_content"]` leads as a
      `reasoning` block when none is there.
    """
    content, meta = message.content, message.response_metadata
    if meta.get("output_version") == "v1" and isinstance(content, list):
        return list(content)
    calls: list[dict[str, Any]] = getattr(message, "tool_calls", None) or []
    valid = [call for call in calls if "error" not in call]
    pieces: list[dict[str, Any]] | None = getattr(message, "tool_call_chunks", None)
    if pieces is not None and getattr(message, "chunk_position", None) == "last":
        pieces = None  # a stream's last chunk (or their sum) holds whole calls
    openai = meta.get("model_provider") == "openai"
    if openai and isinstance(content, str):
        blocks: list[dict[str, Any]] = [{"type": "text", "text": content}] if content else []
        if pieces is not None:
            blocks += map(_piece_block, pieces)
        else:
            blocks += ({"type": "tool_call", "name": call["name"], "args": call["args"],
                        "id": call.get("id")} for call in valid)  # fmt: skip
        if refusal := message.additional_kwargs.get("refusal"):
            blocks.append({"type": "refusal", "refusal": refusal})
        return blocks
    items = from_v0(message) or ([content] if isinstance(content, str) else content)
    streamed = pieces[0] if pieces is not None and len(pieces) == 1 else None
    blocks = list(_blocks(items or (), calls, streamed))
    if openai:
        return blocks
    blocks += _missing_calls(blocks, valid)
    if pieces and not message.content:
        blocks = [b for b in blocks if b.get("type") not in ("tool_call", "invalid_tool_call")]
        blocks += map(_piece_block, pieces)
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and not any(b.get("type") == "reasoning" for b in blocks):
        blocks.insert(0, {"type": "reasoning", "reasoning": reasoning})
    return blocks


def standard_blocks(content: Any, tool_calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The standard blocks of a content (a string or provider blocks) and its tool calls:
    the blocks read, then a `tool_call` for each valid call with an id no block holds."""
    items = [content] if isinstance(content, str) else content
    blocks = list(_blocks(items or (), tool_calls))
    return blocks + _missing_calls(blocks, [c for c in tool_calls if "error" not in c])


def _missing_calls(
    blocks: list[dict[str, Any]], calls: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A `tool_call` block for each call with an id that no `tool_call` block has (with the
    call's `index` and `extras` when it has them), as langchain-core adds them."""
    present = {b.get("id") for b in blocks if b.get("type") == "tool_call"}
    missing = []
    for call in calls:
        if call.get("id") and call["id"] not in present:
            made = {"type": "tool_call", "id": call["id"], "name": call.get("name"),
                    "args": call.get("args")}  # fmt: skip
            made.update({k: call[k] for k in ("index", "extras") if k in call})
            missing.append(made)
    return missing


def _piece_block(piece: dict[str, Any]) -> dict[str, Any]:
    """A tool-call piece of a stream as a `tool_call_chunk` block (no `index` when None)."""
    block = {"type": "tool_call_chunk", "id": piece.get("id"), "name": piece.get("name"),
             "args": piece.get("args")}  # fmt: skip
    if piece.get("index") is not None:
        block["index"] = piece["index"]
    return block


# The order langchain-openai 0.3 (v0) answers' parts are put back in before reading.
_V0_ORDER = ("reasoning", "code_interpreter_call", "mcp_call", "image_generation_call", "text",
             "refusal", "function_call", "computer_call", "mcp_list_tools",
             "mcp_approval_request")  # fmt: skip
_V0_KEYS = ("reasoning", "tool_outputs", "refusal", "__openai_function_call_ids__")


def from_v0(message: Any) -> list[Any] | None:
    """The content of an OpenAI Responses answer in langchain-openai 0.3's shape (v0: text
    blocks, the rest in `additional_kwargs`) put back as its output items, as langchain-core
    reads it; None for any other message."""
    content, extra = message.content, message.additional_kwargs
    if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
        return None
    ident, response_id = message.id, message.response_metadata.get("id")
    from_msg = isinstance(ident, str) and ident.startswith("msg_")
    if not any(key in extra for key in _V0_KEYS) and not (
        from_msg and isinstance(response_id, str) and response_id.startswith("resp_")
    ):
        return None
    buckets: dict[str, list[Any]] = {key: [] for key in _V0_ORDER}
    unknown: list[Any] = []
    if reasoning := extra.get("reasoning"):
        buckets["reasoning"].append({"type": "reasoning", **reasoning})
    if refusal := extra.get("refusal"):
        buckets["refusal"].append({"type": "refusal", "refusal": refusal})
    for block in content:
        if block.get("type") == "text":
            buckets["text"].append({**block, "id": ident} if from_msg else dict(block))
        else:
            unknown.append(block)
    item_ids = extra.get("__openai_function_call_ids__") or {}
    for call in message.tool_calls:
        made = {"type": "function_call", "name": call["name"],
                "arguments": json.dumps(call.get("args"), ensure_ascii=False),
                "call_id": call["id"]}  # fmt: skip
        if item_ids.get(call["id"]):
            made["id"] = item_ids[call["id"]]
        buckets["function_call"].append(made)
    for block in extra.get("tool_outputs") or ():
        kind = block.get("type") if isinstance(block, dict) else None
        buckets.get(str(kind), unknown).append(block)
    return [block for key in _V0_ORDER for block in buckets[key]] + unknown


def _blocks(
    items: Any, tool_calls: list[dict[str, Any]], streamed: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Each item read; `streamed`: a chunk's one tool-call piece, which its function-call
    item stands for."""
    for raw in items:
        if isinstance(raw, str):
            if raw:
                yield {"type": "text", "text": raw}
            continue
        if not isinstance(raw, dict):
            continue
        block = dict(raw)
        kind = block.get("type")
        if kind == "text":
            block.setdefault("text", "")
            if isinstance(block.get("annotations"), list):
                block["annotations"] = [_annotation(a) for a in block["annotations"]]
            if "index" in block:
                block["index"] = f"lc_txt_{block['index']}"
            yield block
        elif kind == "reasoning":
            yield from _reasoning(block)
        elif kind == "refusal":
            yield {"type": "refusal", "refusal": block.get("refusal", ""),
                   **{k: block[k] for k in ("id", "index") if k in block}}  # fmt: skip
        elif kind == "function_call":
            made = _function_call(block, tool_calls, streamed)
            if made is not None:
                yield made
        elif kind == "image_url":
            url = block.get("image_url")
            yield {"type": "image", "url": url.get("url") if isinstance(url, dict) else url}
        elif kind == "image_generation_call" and block.get("result"):
            yield {"type": "image", "base64": block["result"],
                   **({"id": block["id"]} if "id" in block else {})}  # fmt: skip
        elif kind in _SERVER_TOOLS:
            yield from _server_tool(block, *_SERVER_TOOLS[kind])
        elif kind in _STANDARD:
            yield block
        else:
            yield {"type": "non_standard", "value": block}


def _function_call(
    block: dict[str, Any], tool_calls: list[dict[str, Any]], streamed: dict[str, Any] | None
) -> dict[str, Any] | None:
    """A function-call item as the `tool_call` (or `invalid_tool_call`) it was parsed into;
    in a chunk with one tool-call piece, as that piece's `tool_call_chunk`."""
    if streamed is not None:
        made: dict[str, Any] = {"type": "tool_call_chunk", **streamed}
    else:
        call_id = block.get("call_id")
        call = next((c for c in tool_calls if call_id and c.get("id") == call_id), None)
        if call is None:
            return None
        if "error" in call:  # arguments that are not a JSON object: kept as their text
            made = {"type": "invalid_tool_call", "name": call.get("name"),
                    "args": call.get("arguments"), "id": call.get("id"),
                    "error": call.get("error")}  # fmt: skip
        else:
            made = {"type": "tool_call", "name": call.get("name"), "args": call["args"],
                    "id": call.get("id")}  # fmt: skip
    extras = {"item_id": block["id"]} if "id" in block else {}
    if "index" in block:
        made["index"] = f"lc_tc_{block['index']}"
    extras.update({k: block[k] for k in ("status", "namespace", "async") if k in block})
    return {**made, "extras": extras} if extras else made


def _annotation(annotation: Any) -> Any:
    """An OpenAI annotation as a standard one (`url_citation`, `file_citation` as a
    `citation`); one already standard as it is; any other as a `non_standard_annotation`."""
    if not isinstance(annotation, dict):
        return annotation
    kind = annotation.get("type")
    if kind in _STANDARD_ANNOTATIONS:
        return annotation
    if kind == "url_citation":
        known = {"type", "url", "title", "cited_text", "start_index", "end_index"}
        cited: dict[str, Any] = {k: annotation[k] for k in _CITATION_FIELDS if k in annotation}
        cited.update(type="citation", url=annotation.get("url"))
    elif kind == "file_citation":
        known = {"type", "title", "cited_text", "start_index", "end_index", "filename"}
        cited = {"type": "citation"}
        if "filename" in annotation:
            cited["title"] = annotation["filename"]
    else:
        return {"type": "non_standard_annotation", "value": annotation}
    extras = {k: v for k, v in annotation.items() if k not in known}
    return {**cited, "extras": extras} if extras else cited


def _reasoning(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """An OpenAI reasoning item as one block per summary part (none: one without text)."""
    if "summary" not in block:
        yield block
        return
    known = {"type", "reasoning", "id", "index"}
    extras = {k: v for k, v in block.items() if k != "summary" and k not in known}
    common = {k: v for k, v in block.items() if k in known}
    summary = block["summary"] if isinstance(block["summary"], list) else []
    if not summary:
        if "index" in common:
            common["index"] = _reasoning_index(common["index"], 0)
        yield {**common, "extras": extras} if extras else common
        return
    for number, part in enumerate(summary):
        made = {**common, "reasoning": part.get("text", "") if isinstance(part, dict) else ""}
        if number == 0 and extras:
            made["extras"] = extras
        if "index" in made:
            place = part.get("index", 0) if isinstance(part, dict) else 0
            made["index"] = _reasoning_index(made["index"], place)
        yield made


def _reasoning_index(index: Any, part: Any) -> str:
    # langchain-core's spelling, so streamed summary parts never merge across items.
    return "lc_rs_" + f"{index}_{part}".encode().hex()


def _server_tool(block: dict[str, Any], name: str, prefix: str) -> Iterator[dict[str, Any]]:
    """A built-in tool's item as its call and its result."""
    action = block.get("action") if isinstance(block.get("action"), dict) else None
    if block.get("type") == "file_search_call":
        args: dict[str, Any] = {"queries": block.get("queries", [])}
    else:
        args = {k: v for k, v in action.items() if k != "sources"} if action else {}
    call = {"type": "server_tool_call", "name": name, "args": args, "id": block.get("id")}
    if "index" in block:
        call["index"] = f"{prefix}_{block['index']}"
    skip = {"type", "id", "action", "status", "index", "queries", "results"}
    call.update({k: v for k, v in block.items() if k not in skip})
    yield call
    result: dict[str, Any] = {"type": "server_tool_result", "tool_call_id": block.get("id")}
    sources = action.get("sources") if action else None
    if sources:
        result["output"] = {"sources": sources}
    status = block.get("status")
    if status in ("completed", "failed"):
        result["status"] = "success" if status == "completed" else "error"
    elif status:
        result["extras"] = {"status": status}
    yield result


__all__ = ["from_v0", "message_blocks", "standard_blocks"]
