"""Cost tracking: actual usage per model and scope, calendar reports, savings, forecasts, alerts.

    tracker = CostTracker(store="sqlite:///ledger.db", timezone="Europe/London")
    with tracker.scope("pipeline:batch-0"):
        with tracker.scope("step:classify"):
            tracker.log(model, input_tokens=80, output_tokens=1)   # counted under both scopes
    tracker.scope_cost("step:classify")        # across every pipeline
    tracker.report("month")                    # this calendar month, in the tracker's timezone

Design:

* **Scopes** live in a ``contextvars.ContextVar`` per tracker, so each thread and each asyncio
  task sees only the scopes it entered (a task created inside a scope inherits it, as it should;
  scopes entered inside the task never leak back). A record counts once under every distinct
  enclosing scope.
* **Bounded memory**: usage is aggregated per (calendar hour, model, scope), never kept per
  request; hours older than ``retention_days`` (default 62: the current and the previous calendar
  month, whatever their lengths) are dropped when a new hour starts. Rows grow with
  retained hours x models x distinct scopes: per-request scope names (``pipeline:<uuid>``) cost one
  row per hour in which they are used, and are dropped with their hour.
* **Windows** are calendar windows in the tracker's explicit timezone (default UTC), the same
  arithmetic as budget limits (:func:`budget.limits.calendar_span`): ``report("month")`` is this
  calendar month so far, never "the last 30 days", and equals what a ``window="month"`` Limit
  counts. Buckets are local calendar hours, so every day, week and month is a whole number of them,
  also in half-hour timezones. ``ago=1`` gives the previous window.
* **Unpriced models** (``ModelInfo.is_priced`` false, or a bare model name without ``cost_usd``) are
  kept with ``cost_usd=None`` and counted as ``unpriced_requests``: reports list them in
  ``unpriced_models`` and set ``cost_complete`` false; their cost is never booked as $0.
* **Durability across processes**: ``store=`` takes a budget :class:`SQLiteStore`, a ``Budget``
  using one, or a ``sqlite:///path`` URL; the aggregates then live in table ``cost_usage_v1`` of
  that SQLite file, so every process sharing it reports the same totals. The budget Store API has
  no way to enumerate or group counters (by model, by scope), so the costs keep their own table;
  it sits beside the ledger's tables in the same file but does not touch ``PRAGMA user_version``
  (the ledger owns it), and a corrupt file raises :class:`StateError` and is left in place (never
  moved aside, which would reset the ledger). ``Workspace.connect`` is not used for that reason.
  Redis and PostgreSQL ledgers cannot hold cost history: pass ``store=None`` (in-process) or a
  SQLite URL. Every process sharing a file should use the same timezone. Each ``log`` is one
  ``BEGIN IMMEDIATE`` write of 1 + len(scopes) rows (no write-behind: a report in another process
  sees it at once); in the ledger's file it takes the same write lock as reservations, so give
  busy deployments a separate cost file. A SQLite-backed ``to_dict()`` carries no rows.
"""

from __future__ import annotations

import datetime as _dt
import enum
import logging
import math
import time
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from .budget.limits import Window, WindowSpan, calendar_span, check_amount, resolve_timezone
from .cost_store import (
    _ALL,
    _COST,
    _EST,
    _FIELDS,
    _IN,
    _OUT,
    _PIN,
    _POUT,
    _PRICED,
    _REQ,
    Backend,
    Row,
    StoreArg,
    _add,
    _empty,
    _open_backend,
    _SQLiteBackend,
)
from .registry import ModelInfo
from .tiers import Tier

__all__ = ["PERIODS", "CostTracker", "UsageRecord", "UsageSource"]

log = logging.getLogger(__name__)

PERIODS: Tuple[str, ...] = ("hour", "day", "week", "month")
_WINDOWS = {"hour": Window.HOUR, "day": Window.DAY, "week": Window.WEEK, "month": Window.MONTH}
_ADVERBS = {"hour": "hourly", "day": "daily", "week": "weekly", "month": "monthly"}
_MAX_SCOPE_CHARS = 256



class UsageSource(str, enum.Enum):
    """Where a record's token counts came from."""

    PROVIDER = "provider"    # the provider's reported usage
    ESTIMATED = "estimated"  # counted or guessed locally


