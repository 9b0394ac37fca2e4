"""SLA constraints (latency, hourly spend, quality) and the monitor that checks them."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Deque, Dict, List, Optional, Sequence, Tuple

__all__ = ["SLAConfig", "SLAMonitor", "SLARecord"]

_HOUR = 3600.0


def _optional_positive(name: str, value: Optional[float]) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"SLAConfig.{name} must be a number or None")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"SLAConfig.{name} must be finite and >= 0, got {value!r}")


@dataclass(frozen=True)
class SLAConfig:
    """Service-level constraints the router checks on every decision."""

    max_latency_ms: Optional[float] = None
    budget_per_hour_usd: Optional[float] = None
    min_quality_score: Optional[float] = None
    auto_escalate_on_breach: bool = False
    warning_utilization: float = 0.8

    def __post_init__(self) -> None:
        _optional_positive("max_latency_ms", self.max_latency_ms)
        _optional_positive("budget_per_hour_usd", self.budget_per_hour_usd)
        _optional_positive("min_quality_score", self.min_quality_score)
        if self.min_quality_score is not None and self.min_quality_score > 1:
            raise ValueError("SLAConfig.min_quality_score must be within [0, 1]")
        if not (0 < self.warning_utilization <= 1):
            raise ValueError("SLAConfig.warning_utilization must be within (0, 1]")


@dataclass(frozen=True)
class SLARecord:
    """One request as the SLA monitor saw it."""

    timestamp: float
    model: str
    latency_ms: Optional[float] = None
    cost_usd: float = 0.0
    quality: Optional[float] = None
    breaches: Tuple[str, ...] = ()
    adjustments: Tuple[str, ...] = ()
    savings_usd: float = 0.0


@dataclass
class _ModelObservations:
    latencies: Deque[Tuple[float, float]] = field(default_factory=lambda: deque(maxlen=500))
    qualities: Deque[Tuple[float, float]] = field(default_factory=lambda: deque(maxlen=500))


class SLAMonitor:
    """Keep a bounded window of requests and answer SLA questions about it."""

    def __init__(
        self,
        config: SLAConfig,
        *,
        clock: Callable[[], float] = time.time,
        max_records: int = 10_000,
    ) -> None:
        self.config = config
        self._clock = clock
        self._records: Deque[SLARecord] = deque(maxlen=max_records)
        self._models: Dict[str, _ModelObservations] = {}
        self._spend: Deque[Tuple[float, float]] = deque()
        self._low_quality: Deque[float] = deque(maxlen=max_records)  # times of scores below the minimum

    # -- recording -------------------------------------------------------------------------------
    def record_request(
        self,
        model: str,
        *,
        latency_ms: Optional[float] = None,
        cost_usd: float = 0.0,
        quality: Optional[float] = None,
        adjustments: Tuple[str, ...] = (),
        savings_usd: float = 0.0,
        breaches: Optional[Sequence[str]] = None,
    ) -> SLARecord:
        """Record a routed request (cost estimated or actual) and return its SLA record.

        ``breaches`` are the ones the routing decision reported, so the report counts what
        decisions said; without them they are checked now (without the request's own cost).
        """
        now = self._clock()
        obs = self._models.setdefault(model, _ModelObservations())
        if latency_ms is not None:
            obs.latencies.append((now, float(latency_ms)))
        if quality is not None:
            obs.qualities.append((now, float(quality)))
        if cost_usd:
            self._spend.append((now, float(cost_usd)))
        record = SLARecord(
            timestamp=now,
            model=model,
            latency_ms=latency_ms,
            cost_usd=cost_usd,
            quality=quality,
            breaches=tuple(self.breaches_for(model) if breaches is None else breaches),
            adjustments=adjustments,
            savings_usd=savings_usd,
        )
        self._records.append(record)
        return record

    def record_latency(self, model: str, latency_ms: float) -> None:
        """Record an observed latency for ``model``."""
        self._models.setdefault(model, _ModelObservations()).latencies.append((self._clock(), float(latency_ms)))

    def record_quality(self, model: str, score: float) -> None:
        """Record an observed quality score in [0, 1] for ``model``."""
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise TypeError("score must be a finite number within [0, 1]")
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"score must be within [0, 1], got {score!r}")
        now = self._clock()
        self._models.setdefault(model, _ModelObservations()).qualities.append((now, float(score)))
        minimum = self.config.min_quality_score
        if minimum is not None and score < minimum:
            self._low_quality.append(now)

    def add_spend(self, cost_usd: float) -> None:
        """Count actual spend towards the hourly budget."""
        if cost_usd > 0:
            self._spend.append((self._clock(), float(cost_usd)))

    # -- questions ------------------------------------------------------------------------------
    def hourly_spend(self) -> float:
        """Return USD spent in the last hour."""
        horizon = self._clock() - _HOUR
        while self._spend and self._spend[0][0] < horizon:
            self._spend.popleft()
        return sum(cost for _, cost in self._spend)

    def _recent(self, rows: Deque[Tuple[float, float]]) -> List[float]:
        horizon = self._clock() - _HOUR
        return [value for t, value in rows if t >= horizon]

    def avg_latency(self, model: str) -> Optional[float]:
        """Return the mean latency of ``model`` over the last hour, or None."""
        obs = self._models.get(model)
        values = self._recent(obs.latencies) if obs else []
        return sum(values) / len(values) if values else None

    def avg_quality(self, model: str) -> Optional[float]:
        """Return the mean quality of ``model`` over the last hour, or None."""
        obs = self._models.get(model)
        values = self._recent(obs.qualities) if obs else []
        return sum(values) / len(values) if values else None

    def budget_breached(self, extra_usd: float = 0.0) -> bool:
        """Return True if the hourly budget is spent (or would be, with ``extra_usd`` more)."""
        budget = self.config.budget_per_hour_usd
        return budget is not None and self.hourly_spend() + extra_usd > budget

    def breaches_for(self, model: str, extra_usd: float = 0.0) -> List[str]:
        """Return the SLA constraints routing to ``model`` would breach now."""
        breaches: List[str] = []
        cfg = self.config
        latency = self.avg_latency(model)
        if cfg.max_latency_ms is not None and latency is not None and latency > cfg.max_latency_ms:
            breaches.append("latency_exceeded")
        if self.budget_breached(extra_usd):
            breaches.append("budget_exceeded")
        quality = self.avg_quality(model)
        if cfg.min_quality_score is not None and quality is not None and quality < cfg.min_quality_score:
            breaches.append("quality_below_minimum")
        return breaches

    def report(self, since_hours: float = 1.0) -> Dict[str, object]:
        """Return the compliance report over the last ``since_hours`` hours (antaris shape)."""
        if isinstance(since_hours, bool) or not isinstance(since_hours, (int, float)) or not since_hours > 0:
            raise ValueError(f"since_hours must be a positive number, got {since_hours!r}")
        horizon = self._clock() - since_hours * _HOUR
        rows = [r for r in self._records if r.timestamp >= horizon]
        counts = {"latency": 0, "cost": 0, "quality": 0}
        for r in rows:
            counts["latency"] += "latency_exceeded" in r.breaches
            counts["cost"] += "budget_exceeded" in r.breaches
            counts["quality"] += "quality_below_minimum" in r.breaches
        # A quality score reported below the minimum is a breach even if no request saw it yet.
        counts["quality"] += sum(1 for t in self._low_quality if t >= horizon)
        latencies = [r.latency_ms for r in rows if r.latency_ms is not None]
        budget = self.config.budget_per_hour_usd
        return {
            "compliance_rate": (sum(1 for r in rows if not r.breaches) / len(rows)) if rows else 1.0,
            "breaches": counts,
            "adjustments_made": sum(1 for r in rows if r.adjustments),
            "cost_savings_usd": round(sum(r.savings_usd for r in rows), 8),
            "avg_latency_ms": (sum(latencies) / len(latencies)) if latencies else 0.0,
            "budget_utilization": (self.hourly_spend() / budget) if budget else 0.0,
            "total_requests": len(rows),
        }

    def budget_alert(self) -> Dict[str, object]:
        """Return the real-time hourly budget status: ok, warning or critical."""
        spend = self.hourly_spend()
        budget = self.config.budget_per_hour_usd
        if not budget:
            return {
                "status": "ok",
                "hourly_spend_usd": round(spend, 8),
                "budget_usd": budget,
                "utilization": 0.0,
                "projected_hourly_usd": round(spend, 8),
                "recommendation": "No hourly budget is configured (SLAConfig.budget_per_hour_usd).",
            }
        utilization = spend / budget
        # Project the hour from the spend so far in the window's span.
        times = [t for t, _ in self._spend]
        span = (self._clock() - times[0]) if times else 0.0
        projected = spend * (_HOUR / span) if span > 60 else spend
        if utilization >= 1.0:
            status = "critical"
            advice = "Hourly budget reached: route lower tiers to the cheapest models or raise the budget."
        elif utilization >= self.config.warning_utilization or projected > budget:
            status = "warning"
            advice = "Approaching the hourly budget: consider routing moderate tasks to cheaper models."
        else:
            status = "ok"
            advice = "Spend is within budget."
        return {
            "status": status,
            "hourly_spend_usd": round(spend, 8),
            "budget_usd": budget,
            "utilization": round(utilization, 6),
            "projected_hourly_usd": round(projected, 8),
            "recommendation": advice,
        }
