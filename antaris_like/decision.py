"""The records a router hands back: RoutingDecision, RoutingResult, ABTest, ModelConfig."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .classification import ClassificationResult
from .errors import ConfigurationError
from .registry import LONG_CONTEXT_KEY, ModelInfo
from .tiers import Tier

__all__ = ["ABTest", "ModelConfig", "RoutingDecision", "RoutingResult", "AB_STRATEGIES"]

AB_STRATEGIES = ("cost_optimized", "quality_first")


@dataclass(frozen=True)
class RoutingDecision:
    """Which model should answer a prompt, and everything that led there.

    Field names and meanings follow antaris-router's ``RoutingDecision``; beyond
    it every decision carries ``complexity`` (a continuous [0, 1] score),
    ``prompt_hash`` (SHA-256 of the prompt text, the key for report_outcome),
    ``tier_range`` of the chosen model, and ``max_tokens`` when a budget set it.

    ``tier`` is the tier the request was routed at: the classified tier after
    ``min_tier``, an A/B test, exploration and budget pressure. A model put in
    place of the policy's choice afterwards (low-confidence escalation,
    auto-scale, an SLA or budget adjustment) keeps that ``tier``, so its
    ``tier_range`` need not cover it; ``reasoning`` then says which step chose
    it and from which model.
    """

    model: str
    provider: str
    tier: str
    confidence: float
    reasoning: List[str]
    estimated_cost: Optional[float]  # None when the chosen model's price is unknown (never shown as $0)
    fallback_models: List[str]
    classification: Optional[ClassificationResult]
    confidence_basis: str
    prompt_hash: str
    complexity: float
    escalated: bool = False
    original_confidence: float = 0.0
    escalation_reason: str = ""
    ab_variant: str = ""
    supports_streaming: bool = False
    sla_compliant: bool = True
    sla_breaches: List[str] = field(default_factory=list)
    sla_adjustments: List[str] = field(default_factory=list)
    classified_tier: str = ""
    tier_range: Tuple[str, str] = ("", "")
    estimate_tokens: Tuple[int, int] = (0, 0)
    alternatives: Tuple[Tuple[str, float], ...] = ()
    explored: bool = False
    timestamp: float = 0.0
    max_tokens: Optional[int] = None
    reservation_id: Optional[str] = None
    reserved_usd: float = 0.0

    @classmethod
    def _build(cls, **values: Any) -> RoutingDecision:
        """Construct from every field at once (route()'s hot path: one dict update, not 28 frozen setattrs)."""
        missing = _FIELD_NAMES.difference(values)
        if missing:
            raise TypeError(f"missing decision fields: {', '.join(sorted(missing))}")
        decision = object.__new__(cls)
        object.__setattr__(decision, "__dict__", values)  # the kwargs dict is ours: no copy
        return decision

    @property
    def evidence(self) -> List[str]:
        """Human-readable signals that drove the classification (computed when read)."""
        return list(self.classification.evidence) if self.classification is not None else []

    @property
    def selected_model(self) -> str:
        """Alias for ``model``."""
        return self.model

    @property
    def explanation(self) -> str:
        """A plain-English account of the decision (same text as Router.explain())."""
        return explain_decision(self)

    def to_dict(self) -> Dict[str, Any]:
        """Return every field as plain JSON-ready data (classification as a dict)."""
        data: Dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "classification":
                value = value.to_dict() if value is not None and hasattr(value, "to_dict") else None
            elif f.name == "alternatives":  # an unpriced alternative costs inf: null in JSON, as estimated_cost
                value = [[name, cost if math.isfinite(cost) else None] for name, cost in value]
            elif isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            elif isinstance(value, list):
                value = list(value)
            data[f.name] = value
        data["evidence"] = self.evidence
        data["explanation"] = self.explanation
        data["selected_model"] = self.model
        return data


_FIELD_NAMES = frozenset(f.name for f in fields(RoutingDecision))


@dataclass(frozen=True)
class RoutingResult(RoutingDecision):
    """What AdaptiveRouter.route() returns: a RoutingDecision under antaris's v2 name."""


@dataclass(frozen=True)
class ABTest:
    """A routing experiment: a share ``split`` of prompts gets ``strategy_b``.

    Assignment is deterministic per prompt (a hash of the test name and the
    prompt), so the same prompt always lands in the same variant and the share
    of prompts in B converges on ``split``.
    """

    name: str
    strategy_a: str = "cost_optimized"
    strategy_b: str = "quality_first"
    split: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("A/B test name must be a non-empty string")
        for key in ("strategy_a", "strategy_b"):
            value = getattr(self, key)
            if value not in AB_STRATEGIES:
                raise ValueError(f"{key} must be one of {', '.join(AB_STRATEGIES)}; got {value!r}")
        if isinstance(self.split, bool) or not isinstance(self.split, (int, float)):
            raise TypeError("split must be a number within [0, 1]")
        if not (0.0 <= self.split <= 1.0):
            raise ValueError(f"split must be within [0, 1], got {self.split!r}")

    def variant(self, prompt_hash: str) -> str:
        """Return "a" or "b" for the prompt with this hash."""
        import hashlib  # deferred: OpenSSL costs milliseconds at import, and few routers run A/B tests

        digest = hashlib.blake2b(f"{self.name}\0{prompt_hash}".encode(), digest_size=8).digest()
        fraction = int.from_bytes(digest, "big") / 2.0**64
        return "b" if fraction < self.split else "a"

    def strategy(self, variant: str) -> str:
        """Return the strategy of ``variant``."""
        return self.strategy_b if variant == "b" else self.strategy_a


def _price(name: str, value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"model {name!r}: {key} must be a number of USD, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        number = math.inf
    if not math.isfinite(number) or number < 0:
        raise ConfigurationError(f"model {name!r}: {key} must be finite and >= 0, got {value!r:.60}")
    return number


@dataclass(frozen=True)
class ModelConfig:
    """A model to register on a router (antaris-router's v2 ModelConfig, plus optional metadata)."""

    name: str
    tier_range: Tuple[str, str] = ("trivial", "expert")
    cost_per_1k_input: float = 0.0
    cost_per_1k_output: float = 0.0
    provider: Optional[str] = None
    capabilities: Optional[Sequence[str]] = None
    context_window: Optional[int] = None
    max_output_tokens: Optional[int] = None
    supports_streaming: Optional[bool] = None
    quality: Optional[float] = None
    base_url: Optional[str] = None

    def to_model_info(self, template: Optional[ModelInfo] = None) -> ModelInfo:
        """Return the registry record for this config, filling gaps from ``template`` (same name)."""
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigurationError("ModelConfig.name must be a non-empty string")
        name = self.name.strip()
        if not isinstance(self.tier_range, (tuple, list)) or len(self.tier_range) != 2:
            raise ConfigurationError(f"model {name!r}: tier_range must be (min_tier, max_tier)")
        try:
            low = Tier.parse(self.tier_range[0], what=f"model {name!r}: tier_range[0]")
            high = Tier.parse(self.tier_range[1], what=f"model {name!r}: tier_range[1]")
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(str(exc)) from exc
        if low > high:
            raise ConfigurationError(
                f"model {name!r}: tier_range min {low.value!r} is above max {high.value!r}"
            )
        data: Dict[str, Any] = template.to_dict() if template is not None else {
            "provider": _guess_provider(name),
            "capabilities": ["text"],
            "context_window": 128_000,
            "max_output_tokens": 4_096,
            "supports_streaming": True,
            "quality": 0.5,
            "as_of": "",
            "source": "ModelConfig",
        }
        data.update(
            name=name,
            tiers=[low.value, high.value],
            input_per_1m=_price(name, self.cost_per_1k_input, "cost_per_1k_input") * 1000.0,
            output_per_1m=_price(name, self.cost_per_1k_output, "cost_per_1k_output") * 1000.0,
        )
        if template is not None and (data["input_per_1m"], data["output_per_1m"]) != (
                template.input_per_1m, template.output_per_1m):
            # The template's long-context price belongs to its list prices; with the caller's own prices
            # it would bill a long request at the shipped rate (4x under for a 10x price), so it goes.
            data.pop(LONG_CONTEXT_KEY, None)
        overrides = {
            "provider": self.provider,
            "capabilities": list(self.capabilities) if self.capabilities is not None else None,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "supports_streaming": self.supports_streaming,
            "quality": self.quality,
            "base_url": self.base_url,
        }
        data.update({k: v for k, v in overrides.items() if v is not None})
        return ModelInfo.from_dict(data)


_PROVIDER_PREFIXES = (
    ("gpt", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"), ("chatgpt", "openai"),
    ("claude", "anthropic"), ("gemini", "google"), ("mistral", "mistral"), ("mixtral", "mistral"),
    ("deepseek", "deepseek"), ("llama", "meta"), ("qwen", "qwen"), ("grok", "xai"),
)


def _guess_provider(name: str) -> str:
    lowered = name.lower()
    for prefix, provider in _PROVIDER_PREFIXES:
        if lowered.startswith(prefix):
            return provider
    return "custom"


def explain_decision(d: RoutingDecision) -> str:
    """Return the plain-English explanation of a decision (antaris's explain() sections)."""
    lines = [f"Model selected: {d.model} (confidence: {d.confidence:.0%})"]
    if d.escalated:
        lines.append(f"[Escalated from original confidence {d.original_confidence:.0%}: {d.escalation_reason}]")
    lines.append(f"Basis: {d.confidence_basis.replace('_', ' ')}")
    lines.append("Reasoning: " + " ".join(d.reasoning))
    cost_text = "unknown (the model has no price)" if d.estimated_cost is None else f"${d.estimated_cost:.6f}"
    lines.append(
        f"Estimated cost: {cost_text} for this request "
        f"({d.estimate_tokens[0]} input + {d.estimate_tokens[1]} output tokens)."
    )
    lines.append("Evidence: " + (", ".join(d.evidence) if d.evidence else "none"))
    if d.alternatives:
        chosen_cost = d.estimated_cost
        parts = []
        for name, cost in d.alternatives:
            if chosen_cost is not None and chosen_cost > 0 and math.isfinite(cost):
                parts.append(f"{name} ({cost / chosen_cost:.1f}x cost)")
            else:
                parts.append(f"{name} (${cost:.6f})" if math.isfinite(cost) else f"{name} (unpriced)")
        lines.append("Alternatives considered: " + ", ".join(parts))
    else:
        lines.append("Alternatives considered: none")
    if d.sla_breaches or d.sla_adjustments:
        lines.append(f"SLA: breaches {d.sla_breaches or 'none'}; adjustments {d.sla_adjustments or 'none'}")
    return "\n".join(lines)
