"""`RunnableConfig`: the per-call options LangChain passes as `config=`, and how they flow down.

A config is a plain dict (`{"max_concurrency": 8, "tags": [...], ...}`). It reaches child
runnables two ways, as in LangChain: composite runnables (sequences, parallel steps, bindings)
pass it explicitly to each step, and while a runnable runs with a config it is also the value of
`current_config`, so a plain function inside a `RunnableLambda` that calls another runnable hands
it on too. Callbacks are carried, not yet called: a later callbacks module hangs its
`on_chain_start` / `on_chain_end` on `run_with_config`, the one place a config takes effect.

Nothing here runs when no config is given: the hot path of `prompt | llm | parser` checks
`config is None` and goes on.
"""

from __future__ import annotations

import contextvars
import difflib
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypedDict, cast

from ._exceptions import ConfigurationError


class RunnableConfig(TypedDict, total=False):
    """Options for one call of a runnable, named as LangChain names them.

    Attributes:
        tags: labels for this call and its children.
        metadata: data about the call, for its children and (later) callbacks.
        callbacks: handlers, carried to the children (not called yet).
        run_name: a name for this call only (not inherited).
        max_concurrency: the most inputs a batch runs at once, and the most branches a
            parallel step runs at once.
        recursion_limit: accepted for compatibility.
        configurable: values for configurable fields, carried to the children.
        run_id: accepted for compatibility.
    """

    tags: list[str]
    metadata: dict[str, Any]
    callbacks: Any
    run_name: str
    max_concurrency: int | None
    recursion_limit: int
    configurable: dict[str, Any]
    run_id: Any


CONFIG_KEYS = frozenset(RunnableConfig.__annotations__)

current_config: contextvars.ContextVar[RunnableConfig | None] = contextvars.ContextVar(
    "aiochain_current_config", default=None
)
"""The config of the runnable running now, for runnables started inside it."""


def check_config(config: Any) -> RunnableConfig:
    """`config` checked: a dict with a sane `max_concurrency`. Other keys go into
    `configurable`, as LangChain moves them, unless they look like a misspelt known key.

    Raises:
        ConfigurationError: for a config that is not a dict, a misspelt key, or a bad limit.
    """
    if not isinstance(config, dict):
        raise ConfigurationError(f"config must be a dict, got {type(config).__name__}")
    unknown = [key for key in config if key not in CONFIG_KEYS]
    if unknown:
        for key in unknown:
            close = difflib.get_close_matches(str(key), CONFIG_KEYS, n=1, cutoff=0.8)
            if close:
                raise ConfigurationError(f"unknown config key {key!r}; did you mean {close[0]!r}?")
        moved = {k: config[k] for k in unknown if config[k] is not None}
        config = {k: v for k, v in config.items() if k in CONFIG_KEYS}
        config["configurable"] = {**config.get("configurable", {}), **moved}
    limit = config.get("max_concurrency")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ConfigurationError(f"max_concurrency must be an integer >= 1, got {limit!r}")
    return cast(RunnableConfig, config)


def filled_config(config: RunnableConfig | None) -> RunnableConfig:
    """`config` with every key a function may read present, as LangChain's `ensure_config`
    gives it (`config["configurable"]` works even when no config was given)."""
    filled: RunnableConfig = {
        "tags": [],
        "metadata": {},
        "callbacks": None,
        "recursion_limit": 25,
        "configurable": {},
    }
    filled.update(config or {})
    return filled


def merge_configs(*configs: RunnableConfig | None) -> RunnableConfig:
    """Later configs win; tags add up, metadata and configurable merge key by key."""
    merged: dict[str, Any] = {}
    for config in configs:
        if not config:
            continue
        checked: dict[str, Any] = dict(check_config(config))
        for key, value in checked.items():
            if key == "tags":
                merged["tags"] = [*merged.get("tags", []), *value]
            elif key in ("metadata", "configurable"):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
    return merged  # type: ignore[return-value]


def child_config(config: RunnableConfig) -> RunnableConfig:
    """The config a runnable hands to its steps: the same, less its own `run_name` / `run_id`."""
    if "run_name" not in config and "run_id" not in config:
        return config
    return {k: v for k, v in config.items() if k not in ("run_name", "run_id")}  # type: ignore[return-value]


def effective_config(config: RunnableConfig | None) -> RunnableConfig | None:
    """The config given, else the one inherited from the runnable running now (or None)."""
    if config is not None:
        return check_config(config)
    return current_config.get()


def config_list(config: RunnableConfig | Sequence[RunnableConfig] | None, count: int) -> list[Any]:
    """One config per input of a batch: a list as it is (its length checked), else repeated.

    Raises:
        ConfigurationError: when a list of configs does not have one per input.
    """
    if isinstance(config, Sequence) and not isinstance(config, dict):
        if len(config) != count:
            raise ConfigurationError(
                f"a batch of {count} input(s) got {len(config)} config(s); give one or one each"
            )
        return [check_config(c) for c in config]
    return [None if config is None else check_config(config)] * count


def batch_limit(config: RunnableConfig | Sequence[RunnableConfig] | None) -> int | None:
    """The `max_concurrency` of a batch's config (the first, for a list)."""
    if config is None:
        return None
    if isinstance(config, Sequence) and not isinstance(config, dict):
        limits = [c.get("max_concurrency") for c in config if c]
        return min((limit for limit in limits if limit), default=None)
    return check_config(config).get("max_concurrency")


def accepts_config(func: Callable[..., Any]) -> bool:
    """Whether a callable takes a `config` argument (by name, or through `**kwargs`)."""
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return "config" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )
