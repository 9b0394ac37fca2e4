"""Routing adjustments after the policy's choice: SLA breaches, auto-scaling, low-confidence escalation.

A mixin of Router; each method takes the chosen model and returns the one to use
instead, with the reasons, so the routing path in router.py stays linear. A model
swapped in must pass the request's filters (capability, context, health), as the
policy's choice did.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, Set, Tuple

from .errors import NoEligibleModelError
from .policy import HealthLookup, Policy, Selection, request_cost
from .registry import ModelInfo
from .tiers import Tier

if TYPE_CHECKING:  # pragma: no cover
    from .health import ProviderHealth
    from .registry import ModelRegistry
    from .sla import SLAConfig, SLAMonitor

__all__ = ["RoutingAdjustments", "swap_step"]

logger = logging.getLogger("antaris_like.router")  # escalation logs under the router's name

# How each step that replaces the policy's choice reads in the decision's "Selected ..." sentence.
_SWAP_STEPS = {
    "escalated_due_to_quality_sla": "escalated (quality SLA)",
    "routed_to_faster_model_due_to_latency_sla": "moved to a faster model (latency SLA)",
    "auto_scaled": "auto-scaled (fallback_chain)",
    "escalated": "escalated (low confidence)",
    "routed_to_cheaper_model_due_to_budget": "moved to a cheaper model (budget)",
}


def swap_step(adjustment: str) -> str:
    """Return how ``adjustment`` (a model-replacing step) reads in a decision's "Selected ..." sentence."""
    return _SWAP_STEPS.get(adjustment) or adjustment.replace("_", " ")


