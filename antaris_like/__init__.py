"""antaris_like: route each LLM request to the cheapest model able to answer it.

Standard library only. Public names are loaded on first use (PEP 562), so
``import antaris_like`` costs almost nothing until a router is built.

    from antaris_like import Router
    decision = Router().route("Explain async/await in Python with examples")
    decision.model, decision.tier, decision.estimated_cost
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, List

from ._version import __version__

# public name -> module that defines it (relative to this package)
_EXPORTS: Dict[str, str] = {
    "ABTest": ".decision",
    "AdaptiveRouter": ".adaptive",
    "AntarisError": ".errors",
    "Budget": ".budget",
    "BudgetExceededError": ".errors",
    "BudgetStatus": ".budget",
    "Limit": ".budget",
    "MemoryStore": ".budget",
    "PostgresStore": ".budget",
    "RedisStore": ".budget",
    "Reservation": ".budget",
    "SQLiteStore": ".budget",
    "Store": ".budget",
    "CircuitOpenError": ".errors",
    "ClassificationResult": ".classification",
    "Config": ".compat",
    "ConfigurationError": ".errors",
    "CostTracker": ".costs",
    "ModelConfig": ".decision",
    "ModelInfo": ".registry",
    "ModelRegistry": ".registry",
    "NoEligibleModelError": ".errors",
    "ProviderError": ".errors",
    "ProviderHTTPError": ".errors",
    "ProviderHealth": ".health",
    "ProviderResponseError": ".errors",
    "ProviderTimeoutError": ".errors",
    "QualityDecision": ".compat",
    "QualityTracker": ".feedback",
    "Router": ".router",
    "RoutingDecision": ".decision",
    "RoutingResult": ".decision",
    "SLAConfig": ".sla",
    "SLAMonitor": ".sla",
    "SLARecord": ".sla",
    "SemanticClassifier": ".compat",
    "SemanticResult": ".compat",
    "StateError": ".errors",
    "TFIDFVectorizer": ".compat",
    "TaskClassifier": ".compat",
    "Tier": ".tiers",
    "TierClassifier": ".classifier",
    "UnknownDecisionError": ".errors",
    "UsageRecord": ".costs",
    "Workspace": ".workspace",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - static type checkers see the real names
    from .adaptive import AdaptiveRouter
    from .budget import (
        Budget,
        BudgetStatus,
        Limit,
        MemoryStore,
        PostgresStore,
        RedisStore,
        Reservation,
        SQLiteStore,
        Store,
    )
    from .classification import ClassificationResult
    from .classifier import TierClassifier
    from .compat import (
        Config,
        QualityDecision,
        SemanticClassifier,
        SemanticResult,
        TaskClassifier,
        TFIDFVectorizer,
    )
    from .costs import CostTracker, UsageRecord
    from .decision import ABTest, ModelConfig, RoutingDecision, RoutingResult
    from .errors import (
        AntarisError,
        BudgetExceededError,
        CircuitOpenError,
        ConfigurationError,
        NoEligibleModelError,
        ProviderError,
        ProviderHTTPError,
        ProviderResponseError,
        ProviderTimeoutError,
        StateError,
        UnknownDecisionError,
    )
    from .feedback import QualityTracker
    from .health import ProviderHealth
    from .registry import ModelInfo, ModelRegistry
    from .router import Router
    from .sla import SLAConfig, SLAMonitor, SLARecord
    from .tiers import Tier
    from .workspace import Workspace
