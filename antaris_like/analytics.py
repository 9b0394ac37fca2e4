"""Routing analytics, cost forecasts and optimisation suggestions, and save_state().

Counters only: memory is O(tiers x models), whatever the traffic.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import Counter, deque
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, List, Mapping, Optional, Tuple, Union

from ._args import is_count, is_finite_number
from .policy import request_cost
from .tiers import TIER_NAMES, Tier
from .workspace import Workspace

if TYPE_CHECKING:  # pragma: no cover
    from .decision import RoutingDecision
    from .operations import RouterOperations
    from .router import Router

__all__ = ["RoutingAnalytics", "adaptive_report", "forecast", "optimizations", "save_state", "load_state", "STATE_FILE"]

STATE_FILE = "router_state.json"
_FOLD_EVERY = 256  # queued decisions folded into the counters at least this often
STATE_SCHEMA_VERSION = 1

log = logging.getLogger(__name__)


class RoutingAnalytics:
    """Count decisions by tier, model and provider; sum confidence and estimated savings.

    ``add()`` (route()'s path) only appends to a queue, without a lock; every read folds the queue in
    first, so readers always see every decision added before they were called.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: Deque[Tuple[RoutingDecision, float]] = deque()
        self._total = 0
        self._confidence_sum = 0.0
        self._savings = 0.0
        self._cost = 0.0
        self._first: Optional[float] = None
        self._last: Optional[float] = None
        # One counter keyed by (tier, model, provider); the per-tier, per-model and per-provider
        # views are summed from it when read.
        self._routes: Counter = Counter()
        self._loaded_tier_models: Counter = Counter()  # restored by load_dict (providers kept apart there)
        self._loaded_providers: Counter = Counter()

    def add(self, decision: RoutingDecision, saving: float) -> None:
        """Count one decision (``saving``: its estimated saving against the reference model)."""
        queued = self._queued
        queued.append((decision, saving))
        if len(queued) >= _FOLD_EVERY:  # bounded memory when nobody reads the analytics
            with self._lock:
                self._absorb()

    def _absorb(self) -> None:
        """Fold queued decisions into the counters; call with the lock held."""
        queued = self._queued
        routes = self._routes
        while queued:
            decision, saving = queued.popleft()  # atomic against add() in other threads
            d = decision.__dict__
            self._total += 1
            self._confidence_sum += d["confidence"]
            self._savings += saving
            self._cost += d["estimated_cost"] or 0.0  # None: the model's price is unknown
            if self._first is None:
                self._first = d["timestamp"]
            self._last = d["timestamp"]
            routes[(d["tier"], d["model"], d["provider"])] += 1

    def _folded(self, read: Callable[[], Any]) -> Any:
        """Run ``read`` on the counters with every queued decision folded in."""
        with self._lock:
            self._absorb()
            return read()

    total = property(lambda self: self._folded(lambda: self._total), doc="Decisions counted.")
    confidence_sum = property(lambda self: self._folded(lambda: self._confidence_sum), doc="Sum of their confidences.")
    savings = property(lambda self: self._folded(lambda: self._savings), doc="Sum of their estimated savings (USD).")
    cost = property(lambda self: self._folded(lambda: self._cost), doc="Sum of their estimated costs (USD).")
    first_timestamp = property(lambda self: self._folded(lambda: self._first), doc="Time of the first decision.")
    last_timestamp = property(lambda self: self._folded(lambda: self._last), doc="Time of the latest decision.")
    tier_models = property(lambda self: self._folded(self._tier_models), doc="Decisions per (tier, model).")
    tiers = property(lambda self: self._folded(lambda: _sum_by(self._tier_models(), 0)), doc="Decisions per tier.")
    models = property(lambda self: self._folded(lambda: _sum_by(self._tier_models(), 1)), doc="Decisions per model.")
    providers = property(lambda self: self._folded(self._providers), doc="Decisions per provider.")

    def _tier_models(self) -> Counter:
        out = Counter(self._loaded_tier_models)
        for (tier, model, _), n in self._routes.items():
            out[(tier, model)] += n
        return out

    def _providers(self) -> Counter:
        out = Counter(self._loaded_providers)
        for (_, _, provider), n in self._routes.items():
            out[provider] += n
        return out

    def routing_analytics(self) -> Dict[str, Any]:
        """Return the Router.routing_analytics() report."""
        with self._lock:
            self._absorb()
            total = self._total
            tier_models = self._tier_models()
            counted, models, providers = _sum_by(tier_models, 0), _sum_by(tier_models, 1), self._providers()
            tiers = {name: counted.get(name, 0) for name in TIER_NAMES}
            return {
                "total_decisions": total,
                "avg_confidence": round(self._confidence_sum / total, 4) if total else 0.0,
                "tier_distribution": tiers,
                "tier_percentages": {
                    name: round(100.0 * count / total, 1) if total else 0.0 for name, count in tiers.items()
                },
                "model_usage": dict(models.most_common()),
                "provider_usage": dict(providers.most_common()),
                "most_used_model": models.most_common(1)[0][0] if models else None,
                "most_used_provider": providers.most_common(1)[0][0] if providers else None,
                "estimated_cost_usd": round(self._cost, 8),
                "estimated_savings_usd": round(self._savings, 8),
            }

    def to_dict(self) -> Dict[str, Any]:
        """Serialise the counters."""
        with self._lock:
            self._absorb()
            return {
                "total": self._total,
                "confidence_sum": self._confidence_sum,
                "savings": self._savings,
                "cost": self._cost,
                "first_timestamp": self._first,
                "last_timestamp": self._last,
                "tier_models": [[t, m, n] for (t, m), n in self._tier_models().items()],
                "providers": dict(self._providers()),
            }

    def load_dict(self, data: Mapping[str, Any]) -> None:
        """Restore counters written by ``to_dict``; malformed entries are skipped with one warning."""
        skipped = 0
        with self._lock:
            self._absorb()
            total = data.get("total")
            if isinstance(total, int) and is_count(total):  # isinstance for mypy
                self._total = total
            elif total is not None:
                skipped += 1
            for key, attr in (("confidence_sum", "_confidence_sum"), ("savings", "_savings"), ("cost", "_cost"),
                              ("first_timestamp", "_first"), ("last_timestamp", "_last")):
                value = data.get(key)
                if isinstance(value, (int, float)) and is_finite_number(value):  # isinstance for mypy
                    setattr(self, attr, float(value))  # NaN, Infinity and ints beyond float range are skipped
                elif value is not None:
                    skipped += 1
            rows = data.get("tier_models")
            for row in rows if isinstance(rows, list) else []:
                if isinstance(row, list) and len(row) == 3 and row[0] in TIER_NAMES and is_count(row[2]):
                    self._loaded_tier_models[(row[0], str(row[1]))] = row[2]
                else:
                    skipped += 1
            providers = data.get("providers")
            for name, count in providers.items() if isinstance(providers, dict) else ():
                if is_count(count):
                    self._loaded_providers[str(name)] = count
                else:
                    skipped += 1
        if skipped:
            log.warning("routing analytics: skipped %d unreadable entr%s while loading saved state",
                        skipped, "y" if skipped == 1 else "ies")

    def days_observed(self) -> float:
        """Return the span of observed traffic in days (at least one)."""
        with self._lock:
            self._absorb()
            first, last = self._first, self._last
        if first is None or last is None:
            return 1.0
        return max((last - first) / 86400.0, 1.0)


def _sum_by(tier_models: Counter, position: int) -> Counter:
    """Sum (tier, model) counts by tier (position 0) or by model (position 1)."""
    out: Counter = Counter()
    for key, n in tier_models.items():
        out[key[position]] += n
    return out


def _positive_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def forecast(router: RouterOperations, requests_per_hour: float, avg_input_tokens: int, avg_output_tokens: int) -> Dict[str, Any]:
    """Project spend from the router's model mix (or, with no history, one model per tier evenly)."""
    rph = _positive_number("requests_per_hour", requests_per_hour)
    tokens_in = int(_positive_number("avg_input_tokens", avg_input_tokens))
    tokens_out = int(_positive_number("avg_output_tokens", avg_output_tokens))
    shares: Dict[str, float] = {}
    usage = router.analytics.models
    total = sum(usage.values())
    if total:
        shares = {name: count / total for name, count in usage.items() if name in router.registry}
    else:
        picks: List[str] = []
        for tier in Tier:
            rows = router.list_models_for_tier(tier.value)
            if rows:
                picks.append(rows[0]["name"])
        for name in picks:
            shares[name] = shares.get(name, 0.0) + 1.0 / len(picks)
    breakdown: Dict[str, Dict[str, float]] = {}
    hourly = 0.0
    for name, share in sorted(shares.items(), key=lambda kv: -kv[1]):
        model = router.registry.get(name)
        per_request = request_cost(model, tokens_in, tokens_out)
        per_request = per_request if math.isfinite(per_request) else 0.0
        cost = per_request * share * rph
        hourly += cost
        breakdown[name] = {
            "requests_pct": round(share, 4),
            "cost_per_request_usd": round(per_request, 8),
            "hourly_cost_usd": round(cost, 8),
        }
    tip = "Routing mix is already at the cheapest eligible models."
    if breakdown:
        top = max(breakdown.items(), key=lambda kv: kv[1]["hourly_cost_usd"])
        if hourly > 0 and top[1]["hourly_cost_usd"] > 0:
            tip = (
                f"{top[0]} accounts for {top[1]['hourly_cost_usd'] / hourly:.0%} of projected spend; "
                "lowering its tier range or min_tier use would cut most."
            )
    return {
        "hourly_cost_usd": round(hourly, 8),
        "daily_cost_usd": round(hourly * 24, 8),
        "monthly_cost_usd": round(hourly * 24 * 30, 8),
        "breakdown_by_model": breakdown,
        "optimization_tip": tip,
    }


def optimizations(router: RouterOperations, tokens: Tuple[int, int]) -> List[Dict[str, Any]]:
    """Suggest cheaper models for the (tier, model) pairs traffic actually used."""
    suggestions: List[Dict[str, Any]] = []
    per_day = 1.0 / router.analytics.days_observed()
    for (tier_name, model_name), count in router.analytics.tier_models.most_common():
        if model_name not in router.registry:
            continue
        used = router.registry.get(model_name)
        used_cost = request_cost(used, *tokens)
        cheaper = [
            m for m in router.registry
            if m.covers(Tier.parse(tier_name)) and request_cost(m, *tokens) < used_cost
        ]
        if not cheaper:
            continue
        best = min(cheaper, key=lambda m: (request_cost(m, *tokens), m.name))
        saving = (used_cost - request_cost(best, *tokens)) * count * per_day
        suggestions.append({
            "suggestion": f"Route '{tier_name}' prompts to {best.name} instead of {used.name}",
            "estimated_savings_usd_per_day": round(saving, 6),
            "tradeoff": f"Quality prior {best.quality:.2f} vs {used.quality:.2f} for {tier_name} tasks",
        })
    if router.low_confidence_threshold == 0.0:
        suggestions.append({
            "suggestion": "Enable confidence-gated escalation to reduce expert-tier misrouting",
            "estimated_savings_usd_per_day": 0.0,
            "tradeoff": "Low-confidence prompts go to a stronger model; a small share costs more",
        })
    suggestions.sort(key=lambda s: -s["estimated_savings_usd_per_day"])
    return suggestions


def adaptive_report(totals: Mapping[str, Any]) -> Dict[str, Any]:
    """Return AdaptiveRouter.get_analytics()'s report from ``OutcomeLog.analytics()`` totals."""
    models = totals["model_usage"]
    return {
        "total_routed": totals["total_routed"],
        "tier_distribution": dict(totals["tier_distribution"]),
        "avg_quality": float(totals["avg_quality"]),  # 0.0 before any outcome, as the manual types it
        "model_usage": dict(sorted(models.items(), key=lambda kv: (-kv[1], kv[0]))),
        "cost_savings": round(float(totals["cost_savings"]), 8),
        "outcomes": totals["total_outcomes"],  # 0: avg_quality is no measurement yet
    }


def save_state(router: Router, path: Optional[Union[str, os.PathLike[str]]]) -> str:
    """Write analytics, costs and health (and the learned classifier) atomically; return the folder."""
    if path is None:
        if router.workspace is None:
            raise ValueError("save_state() needs a path when the router has no workspace")
        workspace = router.workspace
    else:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError("save_state() path must be a folder path (str or os.PathLike)")
        workspace = Workspace(path)
    workspace.write_json(STATE_FILE, {
        "schema_version": STATE_SCHEMA_VERSION,
        "analytics": router.analytics.to_dict(),
        "costs": router.costs.to_dict(),
        "health": router.health.to_dict(),
    })
    router.learner.checkpoint(workspace)
    return str(workspace.path)


def load_state(router: Router, workspace: Workspace) -> None:
    """Restore what save_state() wrote into ``workspace`` (corrupt files are moved aside)."""
    data = workspace.read_json(STATE_FILE, schema_version=STATE_SCHEMA_VERSION, default=None)
    if not isinstance(data, dict):
        return
    for key, target in (("analytics", router.analytics), ("costs", router.costs), ("health", router.health)):
        part = data.get(key)
        if isinstance(part, dict):
            target.load_dict(part)
