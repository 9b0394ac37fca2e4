"""Hard budgets: limits over scopes and windows, a reserve-then-settle ledger, pluggable stores.

    from antaris_like.budget import Budget, Limit
    budget = Budget(
        Limit(usd=50.0, per="org", window="month", timezone="UTC"),
        Limit(usd=1.0, per="user", window="day"),
        Limit(usd=0.10, window="request"),
        store="sqlite:///ledger.db",
    )
    r = budget.reserve(usd=0.02, keys={"org": "acme", "user": "alice"})   # BudgetExceededError
    r.settle(usd=0.013)                                                   # or r.release()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict

# Loaded on first use (PEP 562): a router without a budget never pays for the ledger and stores.
_EXPORTS: Dict[str, str] = {
    "Alert": ".ledger", "Budget": ".ledger", "BudgetStatus": ".ledger", "DEFAULT_THRESHOLDS": ".ledger",
    "LimitStatus": ".ledger", "Reservation": ".ledger", "SettleResult": ".ledger",
    "Limit": ".limits", "Unit": ".limits", "Window": ".limits",
    "MemoryStore": ".stores", "PostgresStore": ".stores", "RedisStore": ".stores", "SQLiteStore": ".stores",
    "Store": ".stores", "UnknownReservationError": ".stores", "store_from_url": ".stores",
    "BudgetExceededError": "..errors",
}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover
    from ..errors import BudgetExceededError
    from .ledger import (
        DEFAULT_THRESHOLDS,
        Alert,
        Budget,
        BudgetStatus,
        LimitStatus,
        Reservation,
        SettleResult,
    )
    from .limits import Limit, Unit, Window
    from .stores import (
        MemoryStore,
        PostgresStore,
        RedisStore,
        SQLiteStore,
        Store,
        UnknownReservationError,
        store_from_url,
    )

__all__ = [
    "Alert",
    "Budget",
    "BudgetExceededError",
    "BudgetStatus",
    "DEFAULT_THRESHOLDS",
    "Limit",
    "LimitStatus",
    "MemoryStore",
    "PostgresStore",
    "RedisStore",
    "Reservation",
    "SQLiteStore",
    "SettleResult",
    "Store",
    "Unit",
    "UnknownReservationError",
    "Window",
    "store_from_url",
]
