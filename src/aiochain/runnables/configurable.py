"""Configurable runnables: attributes, or the whole runnable, chosen per call by the config.

    model = ChatOpenAI(temperature=0).configurable_fields(
        temperature=ConfigurableField(id="llm_temperature", name="LLM Temperature")
    )
    await model.with_config(configurable={"llm_temperature": 0.9}).ainvoke("pick a number")

    prompt = PromptTemplate.from_template("Tell me a joke about {topic}").configurable_alternatives(
        ConfigurableField(id="prompt"), default_key="joke", poem=PromptTemplate.from_template(...)
    )
    chain.invoke({"topic": "bears"}, config={"configurable": {"prompt": "poem"}})

As LangChain's `langchain_core.runnables.configurable`. A model's configured copy is made with
its `bind` (the value goes into the request body, and the copy shares the model's connections);
any other runnable's is a shallow copy with the attribute set.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping
from typing import Any, NamedTuple

from .._config import current_config
from .._exceptions import ConfigurationError, UsageError
from .base import Config, Runnable, bound_call, takes_config


class ConfigurableField(NamedTuple):
    """A field chosen per call under `config["configurable"][id]`."""

    id: str
    name: str | None = None
    description: str | None = None
    annotation: Any = None
    is_shared: bool = False


class ConfigurableFieldSingleOption(NamedTuple):
    """A field whose value is picked by key from `options`."""

    id: str
    options: Mapping[str, Any]
    default: str
    name: str | None = None
    description: str | None = None
    is_shared: bool = False


class ConfigurableFieldMultiOption(NamedTuple):
    """A field whose value is a list picked by keys from `options`."""

    id: str
    options: Mapping[str, Any]
    default: list[str]
    name: str | None = None
    description: str | None = None
    is_shared: bool = False


class ConfigurableFieldSpec(NamedTuple):
    """What `config_specs` lists for each configurable id."""

    id: str
    annotation: Any = None
    name: str | None = None
    description: str | None = None
    default: Any = None
    is_shared: bool = False


_MODEL_NAME_ALIASES = {"model_name": "model"}


def _configurable_of(config: Config) -> Mapping[str, Any]:
    if config is None:
        config = current_config.get()
    return (config or {}).get("configurable") or {}


class DynamicRunnable(Runnable[Any, Any]):
    """A runnable that resolves to another for each call; subclasses implement `prepare`."""

    default: Runnable[Any, Any]

    def prepare(self, config: Config = None) -> Runnable[Any, Any]:
        """The runnable a call with `config` runs."""
        raise NotImplementedError

    async def ainvoke(self, input: Any, config: Config = None, **kwargs: Any) -> Any:
        return await bound_call(self.prepare(config), config, kwargs)(input)

    async def astream(self, input: Any, config: Config = None, **kwargs: Any) -> AsyncIterator[Any]:
        chosen = self.prepare(config)
        stream = (
            chosen.astream(input, config, **kwargs)
            if takes_config(chosen)
            else (chosen.astream(input))
        )
        async for chunk in stream:
            yield chunk

    async def atransform(
        self, chunks: AsyncIterator[Any], config: Config = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        chosen = self.prepare(config)
        stream = (
            chosen.atransform(chunks, config, **kwargs)
            if takes_config(chosen)
            else (chosen.atransform(chunks))
        )
        async for chunk in stream:
            yield chunk

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        return self.default.get_name(suffix, name=name)

    def bound_runnable(self) -> Runnable[Any, Any]:
        """The runnable whose runs this one's are (for callback reporting)."""
        return self.default

    @property
    def run_type(self) -> str:  # type: ignore[override]
        return self.default.run_type

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "default":
            raise AttributeError(name)
        return getattr(self.default, name)


class RunnableConfigurableFields(DynamicRunnable):
    """`runnable.configurable_fields(attr=ConfigurableField(id=...), ...)`."""

    def __init__(self, default: Runnable[Any, Any], fields: Mapping[str, Any]) -> None:
        for attr, spec in fields.items():
            if not isinstance(
                spec,
                ConfigurableField | ConfigurableFieldSingleOption | ConfigurableFieldMultiOption,
            ):
                raise UsageError(f"configurable_fields({attr}=...) needs a ConfigurableField")
            if not hasattr(default, _MODEL_NAME_ALIASES.get(attr, attr)):
                raise ConfigurationError(
                    f"{type(default).__name__} has no attribute {attr!r} to make configurable"
                )
        self.default = default
        self.fields = dict(fields)

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        """One spec per configurable id, with the default's current value."""
        return [
            ConfigurableFieldSpec(
                id=spec.id,
                name=spec.name,
                description=spec.description,
                default=getattr(self.default, _MODEL_NAME_ALIASES.get(attr, attr), None),
                is_shared=spec.is_shared,
            )
            for attr, spec in self.fields.items()
        ]

    def _value(self, spec: Any, given: Any) -> Any:
        if isinstance(spec, ConfigurableFieldSingleOption):
            if given not in spec.options:
                raise ConfigurationError(f"{spec.id}: unknown option {given!r}")
            return spec.options[given]
        if isinstance(spec, ConfigurableFieldMultiOption):
            return [spec.options[key] for key in given]
        return given

    def prepare(self, config: Config = None) -> Runnable[Any, Any]:
        configurable = _configurable_of(config)
        values = {
            _MODEL_NAME_ALIASES.get(attr, attr): self._value(spec, configurable[spec.id])
            for attr, spec in self.fields.items()
            if spec.id in configurable
        }
        if not values:
            return self.default
        if hasattr(self.default, "_base_payload"):  # a model: the values go into the request
            configured: Runnable[Any, Any] = self.default.bind(**values)
        else:
            configured = copy.copy(self.default)
        for attr, value in values.items():
            setattr(configured, attr, value)
        return configured


class RunnableConfigurableAlternatives(DynamicRunnable):
    """`runnable.configurable_alternatives(ConfigurableField(id=...), key=other, ...)`."""

    def __init__(
        self,
        default: Runnable[Any, Any],
        which: ConfigurableField,
        alternatives: Mapping[str, Any],
        *,
        default_key: str = "default",
        prefix_keys: bool = False,
    ) -> None:
        if not isinstance(which, ConfigurableField):
            raise UsageError("configurable_alternatives needs a ConfigurableField first")
        if default_key in alternatives:
            raise ConfigurationError(f"alternative {default_key!r} is the default's key")
        self.default = default
        self.which = which
        self.alternatives = dict(alternatives)
        self.default_key = default_key
        self.prefix_keys = prefix_keys

    def prepare(self, config: Config = None) -> Runnable[Any, Any]:
        key = _configurable_of(config).get(self.which.id, self.default_key)
        if key == self.default_key:
            return self.default
        try:
            chosen = self.alternatives[key]
        except KeyError:
            known = ", ".join(sorted([self.default_key, *self.alternatives]))
            raise ConfigurationError(
                f"unknown alternative {key!r} for {self.which.id!r}; known: {known}"
            ) from None
        if isinstance(chosen, Runnable):
            return chosen
        return chosen()  # type: ignore[no-any-return]  # a factory, as LangChain allows


__all__ = [
    "ConfigurableField",
    "ConfigurableFieldMultiOption",
    "ConfigurableFieldSingleOption",
    "ConfigurableFieldSpec",
    "DynamicRunnable",
    "RunnableConfigurableAlternatives",
    "RunnableConfigurableFields",
]
