"""In-process store: a dict under one lock. For tests and single-process use; nothing persists."""

from __future__ import annotations

import collections
import itertools
import threading
from typing import Deque, Dict, List, Mapping, Optional, Sequence, Tuple

from ..limits import Line
from .base import (
    EXPIRED_RETENTION,
    ReserveResult,
    SettleRecord,
    Store,
    UnknownReservationError,
    Usage,
    bucket_level,
    check_usage,
    fits,
    line_charge,
)

__all__ = ["MemoryStore"]


class _Held:
    """A reservation record; ``expired_at`` is set once it has been charged in full."""

    __slots__ = ("lines", "expires_at", "expired_at")

    def __init__(self, lines: Tuple[Line, ...], expires_at: float) -> None:
        self.lines = lines
        self.expires_at = expires_at
        self.expired_at: Optional[float] = None


class MemoryStore(Store):
    """Keep the ledger in memory; thread-safe, not shared between processes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: Dict[str, List[float]] = {}          # key -> [committed, reserved, stamp]
        self._charges: Dict[str, Deque[Tuple[float, float]]] = {}  # sliding key -> (ts, amount)
        self._held: Dict[str, _Held] = {}

    # Every method below runs entirely under self._lock: that lock is the atomic step.

    def reserve(self, reservation_id: str, lines: Sequence[Line], now: float,
                expires_at: float) -> ReserveResult:
        """Check every line and record the reservation if all fit."""
        with self._lock:
            if reservation_id in self._held:
                raise ValueError(f"reservation id {reservation_id!r} is already in use")
            usage = tuple(self._usage(line, now) for line in lines)
            for index, line in enumerate(lines):
                if not fits(usage[index], line):
                    return ReserveResult(index, usage)
            for line in lines:
                row = self._row(line.key)
                if line.kind == "bucket":
                    # never move the stamp back: a worker with a slower clock would hand out the gap as refill
                    row[0], row[2] = bucket_level(row[0], row[2], line.param, now), max(row[2], now)
                row[1] += line.amount
            self._held[reservation_id] = _Held(tuple(lines), expires_at)
            return ReserveResult(-1, usage)

    def settle(self, reservation_id: str, actual: Mapping[str, float], now: float) -> SettleRecord:
        """Move the reservation's amounts from reserved to committed at the actual amounts."""
        with self._lock:
            held = self._held.pop(reservation_id, None)
            if held is None:
                raise UnknownReservationError(reservation_id)
            expired = held.expired_at is not None
            charged = []
            for line in held.lines:
                charge = line_charge(line, actual)
                if expired:  # already charged in full: only an overage is still owed
                    charge = max(0.0, charge - line.amount)
                else:
                    self._unreserve(line)
                self._commit(line, charge, now)
                charged.append(charge)
            return SettleRecord(held.lines, tuple(charged), expired)

    def usage(self, lines: Sequence[Line], now: float) -> Tuple[Usage, ...]:
        """Return committed and reserved per line."""
        with self._lock:
            return tuple(self._usage(line, now) for line in lines)

    def expire(self, now: float) -> int:
        """Charge expired reservations in full and keep their records for late settles."""
        count = 0
        with self._lock:
            for reservation_id, held in list(self._held.items()):
                if held.expired_at is None and held.expires_at <= now:
                    for line in held.lines:
                        self._unreserve(line)
                        self._commit(line, line.amount, now)
                    held.expired_at = now
                    count += 1
                elif held.expired_at is not None and held.expired_at + EXPIRED_RETENTION < now:
                    del self._held[reservation_id]
        return count

    # --- helpers (caller holds the lock) ---------------------------------------------------

    def _row(self, key: str) -> List[float]:
        row = self._counters.get(key)
        if row is None:
            row = self._counters[key] = [0.0, 0.0, 0.0]
        return row

    def _unreserve(self, line: Line) -> None:
        row = self._row(line.key)
        row[1] = check_usage(line.key, 0.0, row[1] - line.amount).reserved

    def _usage(self, line: Line, now: float) -> Usage:
        row = self._counters.get(line.key)
        if row is None:
            return Usage(0.0, 0.0)
        committed = row[0]
        if line.kind == "sliding":  # running sum less what has left the window since the last write
            cutoff = now - line.param  # charges are appended in time order: stop at the first recent one
            committed -= sum(a for _, a in itertools.takewhile(lambda c: c[0] <= cutoff,
                                                                self._charges.get(line.key, ())))
        elif line.kind == "bucket":
            committed = bucket_level(row[0], row[2], line.param, now)
        return check_usage(line.key, committed, row[1])

    def _commit(self, line: Line, charge: float, now: float) -> None:
        row = self._row(line.key)
        if line.kind == "sliding":
            charges = self._charges.setdefault(line.key, collections.deque())
            while charges and charges[0][0] <= now - line.param:
                row[0] -= charges.popleft()[1]  # left the window: can never count again
            charges.append((now, charge))
            row[0] = check_usage(line.key, row[0] + charge, 0.0).committed
        elif line.kind == "bucket":
            row[0], row[2] = bucket_level(row[0], row[2], line.param, now) + charge, max(row[2], now)
        else:
            row[0] += charge
