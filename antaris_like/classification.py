"""The classification record: a tier, its calibrated confidence, the complexity, and the evidence.

``TierClassifier.classify_vector`` (classifier.py) builds these on route()'s path; the tier
probabilities and the human-readable evidence are computed from a few stored numbers only when read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, Tuple

from .tiers import TIER_NAMES

__all__ = ["ClassificationResult", "THRESHOLDS", "complexity", "sigmoid"]

# Upper edges of tiers 0..3 on the score scale: tier k is the band (k - 0.5, k + 0.5].
THRESHOLDS = (0.5, 1.5, 2.5, 3.5)


@dataclass(frozen=True)
class ClassificationResult:
    """A tier with its calibrated probability, the continuous complexity, and the evidence."""

    tier: str
    confidence: float
    signals: Dict[str, Any]
    complexity: float
    probabilities: Dict[str, float]
    evidence: Tuple[str, ...]
    basis: str = "composite"
    score: float = 0.0

    def to_dict(self) -> Dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"tier": self.tier, "confidence": self.confidence, "complexity": self.complexity,
                "probabilities": dict(self.probabilities), "signals": dict(self.signals),
                "evidence": list(self.evidence), "basis": self.basis, "score": self.score}


class _Deferred:
    """Non-data descriptor computing a result field on first read (like functools.cached_property).

    ``classify_vector`` leaves ``probabilities`` and ``evidence`` out of the instance dict and stores
    the few numbers they derive from; most callers never read them, and building them costs more than
    the rest of classification. Results made through ``__init__`` hold both fields as usual.
    """

    __slots__ = ("name", "build")

    def __init__(self, name: str, build: Callable[[Dict[str, Any]], Any]) -> None:
        self.name = name
        self.build = build

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        d = obj.__dict__
        value = d[self.name] = self.build(d)
        return value


def _probabilities(d: Dict[str, Any]) -> Dict[str, float]:
    s, t = d["_basis_numbers"][:2]
    above = [sigmoid((s - th) / t) for th in THRESHOLDS]
    probs = (1.0 - above[0], above[0] - above[1], above[1] - above[2], above[2] - above[3], above[3])
    return dict(zip(TIER_NAMES, (round(p, 4) for p in probs)))


def _evidence(d: Dict[str, Any]) -> Tuple[str, ...]:
    s, _, share, rank = d["_basis_numbers"]
    sig = d["signals"]
    evidence = [f"score {s:.2f} on the tier scale -> {TIER_NAMES[rank]} (complexity {d['complexity']:.2f})"]
    if TIER_NAMES[rank] != d["tier"]:
        if TIER_NAMES.index(d["tier"]) > rank:
            evidence.append(f"top-tier outcomes are {share:.0%} of the evidence on prompts like this: "
                            "raised to complex to learn whether it helps")
        else:
            evidence.append(f"top-tier outcomes are {share:.0%} of the evidence on prompts like this: "
                            f"kept at {d['tier']} to learn whether a cheaper model suffices")
    if sig:
        evidence.append(f"length: {sig['length']} chars, {sig['word_count']} tokens ({sig['language']})")
        kws = [f"{k}={v}" for k, v in sig["keyword_matches"].items() if v]
        if kws:
            evidence.append("keyword matches: " + ", ".join(kws))
        if sig["has_code"]:
            evidence.append(f"code: {sig['code_indicators']} indicators")
        if sig["math_indicators"]:
            evidence.append(f"maths: {sig['math_indicators']} indicators")
    return tuple(evidence)


def complexity(score: float) -> float:
    """Map a tier-scale score to [0, 1], strictly increasing; tier k covers [0.2k, 0.2k + 0.2).

    Learned outcome evidence moves scores far past the tier bands (tens of units), so the upper tail
    is hyperbolic, not exponential: an exponential tail rounds to exactly 1.0 from a score of about
    37, and the prompts above would tie. Both tails meet the linear part with value and slope 0.05.
    """
    if score < -0.25:
        return 0.05 * math.exp(max(score + 0.25, -700.0))
    if score > 4.25:
        return 1.0 - 0.05 / (score - 3.25)
    return 0.05 + 0.2 * (score + 0.25)


def sigmoid(x: float) -> float:
    """The logistic function, without overflow for large negative ``x``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# After @dataclass ran, so __init__ still requires both fields; see _Deferred.
ClassificationResult.probabilities = _Deferred("probabilities", _probabilities)  # type: ignore[assignment]
ClassificationResult.evidence = _Deferred("evidence", _evidence)  # type: ignore[assignment]
