"""Streaming, as every model client does it: one request's events through the pipeline,
read into text and tool-call pieces by the provider's hooks (`_event_text`, `_event_started`,
`_event_metadata`), as LangChain's `AIMessageChunk`s for chat models, or collected whole for
`on_token=`. A mixin of `ModelClient`, which adds the public `astream`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from .._exceptions import BadResponseError, ConfigurationError, IncompleteStreamError
from .._pipeline.pipeline import RequestPipeline, StreamOutcome
from .._types import JSONDict, Usage
from ..messages import AIMessage, AIMessageChunk, usage_metadata_of
from ..outputs import ChatGeneration, Generation
from ..prompts import LanguageModelInput
from .tool_call_pieces import lengths, new_pieces, streamed_tool_calls


class ModelStreaming:
    """The streaming half of `ModelClient` (see the module docstring)."""

    _path: str
    _stream_path: str | None = None  # where streams go, when not `_path` (Gemini's)
    _pipeline: RequestPipeline
    _streams_chunks: ClassVar[bool] = False
    _streams_blocks: ClassVar[bool] = False  # chunks' content is a list of blocks (Responses)
    # Whether the answer's id stays in response_metadata too (the Responses API's, as
    # langchain-openai keeps it there for `previous_response_id`), besides the message's id.
    _id_in_metadata: ClassVar[bool] = False
    base_url: str
    model: str
    on_token: Any

    @property
    def _where(self) -> str:
        """The URL of this model's requests as errors show it (key-like query values of the
        base URL redacted)."""
        return self._pipeline.transport.shown(self._path)

    def _payload(self, input: LanguageModelInput) -> JSONDict:
        raise NotImplementedError

    def _call_fields(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _event_text(self, event: JSONDict, tool_calls: dict[int, JSONDict] | None) -> str | None:
        """The text of one stream event ("" for a part of the answer without text, None for
        an event that is no part of it), gathering tool-call pieces into `tool_calls`."""
        raise NotImplementedError

    def _event_started(self, event: JSONDict) -> bool:
        """Whether a stream event carries content (text or a tool call): from then on the
        caller holds part of the answer and the stream is no longer retried."""
        raise NotImplementedError

    def _event_metadata(self, event: JSONDict, outcome: StreamOutcome) -> None:
        """Note what a stream event says of the answer in `outcome`: its metadata (model,
        finish reason) and, for a provider streaming content as blocks, the event's blocks."""

    def _answer_events(self, answer: JSONDict) -> list[JSONDict]:
        """The stream events that carry a whole answer, for a server that answered a stream
        request with one JSON answer. As it is by default: the answers and the stream
        events of OpenAI's completions and Gemini have the same shape."""
        self._check_answer(answer)
        return [answer]

    def _check_answer(self, data: JSONDict) -> None:
        raise NotImplementedError

    async def _astream_payload(
        self, payload: JSONDict, outcome: StreamOutcome | None = None, *, pieces: bool = False
    ) -> AsyncIterator[tuple[str, list[JSONDict]]]:
        """Stream one request through the pipeline: `(text, tool-call pieces)` for each event
        that is part of the answer (text may be ""; the pieces, only with `pieces`, are
        LangChain's `tool_call_chunks` of that event).

        A failure before the first piece of content is retried like any request; after it,
        the error is raised with the text received so far (`IncompleteStreamError.partial`).
        `outcome`, when given, receives this stream's usage, tool calls and metadata.
        """
        if payload.get("n", 1) != 1:
            raise ConfigurationError("streaming supports n=1 only")
        if pieces and outcome is None:
            outcome = StreamOutcome()
        parts: list[str] = []
        answered = False  # whether any event carried part of an answer
        tool_calls = outcome.tool_calls if outcome is not None else None
        events = self._pipeline.stream(
            self._stream_path or self._path,
            payload,
            started=self._event_started,
            outcome=outcome,
            answer_events=self._answer_events,
        )
        event_text = self._event_text
        try:
            async for event in events:
                seen = lengths(tool_calls) if pieces else None
                text = event_text(event, tool_calls)
                if text is None:
                    continue
                answered = True
                if outcome is not None:
                    self._event_metadata(event, outcome)
                if text:
                    parts.append(text)
                yield text, new_pieces(tool_calls, seen) if seen is not None else []
            if not answered:
                raise BadResponseError(
                    f"{self._where} streamed no answer at all: an empty answer"
                )
        except IncompleteStreamError as exc:
            exc.partial = "".join(parts)
            raise
        finally:
            await events.aclose()

    async def _astream_chunks(
        self, input: LanguageModelInput, kwargs: Mapping[str, Any]
    ) -> AsyncIterator[AIMessageChunk]:
        """A chat model's stream as LangChain's: `AIMessageChunk`s of text and tool-call
        pieces, then a last chunk carrying `usage_metadata` and `response_metadata` (model,
        finish reason). `chunk + chunk` joins them; `StrOutputParser` turns them into text."""
        payload = self._stream_request(input)
        payload.update(self._call_fields(kwargs))
        outcome = StreamOutcome()
        async for text, calls in self._astream_payload(payload, outcome, pieces=True):
            blocks = outcome.blocks
            if blocks is not None:  # content streamed as blocks (OpenAI's Responses)
                outcome.blocks = None
                yield AIMessageChunk(blocks, tool_call_chunks=calls, id=outcome.metadata.get("id"))
            elif text or calls:
                yield AIMessageChunk(text, tool_call_chunks=calls, id=outcome.metadata.get("id"))
        metadata = {"model_name": self.model, **outcome.metadata}
        answer_id = metadata.get("id") if self._id_in_metadata else metadata.pop("id", None)
        yield AIMessageChunk(
            [] if self._streams_blocks else "",
            usage_metadata=usage_metadata_of(outcome.usage),
            response_metadata=metadata,
            id=answer_id,
            additional_kwargs=self._stream_extra(outcome),
            chunk_position="last",  # as LangChain marks a stream's last chunk
        )

    def _stream_extra(self, outcome: StreamOutcome) -> dict[str, Any] | None:
        """What the last chunk of a stream adds to `additional_kwargs` (None: nothing)."""
        return None

    def _stream_request(self, input: LanguageModelInput) -> JSONDict:
        payload = self._payload(input)
        payload["stream"] = True
        return payload

    async def _collect_stream(
        self, input: LanguageModelInput, outcome: StreamOutcome
    ) -> tuple[str, Usage]:
        """The whole answer, streamed piece by piece to `on_token` (which is set)."""
        on_token = self.on_token
        assert on_token is not None
        parts = []
        async for text, _ in self._astream_payload(self._stream_request(input), outcome):
            if text:
                on_token(text)
                parts.append(text)
        return "".join(parts), outcome.usage or Usage(requests=1)

    def _streamed_generation(self, text: str, usage: Usage, outcome: StreamOutcome) -> Generation:
        """The generation of a streamed answer: a message with its tool calls (chat models)."""
        if not self._streams_chunks:
            return Generation(text=text, generation_info=dict(outcome.metadata))
        metadata = {"model_name": self.model, **outcome.metadata}
        message = AIMessage(
            text,
            usage=usage,
            response_metadata=metadata,
            tool_calls=streamed_tool_calls(outcome.tool_calls),
            id=metadata.get("id") if self._id_in_metadata else metadata.pop("id", None),
        )
        return ChatGeneration(text=text, generation_info=dict(outcome.metadata), message=message)


__all__ = ["ModelStreaming"]
