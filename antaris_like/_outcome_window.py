"""The window of outcome rows the fitted outcome model learns from, and when it is refitted.

Each outcome the classifier applies becomes one row (its distinct buckets, centred log length,
whether the model was top-tier and whether it failed), packed as bytes so that a full window of
4,096 rows costs about 4,096 x (5 + 4 x distinct words) bytes. Rows are kept oldest first as
key -> multiplicity, which is also their order in the classifier's snapshot.

Fits follow the count of outcomes applied, which every process replaying the same outcome log
reaches at the same event; together with a fitter that is a pure function of the rows in order
(outcome_model.py), processes agree on the model as they agree on the counts.
"""

from __future__ import annotations

import array
import base64
import struct
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .features import LENGTH_UNIT

__all__ = ["FIRST_FIT", "OutcomeWindow", "row_from_key", "row_key"]

FIRST_FIT = 64  # outcomes before the first fit of the outcome model
MIN_REFIT_GAP = 16
_ROW_HEAD = struct.Struct("<iB")  # centred log length (thousandths), flags (1 top tier, 2 failed)

Row = Tuple[Tuple[int, ...], float, bool, bool]


def row_key(indices: Sequence[int], length: Sequence[int]) -> Optional[bytes]:
    """Return the row of one outcome step as a compact key, or None when the step holds no outcome.

    Everything a row needs is in the step: its distinct buckets (``indices``), and in its ten
    length sums (cheaper models first, then top-tier) the centred log length, whether the model
    was top-tier and whether it failed.
    """
    if len(length) != 10:
        return None
    top = not length[0]
    units, sx, failed = (length[5], length[6], length[8]) if top else (length[0], length[1], length[3])
    if not units:
        return None
    idx = array.array("I", indices)
    if sys.byteorder == "big":
        idx.byteswap()
    return _ROW_HEAD.pack(sx // units, top | (bool(failed) << 1)) + idx.tobytes()


def row_from_key(key: bytes) -> Row:
    """Inverse of ``row_key``: (buckets, centred log length, top-tier, failed)."""
    x, flags = _ROW_HEAD.unpack_from(key)
    idx = array.array("I")
    idx.frombytes(key[_ROW_HEAD.size:])
    if sys.byteorder == "big":
        idx.byteswap()
    return tuple(idx), x / LENGTH_UNIT, bool(flags & 1), bool(flags & 2)


class OutcomeWindow:
    """The newest ``size`` outcome rows, oldest first, and the fit schedule.

    The first fit is due at ``FIRST_FIT`` outcomes; after each fit the next comes a quarter of the
    count later (at least ``MIN_REFIT_GAP``, at most a quarter of the window), so the fitting cost
    per outcome stays bounded: 64, 80, 100, 125, 156, ... then every ``size // 4`` outcomes.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"model_window must be at least 1, got {size!r}")
        self.size = size
        self.rows: Dict[bytes, int] = {}
        self.held = 0  # sum of the multiplicities: rows in the window
        self.applied = 0  # outcomes applied (less those reverted), which the schedule counts
        self.next_fit = FIRST_FIT

    def add(self, key: bytes) -> bool:
        """Add one row (dropping the oldest past ``size``); return True when a fit is due now.

        A True return also schedules the next fit, so the caller fits exactly once per due point.
        """
        rows = self.rows
        rows[key] = rows.get(key, 0) + 1
        self.held += 1
        if self.held > self.size:
            oldest = next(iter(rows))
            if rows[oldest] > 1:
                rows[oldest] -= 1
            else:
                del rows[oldest]
            self.held -= 1
        self.applied += 1
        if self.applied < self.next_fit:
            return False
        applied = self.applied
        self.next_fit = applied + max(MIN_REFIT_GAP, min(applied, self.size) // 4)
        return True

    def remove(self, key: bytes) -> None:
        """Take back one outcome: it leaves the count and, if still held, the window."""
        self.applied -= 1
        count = self.rows.get(key, 0)
        if count > 1:
            self.rows[key] = count - 1
            self.held -= 1
        elif count:
            del self.rows[key]
            self.held -= 1

    def decoded(self) -> List[Row]:
        """Return every held row, oldest first, repeated by its multiplicity."""
        return [row for key, count in self.rows.items() for row in (row_from_key(key),) * count]

    def to_dict(self) -> Dict[str, Any]:
        """Return the window's part of the classifier's snapshot."""
        return {
            "model_rows": [base64.b64encode(key).decode("ascii") + ":" + str(count)
                           for key, count in self.rows.items()],
            "model_rows_applied": self.applied,
            "model_next_fit": self.next_fit,
        }

    def load(self, data: Dict[str, Any]) -> None:
        """Restore the window from a snapshot's ``model_*`` keys; raise ValueError/TypeError if malformed."""
        for item in data.get("model_rows", ()):
            text, _, count = item.partition(":")
            key = base64.b64decode(text, validate=True)
            if len(key) < _ROW_HEAD.size or (len(key) - _ROW_HEAD.size) % 4 or int(count) < 1:
                raise ValueError("bad outcome-model row")
            self.rows[key] = int(count)
        self.held = sum(self.rows.values())
        self.applied = int(data.get("model_rows_applied", 0))
        self.next_fit = int(data.get("model_next_fit", FIRST_FIT))
