"""Argument checks shared by the router's public methods (clear TypeError / ValueError messages), and
the value predicates the state loaders share (they skip what fails instead of raising)."""

from __future__ import annotations

import sys
from typing import Optional, Tuple

__all__ = ["is_count", "is_finite_number", "optional_str", "token_pair", "unit_float"]

_FLOAT_MAX = sys.float_info.max


def is_finite_number(value: object) -> bool:
    """A JSON number that converts to a finite float: not a bool, NaN, Infinity or an int beyond float range."""
    # int-float comparison is exact in Python, so a huge int fails here without an OverflowError; NaN fails too
    return isinstance(value, (int, float)) and not isinstance(value, bool) and -_FLOAT_MAX <= value <= _FLOAT_MAX


def is_count(value: object) -> bool:
    """A non-negative int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def unit_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number within [0, 1], got {type(value).__name__}")
    if not (0.0 <= float(value) <= 1.0):
        raise ValueError(f"{name} must be within [0, 1], got {value!r}")
    return float(value)


def optional_str(name: str, value: object) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{name} must be a non-empty string or None, got {value!r}")
    return value.strip()


def token_pair(value: object) -> Tuple[int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError("estimate_tokens must be a pair (input_tokens, output_tokens)")
    pair = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise TypeError(f"estimate_tokens must hold ints, got {item!r}")
        if item < 0:
            raise ValueError(f"estimate_tokens must be >= 0, got {item!r}")
        pair.append(item)
    return pair[0], pair[1]
