"""Budget limits: a unit, a scope and a window, and the arithmetic of windows.

A :class:`Limit` caps one unit (USD, tokens or requests) for one scope (``per="user"`` means one
cap per distinct ``keys["user"]``; ``per=None`` is one cap for everything) over one window:

    total          everything ever recorded
    request        one request alone (checked without touching the store)
    hour/day/week/month
                   calendar windows in an explicit timezone; a day is midnight to midnight local
                   time, so 23 or 25 hours long on DST days, and a month is the calendar month
                   (28 to 31 days), never "30 days"
    sliding        the last ``seconds`` seconds
    token_bucket   a bucket of ``burst`` (the amount) refilled at ``rate`` units per second

Pure logic: no I/O. The ledger turns a limit and the request's keys into a :class:`Line` that a
store checks and records.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, NamedTuple, Optional, Tuple, Union

from ..errors import ConfigurationError

__all__ = ["Limit", "Line", "Unit", "Window", "WindowSpan", "check_amount", "resolve_timezone"]

UTC = _dt.timezone.utc
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Z", "GMT", "Etc/GMT", "UCT", "Universal", "Zulu"})
_SCOPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")


class Unit(str, enum.Enum):
    """What a limit counts."""

    USD = "usd"
    TOKENS = "tokens"
    REQUESTS = "requests"


class Window(str, enum.Enum):
    """Over what span a limit counts."""

    TOTAL = "total"
    REQUEST = "request"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    SLIDING = "sliding"
    TOKEN_BUCKET = "token_bucket"

    @property
    def is_calendar(self) -> bool:
        """True for hour, day, week and month."""
        return self in _CALENDAR


_CALENDAR = frozenset({Window.HOUR, Window.DAY, Window.WEEK, Window.MONTH})
_WINDOW_ALIASES = {"bucket": Window.TOKEN_BUCKET, "token-bucket": Window.TOKEN_BUCKET,
                   "hourly": Window.HOUR, "daily": Window.DAY, "weekly": Window.WEEK,
                   "monthly": Window.MONTH, "lifetime": Window.TOTAL}


# The largest cap, reservation or settled amount (USD, tokens or requests): far above any real use,
# and low enough that no sum of them a ledger could hold overflows to infinity, which would leave the
# counter unreadable and the budget refusing everything for good.
MAX_AMOUNT = 1e15


def check_amount(value: Any, what: str, *, allow_zero: bool = True, maximum: float = math.inf) -> float:
    """Return ``value`` as a float; raise ``ValueError`` for NaN, infinite, negative or too large amounts."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r:.60}")
    if number < 0 or (number == 0 and not allow_zero):
        raise ValueError(f"{what} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    if number > maximum:
        raise ValueError(f"{what} must be at most {maximum:g}, got {value!r:.60}")
    return number


def _load_zoneinfo() -> Any:
    """The zoneinfo module, imported when a timezone is first named (it costs milliseconds at import)."""
    try:  # stdlib from 3.9; the IANA data may still be missing (no tzdata, no /usr/share/zoneinfo)
        import zoneinfo
    except ImportError:  # pragma: no cover
        return None
    return zoneinfo


def resolve_timezone(value: Union[str, _dt.tzinfo, None]) -> _dt.tzinfo:
    """Return a tzinfo for an IANA name; UTC works even where the IANA database is missing."""
    if value is None:
        return UTC
    if isinstance(value, _dt.tzinfo):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"timezone must be an IANA name such as 'Europe/London', got {value!r}")
    name = value.strip()
    _zoneinfo = _load_zoneinfo()
    if _zoneinfo is not None:
        try:
            return _zoneinfo.ZoneInfo(name)
        except (_zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            if name in _UTC_NAMES:
                return UTC  # the fallback: UTC needs no database
            raise ConfigurationError(
                f"timezone {name!r} is unknown here: use an IANA name (e.g. 'America/New_York'); if the "
                "name is right, this host lacks the time zone database: `pip install tzdata`, or use 'UTC'"
            ) from exc
    if name in _UTC_NAMES:
        return UTC
    raise ConfigurationError(f"timezone {name!r} needs the zoneinfo module; use 'UTC'")  # pragma: no cover


class WindowSpan(NamedTuple):
    """The current instance of a window: [start, end) in UTC epoch seconds; end None when open."""

    start: Optional[float]
    end: Optional[float]
    label: str


def calendar_span(window: Window, tz: _dt.tzinfo, now: float) -> WindowSpan:
    """Return the calendar window of ``window`` holding ``now`` in timezone ``tz``."""
    local = _dt.datetime.fromtimestamp(now, tz)
    if window is Window.HOUR:
        # Truncate in UTC then shift by the current offset: correct for half-hour zones and for the
        # repeated hour at a DST fall-back (the two 01:00 hours are two windows, not one).
        offset = local.utcoffset() or _dt.timedelta(0)
        start = math.floor((now + offset.total_seconds()) / 3600.0) * 3600.0 - offset.total_seconds()
        end = start + 3600.0
        # A shift that is not a whole hour (Lord Howe's 30 minutes) lands inside a truncated hour:
        # the hour is then cut at the shift, so consecutive hours meet instead of overlapping.
        if _offset(tz, start) != offset:
            start = _shift_instant(tz, start, now)
        if _offset(tz, end - 1.0) != offset:
            end = _shift_instant(tz, now, end - 1.0)
        return WindowSpan(start, end, _dt.datetime.fromtimestamp(start, tz).strftime("%Y-%m-%dT%H:%M%z"))
    if window is Window.DAY:
        first = local.date()
        after = first + _dt.timedelta(days=1)
        label = first.isoformat()
    elif window is Window.WEEK:  # ISO weeks start on Monday
        first = local.date() - _dt.timedelta(days=local.weekday())
        after = first + _dt.timedelta(days=7)
        iso = first.isocalendar()
        label = f"{iso[0]}-W{iso[1]:02d}"
    elif window is Window.MONTH:
        first = local.date().replace(day=1)
        after = (first.replace(year=first.year + 1, month=1) if first.month == 12
                 else first.replace(month=first.month + 1))
        label = first.strftime("%Y-%m")
    else:
        raise ValueError(f"{window.value} is not a calendar window")
    return WindowSpan(_local_midnight(first, tz), _local_midnight(after, tz), label)


def _offset(tz: _dt.tzinfo, when: float) -> Optional[_dt.timedelta]:
    return _dt.datetime.fromtimestamp(when, tz).utcoffset()


def _shift_instant(tz: _dt.tzinfo, before: float, after: float) -> float:
    """Return the first whole second after ``before`` with the UTC offset ``after`` has (one shift between)."""
    low, high = math.floor(before), math.ceil(after)
    target = _offset(tz, after)
    while high - low > 1:  # invariant: the offset at ``high`` is the target's, at ``low`` it is not
        middle = (low + high) // 2
        if _offset(tz, middle) == target:
            high = middle
        else:
            low = middle
    return float(high)


def _local_midnight(day: _dt.date, tz: _dt.tzinfo) -> float:
    """Return the epoch of the first instant of ``day`` in ``tz`` (midnight, or the end of a DST gap)."""
    # fold=0 on a non-existent midnight uses the offset before the gap, which lands on the first real
    # instant of the day (PEP 495), so days that start at 01:00 local are still whole.
    return _dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


class Line(NamedTuple):
    """One counter a reservation touches: the unit of work between the ledger and a store."""

    key: str       # counter key: limit id + scope value + window instance
    kind: str      # "fixed" (total and calendar), "sliding" or "bucket"
    unit: str
    amount: float  # requested, in ``unit``
    cap: float     # the cap for this request (priority share already applied)
    param: float   # sliding: window seconds; bucket: refill per second; fixed: 0.0


@dataclass(frozen=True)
class Limit:
    """A cap of one unit for one scope over one window.

    Exactly one of ``usd``, ``tokens`` or ``requests`` gives the unit and the amount. For a
    ``token_bucket`` the amount is the burst (bucket size) and ``rate`` the refill per second.
    ``priority_share`` (0..1) holds that share of the amount back for ``priority="high"``
    reservations. ``name`` gives the counter its identity; by default it is derived from the unit,
    scope and window, so changing an amount keeps the spend recorded so far.
    """

    usd: Optional[float] = None
    tokens: Optional[float] = None
    requests: Optional[float] = None
    per: Optional[str] = None
    window: Union[Window, str] = Window.TOTAL
    timezone: Union[str, _dt.tzinfo] = "UTC"
    seconds: Optional[float] = None
    rate: Optional[float] = None
    priority_share: float = 0.0
    name: Optional[str] = None
    _tz: _dt.tzinfo = field(init=False, repr=False, compare=False, default=UTC)

    def __post_init__(self) -> None:
        given = [(unit, value) for unit, value in
                 ((Unit.USD, self.usd), (Unit.TOKENS, self.tokens), (Unit.REQUESTS, self.requests))
                 if value is not None]
        if len(given) != 1:
            raise ValueError("a Limit needs exactly one of usd=, tokens= or requests= "
                             f"(got {len(given)})")
        check_amount(given[0][1], f"Limit {given[0][0].value}", maximum=MAX_AMOUNT)
        window = self.window
        if isinstance(window, str) and not isinstance(window, Window):
            key = window.strip().lower()
            try:
                window = _WINDOW_ALIASES.get(key) or Window(key)
            except ValueError:
                raise ConfigurationError(
                    f"Limit window {self.window!r} is unknown: use one of "
                    f"{', '.join(w.value for w in Window)}") from None
        elif not isinstance(window, Window):
            raise TypeError(f"Limit window must be a str or Window, got {type(window).__name__}")
        object.__setattr__(self, "window", window)
        if self.per is not None and (not isinstance(self.per, str) or not _SCOPE_NAME.match(self.per)):
            raise ConfigurationError(f"Limit per= must be a scope name such as 'user' or 'org', got {self.per!r}")
        if window is Window.REQUEST and self.per is not None:
            raise ConfigurationError("a window='request' limit applies to each request; drop per=")
        if window is Window.SLIDING:
            if self.seconds is None:
                raise ConfigurationError("window='sliding' needs seconds= (the window length)")
            check_amount(self.seconds, "Limit seconds", allow_zero=False)
        elif self.seconds is not None:
            raise ConfigurationError("seconds= applies to window='sliding' only")
        if window is Window.TOKEN_BUCKET:
            if self.rate is None:
                raise ConfigurationError("window='token_bucket' needs rate= (units refilled per second); "
                                         "the amount is the burst")
            check_amount(self.rate, "Limit rate", allow_zero=False)
        elif self.rate is not None:
            raise ConfigurationError("rate= applies to window='token_bucket' only")
        share = check_amount(self.priority_share, "Limit priority_share")
        if share >= 1.0:
            raise ValueError(f"Limit priority_share must be below 1, got {self.priority_share!r}")
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()
                                      or "|" in self.name):
            raise ConfigurationError(f"Limit name must be a non-empty string without '|', got {self.name!r}")
        object.__setattr__(self, "_tz", resolve_timezone(self.timezone))

    # --- identity and numbers -------------------------------------------------------------

    @property
    def unit(self) -> Unit:
        """The unit counted."""
        if self.usd is not None:
            return Unit.USD
        return Unit.TOKENS if self.tokens is not None else Unit.REQUESTS

    @property
    def kind(self) -> Window:
        """The window as a ``Window`` (``window`` holds the same value, normalised)."""
        return self.window  # type: ignore[return-value]  # normalised in __post_init__

    @property
    def amount(self) -> float:
        """The cap (for a token bucket: the burst)."""
        value = self.usd if self.usd is not None else self.tokens if self.tokens is not None else self.requests
        return float(value)  # type: ignore[arg-type]

    @property
    def burst(self) -> Optional[float]:
        """The bucket size of a token bucket, else None."""
        return self.amount if self.kind is Window.TOKEN_BUCKET else None

    @property
    def tzinfo(self) -> _dt.tzinfo:
        """The resolved timezone of calendar windows."""
        return self._tz

    @property
    def id(self) -> str:
        """The counter identity: ``name`` or unit/scope/window (e.g. ``usd/org/month@UTC``)."""
        if self.name is not None:
            return self.name
        window = self.kind.value
        if self.kind.is_calendar:
            window += "@" + _tz_name(self._tz, self.timezone)
        elif self.kind is Window.SLIDING:
            window += f"{self.seconds:g}s"
        return f"{self.unit.value}/{self.per or '*'}/{window}"

    def cap_for(self, priority: str) -> float:
        """Return the amount usable by a reservation of ``priority`` ("high" may use the held share)."""
        if priority == "high" or not self.priority_share:
            return self.amount
        return self.amount * (1.0 - self.priority_share)

    def scope_value(self, keys: Mapping[str, str]) -> Optional[str]:
        """Return the scope value this limit applies to; ValueError when ``keys`` lacks it."""
        if self.per is None:
            return None
        if self.per not in keys:
            raise ValueError(f"limit {self.id!r} is per {self.per!r} but keys has no {self.per!r}: "
                             f"pass keys={{{self.per!r}: ...}} (given: {sorted(keys) or 'none'})")
        return keys[self.per]

    def span(self, now: float) -> WindowSpan:
        """Return the window instance holding ``now``."""
        window = self.kind
        if window.is_calendar:
            return calendar_span(window, self._tz, now)
        if window is Window.SLIDING:
            seconds = float(self.seconds)  # type: ignore[arg-type]  # required for sliding
            return WindowSpan(now - seconds, now, f"last {seconds:g}s")
        return WindowSpan(None, None, window.value)

    def line(self, keys: Mapping[str, str], amount: float, now: float, priority: str) -> Line:
        """Return the store line for a request of ``amount`` under this limit at ``now``."""
        # Imported here: urllib.parse costs milliseconds at package import, and few routers have budgets.
        from urllib.parse import quote

        scope = self.scope_value(keys)
        key = quote(self.id, safe="/@*") + "|" + ("" if scope is None else quote(scope, safe=""))
        window = self.kind
        if window.is_calendar:
            key += "|" + self.span(now).label
            kind, param = "fixed", 0.0
        elif window is Window.SLIDING:
            kind, param = "sliding", float(self.seconds)  # type: ignore[arg-type]
        elif window is Window.TOKEN_BUCKET:
            kind, param = "bucket", float(self.rate)  # type: ignore[arg-type]
        else:
            kind, param = "fixed", 0.0
        return Line(key, kind, self.unit.value, amount, self.cap_for(priority), param)

    def scope_label(self, keys: Mapping[str, str], now: float) -> str:
        """Return a human label such as ``user=alice usd/user/day@UTC 2024-02-29``."""
        scope = self.scope_value(keys)
        head = f"{self.per}={scope}" if self.per is not None else "all"
        span = self.span(now)
        tail = f" {span.label}" if self.kind.is_calendar else ""
        return f"{head} {self.id}{tail}"


def _tz_name(tz: _dt.tzinfo, given: Union[str, _dt.tzinfo]) -> str:
    """Return a stable name for a timezone (the IANA key where there is one)."""
    key = getattr(tz, "key", None)
    if key:
        return str(key)
    if tz is UTC:
        return "UTC"
    return given if isinstance(given, str) else str(tz)


def parse_limits(limits: Tuple[Limit, ...]) -> Tuple[Limit, ...]:
    """Validate a set of limits: types, and no two sharing a counter identity."""
    seen = {}
    for limit in limits:
        if not isinstance(limit, Limit):
            raise TypeError(f"Budget takes Limit objects, got {type(limit).__name__}")
        if limit.id in seen:
            raise ConfigurationError(
                f"two limits share the identity {limit.id!r}: give one a distinct name= "
                "(otherwise they would count the same spend twice)")
        seen[limit.id] = limit
    return limits
