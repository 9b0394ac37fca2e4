"""The store contract: what every ledger backend does, atomically.

A store keeps counters (one per limit, scope value and window instance) and held reservations.
Counters hold ``committed`` (settled spend; for a token bucket, the level at ``stamp``) and
``reserved`` (held, not yet settled). A sliding window's ``committed`` is the running sum of its
timestamped charges; charges that fall out of the window are subtracted and deleted by the next
write, and a read subtracts those not yet pruned, so neither reads nor writes scan the window.

Invariant every implementation keeps: ``reserve`` checks every line and records the reservation
in one atomic step, so for every counter ``committed + reserved <= cap`` after any successful
reserve. Settling moves a line's amount from reserved to committed (the actual, which may be
less or, when a provider ignores ``max_tokens``, more); releasing is settling at zero.
"""

from __future__ import annotations

import abc
import json
import math
from typing import List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ...errors import AntarisError, StateError
from ..limits import Line

__all__ = ["ReserveResult", "SettleRecord", "Store", "UnknownReservationError", "Usage", "bucket_level",
           "check_usage", "decode_lines", "encode_lines", "fits", "line_charge", "unique_keys"]

#: Amounts closer to zero than this are float residue of adding and subtracting the same values,
#: and read (and written back) as zero: at most a nano-dollar (or a billionth of a token) per counter.
RESIDUE = 1e-9
#: How long the record of an expired reservation is kept, so a late settle can tell it expired.
EXPIRED_RETENTION = 7 * 24 * 3600.0


class UnknownReservationError(AntarisError, LookupError):
    """A settle or release named a reservation the store does not hold (finished, or never made)."""

    def __init__(self, reservation_id: str) -> None:
        self.reservation_id = reservation_id
        super().__init__(f"reservation {reservation_id!r} is not held: it was already settled or "
                         "released, or it was never made in this store")

    def __str__(self) -> str:  # LookupError would otherwise quote the message like a key
        return str(self.args[0])


class Usage(NamedTuple):
    """Committed and reserved amounts of one counter at one moment."""

    committed: float
    reserved: float


class ReserveResult(NamedTuple):
    """What reserve did: ``refused`` is the index of the first line that did not fit, or -1."""

    refused: int
    usage: Tuple[Usage, ...]  # before this reservation, one per line


class SettleRecord(NamedTuple):
    """What settle did, line by line."""

    lines: Tuple[Line, ...]
    charged: Tuple[float, ...]
    expired: bool  # the reservation had expired and was already charged in full


class Store(abc.ABC):
    """A ledger backend. Implementations are safe across threads (and processes, where shared)."""

    @abc.abstractmethod
    def reserve(self, reservation_id: str, lines: Sequence[Line], now: float,
                expires_at: float) -> ReserveResult:
        """Check every line and, only if all fit, record the reservation; one atomic step."""

    @abc.abstractmethod
    def settle(self, reservation_id: str, actual: Mapping[str, float], now: float) -> SettleRecord:
        """Charge a held reservation: per unit the actual amount (units absent: the reserved amount)."""

    @abc.abstractmethod
    def usage(self, lines: Sequence[Line], now: float) -> Tuple[Usage, ...]:
        """Return the committed and reserved amounts of each line's counter."""

    @abc.abstractmethod
    def expire(self, now: float) -> int:
        """Charge every reservation whose expiry has passed at its full amount; return how many."""

    def close(self) -> None:  # noqa: B027 - optional hook: stores without connections need nothing
        """Release connections; the store may not be used afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- helpers shared by the implementations --------------------------------------------------


def encode_lines(lines: Sequence[Line]) -> str:
    """Serialise lines for a reservation record (JSON: stable across stores and versions)."""
    return json.dumps([[ln.key, ln.kind, ln.unit, ln.amount, ln.param] for ln in lines], separators=(",", ":"))


def decode_lines(data: object, reservation_id: str) -> Tuple[Line, ...]:
    """Parse a reservation record; StateError when it is corrupt (fail closed)."""
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        rows = json.loads(data)  # type: ignore[arg-type]
        lines = tuple(Line(str(k), str(kind), str(unit), float(amount), 0.0, float(param))
                      for k, kind, unit, amount, param in rows)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise StateError(f"reservation {reservation_id!r} in the ledger is corrupt: {exc}") from exc
    for line in lines:
        if line.kind not in ("fixed", "sliding", "bucket") or not _sane(line.amount) or not _sane(line.param):
            raise StateError(f"reservation {reservation_id!r} in the ledger is corrupt: {line!r}")
    return lines


def line_charge(line: Line, actual: Mapping[str, float]) -> float:
    """Return what settling charges ``line``: the actual amount of its unit, else the reserved amount."""
    value = actual.get(line.unit)
    return line.amount if value is None else float(value)


def _sane(value: float) -> bool:
    return math.isfinite(value) and value >= 0.0


def check_usage(key: str, committed: float, reserved: float) -> Usage:
    """Return a Usage; StateError for values no correct ledger holds (NaN, infinite, negative)."""
    # Adding and later subtracting the same float amounts can leave a residue such as 1e-17 where
    # nothing is held; stores write the clamped value back, so the drift never accumulates.
    if -RESIDUE < reserved < RESIDUE:
        reserved = 0.0
    if -RESIDUE < committed < RESIDUE:  # e.g. a sliding window's running sum once every charge left
        committed = 0.0
    if not (_sane(committed) and _sane(reserved)):
        raise StateError(f"ledger counter {key!r} is corrupt (committed={committed!r}, "
                         f"reserved={reserved!r}); refusing rather than assuming zero spend")
    return Usage(committed, reserved)


def bucket_level(level: float, stamp: Optional[float], rate: float, now: float) -> float:
    """Return a token bucket's used level at ``now``: it drains at ``rate`` per second since ``stamp``."""
    if stamp is None or now <= stamp:
        return level
    return max(0.0, level - rate * (now - stamp))


def fits(usage: Usage, line: Line) -> bool:
    """Return True when ``line`` fits on top of ``usage`` (zero amounts always fit)."""
    if line.amount <= 0.0:
        return True
    return usage.committed + usage.reserved + line.amount <= line.cap


def unique_keys(lines: Sequence[Line]) -> List[str]:
    """Return line keys sorted: locks are always taken in this order, so no two writers deadlock."""
    return sorted({line.key for line in lines})
