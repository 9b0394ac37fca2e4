"""Routing feedback: the records a router persists, their input checks, and antaris' QualityTracker.

The records (``DecisionRecord``, ``Outcome``, ``OutcomeResult``, ``LearningEvent``, ``EventBatch``,
``ModelTierStats``) are plain frozen dataclasses; :class:`~.outcomes.OutcomeLog` stores them in
``<workspace>/routing.db`` (see ``outcomes.py``). ``OutcomeLog`` is re-exported here, loaded on first
use (PEP 562): ``outcomes`` imports the records from this module, so a top-level import back would be
a cycle.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple, Union

from .tiers import TIER_NAMES, Tier

if TYPE_CHECKING:  # pragma: no cover - static type checkers see the real name
    from .outcomes import OutcomeLog
    from .workspace import Workspace

__all__ = [
    "DecisionRecord", "EventBatch", "LearningEvent", "ModelTierStats", "Outcome", "OutcomeLog",
    "OutcomeResult", "QualityTracker", "SCHEMA_VERSION", "TEACHING_MODEL",
]

SCHEMA_VERSION = 1
# The model field of a learning event that is a labelled example (teach(), training rows with a tier),
# not an outcome: no model has an empty name, so the two can never be confused.
TEACHING_MODEL = ""
_HASH_MATCH = re.compile(r"[0-9a-f]{64}").fullmatch
_TIER_SET = frozenset(TIER_NAMES)


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_text(value: object, what: str, *, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    if not value.strip() or len(value) > 100_000:  # whitespace only: no model or tier is named that
        raise ValueError(f"{what} must be a non-empty str of at most 100,000 characters, got {_preview(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} contains lone surrogates (not encodable as UTF-8): {_preview(value)}") from None
    return str(value)


def _check_real(value: object, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if type(value) is not float and type(value) is not int:
        # bool is an int, and "0.5" / b"1" have no business being numbers here.
        if isinstance(value, (bool, str, bytes, bytearray)) or not hasattr(value, "__float__"):
            raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    try:
        number = float(value)  # type: ignore[arg-type,unused-ignore]
    except OverflowError:  # an int or Fraction beyond float range
        number = math.inf
    if not math.isfinite(number) or not lo <= number <= hi:
        raise ValueError(f"{what} must be a finite number in [{lo:g}, {hi:g}], got {_preview(value)}")
    return number


def _check_tier(value: object, what: str) -> str:
    if isinstance(value, Tier):
        return value.value
    if isinstance(value, str) and value in TIER_NAMES:
        return str(value)
    return Tier.parse(value, what).value  # type: ignore[arg-type]  # raises TypeError/ValueError


def _check_hash(value: object) -> str:
    """Return ``value`` as a lower-case 64-hex SHA-256 digest, or raise TypeError/ValueError."""
    if not isinstance(value, str):
        raise TypeError(f"prompt_hash must be the str returned by route(), got {type(value).__name__}")
    digest = value.lower() if value.isascii() else value
    if _HASH_MATCH(digest) is None:
        raise ValueError(f"prompt_hash must be a 64-character hex SHA-256 digest, got {_preview(value)}")
    return digest


def _check_success(value: object) -> bool:
    # bool, or the ints 0 / 1 that JSON, CSV and SQL logs use; 1.0, "yes", None are refused.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"success must be True or False (or 1 / 0), got {value!r}")
    raise TypeError(f"success must be a bool, got {type(value).__name__}")


@dataclass(frozen=True, init=False)
class DecisionRecord:
    """One routing decision as persisted; ``features`` is the classifier's opaque encoded vector."""

    prompt_hash: str
    model: str
    provider: str
    tier: str
    min_tier: str  # the chosen model's tier range
    max_tier: str
    confidence: float
    complexity: float
    estimated_cost: float
    timestamp: float
    features: bytes = b""
    ab_variant: Optional[str] = None
    reference_cost: Optional[float] = None  # cost of the reference model for the same request (savings)
    prompt: Optional[str] = None  # stored only when the user opts in to keeping prompt text

    def __init__(
        self, prompt_hash: str, model: str, provider: str, tier: str, min_tier: str, max_tier: str,
        confidence: float, complexity: float, estimated_cost: float, timestamp: float, features: bytes = b"",
        ab_variant: Optional[str] = None, reference_cost: Optional[float] = None, prompt: Optional[str] = None,
    ) -> None:
        # Hand-written: one dict update instead of 14 frozen setattr calls (route() is on a 40 us budget).
        self.__dict__.update(
            prompt_hash=prompt_hash, model=model, provider=provider, tier=tier, min_tier=min_tier,
            max_tier=max_tier, confidence=confidence, complexity=complexity, estimated_cost=estimated_cost,
            timestamp=timestamp, features=features, ab_variant=ab_variant, reference_cost=reference_cost,
            prompt=prompt)
        # Validate here, not at flush time: a bad record would otherwise fail a whole batch later.
        # The fast path accepts what route() builds; anything else is checked field by field.
        if not _is_plain(self):
            _normalise(self)

    @classmethod
    def _routed(cls, values: Dict[str, Any]) -> DecisionRecord:
        """Build from route()'s own values, already of the right types and ranges: no checks.

        ``values`` holds every field; the router's batch write makes hundreds of these at once.
        """
        record = object.__new__(cls)
        object.__setattr__(record, "__dict__", values)
        return record


