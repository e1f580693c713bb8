"""`aiochain map --provider openai | anthropic | azure | gemini`: the model a job talks to (on
OpenAI, `--api responses` speaks the Responses API instead of chat completions).

Each provider takes its key from its own environment variable (`OPENAI_API_KEY`,
`ANTHROPIC_API_KEY`, `AZURE_OPENAI_API_KEY`, `GOOGLE_API_KEY` or `GEMINI_API_KEY`) and its
address from `--base-url` or its own variable (`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`,
`AZURE_OPENAI_ENDPOINT`, `GOOGLE_GEMINI_BASE_URL`). Every provider gets
the same journal, cache, limits and retries: they differ only in payloads and answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..._exceptions import ConfigurationError
from ..._pipeline.limiter import RateLimiter
from ..._pipeline.retry import RetryPolicy
from ..._providers.model_client import ModelClient
from ...chat_models import AzureChatOpenAI, ChatAnthropic, ChatGoogleGenerativeAI, ChatOpenAI

if TYPE_CHECKING:
    from ...cache import SQLiteCache


class ModelOptions(Protocol):
    """What of a job's options choosing and setting up its model reads (`MapOptions`)."""

    provider: str
    api: str
    model: str
    api_key: str | None
    api_version: str | None
    temperature: float | None
    max_tokens: int | None
    retries: int
    max_wait: float
    timeout: float
    rpm: float | None
    tpm: float | None
    concurrency: int
    split: int | None
    json_mode: bool
    simulate: float | None


PROVIDERS = ("openai", "anthropic", "azure", "gemini")
DEFAULT_MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
}
"""The model a job uses without --model (Azure has none: --model names the deployment)."""
KEY_VARIABLES = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "azure": "AZURE_OPENAI_API_KEY",
    "gemini": "GOOGLE_API_KEY",  # else $GEMINI_API_KEY, which the model reads itself
}
SIMULATED_AZURE_VERSION = "2024-10-21"


def make_model(
    options: ModelOptions,
    base_url: str | None,
    cache: SQLiteCache | None,
    rate_limiter: RateLimiter | None = None,
) -> ModelClient[Any]:
    """The chat model of a job, set up for a batch job: it waits out 429s and outages (up to
    --max-wait without an answer) instead of failing records, and its first request goes
    alone so the server's limits are known before the first wave. `rate_limiter` replaces
    the job's own (a Ray worker's draws from the whole cluster's budget)."""
    simulated = options.simulate is not None
    common: dict[str, Any] = {
        "api_key": options.api_key or ("sim" if simulated else None),
        "temperature": options.temperature,
        "retry": RetryPolicy(max_retries=options.retries, max_service_wait=options.max_wait),
        "timeout": options.timeout,
        "rate_limiter": rate_limiter
        or RateLimiter(
            rpm=options.rpm,
            tpm=options.tpm,
            # The job's workers cap requests in flight, except the chunks of a split record,
            # which go at once: then the limiter holds the cap.
            max_concurrency=options.concurrency if options.split else None,
            # A real server's limits are learned before the first wave; the in-process
            # simulation (--simulate) has none, so it is spared the one latency this costs.
            slow_start=not simulated,
        ),
        "cache": cache,
    }
    json_format = {"response_format": {"type": "json_object"}} if options.json_mode else None
    if options.api == "responses" and options.provider != "openai":
        raise ConfigurationError("--api responses works with --provider openai only")
    if options.provider == "anthropic":
        if options.json_mode:
            raise ConfigurationError(
                "--json asks for OpenAI's JSON mode, which Anthropic has not: ask for JSON in "
                "the template instead (the answers are still checked with --json on OpenAI)"
            )
        return ChatAnthropic(
            model=options.model,
            base_url=_root(base_url),
            max_tokens=options.max_tokens or 1024,
            **common,
        )
    if options.provider == "gemini":
        # Gemini states no limits: slow start (above) sends one request alone, and a 429's
        # retryDelay pauses the job; a per-day quota stops it (QuotaExhaustedError).
        return ChatGoogleGenerativeAI(
            model=options.model,
            base_url=_root(base_url),
            max_output_tokens=options.max_tokens,
            response_mime_type="application/json" if options.json_mode else None,
            **common,
        )
    if options.provider == "azure":
        return AzureChatOpenAI(
            azure_endpoint=_root(base_url),
            azure_deployment=options.model,
            api_version=options.api_version or (SIMULATED_AZURE_VERSION if simulated else None),
            max_tokens=options.max_tokens,
            model_kwargs=json_format,
            **common,
        )
    return ChatOpenAI(
        model=options.model,
        base_url=base_url,
        max_tokens=options.max_tokens,
        model_kwargs=json_format,
        **({"use_responses_api": True} if options.api == "responses" else {}),
        **common,
    )


def _root(base_url: str | None) -> str | None:
    """Anthropic's, Azure's and Gemini's addresses are the server's root, without `/v1`."""
    return base_url.removesuffix("/").removesuffix("/v1") if base_url else None
