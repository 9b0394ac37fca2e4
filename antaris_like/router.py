"""The Router facade: classify, choose, record; learn from reported outcomes.

The router wires the pieces (classifier, registry, policy, outcome log, health,
SLA, cost tracking) and owns nothing else. ``route()`` does no network or
disk I/O on its hot path: the decision is kept in memory and written behind
in batches; ``report_outcome()`` is durable when it returns.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union

from . import analytics as _analytics
from ._args import optional_str as _optional_str
from ._args import token_pair as _token_pair
from ._args import unit_float as _unit_float
from .adjustments import RoutingAdjustments
from .adjustments import swap_step as _swap_step
from .classifier import ClassificationResult, TierClassifier
from .costs import CostTracker
from .decision import ABTest, ModelConfig, RoutingDecision, explain_decision
from .errors import ConfigurationError, NoEligibleModelError
from .feedback import DecisionRecord, OutcomeLog
from .health import ProviderHealth
from .learning import Learner
from .operations import RouterOperations
from .policy import Policy, Selection, request_cost
from .registry import ModelInfo, ModelRegistry
from .sla import SLAConfig, SLAMonitor
from .text import (
    MAX_PROMPT_CHARS,
    check_prompt,
    check_prompt_utf8,
    context_tokens_utf8,
    estimate_tokens_utf8,
    max_input_tokens_utf8,
    utf8_digest,
)
from .tiers import Tier
from .workspace import Workspace

if TYPE_CHECKING:  # pragma: no cover - the budget machinery loads only when a budget is given
    from .admission import Admitter
    from .budget import Budget

# Same values as admission.DEFAULT_MAX_TOKENS / DEFAULT_PRESSURE (kept here so importing the router
# does not load the ledger and its stores; tests check they agree).
DEFAULT_MAX_TOKENS = 1024
DEFAULT_PRESSURE = (0.8, 0.95)

__all__ = ["Router", "ESCALATION_STRATEGIES", "DEFAULT_OUTPUT_TOKENS"]

logger = logging.getLogger(__name__)

ESCALATION_STRATEGIES = ("always", "log_only", "ask")
DEFAULT_OUTPUT_TOKENS = 256
_SELECTION_CACHE_SIZE = 4096
PathLike = Union[str, "os.PathLike[str]"]


class Router(RoutingAdjustments, RouterOperations):
    """Route prompts to the cheapest capable model and learn from outcomes.

    Parameters follow antaris-router's ``Router``; beyond it:
    ``workspace`` persists decisions, outcomes and the learned classifier
    (as AdaptiveRouter does), ``registry`` takes a ModelRegistry object,
    ``local_models`` admits the default registry's free local (Ollama) models,
    ``exploration_rate`` sends that share of prompts one tier lower (never
    below ``min_tier``) so the router keeps learning whether a cheaper model
    suffices, and ``clock`` /
    ``seed`` make it deterministic in tests.
    """

    _result_type: Type[RoutingDecision] = RoutingDecision  # AdaptiveRouter returns RoutingResult

    def __init__(
        self,
        config_path: Optional[PathLike] = None,
        enable_cost_tracking: bool = True,
        low_confidence_threshold: float = 0.0,
        escalation_model: Optional[str] = None,
        escalation_strategy: str = "always",
        sla: Optional[SLAConfig] = None,
        fallback_chain: Optional[Sequence[str]] = None,
        classifier: Optional[Any] = None,
        *,
        workspace: Optional[PathLike] = None,
        registry: Optional[ModelRegistry] = None,
        local_models: bool = False,
        exploration_rate: float = 0.0,
        default_output_tokens: int = DEFAULT_OUTPUT_TOKENS,
        max_prompt_chars: int = MAX_PROMPT_CHARS,
        budget: Union[None, float, Budget] = None,
        budget_keys: Optional[Mapping[str, str]] = None,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
        budget_pressure: Sequence[float] = DEFAULT_PRESSURE,
        seed: Optional[int] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self.registry = self._load_registry(config_path, registry, local_models)
        self.enable_cost_tracking = bool(enable_cost_tracking)
        self.low_confidence_threshold = _unit_float("low_confidence_threshold", low_confidence_threshold)
        if escalation_strategy not in ESCALATION_STRATEGIES:
            raise ValueError(
                f"escalation_strategy must be one of {', '.join(ESCALATION_STRATEGIES)}; "
                f"got {escalation_strategy!r}"
            )
        self.escalation_strategy = escalation_strategy
        self.escalation_model = _optional_str("escalation_model", escalation_model)
        if self.escalation_model is not None and len(self.registry):
            # Here rather than at the first low-confidence route(), which would fail only some requests.
            # An empty registry (AdaptiveRouter) gets its models later; route() skips an unknown one.
            try:
                self.registry.get(self.escalation_model)
            except ConfigurationError as exc:
                raise ConfigurationError(f"escalation_model: {exc}") from None
        self._escalation_warned = set()  # unknown escalation_model names already logged
        if sla is not None and not isinstance(sla, SLAConfig):
            raise TypeError("sla must be an SLAConfig or None")
        self.sla = sla
        self.fallback_chain = [str(m) for m in (fallback_chain or [])]
        self.exploration_rate = _unit_float("exploration_rate", exploration_rate)
        if isinstance(default_output_tokens, bool) or not isinstance(default_output_tokens, int) \
                or default_output_tokens < 0:
            raise ValueError("default_output_tokens must be an int >= 0")
        self.default_output_tokens = default_output_tokens
        if isinstance(max_prompt_chars, bool) or not isinstance(max_prompt_chars, int) or max_prompt_chars < 1:
            raise ValueError(f"max_prompt_chars must be an int >= 1, got {max_prompt_chars!r}")
        self.max_prompt_chars = max_prompt_chars
        self._rng = random.Random(seed)
        self._lock = threading.RLock()

        semantic = getattr(classifier, "tier_classifier", None)
        owner: Any = classifier  # not None whenever ``semantic`` is not
        if workspace is None and semantic is not None:
            workspace = owner.workspace  # a SemanticClassifier brings its own workspace
        self.workspace = Workspace(workspace, clock=clock) if workspace is not None else None
        # A foreign classifier object only decides tiers; learning still runs on the TierClassifier.
        self._custom_classifier = classifier if semantic is None else None
        self.outcomes = OutcomeLog(self.workspace, clock=clock)
        self.learner = Learner(semantic or TierClassifier.load_base(), self.outcomes, self.workspace, clock=clock)
        if semantic is not None:
            owner.tier_classifier = self.learner.classifier
        self.policy = Policy(failing=self.learner.failing_models)
        self.health = ProviderHealth(clock=clock)
        self.sla_monitor = SLAMonitor(sla, clock=clock) if sla is not None else None
        # Costs live in the workspace (durable, shared by processes), else in memory; with tracking
        # off, nowhere (no costs.db is created; budgets still settle, they are not cost tracking).
        cost_store = None
        if self.workspace is not None and self.enable_cost_tracking:
            cost_store = "sqlite:///" + self.workspace.file("costs.db")
        self.costs = CostTracker(clock=clock, store=cost_store, enabled=self.enable_cost_tracking)
        self.analytics = _analytics.RoutingAnalytics()
        # Selections hold for one registry version (registry.version, in the key too): see _select.
        self._cache_version = 0
        self._selection_cache: Dict[Tuple[Any, ...], Selection] = {}
        # (registry version, the savings reference model), one tuple like _window_cache.
        self._strongest: Optional[Tuple[int, ModelInfo]] = None
        # (registry version, smallest context window): one tuple, so one read is always consistent.
        self._window_cache: Optional[Tuple[int, float]] = None
        self.budget = self._make_budget(budget, clock)
        self.budget_keys = dict(budget_keys or {})
        self._admitter: Optional[Admitter] = None
        if self.budget is not None:
            from .admission import Admitter

            self._admitter = Admitter(self.budget, default_max_tokens=default_max_tokens, pressure=budget_pressure)
        self._default_max_tokens = default_max_tokens
        if self.workspace is not None:
            _analytics.load_state(self, self.workspace)

    @property
    def classifier(self) -> TierClassifier:
        """The learning tier classifier (replaced when a snapshot is reloaded)."""
        return self.learner.classifier

    # -- construction helpers ---------------------------------------------------------------------
    def _make_budget(self, budget: Union[None, float, Budget], clock: Callable[[], float]) -> Optional[Budget]:
        """Return the Budget for ``budget=``: a number is a total USD cap (as baar-core's ``budget=0.10``)."""
        if budget is None:
            return None
        from .budget import Budget

        if isinstance(budget, Budget):
            return budget
        if isinstance(budget, bool) or not isinstance(budget, (int, float)):
            raise TypeError("budget must be a Budget, a number of USD (a total cap), or None")
        store = "memory://"
        if self.workspace is not None:
            store = "sqlite:///" + self.workspace.file("budget.db")
        return Budget.total(budget, store=store, clock=clock)  # validated there (finite, >= 0)

    @staticmethod
    def _load_registry(
        config_path: Optional[PathLike], registry: Optional[ModelRegistry], local_models: bool
    ) -> ModelRegistry:
        if config_path is not None and registry is not None:
            raise ConfigurationError("give either config_path or registry, not both")
        if registry is not None:
            if not isinstance(registry, ModelRegistry):
                raise TypeError("registry must be a ModelRegistry")
            return registry
        if config_path is not None:
            return ModelRegistry.from_file(config_path)
        default = ModelRegistry.default()
        if local_models:
            return default
        return ModelRegistry(m for m in default if m.provider != "ollama")

    def register_model(self, config: Union[ModelConfig, ModelInfo], replace: bool = True) -> ModelInfo:
        """Add a model (a ModelConfig or a ModelInfo) to this router's registry and return its record."""
        if isinstance(config, ModelConfig):
            template = None
            try:
                template = ModelRegistry.default().get(config.name)
            except ConfigurationError:
                template = None
            info = config.to_model_info(template)
        elif isinstance(config, ModelInfo):
            info = config
        else:
            raise TypeError("register_model() takes a ModelConfig or a ModelInfo")
        with self._lock:
            self.registry.add(info, replace=replace)  # bumps registry.version: the caches drop themselves
        return info

    # -- routing ----------------------------------------------------------------------------------
    def route(
        self,
        prompt: str,
        context: Optional[Mapping[str, Any]] = None,
        prefer: Optional[str] = None,
        min_tier: Optional[str] = None,
        capability: Optional[str] = None,
        estimate_tokens: Optional[Tuple[int, int]] = None,
        ab_test: Optional[ABTest] = None,
        prefer_healthy: bool = False,
        auto_scale: bool = False,
        *,
        max_tokens: Optional[int] = None,
        keys: Optional[Mapping[str, str]] = None,
        priority: str = "normal",
    ) -> RoutingDecision:
        """Classify ``prompt`` and choose the model to answer it.

        With a budget, the request's worst case (see admission.py) is reserved
        before this returns, or BudgetExceededError is raised; settle it with
        ``log_usage()`` or give it back with ``release()``. ``max_tokens`` is the
        output bound to send with the request (one is chosen when not given).
        """
        if not len(self.registry):
            raise NoEligibleModelError("no models registered: call register_model(ModelConfig(...)) first")
        text, utf8 = check_prompt_utf8(prompt, max_chars=self.max_prompt_chars)
        if context is not None and not isinstance(context, Mapping):
            raise TypeError("context must be a dict or None")
        if prefer is not None:
            prefer = _optional_str("prefer", prefer)
        if capability is not None:
            capability = _optional_str("capability", capability)
        floor = Tier.parse(min_tier, what="min_tier") if min_tier is not None else None
        if ab_test is not None and not isinstance(ab_test, ABTest):
            raise TypeError("ab_test must come from create_ab_test()")
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int)
                                       or max_tokens < 1):
            raise ValueError(f"max_tokens must be an int >= 1, got {max_tokens!r}")
        if keys is not None and not isinstance(keys, Mapping):
            raise TypeError("keys must be a dict of scope name -> value, e.g. {'user': 'alice'}")
        if estimate_tokens is None:
            tokens = (estimate_tokens_utf8(text, utf8), self.default_output_tokens)
            # The typical estimate orders by cost; the context window is checked against a
            # conservative count (text.context_tokens), which digit runs and the like need. That
            # count never exceeds the byte bound, so it is computed only when the byte bound would
            # not fit the smallest window anyway (short prompts: no cost, and selections stay cached).
            context_in = tokens[0]
            if max_input_tokens_utf8(utf8) + tokens[1] > self._smallest_window():
                context_in = max(tokens[0], context_tokens_utf8(utf8))
        else:
            tokens = _token_pair(estimate_tokens)
            context_in = tokens[0]  # the caller's own count

        digest = utf8_digest(utf8)
        learner = self.learner
        learner.maybe_sync()
        classifier = learner.classifier
        vector = classifier.vectorize(text)
        if self._custom_classifier is None:
            classification = classifier.classify_vector(vector, text)
        else:
            classification = _adapt_classification(self._custom_classifier.classify(text), text)
        classified = Tier.parse(classification.tier)
        tier = classified
        reasoning = [
            f"Input classified as '{classified._value_}' task ({classification.confidence:.0%} confidence, "
            f"complexity {classification.complexity:.2f})."
        ]
        if floor is not None and tier < floor:
            tier = floor
            reasoning.append(f"Raised to min_tier '{floor.value}'.")
        # Exploration, budget pressure and the SLA downgrade move down only as far as the caller's floor.
        lowest = floor if floor is not None else Tier.TRIVIAL

        variant = ""
        if ab_test is not None:
            variant = ab_test.variant(digest)
            if ab_test.strategy(variant) == "quality_first":
                tier = tier.shifted(1)
                reasoning.append(f"A/B test {ab_test.name!r} variant {variant}: quality_first bumps to '{tier.value}'.")
            else:
                reasoning.append(f"A/B test {ab_test.name!r} variant {variant}: cost_optimized.")

        explored = False
        if self.exploration_rate and tier > lowest and self._rng.random() < self.exploration_rate:
            tier = tier.shifted(-1)
            explored = True
            reasoning.append(f"Exploration: trying one tier lower ('{tier.value}') to learn if it suffices.")

        adjustments: List[str] = []
        budget_keys: Dict[str, str] = {}
        if self._admitter is not None:
            budget_keys = {**self.budget_keys, **(keys or {})}
            if tier.rank > 0:
                wanted, used = self._admitter.pressure_steps(budget_keys)
                steps = min(wanted, tier.rank - lowest.rank)
                if steps:
                    tier = tier.shifted(-steps)
                    adjustments.append("routed_to_cheaper_tier_due_to_budget_pressure")
                    reasoning.append(f"Budget {used:.0%} used: moved {steps} tier(s) down to '{tier._value_}'.")
                elif wanted:
                    reasoning.append(f"Budget {used:.0%} used: min_tier '{lowest._value_}' keeps the tier.")
        if self.sla_monitor is not None and self.sla is not None and self.sla.auto_escalate_on_breach:
            if tier > lowest and self.sla_monitor.budget_breached():
                tier = tier.shifted(-1)
                adjustments.append("routed_to_cheaper_model_due_to_budget_sla")

        healthy = self.health.gate() if prefer_healthy else None  # also claims a half-open model's one probe
        try:
            selection = self._select(tier, tokens, capability, prefer, healthy, context_in)
            model = selection.model
            reasoning.extend(selection.reasons)

            swaps: List[str] = []  # the steps that replaced the policy's choice, in order (for the reasoning)
            if self.sla_monitor is not None and self.sla is not None and self.sla.auto_escalate_on_breach:
                model, more = self._sla_adjust(model, selection, tokens, capability, healthy, context_in)
                adjustments.extend(more)
                swaps.extend(_swap_step(a) for a in more)

            scaled_from: Optional[ModelInfo] = None
            if auto_scale:
                scaled = self._auto_scale(model, tier, tokens, capability, reasoning, adjustments, context_in,
                                          healthy)
                if scaled is not model:
                    scaled_from, model = model, scaled
                    swaps.append(_swap_step("auto_scaled"))

            escalated = False
            original_confidence = 0.0
            escalation_reason = ""
            confidence = classification.confidence
            if self.low_confidence_threshold and confidence < self.low_confidence_threshold:
                model, escalated, escalation_reason = self._escalate(
                    model, tier, confidence, tokens, capability, healthy, reasoning, context_in)
                if escalated:
                    original_confidence = confidence
                    if self.escalation_strategy == "always":
                        swaps.append(_swap_step("escalated"))

            admission = None
            if self._admitter is not None:
                # The fallbacks pass the policy's own hard filters (capability, context window, health):
                # the budget may buy a weaker tier, as budget pressure does, but never a model that
                # cannot take the request, nor one below the caller's min_tier.
                pool, _ = self.policy.eligible(self.registry, input_tokens=tokens[0], output_tokens=tokens[1],
                                               capability=capability, healthy=healthy, context_tokens=context_in)
                if floor is not None:  # the caller's min_tier is a floor the budget does not buy below either
                    pool = [m for m in pool if m.max_tier >= floor]
                admission = self._admitter.admit(text, model, pool, max_tokens=max_tokens, keys=budget_keys,
                                                 priority=priority, tier=tier,
                                                 input_bound=max_input_tokens_utf8(utf8))
                model = admission.model
                reasoning.extend(admission.notes)
                adjustments.extend(admission.adjustments)
                reasoning.append(f"Budget: reserved ${admission.worst_usd or 0:.6f}, the worst case with "
                                 f"max_tokens={admission.max_tokens}.")
            cost = selection.costs.get(model.name)
            if cost is None:
                cost = request_cost(model, *tokens)
            breaches: List[str] = []
            if self.sla_monitor is not None:
                breaches = self.sla_monitor.breaches_for(model.name, extra_usd=cost if math.isfinite(cost) else 0.0)
                self.sla_monitor.record_request(model.name, cost_usd=0.0, adjustments=tuple(adjustments),
                                                breaches=breaches)  # the report counts what the decision says
            fallback_names, alternatives, selected, tier_range = selection.facts(model)
            if model.name != selection.model.name:  # facts() would call it the cheapest eligible model: say how
                swaps.extend(_swap_step(a) for a in (admission.adjustments if admission is not None else ()))
                selected = selection.served(model, swaps)
            reasoning.append(selected)
            decision = self._result_type._build(
                model=model.name,
                provider=model.provider,
                tier=tier._value_,
                confidence=confidence,
                reasoning=reasoning,
                estimated_cost=cost if math.isfinite(cost) else None,  # unknown price: never shown as $0
                fallback_models=list(fallback_names) if scaled_from is None else self._scaled_fallbacks(
                    fallback_names, scaled_from.name),
                classification=classification,
                confidence_basis=classification.basis,
                prompt_hash=digest,
                complexity=classification.complexity,
                escalated=escalated,
                original_confidence=original_confidence,
                escalation_reason=escalation_reason,
                ab_variant=variant,
                supports_streaming=model.supports_streaming,
                sla_compliant=not breaches,
                sla_breaches=breaches,
                sla_adjustments=adjustments,
                classified_tier=classified._value_,
                tier_range=tier_range,
                estimate_tokens=tokens,
                alternatives=alternatives,
                explored=explored,
                timestamp=self._clock(),
                max_tokens=admission.max_tokens if admission is not None else (
                    min(max_tokens, model.max_output_tokens) if max_tokens is not None else None),
                reservation_id=admission.reservation.id if admission is not None else None,
                reserved_usd=(admission.worst_usd or 0.0) if admission is not None else 0.0,
            )
            self.health.routed(model.name, healthy)  # this request is the probe if the model is half-open
            self._record(decision, model, vector, classifier)
            return decision
        except BaseException:
            # Nothing was routed (a refused budget, no eligible model): a probe this routing claimed
            # goes back now, not after a cool-down in which the recovering model gets no traffic.
            if healthy is not None:
                self.health.release(healthy)
            raise

    def _select(
        self,
        tier: Tier,
        tokens: Tuple[int, int],
        capability: Optional[str],
        prefer: Optional[str],
        healthy: Optional[Callable[[ModelInfo], bool]],
        context_in: int,
    ) -> Selection:
        if healthy is not None:
            try:
                return self.policy.select(
                    self.registry, tier, input_tokens=tokens[0], output_tokens=tokens[1],
                    capability=capability, prefer=prefer, healthy=healthy, context_tokens=context_in,
                )
            except NoEligibleModelError:
                # Every eligible model is degraded: fall back to the least degraded one.
                selection = self._select(tier, tokens, capability, prefer, None, context_in)
                best = min(selection.candidates, key=lambda m: self.health.severity(m.name))
                ordered = (best,) + tuple(m for m in selection.candidates if m is not best)
                return Selection(best, tier, ordered, selection.costs, selection.rejected,
                                 selection.reasons + ("all eligible models degraded; least degraded chosen",))
        registry = self.registry
        version = registry.version
        if version != self._cache_version:  # the registry changed (or was replaced): drop the old entries
            self._selection_cache.clear()
            self._cache_version = version
        # The version is in the key too: a selection computed by another thread from the previous
        # registry state and stored after the clear is never read back.
        key = (version, tier, tokens, capability, prefer, context_in)
        cached = self._selection_cache.get(key)
        if cached is None:
            cached = self.policy.select(
                registry, tier, input_tokens=tokens[0], output_tokens=tokens[1],
                capability=capability, prefer=prefer, context_tokens=context_in,
            )
            if len(self._selection_cache) >= _SELECTION_CACHE_SIZE:
                self._selection_cache.clear()
            self._selection_cache[key] = cached
        # Learned quality changes with every outcome, so it is applied on top of the cache (and
        # only looked at further when outcomes show some model failing at this tier).
        if len(cached.candidates) < 2 or not self.learner.failing_models(tier):
            return cached
        return self.policy.reorder_by_quality(cached)

    def _record(self, decision: RoutingDecision, model: ModelInfo, vector: Any, classifier: TierClassifier) -> None:
        strongest = self._strongest_cost(decision.estimate_tokens)
        cost = decision.estimated_cost
        # An unpriced model's saving is unknown, not the whole reference cost: count none.
        self.analytics.add(decision, strongest - cost if cost is not None and strongest > cost else 0.0)
        # The persisted record (and its encoded features) is made with the next batch write.
        self.outcomes.queue_decision(
            decision.prompt_hash, partial(_decision_record, decision, model, vector, strongest, classifier.encode_vector))

    def _smallest_window(self) -> float:
        """The smallest context window in the registry (inf when none is known); reset with the cache."""
        registry = self.registry
        cached = self._window_cache  # read once: another thread may replace it meanwhile
        version = registry.version  # read before the scan: a change during it makes the next call rescan
        if cached is None or cached[0] != version:
            cached = (version, min((m.context_window for m in registry if m.context_window), default=math.inf))
            self._window_cache = cached
        return cached[1]

    def _strongest_cost(self, tokens: Tuple[int, int]) -> float:
        """Cost of this request on the most capable priced model: the reference for savings."""
        registry = self.registry
        cached = self._strongest  # read once: another thread may replace it meanwhile
        version = registry.version  # read before the scan: a change during it makes the next call rescan
        if cached is None or cached[0] != version:
            priced = [m for m in registry if m.is_priced]
            if not priced:
                return 0.0
            cached = (version, max(priced, key=lambda m: (m.max_tier, m.quality, m.calculate_cost(1000, 1000),
                                                           m.name)))
            self._strongest = cached
        strongest = cached[1]
        if strongest.long_context_prices:
            price_in, price_out = strongest.prices_for(tokens[0])
        else:
            price_in, price_out = strongest.input_per_1m, strongest.output_per_1m
        # calculate_cost's arithmetic without its argument checks: route() built ``tokens`` from ints.
        return (tokens[0] * price_in + tokens[1] * price_out) / 1_000_000  # type: ignore[operator]

    # -- feedback ---------------------------------------------------------------------------------
    def report_outcome(self, prompt_hash: str, quality_score: float, success: bool) -> None:
        """Record how the routed model did; durable on return, a re-report replaces the first."""
        self.learner.report(prompt_hash, quality_score, success)

    def teach(self, prompt: str, tier: str) -> None:
        """Teach the classifier that ``prompt`` belongs to ``tier`` (a labelled example)."""
        text = check_prompt(prompt, max_chars=self.max_prompt_chars)
        self.learner.teach(text, Tier.parse(tier))

    # -- explanations and lookups -------------------------------------------------------------------
    def explain(self, decision: RoutingDecision) -> str:
        """Return a plain-English explanation of ``decision``."""
        if not isinstance(decision, RoutingDecision):
            raise TypeError("explain() takes a RoutingDecision returned by route()")
        return explain_decision(decision)

    def get_model_info(self, model_name: str) -> ModelInfo:
        """Return the registry record of ``model_name``."""
        return self.registry.get(model_name)

    def list_models_for_tier(self, tier: str) -> List[Dict[str, Any]]:
        """Return the models eligible for ``tier``, cheapest first (cost of a 100-in/50-out request)."""
        wanted = Tier.parse(tier)
        rows = [
            {
                "name": m.name,
                "provider": m.provider,
                "cost": request_cost(m, 100, 50) if m.is_priced else None,
                "capabilities": list(m.capabilities),
                "max_tokens": m.context_window,
                "tier_range": [m.min_tier.value, m.max_tier.value],
            }
            for m in self.registry
            if m.covers(wanted)
        ]
        rows.sort(key=lambda r: (math.inf if r["cost"] is None else r["cost"], r["name"]))
        return rows

    def create_ab_test(
        self, name: str, strategy_a: str = "cost_optimized", strategy_b: str = "quality_first", split: float = 0.5
    ) -> ABTest:
        """Return an A/B test to pass to route(ab_test=...)."""
        return ABTest(name=name, strategy_a=strategy_a, strategy_b=strategy_b, split=split)

    # -- persistence ------------------------------------------------------------------------------
    def save_state(self, path: Optional[PathLike] = None) -> str:
        """Write cost history, health, analytics and the learned classifier to a folder; return it."""
        return _analytics.save_state(self, path)

    def flush(self) -> None:
        """Write buffered decisions to the workspace now."""
        self.outcomes.flush()

    def close(self) -> None:
        """Flush and release the workspace database."""
        self.learner.checkpoint()
        self.outcomes.close()
        self.costs.close()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decision_record(decision: RoutingDecision, model: ModelInfo, vector: Any, reference_cost: float,
                     encode: Callable[[Any], bytes]) -> DecisionRecord:
    """The outcome log's record of ``decision``: route() validated or computed every value in it."""
    d = decision.__dict__
    return DecisionRecord._routed({
        "prompt_hash": d["prompt_hash"],
        "model": model.name,
        "provider": model.provider,
        "tier": d["tier"],
        "min_tier": model.min_tier._value_,
        "max_tier": model.max_tier._value_,
        "confidence": float(d["confidence"]),
        "complexity": float(d["complexity"]),
        # An unpriced decision adds nothing to the persisted cost or to the reference it is saved against.
        "estimated_cost": float(d["estimated_cost"] or 0.0),
        "timestamp": float(d["timestamp"]),  # an injected clock may return an int
        "features": encode(vector),
        "ab_variant": d["ab_variant"] or None,
        "reference_cost": float(reference_cost) if d["estimated_cost"] is not None else 0.0,
        "prompt": None,
    })


def _adapt_classification(result: Any, text: str) -> ClassificationResult:
    """Turn a user-injected classifier's output into a ClassificationResult."""
    if isinstance(result, ClassificationResult):
        return result
    tier = getattr(result, "tier", None)
    if tier is None and isinstance(result, Mapping):
        tier = result.get("tier")
    confidence = getattr(result, "confidence", None)
    if confidence is None and isinstance(result, Mapping):
        confidence = result.get("confidence", 0.5)
    parsed = Tier.parse(tier if tier is not None else "moderate", what="classifier tier")
    conf = float(confidence) if isinstance(confidence, (int, float)) and math.isfinite(confidence) else 0.5
    return ClassificationResult(
        tier=parsed.value,
        confidence=min(max(conf, 0.0), 1.0),
        signals=dict(getattr(result, "signals", {}) or {}),
        complexity=parsed.rank / 4.0,
        probabilities={parsed.value: 1.0},
        evidence=tuple(getattr(result, "evidence", ()) or ()),
        basis="custom_classifier",
    )

