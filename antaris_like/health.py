"""Provider health: a sliding one-hour window of call outcomes per model.

Bounded memory: each model keeps at most ``max_events`` recent events, and
events older than the window are dropped as new ones arrive.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Deque, Dict, List, Optional

from ._args import is_finite_number

log = logging.getLogger(__name__)

__all__ = ["HealthEvent", "ProviderHealth", "EVENT_TYPES", "HEALTH_STATUSES"]

EVENT_TYPES = ("success", "error", "timeout")
HEALTH_STATUSES = ("healthy", "degraded", "down")
_WINDOW_SECONDS = 3600.0


@dataclass(frozen=True)
class HealthEvent:
    """One observed call: when, what happened, how long it took."""

    timestamp: float
    event: str
    latency_ms: Optional[float] = None
    details: str = ""


class ProviderHealth:
    """Track success rate and latency per model, and say whether each is healthy."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        window_seconds: float = _WINDOW_SECONDS,
        max_events: int = 1000,
        degraded_below: float = 0.9,
        down_after_failures: int = 3,
        slow_latency_ms: Optional[float] = None,
    ) -> None:
        self._clock = clock
        self._window = window_seconds
        self._max_events = max_events
        self._degraded_below = degraded_below
        self._down_after = down_after_failures
        self._slow_latency_ms = slow_latency_ms
        self._events: Dict[str, Deque[HealthEvent]] = {}

    def record(
        self,
        model: str,
        event: str,
        latency_ms: Optional[float] = None,
        details: Optional[str] = None,
    ) -> HealthEvent:
        """Record one call outcome for ``model``; ``event`` is success, error or timeout."""
        if not isinstance(model, str) or not model:
            raise TypeError("model must be a non-empty model name (str)")
        if event not in EVENT_TYPES:
            raise ValueError(f"event must be one of {', '.join(EVENT_TYPES)}; got {event!r}")
        if latency_ms is not None:
            if isinstance(latency_ms, bool) or not isinstance(latency_ms, (int, float)):
                raise TypeError("latency_ms must be a number of milliseconds")
            if not math.isfinite(latency_ms) or latency_ms < 0:
                raise ValueError(f"latency_ms must be finite and >= 0, got {latency_ms!r}")
        if details is not None and not isinstance(details, str):
            raise TypeError("details must be a string")
        record = HealthEvent(self._clock(), event, None if latency_ms is None else float(latency_ms), details or "")
        events = self._events.setdefault(model, deque(maxlen=self._max_events))
        events.append(record)
        self._expire(events)
        return record

    def _expire(self, events: Deque[HealthEvent]) -> None:
        horizon = self._clock() - self._window
        while events and events[0].timestamp < horizon:
            events.popleft()

    def status(self, model: str) -> Dict[str, object]:
        """Return the health report of ``model`` in the antaris-router shape."""
        events = self._events.get(model)
        if events is not None:
            self._expire(events)
        recent: List[HealthEvent] = list(events or ())
        successes = [e for e in recent if e.event == "success"]
        latencies = [e.latency_ms for e in successes if e.latency_ms is not None]
        rate = len(successes) / len(recent) if recent else 1.0
        avg_latency = sum(latencies) / len(latencies) if latencies else 0.0
        return {
            "model": model,
            "status": self._classify(recent, rate, avg_latency),
            "success_rate_1h": round(rate, 4),
            "avg_latency_ms": round(avg_latency, 2),
            "recent_errors": [e.details or e.event for e in recent if e.event != "success"][-5:],
            "last_seen": recent[-1].timestamp if recent else None,
            "events_1h": len(recent),
        }

    def _classify(self, recent: List[HealthEvent], rate: float, avg_latency: float) -> str:
        if not recent:
            return "healthy"  # nothing known: do not punish a model for being unused
        tail = recent[-self._down_after:]
        if len(tail) >= self._down_after and all(e.event != "success" for e in tail) and rate < 0.5:
            return "down"
        if rate < self._degraded_below:
            return "degraded"
        if self._slow_latency_ms is not None and avg_latency > self._slow_latency_ms:
            return "degraded"
        return "healthy"

    def is_healthy(self, model: str) -> bool:
        """Return True unless ``model`` is degraded or down."""
        return self.status(model)["status"] == "healthy"

    def severity(self, model: str) -> int:
        """0 healthy, 1 degraded, 2 down: used to pick the least degraded model."""
        return HEALTH_STATUSES.index(str(self.status(model)["status"]))

    def to_dict(self) -> Dict[str, object]:
        """Serialise the recent events (for save_state)."""
        return {
            model: [[e.timestamp, e.event, e.latency_ms, e.details] for e in events]
            for model, events in self._events.items()
        }

    def load_dict(self, data: Dict[str, object]) -> None:
        """Restore events written by ``to_dict``; entries that do not parse are skipped with one warning."""
        skipped = 0
        for model, rows in data.items():
            if not isinstance(rows, list):
                skipped += 1
                continue
            events = self._events.setdefault(str(model), deque(maxlen=self._max_events))
            for row in rows:
                event = _parse_event(row)
                if event is None:
                    skipped += 1
                else:
                    events.append(event)
        if skipped:
            log.warning("provider health: skipped %d unreadable entr%s while loading saved state",
                        skipped, "y" if skipped == 1 else "ies")



def _parse_event(row: object) -> Optional[HealthEvent]:
    """One saved [timestamp, event, latency_ms | null, details] row, or None when it does not parse."""
    if not (isinstance(row, list) and len(row) == 4 and row[1] in EVENT_TYPES):
        return None
    when, event, latency, details = row
    if not is_finite_number(when) or not (latency is None or is_finite_number(latency)):
        return None  # NaN or Infinity could never be saved again (strict JSON)
    return HealthEvent(float(when), event, latency, str(details or ""))