@dataclass(frozen=True)
class UsageRecord:
    """One request's actual usage; ``cost_usd`` is None when the model has no known price."""

    timestamp: float
    model: str
    provider: str
    tier: str
    input_tokens: int
    output_tokens: int
    cost_usd: Optional[float]
    scopes: Tuple[str, ...] = ()
    usage_source: str = UsageSource.PROVIDER.value

    @property
    def priced(self) -> bool:
        """True when the cost is known."""
        return self.cost_usd is not None


def _check_tokens(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of tokens, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _check_period(period: object) -> Window:
    window = _WINDOWS.get(period) if isinstance(period, str) else None
    if window is None:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}; got {period!r}")
    return window


def _check_scope(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"scope name must be a str, got {type(name).__name__}")
    if not name.strip() or len(name) > _MAX_SCOPE_CHARS or any(ord(c) < 32 for c in name):
        raise ValueError(f"scope name must be 1-{_MAX_SCOPE_CHARS} printable characters, got {name!r}")
    return name


def _money(value: float) -> float:
    return round(value, 12)  # float residue only: costs of a nano-dollar stay visible


# --- the tracker --------------------------------------------------------------------------------


class _Scope:
    """Context manager entering one cost scope in the current thread or task."""

    def __init__(self, var: ContextVar[Tuple[str, ...]], name: str) -> None:
        self._var = var
        self._name = name
        self._token: Optional[Token[Tuple[str, ...]]] = None

    def __enter__(self) -> str:
        self._token = self._var.set(self._var.get() + (self._name,))
        return self._name

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            self._var.reset(self._token)
            self._token = None


