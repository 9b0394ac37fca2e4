"""Provider health: a sliding one-hour window of call outcomes per model, and a circuit breaker.

Bounded memory: each model keeps at most ``max_events`` recent events, and
events older than the window are dropped as new ones arrive.

Client errors (HTTP 4xx other than 408/429, or details such as
``context_exceeded``) say the request was wrong, not the provider: they are
kept and shown, but count neither in the success rate nor towards the breaker
(pybreaker's ``exclude=``; DESIGN §4).

The breaker of a model opens when its counted events (in the window, since the
breaker last closed) make it degraded or down: ``down_after_failures`` failures
in a row, or, over at least ``min_events`` calls, a success rate below
``degraded_below`` (or slow answers with ``slow_latency_ms``). It stays open for
``cooldown_seconds``, then turns half-open and lets exactly one request through
(the probe). A success, or a client error (the provider answered), closes it
and starts a fresh record; a failure opens it again for another cool-down.
"""

from __future__ import annotations

import enum
import logging
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Deque, Dict, List, Optional, Protocol, Tuple

from ._args import is_finite_number

log = logging.getLogger(__name__)

__all__ = [
    "BreakerState",
    "CLIENT_ERROR_DETAILS",
    "EVENT_TYPES",
    "HEALTH_STATUSES",
    "HealthEvent",
    "ProbeGate",
    "ProviderHealth",
    "is_client_error",
]

EVENT_TYPES = ("success", "error", "timeout")
HEALTH_STATUSES = ("healthy", "degraded", "down")
_WINDOW_SECONDS = 3600.0
_COOLDOWN_SECONDS = 60.0  # pybreaker's default reset_timeout

# ``details`` that name a problem with the request itself (OpenAI, Anthropic and antaris wording).
CLIENT_ERROR_DETAILS = frozenset({
    "authentication_error", "bad_request", "content_filter", "context_exceeded", "context_length_exceeded",
    "invalid_api_key", "invalid_request", "invalid_request_error", "model_not_found", "not_found",
    "not_found_error", "permission_error", "request_too_large", "unauthorized",
})
# A status code in ``details``: the whole string ("400"), or after http/status/code ("HTTP 404", "status=413").
# A status in an error's text: "404" alone, "HTTP 400", "status=400", urllib's "HTTP Error 404: ...",
# requests' "404 Client Error: ..." and httpx's "Client error '400 Bad Request' ...".
_STATUS_IN_DETAILS = re.compile(
    r"^\s*(\d{3})\s*$|\b(?:http|status|code)(?:\s+error)?[\s:=_-]*(\d{3})\b"
    r"|\b(\d{3})\s+(?:client|server)\s+error\b|\b(?:client|server)\s+error\W+(\d{3})\b",
    re.IGNORECASE)


_CLOSED_MARK = "breaker_closed"  # to_dict's row for when a breaker last closed


class BreakerState(str, enum.Enum):
    """The state of one model's circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class HealthEvent:
    """One observed call: when, what happened, how long it took, and the HTTP status if known."""

    timestamp: float
    event: str
    latency_ms: Optional[float] = None
    details: str = ""
    status: Optional[int] = None


def is_client_error(event: HealthEvent) -> bool:
    """Return True when ``event`` is an error caused by the request (4xx other than 408/429)."""
    if event.event != "error":
        return False
    status = event.status
    if status is None:
        match = _STATUS_IN_DETAILS.search(event.details)
        if match is not None:
            status = int(next(group for group in match.groups() if group))
    if status is not None:
        return 400 <= status < 500 and status not in (408, 429)
    return event.details.strip().lower() in CLIENT_ERROR_DETAILS


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Breaker:
    """One model's breaker; only ProviderHealth touches it, under its lock."""

    __slots__ = ("opened_at", "probe_at", "probe_owner", "since")

    def __init__(self) -> None:
        self.opened_at: Optional[float] = None  # None: closed
        self.probe_at: Optional[float] = None  # when the half-open probe was handed out
        self.probe_owner: Optional[object] = None  # the ProbeGate holding it, so only it gives it back
        self.since = -math.inf  # events before this (the last close) no longer count


