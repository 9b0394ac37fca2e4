"""Router operations around the calls: provider health, cost tracking, SLA reports, analytics.

A mixin of Router, kept apart so router.py holds only the routing path. Every
method here reads or writes the pieces Router builds (health, costs,
sla_monitor, analytics, budget) and routes nothing itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from . import analytics as _analytics
from ._args import token_pair as _token_pair
from .decision import RoutingDecision
from .sla import SLAConfig, SLAMonitor

if TYPE_CHECKING:  # pragma: no cover
    from .budget import Budget
    from .costs import CostTracker
    from .health import ProviderHealth
    from .learning import Learner
    from .outcomes import OutcomeLog
    from .registry import ModelRegistry

__all__ = ["RouterOperations"]


class RouterOperations:
    """Health, cost, SLA and analytics methods of Router (antaris-router's v1 API)."""

    registry: ModelRegistry
    health: ProviderHealth
    costs: CostTracker
    sla_monitor: Optional[SLAMonitor]
    analytics: _analytics.RoutingAnalytics
    budget: Optional[Budget]
    learner: Learner
    outcomes: OutcomeLog
    low_confidence_threshold: float
    budget_keys: Dict[str, str]
    _clock: Callable[[], float]

    if TYPE_CHECKING:  # defined by Router; declared here for the analytics helpers' types
        def list_models_for_tier(self, tier: str) -> List[Dict[str, Any]]: ...
    # -- analytics ------------------------------------------------------------------------------
    def routing_analytics(self) -> Dict[str, Any]:
        """Return aggregate routing analytics (tiers, models, providers, confidence)."""
        return self.analytics.routing_analytics()

    def get_analytics(self) -> Dict[str, Any]:
        """Return routing analytics in AdaptiveRouter's shape, plus ``outcomes`` (outcomes reported).

        Every count comes from the outcome log's counters, as ``avg_quality`` does, so they agree:
        with a workspace, totals since it was created, for every router sharing it (another
        process's decisions count once it writes them), surviving close() and restarts; without
        one, this router's. ``avg_quality`` is 0.0 while ``outcomes`` is 0. Reads a few counter
        rows (after writing this router's buffered decisions): cheap at any volume.
        """
        return _analytics.adaptive_report(self.outcomes.analytics())

    # -- provider health --------------------------------------------------------------------------
    def record_provider_event(
        self, model: str, event: str, latency_ms: Optional[float] = None, details: Optional[str] = None,
        *, status: Optional[int] = None,
    ) -> None:
        """Record a provider call outcome (success, error or timeout) for health tracking.

        ``status`` is the HTTP status of a failed call, when known. Client errors (4xx other than
        408/429, or details such as ``"context_exceeded"``) do not count against the model.
        """
        self.health.record(model, event, latency_ms=latency_ms, details=details, status=status)
        if self.sla_monitor is not None and latency_ms is not None and event == "success":
            self.sla_monitor.record_latency(model, latency_ms)

    def get_provider_health(self, model: str) -> Dict[str, Any]:
        """Return the current health of ``model``: healthy, degraded or down."""
        return self.health.status(model)

    # -- costs ------------------------------------------------------------------------------------
    def log_usage(self, decision: RoutingDecision, input_tokens: int, output_tokens: int,
                  *, usage_source: str = "provider") -> Optional[float]:
        """Record actual token usage for a decision; return its cost in USD (None for an unpriced model).

        With a budget, this settles the decision's reservation at the actual cost. The usage is
        booked in the cost records only once the settle succeeded: a refused settle (a duplicate
        call, a released decision, an unreachable ledger) raises and books nothing, so a retry
        does not count the request twice.
        """
        if not isinstance(decision, RoutingDecision):
            raise TypeError("log_usage() takes a RoutingDecision returned by route()")
        model = self.registry.get(decision.model)
        if decision.reservation_id is not None and self.budget is not None:
            cost = self.costs.cost_of(model, input_tokens, output_tokens, decision.tier, usage_source=usage_source)
            self.budget.settle(decision.reservation_id, usd=cost, tokens=float(input_tokens + output_tokens))
        record = self.costs.log(model, input_tokens, output_tokens, decision.tier, usage_source=usage_source)
        if self.sla_monitor is not None and record.cost_usd is not None:
            self.sla_monitor.add_spend(record.cost_usd)
        return record.cost_usd

    def release(self, decision: RoutingDecision) -> None:
        """Give back a decision's budget reservation when the request was never sent."""
        if not isinstance(decision, RoutingDecision):
            raise TypeError("release() takes a RoutingDecision returned by route()")
        if decision.reservation_id is not None and self.budget is not None:
            self.budget.release(decision.reservation_id)

    def cost_report(self, period: str = "day", *, scope: Optional[str] = None, ago: int = 0) -> Dict[str, Any]:
        """Return actual spend in the current calendar ``period`` (hour, day, week, month; ``ago`` back), by model."""
        return self.costs.report(period, scope=scope, ago=ago)

    def savings_estimate(self, comparison_model: str, period: Optional[str] = None) -> Dict[str, Any]:
        """Return the saving of the logged traffic against always using ``comparison_model``."""
        return self.costs.savings(self.registry.get(comparison_model), period)

    def cost_scope(self, name: str) -> Any:
        """Return a context manager: usage logged inside it also counts under scope ``name`` (nests)."""
        return self.costs.scope(name)

    def forecast_cost(
        self, requests_per_hour: float, avg_input_tokens: int, avg_output_tokens: int
    ) -> Dict[str, Any]:
        """Project hourly, daily and monthly cost from the current routing mix."""
        return _analytics.forecast(self, requests_per_hour, avg_input_tokens, avg_output_tokens)

    def get_cost_optimizations(self, estimate_tokens: Tuple[int, int] = (100, 50)) -> List[Dict[str, Any]]:
        """Return suggestions that would lower spend, with their estimated daily savings."""
        return _analytics.optimizations(self, _token_pair(estimate_tokens))

    # -- SLA ----------------------------------------------------------------------------------------
    def get_sla_report(self, since_hours: float = 1.0) -> Dict[str, Any]:
        """Return SLA compliance over the last ``since_hours`` hours."""
        if self.sla_monitor is None:
            return SLAMonitor(SLAConfig(), clock=self._clock).report(since_hours)
        return self.sla_monitor.report(since_hours)

    def check_budget_alert(self) -> Dict[str, Any]:
        """Return the budget status: ok, warning or critical.

        With an SLA hourly budget, that one (antaris's behaviour). Otherwise, with a Budget, the
        most used USD limit for the router's ``budget_keys``: warning from 80%, critical at 100%;
        every limit's status is under ``limits``.
        """
        if self.sla_monitor is not None and self.sla_monitor.config.budget_per_hour_usd:
            return self.sla_monitor.budget_alert()
        if self.budget is not None:
            return self._ledger_alert()
        monitor = self.sla_monitor or SLAMonitor(SLAConfig(), clock=self._clock)
        return monitor.budget_alert()

    def _ledger_alert(self) -> Dict[str, Any]:
        assert self.budget is not None
        limits = [s for s in self.budget.status(self.budget_keys).limits if s.unit == "usd" and s.window != "request"]
        # With cost tracking off nothing records the hour's spend: unknown (None), not $0.
        spent_hour: Optional[float] = None
        if self.costs.enabled:
            spent_hour = float(self.costs.report("hour").get("total_cost_usd") or 0.0)
        if not limits:
            return {"status": "ok", "hourly_spend_usd": spent_hour, "budget_usd": None, "utilization": 0.0,
                    "projected_hourly_usd": spent_hour, "recommendation": "No USD limit applies.", "limits": []}
        top = max(limits, key=lambda s: s.utilisation)
        status = "critical" if top.utilisation >= 1.0 else "warning" if top.utilisation >= 0.8 else "ok"
        advice = {
            "ok": "Spend is within budget.",
            "warning": f"{top.scope} is {top.utilisation:.0%} used: routing moves to cheaper models under pressure.",
            "critical": f"{top.scope} is spent: requests are refused before any network call.",
        }[status]
        return {
            "status": status,
            "hourly_spend_usd": spent_hour,
            "budget_usd": top.limit,
            "utilization": top.utilisation,
            "projected_hourly_usd": spent_hour,
            "recommendation": advice,
            "scope": top.scope,
            "spent_usd": top.spent,
            "reserved_usd": top.reserved,
            "remaining_usd": top.remaining,
            "limits": [s.to_dict() for s in limits],
        }

    def record_sla_quality(self, model: str, score: float) -> None:
        """Record an observed quality score for SLA tracking."""
        if self.sla_monitor is None:
            self.sla_monitor = SLAMonitor(SLAConfig(), clock=self._clock)
        self.sla_monitor.record_quality(model, score)