def _is_plain(r: DecisionRecord) -> bool:
    inf = math.inf
    return (type(r.prompt_hash) is str and _HASH_MATCH(r.prompt_hash) is not None
            and type(r.model) is str and r.model.isascii() and 0 < len(r.model) <= 1000
            and type(r.provider) is str and r.provider.isascii() and len(r.provider) <= 1000
            and type(r.tier) is str and r.tier in _TIER_SET and type(r.min_tier) is str
            and r.min_tier in _TIER_SET and type(r.max_tier) is str and r.max_tier in _TIER_SET
            and type(r.confidence) is float and 0.0 <= r.confidence <= 1.0
            and type(r.complexity) is float and 0.0 <= r.complexity <= 1.0
            and type(r.estimated_cost) is float and 0.0 <= r.estimated_cost < inf
            and type(r.timestamp) is float and -inf < r.timestamp < inf and type(r.features) is bytes
            and (r.reference_cost is None or (type(r.reference_cost) is float and 0.0 <= r.reference_cost < inf))
            and (r.ab_variant is None or (type(r.ab_variant) is str and r.ab_variant.isascii()
                                          and 0 < len(r.ab_variant) <= 1000))
            and r.prompt is None)


def _normalise(r: DecisionRecord) -> None:
    setattr_ = object.__setattr__
    setattr_(r, "prompt_hash", _check_hash(r.prompt_hash))
    setattr_(r, "model", _check_text(r.model, "model"))
    if not isinstance(r.provider, str):
        raise TypeError(f"provider must be a str, got {type(r.provider).__name__}")
    if r.provider:
        setattr_(r, "provider", _check_text(r.provider, "provider"))
    for name in ("tier", "min_tier", "max_tier"):
        setattr_(r, name, _check_tier(getattr(r, name), name))
    setattr_(r, "confidence", _check_real(r.confidence, "confidence", 0.0, 1.0))
    setattr_(r, "complexity", _check_real(r.complexity, "complexity", 0.0, 1.0))
    setattr_(r, "estimated_cost", _check_real(r.estimated_cost, "estimated_cost", 0.0))
    setattr_(r, "timestamp", _check_real(r.timestamp, "timestamp"))
    if not isinstance(r.features, bytes) or type(r.features) is not bytes:
        if not isinstance(r.features, (bytes, bytearray, memoryview)):
            raise TypeError(f"features must be bytes, got {type(r.features).__name__}")
        setattr_(r, "features", bytes(r.features))
    setattr_(r, "ab_variant", _check_text(r.ab_variant, "ab_variant", optional=True))
    if r.reference_cost is not None:
        setattr_(r, "reference_cost", _check_real(r.reference_cost, "reference_cost", 0.0))
    setattr_(r, "prompt", _check_text(r.prompt, "prompt", optional=True))


@dataclass(frozen=True)
class Outcome:
    """The outcome recorded for one decision; ``revision`` counts replacements (1 = first report)."""

    prompt_hash: str
    model: str
    tier: str
    quality: float
    success: bool
    timestamp: float
    revision: int
    event_seq: Optional[int]
    learn_step: Any = None


