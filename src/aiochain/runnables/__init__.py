"""The runnable toolkit, where LangChain users look for it (`langchain_core.runnables`).

This package's `__init__` only re-exports, lazily: the names live in its modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .._config import RunnableConfig as RunnableConfig
    from .._exceptions import UsageError as UsageError
    from ._composition import RunnableLambda as RunnableLambda
    from ._composition import RunnableParallel as RunnableParallel
    from ._composition import RunnableSequence as RunnableSequence
    from ._each import RunnableEach as RunnableEach
    from ._generators import RunnableGenerator as RunnableGenerator
    from ._listeners import Run as Run
    from ._listeners import RunnableWithListeners as RunnableWithListeners
    from ._many_inputs import Config as Config
    from ._modifiers import RunnableAssign as RunnableAssign
    from ._modifiers import RunnableBinding as RunnableBinding
    from ._modifiers import RunnablePick as RunnablePick
    from ._modifiers import RunnableRetry as RunnableRetry
    from ._modifiers import RunnableWithFallbacks as RunnableWithFallbacks
    from .base import PureRunnable as PureRunnable
    from .base import Runnable as Runnable
    from .configurable import ConfigurableField as ConfigurableField
    from .configurable import ConfigurableFieldMultiOption as ConfigurableFieldMultiOption
    from .configurable import ConfigurableFieldSingleOption as ConfigurableFieldSingleOption
    from .configurable import ConfigurableFieldSpec as ConfigurableFieldSpec
    from .configurable import RunnableConfigurableAlternatives as RunnableConfigurableAlternatives
    from .configurable import RunnableConfigurableFields as RunnableConfigurableFields
    from .history import RunnableWithMessageHistory as RunnableWithMessageHistory
    from .passthrough import RunnableBranch as RunnableBranch
    from .passthrough import RunnableMap as RunnableMap
    from .passthrough import RunnablePassthrough as RunnablePassthrough
    from .passthrough import chain as chain
    from .serializable import RunnableSerializable as RunnableSerializable

_EXPORTS = {
    "chain": ".passthrough",
    "Config": "._many_inputs",
    "ConfigurableField": ".configurable",
    "ConfigurableFieldMultiOption": ".configurable",
    "ConfigurableFieldSingleOption": ".configurable",
    "ConfigurableFieldSpec": ".configurable",
    "PureRunnable": ".base",
    "Run": "._listeners",
    "Runnable": ".base",
    "RunnableAssign": "._modifiers",
    "RunnableBinding": "._modifiers",
    "RunnableBranch": ".passthrough",
    "RunnableConfig": ".._config",
    "RunnableConfigurableAlternatives": ".configurable",
    "RunnableConfigurableFields": ".configurable",
    "RunnableEach": "._each",
    "RunnableGenerator": "._generators",
    "RunnableLambda": "._composition",
    "RunnableMap": ".passthrough",
    "RunnableParallel": "._composition",
    "RunnablePassthrough": ".passthrough",
    "RunnablePick": "._modifiers",
    "RunnableRetry": "._modifiers",
    "RunnableSequence": "._composition",
    "RunnableSerializable": ".serializable",
    "RunnableWithFallbacks": "._modifiers",
    "RunnableWithListeners": "._listeners",
    "RunnableWithMessageHistory": ".history",
    "UsageError": ".._exceptions",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "ConfigurableField",
    "ConfigurableFieldMultiOption",
    "ConfigurableFieldSingleOption",
    "ConfigurableFieldSpec",
    "Run",
    "Runnable",
    "RunnableAssign",
    "RunnableBinding",
    "RunnableBranch",
    "RunnableConfig",
    "RunnableConfigurableAlternatives",
    "RunnableConfigurableFields",
    "RunnableEach",
    "RunnableGenerator",
    "RunnableLambda",
    "RunnableMap",
    "RunnableParallel",
    "RunnablePassthrough",
    "RunnablePick",
    "RunnableRetry",
    "RunnableSequence",
    "RunnableSerializable",
    "RunnableWithFallbacks",
    "RunnableWithListeners",
    "RunnableWithMessageHistory",
    "chain",
]
