"""Embeddings with LangChain's API: `OpenAIEmbeddings` and `AzureOpenAIEmbeddings`.

`embed_documents` / `aembed_documents` / `embed_query` / `aembed_query`, as in
`langchain_openai`, with what LangChain's lacks for bulk work:

- texts are packed into requests up to OpenAI's limits (`chunk_size` inputs, at most 2,048,
  and 300,000 tokens a request), and the requests go concurrently, under the endpoint's rate
  limiter (rpm / tpm, given or learned from the server's headers and 429s), through the same
  request pipeline as chat calls: same retries, timeouts, limits and usage counting;
- vectors travel as base64 (about a quarter of the size of JSON numbers) and are decoded to
  float32 (servers that answer with numbers are read too);
- texts are sent as text: never as token ids, which servers other than OpenAI reject (LangChain
  sends ids unless told `check_embedding_ctx_length=False`); short texts need no tokenizer and
  so no tiktoken file from the internet (see `_embedding_batches`);
- usage and cost reach callback handlers and `get_openai_callback()` as one model run per call.

Vectors come back as lists of floats, as LangChain's; `aembed_float32` gives their raw float32
bytes (for NumPy: `numpy.frombuffer(b"".join(vectors), numpy.float32).reshape(len(vectors), -1)`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Self, cast

from ._exceptions import ConfigurationError
from ._http.body import ResponseLimits
from ._http.endpoint import Endpoint, openai_endpoint
from ._pipeline.limiter import RateLimiter
from ._pipeline.pipeline import RequestPipeline
from ._pipeline.retry import RetryPolicy
from ._providers.azure import TokenProvider, _AzureOptions
from ._providers.client_surface import ClientSurface
from ._providers.embedding_requests import (
    MAX_INPUTS_PER_REQUEST,
    MAX_TOKENS_PER_REQUEST,
    cut_long_text,
    input_tokens,
    join_pieces,
    pack,
    read_vectors,
    to_floats,
)
from ._providers.model_client import ModelClient
from ._providers.openai_wire import read_openai_usage
from ._types import JSONDict, Usage
from .callbacks._model_runs import manager_for
from .outputs import LLMResult
from .pricing import cost_for
from .runnables._runner import amap, batch_concurrency
from .runnables._sync import run_sync
from .text_splitter._tokenizer import load_encoding

if TYPE_CHECKING:
    import aiohttp


class OpenAIEmbeddings(ClientSurface):
    """Embeddings from an OpenAI-compatible `/embeddings` endpoint.

    Args:
        model: the model (default `text-embedding-ada-002`, as LangChain's).
        dimensions: the length of the vectors, for models that can shorten them
            (`text-embedding-3-*`); None leaves the model's own.
        chunk_size: the most texts in one request (at most 2,048, OpenAI's limit).
        max_tokens_per_request: the most tokens in one request (OpenAI's 300,000).
        embedding_ctx_length: the most tokens of one input; longer texts are cut into pieces
            and their vectors averaged when `check_embedding_ctx_length` is on.
        check_embedding_ctx_length: cut texts longer than the context (LangChain's default);
            off, texts go as they are and the server judges them.
        tiktoken_enabled: count the tokens of texts that may be too long with tiktoken when it
            is installed (else by characters). Short texts are never tokenized.
        tiktoken_model_name: the model whose tokenizer counts (default `model`).
        base_url: the API root; default `$OPENAI_BASE_URL`, else OpenAI's public URL.
        api_key: the bearer key; default `$OPENAI_API_KEY`. Never printed or logged.
        organization: sent as `OpenAI-Organization`.
        timeout: seconds for one whole request (`request_timeout` as LangChain spells it).
        max_retries: retries after a connection error, timeout, 429 or 5xx.
        retry: a full retry policy; when given it replaces `max_retries`.
        max_concurrency / rpm / tpm: limits of this endpoint (tpm counts input tokens).
        rate_limiter: a `RateLimiter` shared with other clients, instead of those three.
        session: an aiohttp session to use; it stays the caller's to close.
        default_headers: more headers for every request.
        model_kwargs: more request fields, sent as they are.
        skip_empty: leave empty texts out of requests (their vector is None) instead of
            sending them (OpenAI refuses empty inputs).
        callbacks / tags / metadata: handlers that hear every call (`aiochain.callbacks`).

    Ownership: the client creates its own HTTP sessions (one per event loop) and closes them
    in `aclose()` / `async with`, or at the latest when their event loop shuts down.
    """

    default_model = "text-embedding-ada-002"
    _path = "/embeddings"
    # Set by the one setup every model client uses (`ModelClient.__init__`).
    base_url: str
    rate_limiter: RateLimiter
    _pipeline: RequestPipeline
    _price: tuple[float, float] | None

    def __init__(
        self,
        *,
        model: str | None = None,
        dimensions: int | None = None,
        chunk_size: int = MAX_INPUTS_PER_REQUEST,
        max_tokens_per_request: int = MAX_TOKENS_PER_REQUEST,
        embedding_ctx_length: int = 8191,
        check_embedding_ctx_length: bool = True,
        tiktoken_enabled: bool = True,
        tiktoken_model_name: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        organization: str | None = None,
        timeout: float | None = 60.0,
        max_retries: int = 2,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        rpm: float | None = None,
        tpm: float | None = None,
        rate_limiter: RateLimiter | None = None,
        session: aiohttp.ClientSession | None = None,
        response_limits: ResponseLimits | None = None,
        default_headers: Mapping[str, str] | None = None,
        model_kwargs: dict[str, Any] | None = None,
        skip_empty: bool = False,
        show_progress_bar: bool = False,
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        openai_api_key: str | None = None,
        openai_api_base: str | None = None,
        openai_organization: str | None = None,
        request_timeout: float | None = None,
    ) -> None:
        self.model = model or self.default_model
        if dimensions is not None and (type(dimensions) is not int or dimensions < 1):
            raise ConfigurationError(f"dimensions must be a positive integer, got {dimensions!r}")
        if type(chunk_size) is not int or not 1 <= chunk_size <= MAX_INPUTS_PER_REQUEST:
            raise ConfigurationError(
                f"chunk_size must be an integer from 1 to {MAX_INPUTS_PER_REQUEST}, "
                f"got {chunk_size!r}"
            )
        for name, value in (
            ("max_tokens_per_request", max_tokens_per_request),
            ("embedding_ctx_length", embedding_ctx_length),
        ):
            if type(value) is not int or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")
        self.dimensions = dimensions
        self.chunk_size = chunk_size
        self.max_tokens_per_request = max_tokens_per_request
        self.embedding_ctx_length = embedding_ctx_length
        self.check_embedding_ctx_length = check_embedding_ctx_length
        self.tiktoken_enabled = tiktoken_enabled
        self.tiktoken_model_name = tiktoken_model_name
        self.skip_empty = skip_empty
        self.show_progress_bar = show_progress_bar
        self.callbacks, self.tags, self.metadata = callbacks, tags, metadata
        self._encoding: Any = False  # not looked up yet
        endpoint = self._endpoint(base_url or openai_api_base, api_key or openai_api_key)
        headers = dict(endpoint.auth.headers)
        if organization or openai_organization:
            headers["OpenAI-Organization"] = str(organization or openai_organization)
        headers.update(default_headers or {})
        # The one setup every model client uses (limits, retries, pipeline), on this endpoint.
        ModelClient.__init__(
            cast(Any, self),
            endpoint=Endpoint(endpoint.base_url, replace(endpoint.auth, headers=headers)),
            read_usage=read_openai_usage,
            timeout=request_timeout if request_timeout is not None else timeout,
            max_retries=max_retries,
            retry=retry,
            max_concurrency=max_concurrency,
            rpm=rpm,
            tpm=tpm,
            rate_limiter=rate_limiter,
            cache=None,
            session=session,
            response_limits=response_limits,
            callbacks=callbacks,
            tags=tags,
            metadata=metadata,
            estimate=input_tokens,
        )
        payload: JSONDict = {"model": self.model, "encoding_format": "base64"}
        if dimensions is not None:
            payload["dimensions"] = dimensions
        payload.update(model_kwargs or {})
        self._base_payload = payload

    def _endpoint(self, base_url: str | None, api_key: str | None) -> Endpoint:
        """Where requests go and how they authenticate (as `ChatOpenAI`'s)."""
        return openai_endpoint(base_url, api_key)

    def _check_answer(self, data: JSONDict) -> None:
        """Answers are checked where they are read (`read_vectors`)."""

    # --- the public API ---------------------------------------------------------------------

    async def aembed_documents(
        self, texts: Sequence[str], chunk_size: int | None = None, **kwargs: Any
    ) -> list[list[float]]:
        """The vector of every text, in order (lists of floats, as LangChain's)."""
        vectors = await self.aembed_float32(texts, chunk_size=chunk_size)
        return [to_floats(v) if v is not None else None for v in vectors]

    def embed_documents(
        self, texts: Sequence[str], chunk_size: int | None = None, **kwargs: Any
    ) -> list[list[float]]:
        """`aembed_documents`, blocking; async code does better to await the async method."""
        return run_sync(
            lambda: self.aembed_documents(texts, chunk_size),
            name=f"{type(self).__name__}.embed_documents",
            async_name="aembed_documents",
        )

    async def aembed_query(self, text: str, **kwargs: Any) -> list[float]:
        """The vector of one text."""
        return (await self.aembed_documents([text]))[0]

    def embed_query(self, text: str, **kwargs: Any) -> list[float]:
        """`aembed_query`, blocking; async code does better to await the async method."""
        return run_sync(
            lambda: self.aembed_query(text),
            name=f"{type(self).__name__}.embed_query",
            async_name="aembed_query",
        )

    async def aembed_float32(
        self, texts: Sequence[str], *, chunk_size: int | None = None
    ) -> list[bytes]:
        """The vector of every text as raw float32 bytes, in order; with `skip_empty`, None
        for an empty text. Reported to callback handlers as one run."""
        if isinstance(texts, str):
            raise ConfigurationError("embed_documents() takes a list of texts; use embed_query()")
        manager = manager_for(self, None)
        if manager is None:
            vectors, _ = await self.aembed_with_usage(texts, chunk_size=chunk_size)
            return vectors
        name = type(self).__name__
        serialized = {"lc": 1, "type": "constructor", "id": ["aiochain", "embeddings", name]}
        run = (
            await manager.on_llm_start(
                serialized,
                [f"embed {len(texts)} text(s)"],
                invocation_params={**self._base_payload, "_type": "openai-embeddings"},
            )
        )[0]
        try:
            vectors, usage = await self.aembed_with_usage(texts, chunk_size=chunk_size)
        except BaseException as exc:
            await run.on_llm_error(exc)
            raise
        output = {"token_usage": usage.to_dict(), "model_name": self.model}
        await run.on_llm_end(LLMResult(generations=[[]], llm_output=output, usage=usage))
        return vectors

    async def aembed_with_usage(
        self, texts: Sequence[str], *, chunk_size: int | None = None
    ) -> tuple[list[bytes], Usage]:
        """`aembed_float32` without callbacks, with the usage of the requests it sent."""
        context = self.embedding_ctx_length
        if all(type(t) is str and t and len(t) * 4 <= context for t in texts):
            # The common case, quickly: every text fits (UTF-8 has at most 4 bytes a character)
            pieces, owners, weights = list(texts), list(range(len(texts))), [1] * len(texts)
        else:
            pieces, owners, weights = self._pieces(texts)
        size = min(chunk_size or self.chunk_size, MAX_INPUTS_PER_REQUEST)
        ranges = pack(pieces, max_inputs=size, max_tokens=self.max_tokens_per_request)
        if len(ranges) == 1:  # the common case of a map job's group: no pool to start
            answers = [await self._arequest(pieces)]
        else:
            answers = await amap(
                lambda span: self._arequest([pieces[i] for i in span]),
                ranges,
                concurrency=batch_concurrency(len(ranges), self.rate_limiter),
            )
        usage = Usage()
        flat: list[bytes] = []
        for vectors, used in answers:
            flat.extend(vectors)
            usage.add(used)
        return join_pieces(flat, owners, weights, len(texts)), usage

    def _pieces(self, texts: Sequence[str]) -> tuple[list[str], list[int], list[int]]:
        """What is sent for `texts` (the texts, or pieces of the long ones), the text each
        piece belongs to, and its weight in that text's vector."""
        pieces: list[str] = []
        owners: list[int] = []
        weights: list[int] = []
        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise ConfigurationError(
                    f"texts[{position}] is a {type(text).__name__}, not a string"
                )
            if self.skip_empty and not text:
                continue
            if self.check_embedding_ctx_length:
                cut = cut_long_text(text, self.embedding_ctx_length, self._tokenizer)
            else:
                cut = [(text, 1)]
            for piece, weight in cut:
                pieces.append(piece)
                owners.append(position)
                weights.append(weight)
        return pieces, owners, weights

    async def _arequest(self, inputs: list[str]) -> tuple[list[bytes], Usage]:
        """One request for `inputs` (already within the limits): their vectors and usage."""
        payload = {**self._base_payload, "input": inputs}
        data, usage = await self._pipeline.send(self._path, payload)
        return read_vectors(data, len(inputs), self._pipeline.transport.shown(self._path)), usage

    def request_body(self, text: str) -> JSONDict:
        """The request body that embeds `text` alone, as a batch line holds it."""
        return {**self._base_payload, "input": [text]}

    def is_cut(self, text: str) -> bool:
        """Whether `text` passes the model's context and is sent in pieces (then averaged)."""
        if not self.check_embedding_ctx_length or len(text) * 4 <= self.embedding_ctx_length:
            return False
        return len(cut_long_text(text, self.embedding_ctx_length, self._tokenizer)) > 1

    def _tokenizer(self) -> Any | None:
        """The tiktoken encoding counting long texts, looked up once; None without one."""
        if self._encoding is False:
            self._encoding = None
            if self.tiktoken_enabled:
                try:
                    self._encoding = load_encoding(
                        "cl100k_base", self.tiktoken_model_name or self.model
                    )
                except ConfigurationError:  # no file for it (offline): count by characters
                    self._encoding = None
        return self._encoding

    # --- usage and resources ----------------------------------------------------------------

    @property
    def usage(self) -> Usage:
        """Token usage summed over every request this client has sent."""
        return self._pipeline.usage

    @property
    def cost(self) -> float | None:
        """Estimated US dollars spent so far, or None for an unpriced model."""
        price = self._price
        return None if price is None else cost_for(price, self.usage.prompt_tokens, 0)

    async def aclose(self) -> None:
        """Close the HTTP session this client created on the running loop."""
        await self._pipeline.transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r})"


class AzureOpenAIEmbeddings(OpenAIEmbeddings):
    """`OpenAIEmbeddings` on an Azure OpenAI deployment.

    Args:
        azure_endpoint: the resource's URL; default `$AZURE_OPENAI_ENDPOINT`.
        azure_deployment: the deployment's name (`deployment` as LangChain's older name;
            default the model's name).
        api_version: the `api-version` of every request (`openai_api_version`); default
            `$OPENAI_API_VERSION`.
        api_key: sent as `api-key`; default `$AZURE_OPENAI_API_KEY`. Never printed.
        azure_ad_token / azure_ad_token_provider: a Microsoft Entra ID token, or a function
            (sync or async) returning a fresh one before every request, instead of a key.

    Every other option is `OpenAIEmbeddings`'; the model names the price.
    """

    def __init__(
        self,
        *,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        deployment: str | None = None,
        api_version: str | None = None,
        openai_api_version: str | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: TokenProvider | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("base_url") or kwargs.get("openai_api_base"):
            raise ConfigurationError("Azure OpenAI takes azure_endpoint, not base_url")
        self._azure = _AzureOptions(
            azure_endpoint=azure_endpoint,
            azure_deployment=azure_deployment or deployment or kwargs.get("model"),
            api_version=api_version or openai_api_version,
            api_key=kwargs.pop("api_key", None) or kwargs.pop("openai_api_key", None),
            azure_ad_token=azure_ad_token,
            azure_ad_token_provider=azure_ad_token_provider,
        )
        kwargs.setdefault("model", self._azure.deployment)
        super().__init__(**kwargs)

    def _endpoint(self, base_url: str | None, api_key: str | None) -> Endpoint:
        self._path = self._azure.path(type(self)._path)
        return self._azure.as_endpoint()


__all__ = ["AzureOpenAIEmbeddings", "OpenAIEmbeddings"]