class ProbeGate:
    """The ``prefer_healthy`` filter of one route(): admits healthy models and claims half-open probes.

    A half-open model's probe is claimed when the filter admits it, so a concurrent
    route() sees it taken; ``ProviderHealth.routed()`` then keeps the claim of the
    model actually routed to and gives the others back.
    """

    def __init__(self, health: ProviderHealth) -> None:
        self._health = health
        self.claimed: List[str] = []

    def __call__(self, model: _Named) -> bool:
        return self._health._admit(model.name, self)


class ProviderHealth:
    """Track success rate and latency per model, say whether each is healthy, and break its circuit."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        window_seconds: float = _WINDOW_SECONDS,
        max_events: int = 1000,
        degraded_below: float = 0.9,
        down_after_failures: int = 3,
        slow_latency_ms: Optional[float] = None,
        min_events: int = 10,
        cooldown_seconds: float = _COOLDOWN_SECONDS,
        exclude: Callable[[HealthEvent], bool] = is_client_error,
    ) -> None:
        if isinstance(cooldown_seconds, bool) or not is_finite_number(cooldown_seconds) or cooldown_seconds < 0:
            raise ValueError(f"cooldown_seconds must be a finite number >= 0, got {cooldown_seconds!r}")
        self._clock = clock
        self._window = window_seconds
        self._max_events = max_events
        self._degraded_below = degraded_below
        self._down_after = down_after_failures
        self._slow_latency_ms = slow_latency_ms
        self._min_events = min_events
        self._cooldown = float(cooldown_seconds)
        self._exclude = exclude
        self._events: Dict[str, Deque[HealthEvent]] = {}
        self._breakers: Dict[str, _Breaker] = {}
        # route() and record() may run on several threads: the probe must be handed out once.
        self._lock = threading.RLock()

    def record(
        self,
        model: str,
        event: str,
        latency_ms: Optional[float] = None,
        details: Optional[str] = None,
        *,
        status: Optional[int] = None,
    ) -> HealthEvent:
        """Record one call outcome for ``model``; ``event`` is success, error or timeout.

        ``status`` is the HTTP status of a failed call, when known: a 4xx other than
        408/429 is a client error and does not count against the model.
        """
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
        if status is not None:
            if isinstance(status, bool) or not isinstance(status, int):
                raise TypeError("status must be an HTTP status code (int) or None")
            if not 100 <= status <= 599:
                raise ValueError(f"status must be an HTTP status code within 100..599, got {status!r}")
        with self._lock:
            record = HealthEvent(self._clock(), event, None if latency_ms is None else float(latency_ms),
                                 details or "", status)
            events = self._events.setdefault(model, deque(maxlen=self._max_events))
            events.append(record)
            self._expire(events)
            breaker = self._breakers.get(model)
            if breaker is not None and breaker.opened_at is not None:
                if record.event == "success" or self._exclude(record):
                    # The provider answered: close, and judge it from here on only.
                    breaker.opened_at = None
                    breaker.since = record.timestamp
                else:
                    breaker.opened_at = record.timestamp  # a failed probe (or any failure) restarts the cool-down
                breaker.probe_at = breaker.probe_owner = None
            else:
                self._state(model, record.timestamp)  # trips now if this event made the model unhealthy
        return record

    def _expire(self, events: Deque[HealthEvent]) -> None:
        horizon = self._clock() - self._window
        while events and events[0].timestamp < horizon:
            events.popleft()

    def _counted(self, model: str, since: float = -math.inf) -> List[HealthEvent]:
        """Events in the window (after ``since``) that count for health: client errors left out."""
        events = self._events.get(model)
        if not events:
            return []
        since = max(since, self._clock() - self._window)  # a filter, not _expire(): reads change nothing
        exclude = self._exclude
        return [e for e in events if e.timestamp >= since and not exclude(e)]

    def _state(self, model: str, now: float) -> Tuple[BreakerState, bool]:
        """Return the breaker state of ``model`` and whether its probe is free; call under the lock."""
        breaker = self._breakers.get(model)
        if breaker is None or breaker.opened_at is None:
            counted = self._counted(model, breaker.since if breaker is not None else -math.inf)
            if self._classify(counted) == "healthy":
                return BreakerState.CLOSED, False
            if breaker is None:
                breaker = self._breakers[model] = _Breaker()
            # Opened at its newest counted event: that is the event itself when record() trips it, and
            # after a load (or once events aged out) a cool-down already served is not served again.
            breaker.opened_at = counted[-1].timestamp
            breaker.probe_at = breaker.probe_owner = None
        if now - breaker.opened_at < self._cooldown:
            return BreakerState.OPEN, False
        # A probe whose outcome never comes back is given up after one cool-down.
        free = breaker.probe_at is None or now - breaker.probe_at >= self._cooldown
        return BreakerState.HALF_OPEN, free

    def _admit(self, model: str, gate: ProbeGate) -> bool:
        with self._lock:
            now = self._clock()
            state, free = self._state(model, now)
            if state is BreakerState.CLOSED:
                return True
            if not free:
                return False
            breaker = self._breakers[model]
            breaker.probe_at, breaker.probe_owner = now, gate
            gate.claimed.append(model)
            return True

    def gate(self) -> ProbeGate:
        """Return a filter for one routing: healthy models pass, a half-open one passes once."""
        return ProbeGate(self)

    def release(self, gate: ProbeGate) -> None:
        """Give back every probe ``gate`` claimed: its routing failed, so nothing was sent to probe with."""
        with self._lock:
            for name in gate.claimed:
                breaker = self._breakers.get(name)
                if breaker is not None and breaker.probe_owner is gate:
                    breaker.probe_at = breaker.probe_owner = None
            gate.claimed.clear()

    def routed(self, model: str, gate: Optional[ProbeGate] = None) -> None:
        """Note that a request goes to ``model``: it takes a free half-open probe; ``gate``'s other claims go back.

        A routing that fails before this gives its claims back with ``release()``.
        """
        if gate is None:
            breaker = self._breakers.get(model)  # a dict lookup is atomic: no lock for a closed breaker
            if breaker is None or breaker.opened_at is None:
                return
        with self._lock:
            if gate is not None:
                for name in gate.claimed:
                    breaker = self._breakers.get(name)
                    if name != model and breaker is not None and breaker.probe_owner is gate:
                        breaker.probe_at = breaker.probe_owner = None
                kept = model in gate.claimed
                gate.claimed.clear()
                if kept:
                    return
            breaker = self._breakers.get(model)
            if breaker is None or breaker.opened_at is None:
                return  # closed (record() and load_dict() trip breakers): route() pays a dict lookup
            now = self._clock()
            state, free = self._state(model, now)
            if state is BreakerState.HALF_OPEN and free:
                breaker.probe_at, breaker.probe_owner = now, gate

    def breaker_state(self, model: str) -> BreakerState:
        """Return the state of ``model``'s circuit breaker now."""
        with self._lock:
            return self._state(model, self._clock())[0]

    def status(self, model: str) -> Dict[str, object]:
        """Return the health report of ``model`` in the antaris-router shape (plus ``circuit``).

        ``success_rate_1h`` and ``avg_latency_ms`` cover the window, client errors left out;
        ``status`` judges the events since the breaker last closed; ``recent_errors`` lists
        every kind of error, client errors included.
        """
        with self._lock:
            now = self._clock()
            state, _ = self._state(model, now)
            events = self._events.get(model)
            if events is not None:
                self._expire(events)
            recent: List[HealthEvent] = list(events or ())
            counted = [e for e in recent if not self._exclude(e)]
            breaker = self._breakers.get(model)
            since = breaker.since if breaker is not None else -math.inf
            current = self._classify([e for e in counted if e.timestamp >= since])
        if state is not BreakerState.CLOSED and current == "healthy":
            current = "degraded"  # its events aged out of the window during the cool-down
        successes = [e for e in counted if e.event == "success"]
        latencies = [e.latency_ms for e in successes if e.latency_ms is not None]
        rate = len(successes) / len(counted) if counted else 1.0
        avg_latency = sum(latencies) / len(latencies) if latencies else 0.0
        return {
            "model": model,
            "status": current,
            "success_rate_1h": round(rate, 4),
            "avg_latency_ms": round(avg_latency, 2),
            "recent_errors": [e.details or e.event for e in recent if e.event != "success"][-5:],
            "last_seen": recent[-1].timestamp if recent else None,
            "events_1h": len(recent),
            "circuit": state.value,
        }

    def _classify(self, counted: List[HealthEvent]) -> str:
        if not counted:
            return "healthy"  # nothing known: do not punish a model for being unused
        successes = [e for e in counted if e.event == "success"]
        rate = len(successes) / len(counted)
        tail = counted[-self._down_after:]
        if len(tail) >= self._down_after and all(e.event != "success" for e in tail) and rate < 0.5:
            return "down"
        if len(counted) < self._min_events:
            return "healthy"  # a rate over a handful of calls is noise (one timeout is 0%)
        if rate < self._degraded_below:
            return "degraded"
        if self._slow_latency_ms is not None:
            latencies = [e.latency_ms for e in successes if e.latency_ms is not None]
            if latencies and sum(latencies) / len(latencies) > self._slow_latency_ms:
                return "degraded"
        return "healthy"

    def is_healthy(self, model: str) -> bool:
        """Return True when a request may go to ``model``: its breaker is closed, or half-open with the probe free.

        A look only: the probe is taken by ``routed()`` (or a ``gate()``).
        """
        with self._lock:
            state, free = self._state(model, self._clock())
        return state is BreakerState.CLOSED or free

    def severity(self, model: str) -> int:
        """0 healthy, 1 degraded, 2 down: used to pick the least degraded model."""
        return HEALTH_STATUSES.index(str(self.status(model)["status"]))

    def to_dict(self) -> Dict[str, object]:
        """Serialise the recent events (for save_state); the breakers are rebuilt from them on load.

        A breaker that closed after a probe adds one ``[closed_at, "breaker_closed"]`` row: without it
        a reload would judge the failures that tripped it again, together with the probe that closed
        it, and open it anew. (Versions before it skip that row with a warning.)
        """
        with self._lock:
            data: Dict[str, object] = {}
            for model, events in self._events.items():
                rows: List[object] = [_event_row(e) for e in events]
                breaker = self._breakers.get(model)
                if breaker is not None and math.isfinite(breaker.since):
                    rows.append([breaker.since, _CLOSED_MARK])
                data[model] = rows
            return data

    def load_dict(self, data: Dict[str, object]) -> None:
        """Restore events (and breaker close times) written by ``to_dict``; entries that do not parse
        are skipped with one warning."""
        skipped = 0
        with self._lock:
            for model, rows in data.items():
                if not isinstance(rows, list):
                    skipped += 1
                    continue
                events = self._events.setdefault(str(model), deque(maxlen=self._max_events))
                for row in rows:
                    if isinstance(row, list) and len(row) == 2 and row[1] == _CLOSED_MARK:
                        since = row[0]
                        if isinstance(since, bool) or not isinstance(since, (int, float)) \
                                or not math.isfinite(since):
                            skipped += 1
                        else:
                            self._breakers.setdefault(str(model), _Breaker()).since = float(since)
                        continue
                    event = _parse_event(row)
                    if event is None:
                        skipped += 1
                    else:
                        events.append(event)
            now = self._clock()
            for model in data:
                if str(model) in self._events:
                    self._state(str(model), now)  # open now the breakers the saved events trip
        if skipped:
            log.warning("provider health: skipped %d unreadable entr%s while loading saved state",
                        skipped, "y" if skipped == 1 else "ies")


def _event_row(event: HealthEvent) -> List[object]:
    row: List[object] = [event.timestamp, event.event, event.latency_ms, event.details]
    if event.status is not None:
        row.append(event.status)  # four-element rows (no status) stay readable by older versions
    return row


def _parse_event(row: object) -> Optional[HealthEvent]:
    """One saved [timestamp, event, latency_ms | null, details(, status)] row, or None when it does not parse."""
    if not (isinstance(row, list) and len(row) in (4, 5) and row[1] in EVENT_TYPES):
        return None
    when, event, latency, details = row[:4]
    status = row[4] if len(row) == 5 else None
    if not is_finite_number(when) or not (latency is None or is_finite_number(latency)):
        return None  # NaN or Infinity could never be saved again (strict JSON)
    if status is not None and not (type(status) is int and 100 <= status <= 599):
        return None
    return HealthEvent(float(when), event, latency, str(details or ""), status)
