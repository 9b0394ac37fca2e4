"""Argument checks shared by the router's public methods: clear TypeError / ValueError messages."""

from __future__ import annotations

from typing import Optional, Tuple

__all__ = ["optional_str", "token_pair", "unit_float"]


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
