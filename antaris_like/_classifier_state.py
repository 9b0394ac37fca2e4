"""Reading the classifier's learned-state snapshot, every schema version of it.

``TierClassifier.to_dict`` writes version ``SCHEMA_VERSION``; ``read_state`` checks and migrates
any version back to 1 into a ``SavedState`` record, from which ``TierClassifier.from_dict``
rebuilds the classifier. The learned corrections and outcome counts are integers (fixed point of
``UNIT``) stored as base64 arrays, so a snapshot restores them exactly.

What each version added, and how older ones load:

* 1: correction weights and outcome statistics of another kind: its outcome evidence starts afresh.
* 2: per-bucket outcome counts; no length sums (they start at zero) and an ``outcome_strength`` of
  25 tuned without them: this version's default strength applies. It kept no outcome count either:
  each outcome adds at most one observation per bucket, so the largest bucket total is a lower
  bound, kept as ``legacy_outcomes`` so old evidence has at least the weight of that many outcomes.
* 3: length sums (which also hold the outcome count) and the cheap-evidence ceiling.
* 4: ``evidence_half`` and ``legacy_outcomes``.
* 5: the fitted outcome model and its window (``model_*``); older states start without one.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, NamedTuple, Tuple

from ._packing import array_from_b64, b64_array
from .features import DENSE_NAMES, DIM_BITS, MASK

__all__ = ["OPTIONS", "SCHEMA_VERSION", "UNIT", "SavedState", "read_state", "table"]

SCHEMA_VERSION = 5
_INT64 = 1 << 63  # integer state is written as 64-bit values
UNIT = 1e-6  # fixed-point unit of learned corrections: integer sums make revert() exact
OPTIONS = ("learning_rate", "top_tier_weight", "quality_floor", "outcome_strength", "outcome_prior",
           "failure_prior", "top_failure_prior", "top_evidence_floor", "cheap_evidence_ceiling",
           "length_strength", "evidence_half", "model_strength", "model_window")


class SavedState(NamedTuple):
    """A checked snapshot: the options to build with and the integer state to add on top."""

    options: Dict[str, float]
    corrections: Tuple[Tuple[int, ...], Tuple[int, ...]]  # bucket indices, weight corrections
    dense: Tuple[int, ...]
    bias: int
    buckets: Tuple[int, ...]  # buckets with outcome evidence, sorted
    counts: Tuple[Tuple[int, ...], ...]  # fail, ok, top_fail, top_ok of each bucket (tenths)
    length_stats: Tuple[int, ...]
    legacy_outcomes: int


def table(name: str, values: Mapping[int, int]) -> Dict[str, str]:
    """Return a sparse integer table as the snapshot's ``<name>_index`` / ``<name>_value`` pair."""
    keys = sorted(values)
    return {f"{name}_index": b64_array("i", keys), f"{name}_value": b64_array("q", [values[i] for i in keys])}


def _read_table(data: Mapping[str, Any], name: str) -> Dict[int, int]:
    keys = array_from_b64("i", data.get(f"{name}_index", ""))
    return dict(zip(keys, array_from_b64("q", data.get(f"{name}_value", ""))))


def read_state(data: Any, defaults: Mapping[str, float]) -> SavedState:
    """Check and migrate ``to_dict()`` output of any schema version; raise ValueError naming the fault.

    ``defaults`` holds the current default of every name in ``OPTIONS``, for options a state lacks.
    The ``model_*`` keys (version 5) are read by the classifier, which owns the window and model.
    """
    if not isinstance(data, dict):
        raise ValueError(f"classifier state must be a dict, got {type(data).__name__}")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError("classifier state lacks a valid integer 'schema_version'")
    if version > SCHEMA_VERSION:
        raise ValueError(f"classifier state schema_version {version} is newer than supported "
                         f"({SCHEMA_VERSION}); upgrade antaris_like")
    if data.get("dim_bits") != DIM_BITS or data.get("unit") != UNIT:
        raise ValueError("classifier state was written with a different feature space (dim_bits/unit)")
    try:
        options = {name: float(data.get(name, defaults[name])) for name in OPTIONS}
        if version < 2:
            options = {}
            data = {k: v for k, v in data.items() if not k.startswith(("fail_", "ok_"))}
        elif version < 3:
            del options["outcome_strength"]
        length_stats = tuple(int(x) for x in data.get("length_stats", [0] * 10))
        legacy = int(data.get("legacy_outcomes", 0))
        tables = [_read_table(data, name) for name in ("fail", "ok", "top_fail", "top_ok")]
        indices = tuple(array_from_b64("i", data["index"]))
        values = tuple(array_from_b64("q", data["value"]))
        dense = tuple(int(x) for x in data["dense"])
        bias = int(data["bias"])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # binascii.Error is a ValueError
        raise ValueError(f"classifier state is malformed: {exc}") from exc
    bad = [name for name, value in options.items() if not math.isfinite(value)]
    if bad:
        raise ValueError(f"classifier state is malformed: {', '.join(bad)} not a finite number")
    if any(not -_INT64 <= x < _INT64 for x in (bias, legacy, *dense, *length_stats)):
        raise ValueError("classifier state is malformed: an integer is outside the 64-bit range")
    if len(indices) != len(values) or len(dense) != len(DENSE_NAMES) or len(length_stats) != 10:
        raise ValueError("classifier state is malformed: array lengths differ")
    buckets = tuple(sorted(set().union(*tables)))
    counts = tuple(tuple(t.get(i, 0) for i in buckets) for t in tables)
    if any(not 0 <= i <= MASK for i in indices + buckets):
        raise ValueError("classifier state is malformed: index out of range")
    if legacy < 0:
        raise ValueError("classifier state is malformed: negative legacy_outcomes")
    if version < 3 and buckets:
        legacy = max(map(sum, zip(*counts)))
    return SavedState(options, (indices, values), dense, bias, buckets, counts, length_stats, legacy)
