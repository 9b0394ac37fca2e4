"""Cost tracking: usage records aggregated in hourly buckets, reports, savings, forecasts.

Memory is bounded: usage is kept as per-(hour, model) aggregates for
``retention_days`` (default 62, enough for a calendar month report), not as
one record per request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from .registry import ModelInfo

__all__ = ["CostTracker", "UsageRecord", "PERIODS"]

PERIODS = {"hour": 3600.0, "day": 86400.0, "week": 7 * 86400.0, "month": 30 * 86400.0}


def _check_tokens(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of tokens, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


@dataclass(frozen=True)
class UsageRecord:
    """One request's actual usage and cost."""

    timestamp: float
    model: str
    provider: str
    tier: str
    input_tokens: int
    output_tokens: int
    cost_usd: float


class CostTracker:
    """Aggregate actual usage per model and hour; answer cost questions about it."""

    def __init__(self, *, clock: Callable[[], float] = time.time, retention_days: int = 62) -> None:
        self._clock = clock
        self._retention = retention_days * 86400.0
        # (hour_start, model) -> [requests, input_tokens, output_tokens, cost_usd]
        self._buckets: Dict[Tuple[float, str], List[float]] = {}
        self._tiers: Dict[str, Dict[str, int]] = {}

    def log(self, model: ModelInfo, input_tokens: int, output_tokens: int, tier: str = "") -> UsageRecord:
        """Record actual usage on ``model`` and return the record with its cost."""
        _check_tokens("input_tokens", input_tokens)
        _check_tokens("output_tokens", output_tokens)
        cost = model.calculate_cost(input_tokens, output_tokens) if model.is_priced else 0.0
        now = self._clock()
        key = (now - now % 3600.0, model.name)
        bucket = self._buckets.setdefault(key, [0, 0, 0, 0.0])
        bucket[0] += 1
        bucket[1] += input_tokens
        bucket[2] += output_tokens
        bucket[3] += cost
        if tier:
            per_tier = self._tiers.setdefault(model.name, {})
            per_tier[tier] = per_tier.get(tier, 0) + 1
        self._prune(now)
        return UsageRecord(now, model.name, model.provider, tier, input_tokens, output_tokens, cost)

    def _prune(self, now: float) -> None:
        horizon = now - self._retention
        if len(self._buckets) > 64 and min(k[0] for k in self._buckets) < horizon:
            for key in [k for k in self._buckets if k[0] < horizon]:
                del self._buckets[key]

    def _totals(self, since: float) -> Dict[str, List[float]]:
        totals: Dict[str, List[float]] = {}
        for (hour, model), (req, inp, out, cost) in self._buckets.items():
            if hour + 3600.0 > since:
                row = totals.setdefault(model, [0, 0, 0, 0.0])
                row[0] += req
                row[1] += inp
                row[2] += out
                row[3] += cost
        return totals

    def report(self, period: str = "day") -> Dict[str, object]:
        """Return spend over the last ``period`` (hour, day, week or month), by model."""
        if period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}; got {period!r}")
        totals = self._totals(self._clock() - PERIODS[period])
        requests = int(sum(row[0] for row in totals.values()))
        cost = sum(row[3] for row in totals.values())
        return {
            "period": period,
            "total_requests": requests,
            "total_cost_usd": round(cost, 8),
            "by_model": {
                model: {
                    "requests": int(row[0]),
                    "input_tokens": int(row[1]),
                    "output_tokens": int(row[2]),
                    "cost_usd": round(row[3], 8),
                }
                for model, row in sorted(totals.items())
            },
            "avg_cost_per_request_usd": round(cost / requests, 8) if requests else 0.0,
        }

    def savings(self, comparison: ModelInfo, period: Optional[str] = None) -> Dict[str, object]:
        """Return what the logged traffic cost against sending all of it to ``comparison``."""
        since = self._clock() - PERIODS[period] if period else -math.inf
        totals = self._totals(since)
        actual = sum(row[3] for row in totals.values())
        inp = int(sum(row[1] for row in totals.values()))
        out = int(sum(row[2] for row in totals.values()))
        reference = comparison.calculate_cost(inp, out) if comparison.is_priced else 0.0
        saved = reference - actual
        return {
            "comparison_model": comparison.name,
            "actual_cost_usd": round(actual, 8),
            "comparison_cost_usd": round(reference, 8),
            "savings_usd": round(saved, 8),
            "savings_pct": saved / reference if reference > 0 else 0.0,
        }

    def model_shares(self) -> Dict[str, float]:
        """Return each model's share of logged requests (all retained history)."""
        totals = self._totals(-math.inf)
        count = sum(row[0] for row in totals.values())
        return {m: row[0] / count for m, row in totals.items()} if count else {}

    def to_dict(self) -> Dict[str, object]:
        """Serialise the buckets (for save_state)."""
        return {"buckets": [[h, m, *row] for (h, m), row in self._buckets.items()], "tiers": self._tiers}

    def load_dict(self, data: Mapping[str, object]) -> None:
        """Restore buckets written by ``to_dict`` (rows that do not parse are skipped)."""
        rows = data.get("buckets")
        for row in rows if isinstance(rows, list) else []:
            try:
                hour, model, req, inp, out, cost = row
                self._buckets[(float(hour), str(model))] = [int(req), int(inp), int(out), float(cost)]
            except (TypeError, ValueError):
                continue