class RoutingAdjustments:
    """SLA, auto-scale and escalation steps of Router."""

    registry: ModelRegistry
    policy: Policy
    health: ProviderHealth
    sla: Optional[SLAConfig]
    sla_monitor: Optional[SLAMonitor]
    fallback_chain: List[str]
    escalation_model: Optional[str]
    escalation_strategy: str
    low_confidence_threshold: float
    _escalation_warned: Set[str]

    def _unfit(
        self, model: ModelInfo, tier: Tier, tokens: Tuple[int, int], capability: Optional[str],
        healthy: Optional[HealthLookup], context_tokens: Optional[int] = None,
    ) -> str:
        """Return why ``model`` fails the request's filters (capability, context, health), or "" if it passes.

        Asks Policy.select itself, so a swapped-in model meets exactly the filters the policy's choice met.
        """
        try:
            self.policy.select((model,), tier, input_tokens=tokens[0], output_tokens=tokens[1],
                               capability=capability, healthy=healthy, context_tokens=context_tokens)
        except NoEligibleModelError as exc:
            return exc.reasons.get(model.name, "not eligible")
        return ""

    def _first_fit(
        self, models: Iterable[ModelInfo], tier: Tier, tokens: Tuple[int, int], capability: Optional[str],
        healthy: Optional[HealthLookup], context_tokens: Optional[int] = None,
    ) -> Optional[ModelInfo]:
        """Return the first of ``models`` that passes the request's filters, or None."""
        for candidate in models:
            if not self._unfit(candidate, tier, tokens, capability, healthy, context_tokens):
                return candidate
        return None

    def _sla_adjust(
        self, model: ModelInfo, selection: Selection, tokens: Tuple[int, int], capability: Optional[str],
        healthy: Optional[HealthLookup], context_tokens: Optional[int] = None,
    ) -> Tuple[ModelInfo, List[str]]:
        assert self.sla_monitor is not None and self.sla is not None
        adjustments: List[str] = []
        breaches = self.sla_monitor.breaches_for(model.name)
        if "quality_below_minimum" in breaches:
            stronger = sorted((m for m in self.registry if m.max_tier > model.max_tier),
                              key=lambda m: (m.calculate_cost(100, 50) if m.is_priced else math.inf, m.name))
            target = self._first_fit(stronger, selection.tier, tokens, capability, healthy, context_tokens)
            if target is not None:
                model = target
                adjustments.append("escalated_due_to_quality_sla")
        if "latency_exceeded" in breaches:
            for candidate in selection.candidates:
                latency = self.sla_monitor.avg_latency(candidate.name)
                if candidate.name != model.name and (latency is None or latency <= (self.sla.max_latency_ms or 0)):
                    model = candidate
                    adjustments.append("routed_to_faster_model_due_to_latency_sla")
                    break
        return model, adjustments

    def _auto_scale(
        self, model: ModelInfo, tier: Tier, tokens: Tuple[int, int], capability: Optional[str],
        reasoning: List[str], adjustments: List[str], context_tokens: Optional[int] = None,
        gate: Optional[HealthLookup] = None,
    ) -> ModelInfo:
        over_budget = self.sla_monitor is not None and self.sla_monitor.budget_breached(
            request_cost(model, *tokens) if model.is_priced else 0.0
        )
        # A half-open model whose one probe this routing claimed (prefer_healthy's gate) reads as not
        # healthy to everyone else; to this request it is the probe, and skipping it would leave the
        # breaker half-open for good, with all traffic on the fallback.
        probing = model.name in getattr(gate, "claimed", ())
        if (probing or self.health.is_healthy(model.name)) and not over_budget:
            return model
        for name in self.fallback_chain:
            if name == model.name or name not in self.registry:
                continue
            candidate = self.registry.get(name)
            if not self.health.is_healthy(name):
                continue
            unfit = self._unfit(candidate, tier, tokens, capability, None,  # health is checked just above
                                context_tokens)
            if unfit:
                reasoning.append(f"auto_scale: skipped fallback {name}: {unfit}.")
                continue
            why = "over budget" if over_budget else f"{self.health.status(model.name)['status']}"
            reasoning.append(f"auto_scale: {model.name} is {why}; using fallback {name}.")
            adjustments.append(f"auto_scaled_to_{name}")
            return candidate
        return model

    def _warn_unknown_escalation_model(self, name: str) -> None:
        # Once per name: every low-confidence request would log it. (Two threads may both log the
        # first time; that is harmless.)
        if name not in self._escalation_warned:
            self._escalation_warned.add(name)
            logger.warning("escalation_model %r is not registered; low-confidence requests are not escalated "
                           "until it is", name)

    def _scaled_fallbacks(self, names: Sequence[str], replaced: str) -> List[str]:
        """Order an auto-scaled decision's fallbacks: healthy models first, then the rest, the replaced one last."""
        healthy: List[str] = []
        unhealthy: List[str] = []
        for name in names:
            if name != replaced:
                (healthy if self.health.is_healthy(name) else unhealthy).append(name)
        return healthy + unhealthy + ([replaced] if replaced in names else [])

    def _escalate(
        self, model: ModelInfo, tier: Tier, confidence: float, tokens: Tuple[int, int],
        capability: Optional[str], healthy: Optional[HealthLookup], reasoning: List[str],
        context_tokens: Optional[int] = None,
    ) -> Tuple[ModelInfo, bool, str]:
        # The target must pass the same filters as the policy's choice: escalating a vision request
        # to a model without vision (or one too small for the prompt) would trade doubt for failure.
        up = tier.shifted(1)
        target: Optional[ModelInfo] = None
        if self.escalation_model is not None:
            target = self.registry.find(self.escalation_model)
            if target is None:
                self._warn_unknown_escalation_model(self.escalation_model)
                reasoning.append(f"Low confidence: not escalated, escalation_model {self.escalation_model!r} "
                                 "is not registered.")
                return model, False, ""
            why = (self._unfit(target, up, tokens, capability, healthy, context_tokens)
                   if target.name != model.name else "")
            if why:
                reasoning.append(f"Low confidence: not escalated, escalation_model {target.name} {why}.")
                return model, False, ""
        else:
            stronger = sorted((m for m in self.registry if m.covers(up) and m.max_tier > model.max_tier),
                              key=lambda m: (request_cost(m, 100, 50), -m.quality, m.name))
            target = self._first_fit(stronger, up, tokens, capability, healthy, context_tokens)
            if target is None and stronger:
                reasoning.append("Low confidence: not escalated, no stronger model passes the request's "
                                 "capability, context and health filters.")
        if target is None or target.name == model.name:
            return model, False, ""
        reason = (
            f"Low confidence below threshold {self.low_confidence_threshold:.2f}. Original model: {model.name}"
        )
        if self.escalation_strategy == "always":
            return target, True, reason
        if self.escalation_strategy == "ask":
            return model, True, f"{reason}. Suggested: {target.name}"
        logger.info("low-confidence routing (%.2f < %.2f) kept %s; would escalate to %s",
                    confidence, self.low_confidence_threshold, model.name, target.name)
        return model, False, ""
