"""The budget ledger: reserve the worst case before a call, settle the actual cost after it.

    budget = Budget(Limit(usd=1.0, per="user", window="day"), store="sqlite:///ledger.db")
    r = budget.reserve(usd=0.02, keys={"user": "alice"})   # BudgetExceededError when it does not fit
    r.settle(usd=0.013)                                    # or r.release() when nothing was consumed

One reserve checks every matching limit and records the reservation in one atomic store step, so
committed + reserved never exceeds a limit, across threads, processes and (with Redis or
PostgreSQL) hosts. A reservation that is never settled expires and is charged in full: a crashed
worker can make the ledger over-count, never under-count.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import unquote

from ..errors import BudgetExceededError
from .limits import MAX_AMOUNT, Limit, Line, Unit, Window, check_amount, parse_limits
from .stores import Store, UnknownReservationError, Usage, store_from_url

__all__ = ["Alert", "Budget", "BudgetStatus", "LimitStatus", "Reservation", "SettleResult",
           "DEFAULT_THRESHOLDS"]

log = logging.getLogger(__name__)

DEFAULT_THRESHOLDS: Tuple[float, ...] = (0.5, 0.8, 1.0)
_UNITS = tuple(unit.value for unit in Unit)
_FIRED_MEMORY = 4096  # counters whose alert level is remembered (per process; oldest forgotten first)


@dataclass(frozen=True)
class Alert:
    """A limit crossed a threshold ("threshold"), refused a request ("exhausted"), or was overrun
    by a settle above its reservation ("overage")."""

    kind: str
    threshold: float
    scope: str
    limit_id: str
    unit: str
    limit: float
    spent: float
    reserved: float

    @property
    def utilisation(self) -> float:
        """(spent + reserved) / limit."""
        return (self.spent + self.reserved) / self.limit if self.limit else math.inf


@dataclass(frozen=True)
class LimitStatus:
    """Where one limit stands for one scope value, in the current window."""

    limit_id: str
    scope: str
    unit: str
    window: str
    limit: float
    spent: float
    reserved: float
    remaining: float
    utilisation: float
    thresholds_reached: Tuple[float, ...]
    window_start: Optional[float]
    window_end: Optional[float]

    def to_dict(self) -> Dict[str, Any]:
        """Return a JSON-ready dict."""
        return {name: (list(value) if isinstance(value, tuple) else value)
                for name, value in self.__dict__.items()}


@dataclass(frozen=True)
class BudgetStatus:
    """Every limit that applies to a set of keys."""

    keys: Mapping[str, str]
    limits: Tuple[LimitStatus, ...]

    @property
    def exceeded(self) -> bool:
        """True when some limit has nothing left."""
        return any(item.remaining <= 0.0 for item in self.limits)

    @property
    def alerts(self) -> Tuple[Tuple[str, float], ...]:
        """(limit id, highest threshold reached) for each limit past a threshold."""
        return tuple((item.limit_id, item.thresholds_reached[-1]) for item in self.limits
                     if item.thresholds_reached)

    def to_dict(self) -> Dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"keys": dict(self.keys), "exceeded": self.exceeded,
                "limits": [item.to_dict() for item in self.limits]}


@dataclass(frozen=True)
class SettleResult:
    """What a settle or release charged, per unit; ``overage`` is what exceeded the reservation."""

    reservation_id: str
    reserved: Mapping[str, float]
    charged: Mapping[str, float]
    overage: Mapping[str, float]
    expired: bool = False


class Reservation:
    """Money (or tokens, or requests) held for one call until it is settled or released."""

    def __init__(self, budget: Budget, reservation_id: str, amounts: Mapping[str, float],
                 keys: Mapping[str, str], priority: str, created_at: float, expires_at: float) -> None:
        self._budget = budget
        self.id = reservation_id
        self.amounts: Mapping[str, float] = dict(amounts)
        self.keys: Mapping[str, str] = dict(keys)
        self.priority = priority
        self.created_at = created_at
        self.expires_at = expires_at
        self.result: Optional[SettleResult] = None

    usd = property(lambda self: self.amounts.get("usd", 0.0), doc="USD held.")
    tokens = property(lambda self: self.amounts.get("tokens", 0.0), doc="Tokens held.")
    requests = property(lambda self: self.amounts.get("requests", 0.0), doc="Requests held.")

    @property
    def done(self) -> bool:
        """True once settled or released through this object."""
        return self.result is not None

    def settle(self, usd: Optional[float] = None, tokens: Optional[float] = None,
               requests: Optional[float] = None) -> SettleResult:
        """Charge the actual amounts (units not given are charged as reserved)."""
        if self.result is not None:
            raise UnknownReservationError(self.id)
        self.result = self._budget.settle(self.id, usd=usd, tokens=tokens, requests=requests)
        return self.result

    def release(self) -> SettleResult:
        """Give the whole reservation back: nothing was consumed."""
        if self.result is not None:
            raise UnknownReservationError(self.id)
        self.result = self._budget.release(self.id)
        return self.result

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Left unsettled, whatever happened: charge in full (the call may have been paid for).
        if self.result is None:
            self.settle()

    def __repr__(self) -> str:
        return (f"Reservation(id={self.id!r}, amounts={dict(self.amounts)!r}, keys={dict(self.keys)!r}, "
                f"expires_at={self.expires_at!r})")


class Budget:
    """A set of limits over one store; reserve, settle, release and report."""

    def __init__(self, *limits: Limit, store: Union[str, Store] = "memory://",
                 clock: Callable[[], float] = time.time, reservation_ttl: float = 600.0,
                 thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                 on_alert: Optional[Callable[[Alert], None]] = None, expire_every: float = 1.0) -> None:
        if not limits:
            raise ValueError("a Budget needs at least one Limit, e.g. Budget(Limit(usd=10.0))")
        self._limits = parse_limits(tuple(limits))
        if isinstance(store, str):
            store = store_from_url(store)
        if not isinstance(store, Store):
            raise TypeError(f"store must be a Store or a URL such as 'sqlite:///ledger.db', got {type(store).__name__}")
        self._store = store
        self._clock = clock
        self._ttl = check_amount(reservation_ttl, "reservation_ttl", allow_zero=False)
        self._thresholds = tuple(sorted(check_amount(t, "threshold", allow_zero=False) for t in thresholds))
        self._on_alert = on_alert
        self._expire_every = check_amount(expire_every, "expire_every")
        self._last_expire = -math.inf
        self._lock = threading.Lock()
        self._fired: collections.OrderedDict[str, float] = collections.OrderedDict()

    @classmethod
    def total(cls, usd: float, **kwargs: Any) -> Budget:
        """Return a budget with one total USD cap (``Router(budget=0.10)``)."""
        return cls(Limit(usd=usd), **kwargs)

    @property
    def limits(self) -> Tuple[Limit, ...]:
        """The limits, in the order given."""
        return self._limits

    @property
    def store(self) -> Store:
        """The ledger backend."""
        return self._store

    def close(self) -> None:
        """Close the store."""
        self._store.close()

    # --- admission ---------------------------------------------------------------------------

    def reserve(self, usd: Optional[float] = None, tokens: Optional[float] = None, requests: float = 1,
                *, keys: Optional[Mapping[str, str]] = None, priority: str = "normal",
                ttl: Optional[float] = None, reservation_id: Optional[str] = None) -> Reservation:
        """Hold ``usd``/``tokens``/``requests`` under every matching limit, or raise BudgetExceededError."""
        keys = _check_keys(keys)
        amounts = _amounts(usd, tokens, requests)
        if priority not in ("normal", "high", "low"):
            raise ValueError(f"priority must be 'normal', 'high' or 'low', got {priority!r}")
        ttl = self._ttl if ttl is None else check_amount(ttl, "ttl", allow_zero=False)
        if reservation_id is None:
            reservation_id = uuid.uuid4().hex
        elif not isinstance(reservation_id, str) or not 0 < len(reservation_id) <= 200:
            raise ValueError(f"reservation_id must be a non-empty string of at most 200 characters, "
                             f"got {reservation_id!r}")
        now = self._now()
        lines: List[Line] = []
        limits: List[Limit] = []
        for limit in self._limits:
            amount = amounts.get(limit.unit.value)
            if amount is None:
                raise ValueError(f"limit {limit.id!r} counts {limit.unit.value}: pass {limit.unit.value}= to "
                                 "reserve (an unknown cost is refused, never counted as zero)")
            if limit.kind is Window.REQUEST:
                cap = limit.cap_for(priority)
                if amount > cap:
                    self._alert("exhausted", limit, keys, now, cap, 0.0, 0.0, key=limit.id)
                    raise _exceeded(limit, keys, now, cap, Usage(0.0, 0.0), amount)
                continue
            lines.append(limit.line(keys, amount, now, priority))
            limits.append(limit)
        self._maybe_expire(now)
        result = self._store.reserve(reservation_id, lines, now, now + ttl)
        if result.refused >= 0:
            limit, line, used = limits[result.refused], lines[result.refused], result.usage[result.refused]
            self._alert("exhausted", limit, keys, now, line.cap, used.committed, used.reserved, key=line.key)
            raise _exceeded(limit, keys, now, line.cap, used, line.amount)
        for limit, line, used in zip(limits, lines, result.usage):
            self._check_thresholds(limit, line, keys, now, used.committed, used.reserved + line.amount)
        held = {unit: value for unit, value in amounts.items() if value is not None}
        return Reservation(self, reservation_id, held, keys, priority, now, now + ttl)

    def settle(self, reservation_id: str, usd: Optional[float] = None, tokens: Optional[float] = None,
               requests: Optional[float] = None) -> SettleResult:
        """Charge a reservation (by id, from any process); units not given are charged as reserved."""
        actual = {unit: check_amount(value, unit, maximum=MAX_AMOUNT) for unit, value in
                  (("usd", usd), ("tokens", tokens), ("requests", requests)) if value is not None}
        return self._finish(reservation_id, actual)

    def release(self, reservation_id: str) -> SettleResult:
        """Return a reservation in full: nothing was consumed."""
        return self._finish(reservation_id, {unit: 0.0 for unit in _UNITS})

    def expire(self) -> int:
        """Charge every expired reservation at its full amount now; return how many."""
        now = self._now()
        self._last_expire = now
        return self._store.expire(now)

    # --- reporting ---------------------------------------------------------------------------

    def status(self, keys: Optional[Mapping[str, str]] = None) -> BudgetStatus:
        """Return every stateful limit that applies to ``keys`` (limits whose scope is absent are skipped)."""
        keys = _check_keys(keys)
        now = self._now()
        self._maybe_expire(now, force=True)
        limits = self._applicable(keys)
        lines = [limit.line(keys, 0.0, now, "high") for limit in limits]
        usages = self._store.usage(lines, now) if lines else ()
        items = []
        for limit, used in zip(limits, usages):
            span = limit.span(now)
            total = used.committed + used.reserved
            utilisation = total / limit.amount if limit.amount else (0.0 if total == 0 else math.inf)
            items.append(LimitStatus(
                limit_id=limit.id, scope=limit.scope_label(keys, now), unit=limit.unit.value,
                window=limit.kind.value, limit=limit.amount, spent=used.committed,
                reserved=used.reserved, remaining=max(0.0, limit.amount - total), utilisation=utilisation,
                thresholds_reached=tuple(t for t in self._thresholds if utilisation >= t),
                window_start=span.start,
                window_end=span.end if limit.kind.is_calendar else None))
        return BudgetStatus(keys, tuple(items))

    def spent(self, keys: Optional[Mapping[str, str]] = None, unit: str = "usd",
              limit: Union[Limit, str, None] = None) -> float:
        """Return the settled spend of ``limit`` (default: the first declared limit of ``unit`` whose
        scope is in ``keys``, else the first global one) in its current window."""
        return self._pick(keys, unit, limit).spent

    def remaining(self, keys: Optional[Mapping[str, str]] = None, unit: str = "usd",
                  priority: str = "normal") -> float:
        """Return the most that one reservation of ``unit`` could hold now under the limits that apply
        to ``keys`` (a limit whose scope is not in ``keys`` is not considered); inf when none does."""
        keys = _check_keys(keys)
        best = math.inf
        for item, limit in zip(self.status(keys).limits, self._applicable(keys)):
            if item.unit == unit:
                best = min(best, max(0.0, limit.cap_for(priority) - item.spent - item.reserved))
        for limit in self._limits:
            if limit.kind is Window.REQUEST and limit.unit.value == unit:
                best = min(best, limit.cap_for(priority))
        return best

    # --- internals ---------------------------------------------------------------------------

    def _applicable(self, keys: Mapping[str, str]) -> List[Limit]:
        return [limit for limit in self._limits if limit.kind is not Window.REQUEST
                and (limit.per is None or limit.per in keys)]

    def _pick(self, keys: Optional[Mapping[str, str]], unit: str, limit: Union[Limit, str, None]) -> LimitStatus:
        keys = _check_keys(keys)
        items = self.status(keys).limits
        if limit is not None:
            wanted = limit.id if isinstance(limit, Limit) else str(limit)
            for item in items:
                if item.limit_id == wanted:
                    return item
            raise ValueError(f"no limit {wanted!r} applies to keys {sorted(keys)}; "
                             f"limits: {[lim.id for lim in self._limits]}")
        candidates = [(item, lim) for item, lim in zip(items, self._applicable(keys)) if item.unit == unit]
        scoped = [item for item, lim in candidates if lim.per is not None]
        chosen = scoped or [item for item, _ in candidates]
        if not chosen:
            raise ValueError(f"no {unit} limit with a window applies to keys {sorted(keys)}")
        return chosen[0]

    def _now(self) -> float:
        now = float(self._clock())
        if not math.isfinite(now):
            raise ValueError(f"the clock returned {now!r}")
        return now

    def _maybe_expire(self, now: float, force: bool = False) -> None:
        # Expiry only turns reserved into committed, so admission stays correct between sweeps;
        # sweeping once per interval keeps the common path to one store round trip.
        if force or now - self._last_expire >= self._expire_every or now < self._last_expire:
            self._last_expire = now
            self._store.expire(now)

    def _finish(self, reservation_id: str, actual: Mapping[str, float]) -> SettleResult:
        now = self._now()
        record = self._store.settle(reservation_id, actual, now)
        reserved: Dict[str, float] = {}
        charged: Dict[str, float] = {}
        for line, charge in zip(record.lines, record.charged):
            reserved[line.unit] = line.amount
            charged[line.unit] = charge + (line.amount if record.expired else 0.0)
        overage = {unit: charged[unit] - reserved[unit] for unit in charged
                   if charged[unit] > reserved[unit]}
        if overage:
            log.warning("reservation %s settled above what it held (%s): recorded in full; a provider "
                        "may have ignored max_tokens", reservation_id,
                        ", ".join(f"{u} +{v:.6g}" for u, v in sorted(overage.items())))
            self._report_overage(record.lines, overage, now)
        if record.expired:
            log.warning("reservation %s was settled after it expired; it had been charged in full",
                        reservation_id)
        return SettleResult(reservation_id, reserved, charged, overage, record.expired)

    def _report_overage(self, lines: Sequence[Line], overage: Mapping[str, float], now: float) -> None:
        if self._on_alert is None:
            return
        by_id = {limit.id: limit for limit in self._limits}
        usages = self._store.usage(lines, now)
        for line, used in zip(lines, usages):
            limit = by_id.get(unquote(line.key.split("|", 1)[0]))
            if line.unit not in overage or limit is None:
                continue  # a limit since removed from this Budget: the warning above still stands
            utilisation = (used.committed + used.reserved) / limit.amount if limit.amount else math.inf
            self._emit(Alert("overage", utilisation, line.key, limit.id, line.unit, limit.amount,
                             used.committed, used.reserved))

    def _check_thresholds(self, limit: Limit, line: Line, keys: Mapping[str, str], now: float,
                          committed: float, reserved: float) -> None:
        if not limit.amount:
            return
        utilisation = (committed + reserved) / limit.amount
        crossed = [t for t in self._thresholds if utilisation >= t]
        if crossed:
            self._alert("threshold", limit, keys, now, limit.amount, committed, reserved,
                        key=line.key, threshold=crossed[-1])

    def _alert(self, kind: str, limit: Limit, keys: Mapping[str, str], now: float, cap: float,
               committed: float, reserved: float, *, key: str, threshold: float = 1.0) -> None:
        with self._lock:
            # Fire once per counter and level (per process: alerts are advisory, the cap is not).
            if self._fired.get(key, 0.0) >= threshold:
                return
            self._fired[key] = threshold
            self._fired.move_to_end(key)
            while len(self._fired) > _FIRED_MEMORY:
                self._fired.popitem(last=False)
        self._emit(Alert(kind, threshold, limit.scope_label(keys, now), limit.id, limit.unit.value,
                         cap, committed, reserved))

    def _emit(self, alert: Alert) -> None:
        log.info("budget alert: %s %s at %.0f%% (%s)", alert.kind, alert.limit_id, alert.threshold * 100,
                 alert.scope)
        if self._on_alert is not None:
            try:
                self._on_alert(alert)
            except Exception:  # an alert hook must never break admission or settlement
                log.exception("budget on_alert callback failed")


def _check_keys(keys: Optional[Mapping[str, str]]) -> Dict[str, str]:
    if keys is None:
        return {}
    if not isinstance(keys, Mapping):
        raise TypeError(f"keys must be a mapping such as {{'user': 'alice'}}, got {type(keys).__name__}")
    result = {}
    for name, value in keys.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"keys must map str to str, got {name!r}: {value!r}")
        result[name] = value
    return result


def _amounts(usd: Optional[float], tokens: Optional[float], requests: Optional[float]) -> Dict[str, Optional[float]]:
    return {"usd": None if usd is None else check_amount(usd, "usd", maximum=MAX_AMOUNT),
            "tokens": None if tokens is None else check_amount(tokens, "tokens", maximum=MAX_AMOUNT),
            "requests": None if requests is None else check_amount(requests, "requests", maximum=MAX_AMOUNT)}


def _exceeded(limit: Limit, keys: Mapping[str, str], now: float, cap: float, used: Usage,
              requested: float) -> BudgetExceededError:
    error = BudgetExceededError(scope=limit.scope_label(keys, now), limit=cap, spent=used.committed,
                                reserved=used.reserved, requested=requested, unit=limit.unit.value)
    error.limit_id = limit.id  # type: ignore[attr-defined]
    error.window = limit.kind.value  # type: ignore[attr-defined]
    return error