@dataclass(frozen=True)
class OutcomeResult:
    """What ``report()`` stored; ``previous`` is the outcome it replaced (revert its learn step)."""

    decision: DecisionRecord
    outcome: Outcome
    previous: Optional[Outcome]

    @property
    def replaced(self) -> bool:
        """True when this report replaced an earlier one for the same decision."""
        return self.previous is not None


@dataclass(frozen=True)
class LearningEvent:
    """One report, as other processes replay it: revert ``previous_*`` (if any), then learn this one."""

    seq: int
    origin: str
    timestamp: float
    prompt_hash: str
    model: str
    tier: str
    min_tier: str
    max_tier: str
    features: bytes
    success: bool
    quality: float
    learn_step: Any
    replaces_seq: Optional[int]
    previous_model: Optional[str]
    previous_success: Optional[bool]
    previous_quality: Optional[float]
    previous_learn_step: Any

    @property
    def is_teaching(self) -> bool:
        """True for a labelled example (``teach()``): ``tier`` is its label, there is no outcome."""
        return self.model == TEACHING_MODEL


@dataclass(frozen=True)
class EventBatch:
    """Events after a sequence number; ``gap`` means some were pruned: reload a snapshot first."""

    events: Tuple[LearningEvent, ...]
    last_seq: int
    gap: bool

    def __iter__(self) -> Iterator[LearningEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


@dataclass(frozen=True)
class ModelTierStats:
    """Outcome statistics of one model at one tier, with uncertainty for the policy."""

    model: str
    tier: str
    n: int
    successes: int
    quality_sum: float
    quality_sq_sum: float

    @property
    def success_rate(self) -> float:
        """Observed success share (0.0 with no outcomes)."""
        return self.successes / self.n if self.n else 0.0

    @property
    def mean_quality(self) -> float:
        """Mean reported quality (0.0 with no outcomes)."""
        return self.quality_sum / self.n if self.n else 0.0

    @property
    def quality_std(self) -> float:
        """Sample standard deviation of quality (0.0 below two outcomes)."""
        if self.n < 2:
            return 0.0
        var = (self.quality_sq_sum - self.quality_sum ** 2 / self.n) / (self.n - 1)
        return math.sqrt(max(var, 0.0))

    @property
    def posterior_success(self) -> float:
        """Mean of the Beta(1 + successes, 1 + failures) posterior: 0.5 with no data."""
        return (self.successes + 1) / (self.n + 2)

    def success_interval(self, z: float = 1.96) -> Tuple[float, float]:
        """Wilson score interval for the success rate ((0, 1) with no data)."""
        if not self.n:
            return 0.0, 1.0
        p, n = self.successes / self.n, self.n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def keeps_failing(self, threshold: float = 0.5, *, min_outcomes: int = 5, z: float = 1.96) -> bool:
        """Return True when the success rate is confidently below ``threshold`` (skip this model here)."""
        return self.n >= min_outcomes and self.success_interval(z)[1] < threshold


class QualityTracker:
    """antaris' QualityTracker over an :class:`OutcomeLog`: per model x tier outcome history."""

    def __init__(self, workspace: Union[OutcomeLog, Workspace, str, os.PathLike[str], None],
                 **options: Any) -> None:
        from .outcomes import OutcomeLog  # here, not at the top: outcomes imports this module

        self.log = workspace if isinstance(workspace, OutcomeLog) else OutcomeLog(workspace, **options)

    def record_outcome(self, prompt_hash: str, quality_score: float, success: bool,
                       model: Optional[str] = None) -> OutcomeResult:
        """Record an outcome; a hash that was never routed is kept against ``model`` with no tier."""
        return self.log.report(prompt_hash, quality_score, success, model=model, allow_unrouted=model is not None)

    def get_model_performance(self, model: str) -> Dict[str, Any]:
        """Return {"model", "avg_quality", "success_rate", "total_outcomes", "quality_by_tier"}."""
        return self.log.model_performance(model)

    def stats(self, model: str, tier: Union[Tier, str]) -> ModelTierStats:
        """Return the statistics of ``model`` at ``tier`` with uncertainty (see ModelTierStats)."""
        return self.log.stats(model, tier)

    def close(self) -> None:
        """Close the underlying OutcomeLog."""
        self.log.close()


def __getattr__(name: str) -> Any:
    if name == "OutcomeLog":
        from .outcomes import OutcomeLog

        globals()[name] = OutcomeLog  # later lookups skip this function
        return OutcomeLog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | {"OutcomeLog"})