class CostTracker:
    """Aggregate actual usage per calendar hour, model and scope; answer cost questions about it."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        retention_days: int = 62,
        timezone: Union[str, _dt.tzinfo] = "UTC",
        store: StoreArg = None,
        enabled: bool = True,
    ) -> None:
        """``enabled=False`` (Router's ``enable_cost_tracking=False``): ``log()`` still prices each
        request and returns its record, but nothing is kept, loaded or reported."""
        if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1:
            raise ValueError(f"retention_days must be an int >= 1 (62 keeps two calendar months), "
                             f"got {retention_days!r}")
        self._clock = clock
        self._retention = retention_days * 86400.0
        self.timezone = timezone if isinstance(timezone, str) else str(timezone)
        self._tz = resolve_timezone(timezone)
        self.enabled = bool(enabled)
        self._backend: Backend = _open_backend(store)
        self._scopes: ContextVar[Tuple[str, ...]] = ContextVar(f"antaris_like.costs.{id(self):x}", default=())
        self._hour = WindowSpan(math.inf, -math.inf, "")  # the current bucket, cached
        self._pruned_for = -math.inf

    @property
    def durable(self) -> bool:
        """True when the aggregates live in a SQLite file (shared by every process using it)."""
        return self._backend.durable

    # -- scopes -----------------------------------------------------------------------------------
    def scope(self, name: str) -> _Scope:
        """Return a context manager counting the records logged inside it under ``name`` as well."""
        return _Scope(self._scopes, _check_scope(name))

    def current_scopes(self) -> Tuple[str, ...]:
        """Return the scopes entered in this thread or task, outermost first."""
        return self._scopes.get()

    # -- recording --------------------------------------------------------------------------------
    def log(
        self,
        model: Union[ModelInfo, str],
        input_tokens: int,
        output_tokens: int,
        tier: Union[Tier, str] = "",
        *,
        cost_usd: Optional[float] = None,
        provider: str = "",
        usage_source: Union[UsageSource, str] = UsageSource.PROVIDER,
    ) -> UsageRecord:
        """Record one request's usage and return it with its cost.

        The cost is ``cost_usd`` when given (e.g. reported by the provider), else the model's
        price; a bare model name without ``cost_usd``, or an unpriced ModelInfo, gives an unpriced
        record (``cost_usd=None``).
        """
        name, provider, cost, tier_name, source = self._checked(
            model, input_tokens, output_tokens, tier, cost_usd, provider, usage_source)
        now = self._now()
        scopes = tuple(dict.fromkeys(self._scopes.get()))  # a name entered twice counts once
        priced = cost is not None
        delta: Row = [1, int(priced), input_tokens, output_tokens, input_tokens if priced else 0,
                      output_tokens if priced else 0, cost or 0.0, int(source is UsageSource.ESTIMATED)]
        if self.enabled:
            self._backend.add(self._bucket(now), name, provider, (_ALL,) + scopes, delta)
        return UsageRecord(now, name, provider, tier_name, input_tokens, output_tokens, cost, scopes, source.value)

    def cost_of(
        self,
        model: Union[ModelInfo, str],
        input_tokens: int,
        output_tokens: int,
        tier: Union[Tier, str] = "",
        *,
        cost_usd: Optional[float] = None,
        provider: str = "",
        usage_source: Union[UsageSource, str] = UsageSource.PROVIDER,
    ) -> Optional[float]:
        """Return the cost ``log()`` would record, refusing the same arguments, without recording it.

        Lets a caller settle a budget first and book the usage only once the settle succeeded.
        """
        return self._checked(model, input_tokens, output_tokens, tier, cost_usd, provider, usage_source)[2]

    @staticmethod
    def _checked(
        model: Union[ModelInfo, str],
        input_tokens: int,
        output_tokens: int,
        tier: Union[Tier, str],
        cost_usd: Optional[float],
        provider: str,
        usage_source: Union[UsageSource, str],
    ) -> Tuple[str, str, Optional[float], str, UsageSource]:
        """Check log()'s arguments; return (model name, provider, cost, tier name, usage source)."""
        _check_tokens("input_tokens", input_tokens)
        _check_tokens("output_tokens", output_tokens)
        if isinstance(model, ModelInfo):
            name, provider = model.name, provider or model.provider
        elif isinstance(model, str) and model.strip():
            name = model
        else:
            raise TypeError(f"model must be a ModelInfo or a model name, got {model!r}")
        if not isinstance(provider, str):
            raise TypeError(f"provider must be a str, got {type(provider).__name__}")
        if cost_usd is not None:
            cost: Optional[float] = check_amount(cost_usd, "cost_usd")
        elif isinstance(model, ModelInfo) and model.is_priced:
            cost = model.calculate_cost(input_tokens, output_tokens)
        else:
            cost = None
        tier_name = Tier.parse(tier).value if tier != "" else ""
        try:
            source = UsageSource(usage_source)
        except ValueError:
            raise ValueError(f"usage_source must be one of {', '.join(s.value for s in UsageSource)}; "
                             f"got {usage_source!r}") from None
        return name, provider, cost, tier_name, source

    def _now(self) -> float:
        now = self._clock()
        if isinstance(now, bool) or not isinstance(now, (int, float)) or not math.isfinite(now):
            raise ValueError(f"the clock must return finite epoch seconds, got {now!r}")
        return float(now)

    def _bucket(self, now: float) -> float:
        """Return the start of the calendar hour holding ``now``; prune when a new hour starts."""
        hour = self._hour
        if not hour.start <= now < hour.end:  # type: ignore[operator]
            hour = calendar_span(Window.HOUR, self._tz, now)
            self._hour = hour
            if hour.start > self._pruned_for:  # type: ignore[operator]
                self._pruned_for = hour.start  # type: ignore[assignment]
                self._backend.prune(now - self._retention)
        return hour.start  # type: ignore[return-value]

    # -- questions --------------------------------------------------------------------------------
    def window(self, period: str, ago: int = 0) -> WindowSpan:
        """Return the calendar window ``period`` holding now (``ago=1``: the one before), in UTC epochs."""
        kind = _check_period(period)
        if isinstance(ago, bool) or not isinstance(ago, int) or ago < 0:
            raise ValueError(f"ago must be an int >= 0, got {ago!r}")
        span = calendar_span(kind, self._tz, self._now())
        for _ in range(ago):
            span = calendar_span(kind, self._tz, span.start - 1.0)  # type: ignore[operator]
        return span

    def report(self, period: str = "day", *, scope: Optional[str] = None, ago: int = 0) -> Dict[str, Any]:
        """Return spend in the calendar ``period`` (hour, day, week, month) holding now, by model.

        ``total_cost_usd`` sums the priced requests; unpriced ones are counted in
        ``unpriced_requests`` / ``unpriced_models`` and make ``cost_complete`` false.
        """
        span = self.window(period, ago)
        key = _ALL if scope is None else _check_scope(scope)
        totals = self._backend.totals(span.start, span.end, key)
        providers = self._backend.providers() if totals else {}
        all_rows = _empty()
        by_model: Dict[str, Dict[str, Any]] = {}
        for model, row in sorted(totals.items()):
            _add(all_rows, row)
            unpriced = int(row[_REQ] - row[_PRICED])
            by_model[model] = {
                "requests": int(row[_REQ]),
                "cost_usd": None if row[_PRICED] == 0 and unpriced else _money(row[_COST]),
                "input_tokens": int(row[_IN]),
                "output_tokens": int(row[_OUT]),
                "unpriced_requests": unpriced,
                "estimated_requests": int(row[_EST]),
                "provider": providers.get(model, ""),
            }
        requests, priced, cost = int(all_rows[_REQ]), int(all_rows[_PRICED]), all_rows[_COST]
        return {
            "period": period,
            "scope": scope,
            "window": {"start": self._iso(span.start), "end": self._iso(span.end), "label": span.label,
                       "timezone": self.timezone},
            "total_requests": requests,
            "total_cost_usd": _money(cost),
            "by_model": by_model,
            "avg_cost_per_request_usd": _money(cost / priced) if priced else 0.0,
            "priced_requests": priced,
            "unpriced_requests": requests - priced,
            "unpriced_models": sorted(m for m, r in by_model.items() if r["unpriced_requests"]),
            "cost_complete": requests == priced,
            "estimated_requests": int(all_rows[_EST]),
            "history_complete": span.start >= self._now() - self._retention,  # type: ignore[operator]
        }

    def _iso(self, epoch: Optional[float]) -> Optional[str]:
        return None if epoch is None else _dt.datetime.fromtimestamp(epoch, self._tz).isoformat()

    def _range(self, period: Optional[str]) -> Tuple[Optional[float], Optional[float]]:
        if period is None:
            return None, None
        span = self.window(period)
        return span.start, span.end

    def scope_cost(self, name: str, period: Optional[str] = None) -> float:
        """Return the priced USD spent under scope ``name`` (all retained history, or ``period``)."""
        start, end = self._range(period)
        rows = self._backend.totals(start, end, _check_scope(name))
        return _money(sum(row[_COST] for row in rows.values()))

    def by_scope(self, period: Optional[str] = None) -> Dict[str, Dict[str, Any]]:
        """Return requests, priced cost and unpriced requests per scope."""
        start, end = self._range(period)
        return {
            scope: {"requests": int(row[_REQ]), "cost_usd": _money(row[_COST]),
                    "unpriced_requests": int(row[_REQ] - row[_PRICED])}
            for scope, row in sorted(self._backend.by_scope(start, end).items())
        }

    def summary(self) -> Dict[str, Any]:
        """Return SynapseKit's summary shape over all retained history: total, by scope, by model."""
        totals = self._backend.totals(None, None, _ALL)
        return {
            "total_usd": _money(sum(row[_COST] for row in totals.values())),
            "by_scope": {s: r["cost_usd"] for s, r in self.by_scope().items()},
            "by_model": {m: _money(row[_COST]) for m, row in sorted(totals.items())},
            "unpriced_requests": int(sum(row[_REQ] - row[_PRICED] for row in totals.values())),
        }

    def savings(self, comparison: ModelInfo, period: Optional[str] = None, *,
                scope: Optional[str] = None) -> Dict[str, Any]:
        """Return what the priced traffic cost against sending all of it to ``comparison``.

        Unpriced requests are left out of both sides (their actual cost is unknown) and counted
        in ``excluded_unpriced_requests``.
        """
        if not isinstance(comparison, ModelInfo):
            raise TypeError(f"comparison must be a ModelInfo, got {type(comparison).__name__}")
        if not comparison.is_priced:
            raise ValueError(f"comparison model {comparison.name!r} has no price: savings against it are unknown")
        start, end = self._range(period)
        rows = self._backend.totals(start, end, _ALL if scope is None else _check_scope(scope)).values()
        actual = sum(row[_COST] for row in rows)
        reference = comparison.calculate_cost(int(sum(r[_PIN] for r in rows)), int(sum(r[_POUT] for r in rows)))
        saved = reference - actual
        return {
            "comparison_model": comparison.name,
            "actual_cost_usd": _money(actual),
            "comparison_cost_usd": _money(reference),
            "savings_usd": _money(saved),
            "savings_pct": saved / reference if reference > 0 else 0.0,
            "period": period,
            "requests": int(sum(r[_PRICED] for r in rows)),
            "excluded_unpriced_requests": int(sum(r[_REQ] - r[_PRICED] for r in rows)),
        }

    def model_shares(self, period: Optional[str] = None) -> Dict[str, float]:
        """Return each model's share of logged requests (all retained history, or ``period``)."""
        start, end = self._range(period)
        totals = self._backend.totals(start, end, _ALL)
        count = sum(row[_REQ] for row in totals.values())
        return {m: row[_REQ] / count for m, row in sorted(totals.items())} if count else {}

    def _rate(self, now: float, lookback_hours: int) -> Tuple[Dict[str, Row], float]:
        """Return usage in the last ``lookback_hours`` calendar hours and the seconds it spans."""
        current = calendar_span(Window.HOUR, self._tz, now)
        start = current.start - (lookback_hours - 1) * 3600.0  # type: ignore[operator]
        first = self._backend.first_bucket()
        elapsed = now - max(start, first if first is not None else now)
        return self._backend.totals(start, current.end, _ALL), elapsed

    def forecast(self, lookback_hours: int = 24) -> Dict[str, Any]:
        """Project spend from the observed rate of the last ``lookback_hours`` (calendar hours).

        ``monthly_cost_usd`` is the hourly rate over the whole current calendar month (672 to 744
        hours); ``projected_month_usd`` adds that rate for the rest of the month to what it has cost.
        """
        if isinstance(lookback_hours, bool) or not isinstance(lookback_hours, int) or lookback_hours < 1:
            raise ValueError(f"lookback_hours must be an int >= 1, got {lookback_hours!r}")
        now = self._now()
        totals, elapsed = self._rate(now, lookback_hours)
        per_hour = 3600.0 / elapsed if elapsed > 0 else 0.0
        cost = sum(row[_COST] for row in totals.values())
        count = sum(row[_REQ] for row in totals.values())
        month = calendar_span(Window.MONTH, self._tz, now)
        hourly = cost * per_hour
        so_far = sum(row[_COST] for row in self._backend.totals(month.start, month.end, _ALL).values())
        return {
            "basis": "observed",
            "lookback_hours": lookback_hours,
            "observed_requests": int(count),
            "hourly_cost_usd": _money(hourly),
            "daily_cost_usd": _money(hourly * 24),
            "monthly_cost_usd": _money(hourly * (month.end - month.start) / 3600.0),  # type: ignore[operator]
            "month_to_date_usd": _money(so_far),
            "projected_month_usd": _money(so_far + hourly * (month.end - now) / 3600.0),  # type: ignore[operator]
            "breakdown_by_model": {
                m: {"requests_pct": round(row[_REQ] / count, 6),
                    "cost_per_request_usd": _money(row[_COST] / row[_PRICED]) if row[_PRICED] else None,
                    "hourly_cost_usd": _money(row[_COST] * per_hour)}
                for m, row in sorted(totals.items(), key=lambda kv: -kv[1][_COST])
            },
            "unpriced_requests": int(count - sum(row[_PRICED] for row in totals.values())),
        }

    def budget_alert(self, budget_usd: float, period: str = "hour", *, warning_at: float = 0.8) -> Dict[str, Any]:
        """Return ok / warning / critical for spend in the calendar ``period`` against ``budget_usd``.

        ``projected_usd`` is the window's spend plus the last hour's rate for the rest of the
        window; warning when utilisation reaches ``warning_at`` or the projection reaches the
        budget, critical at or over it. For ``period="hour"`` the manual's ``hourly_spend_usd``
        and ``projected_hourly_usd`` keys are included too.
        """
        budget = check_amount(budget_usd, "budget_usd", allow_zero=False)
        warn = check_amount(warning_at, "warning_at")
        if warn > 1.0:
            raise ValueError(f"warning_at must be a fraction in [0, 1], got {warning_at!r}")
        span = self.window(period)
        now = self._now()
        rows = self._backend.totals(span.start, span.end, _ALL)
        spent = sum(row[_COST] for row in rows.values())
        unpriced = int(sum(row[_REQ] - row[_PRICED] for row in rows.values()))
        # The trailing rate over the window's own length (two hours for "hour": a steadier rate).
        recent, elapsed = self._rate(now, max(2, math.ceil((span.end - span.start) / 3600.0)))  # type: ignore[operator]
        rate = sum(row[_COST] for row in recent.values()) / elapsed if elapsed > 0 else 0.0
        projected = spent + rate * max(span.end - now, 0.0)  # type: ignore[operator]
        utilisation = spent / budget
        status = "critical" if spent >= budget else "warning" if utilisation >= warn or projected >= budget else "ok"
        every = _ADVERBS[period]
        advice = {"ok": "Spend is within budget.",
                  "warning": f"Spend is approaching the {every} budget: route more traffic to cheaper models.",
                  "critical": f"The {every} budget is spent: route only to the cheapest eligible models or stop."}
        if unpriced:
            advice[status] += f" {unpriced} request(s) used models without a price and are not counted."
        result: Dict[str, Any] = {
            "status": status, "period": period, "spend_usd": _money(spent), "budget_usd": budget,
            "utilization": utilisation, "projected_usd": _money(projected),
            "recommendation": advice[status], "unpriced_requests": unpriced,
        }
        if period == "hour":
            result["hourly_spend_usd"] = result["spend_usd"]
            result["projected_hourly_usd"] = result["projected_usd"]
        return result

    # -- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """Serialise the aggregates (for save_state); a SQLite-backed tracker writes no rows."""
        out: Dict[str, Any] = {"version": 2, "timezone": self.timezone, "rows": self._backend.dump()}
        if isinstance(self._backend, _SQLiteBackend):
            out["stored_in"] = self._backend.path
        return out

    def load_dict(self, data: Mapping[str, Any]) -> None:
        """Restore aggregates written by ``to_dict`` (or by version 1); rows that do not parse are skipped."""
        if not self.enabled:
            return  # a disabled tracker reports nothing, saved history included
        parsed: List[Tuple[float, str, str, str, Row]] = []
        skipped = 0
        for raw in _rows_of(data):
            try:
                row = _parse_row(raw, legacy="rows" not in data)
            except (TypeError, ValueError):
                skipped += 1
                continue
            parsed.append(row)
        if skipped:
            log.warning("cost history: skipped %d unreadable row(s) while loading saved state", skipped)
        horizon = self._now() - self._retention
        self._backend.load(r for r in parsed if r[0] >= horizon)

    def close(self) -> None:
        """Release the SQLite connection of this process (a memory tracker needs nothing)."""
        self._backend.close()


def _rows_of(data: Mapping[str, Any]) -> List[Any]:
    rows = data.get("rows", data.get("buckets")) if isinstance(data, Mapping) else None
    return rows if isinstance(rows, list) else []


def _parse_row(raw: Any, legacy: bool) -> Tuple[float, str, str, str, Row]:
    """Parse one saved row; ``legacy`` is version 1's [hour, model, requests, in, out, cost]."""
    if legacy:
        bucket, model, req, inp, out, cost = raw
        scope, provider, values = _ALL, "", [req, req, inp, out, inp, out, cost, 0]
    else:
        bucket, model, scope, provider, *values = raw
    if len(values) != len(_FIELDS) or not all(isinstance(s, str) for s in (model, scope, provider)):
        raise ValueError("bad row")
    numbers = [check_amount(v, f) for f, v in zip(_FIELDS, values)]
    counts = [int(v) if i != _COST else v for i, v in enumerate(numbers)]
    if numbers[_PRICED] > numbers[_REQ]:
        raise ValueError("more priced requests than requests")
    return check_amount(bucket, "bucket"), model, scope, provider, counts
