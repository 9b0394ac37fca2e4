"""Numeric arrays as base64 text of their little-endian bytes: how JSON state files hold tables.

Little-endian on every machine, so a snapshot written on one host loads on any other.
"""

from __future__ import annotations

import array
import base64
import sys
from typing import Sequence, Union

__all__ = ["array_from_b64", "b64_array"]


def b64_array(code: str, values: Sequence[Union[int, float]]) -> str:
    """Return ``values`` packed as ``array.array(code)`` little-endian bytes, in base64."""
    arr = array.array(code, values)
    if sys.byteorder == "big":
        arr.byteswap()
    return base64.b64encode(arr.tobytes()).decode("ascii")


def array_from_b64(code: str, text: str) -> array.array:
    """Inverse of ``b64_array``; raise ValueError (binascii.Error) on text that is not base64."""
    arr = array.array(code)
    arr.frombytes(base64.b64decode(text, validate=True))
    if sys.byteorder == "big":
        arr.byteswap()
    return arr
