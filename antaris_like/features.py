"""A prompt's hashed feature vector: the record, its dense structural signals and its binary form.

``TierClassifier.vectorize`` (classifier.py) builds a ``FeatureVector`` once per prompt; scoring,
learning and the outcome log (which stores ``encode_vector`` bytes, not prompts) all read it. The
layout is fixed: ``DIM_BITS`` hash bits for the sparse buckets and ``DENSE_NAMES`` for the dense part,
so vectors logged by one process are valid in every other.
"""

from __future__ import annotations

import array
import math
import struct
import sys
from typing import Any, Dict, NamedTuple, Optional, Tuple

__all__ = ["DENSE_NAMES", "DIM_BITS", "FeatureVector", "decode_vector", "dense_features", "encode_vector",
           "length_units"]

DIM_BITS = 18
DIM = 1 << DIM_BITS
MASK = DIM - 1
DENSE_NAMES = ("log_length", "log_words", "has_code", "code", "maths", "constraints", "questions",
               "multi_part", "structural", "keywords", "variety", "cjk", "filler")
LENGTH_UNIT = 1000  # centred log lengths are counted in thousandths (integers: exact revert)
LENGTH_CENTRE = 5.0  # log1p(length) around 150 characters

_VECTOR_MAGIC = b"AV1"
_CJK_SCRIPTS = frozenset(("han", "kana", "hangul"))
_log1p = math.log1p
_f32 = struct.Struct("<f")


class FeatureVector(NamedTuple):
    """Hashed features of one prompt: bucket indices (repeats = term frequency) and dense signals."""

    indices: Tuple[int, ...]
    dense: Tuple[float, ...]
    signals: Optional[Dict[str, Any]] = None


def dense_features(sig: Dict[str, Any]) -> Tuple[float, ...]:
    """Return the dense structural feature vector (order: ``DENSE_NAMES``) from a signal dict."""
    length = sig["length"]
    distinct = sig["distinct_words"]
    # Repetitive filler ('x' * 5000) is long but says nothing: cap its effective length.
    filler = length > 200 and distinct < 8
    if filler:
        length = min(length, 40 * (distinct + 1))
    km = sig["keyword_matches"]
    kw = km["complex"] + 2.0 * km["expert"] - km["simple"] - 2.0 * km["trivial"]
    words = sig["word_count"]
    code, maths, constraints = sig["code_indicators"], sig["math_indicators"], sig["constraints"]
    questions, multi = sig["question_count"], sig["multi_part"]
    # Same arithmetic as min(x, cap) / scale, written as conditionals (no builtin calls on the hot path).
    return (
        _log1p(length) / 8.0,
        _log1p(words) / 6.0,
        1.0 if sig["has_code"] else 0.0,
        (code if code < 20 else 20) / 10.0,
        (maths if maths < 40 else 40) / 10.0,
        (constraints if constraints < 10 else 10) / 5.0,
        (questions if questions < 10 else 10) / 5.0,
        (multi if multi < 10 else 10) / 5.0,
        sig["structural_complexity"] / 10.0,
        (-4.0 if kw < -4.0 else 4.0 if kw > 4.0 else kw) / 4.0,
        distinct / words if words else 1.0,
        1.0 if sig["script"] in _CJK_SCRIPTS else 0.0,
        1.0 if filler else 0.0,
    )


def length_units(vec: FeatureVector) -> int:
    """Return the prompt's centred log length in thousandths, from the float32 value ``encode_vector`` keeps.

    Rounding through float32 first makes a vector fresh from ``vectorize`` and the same vector decoded
    from the outcome log give the same integer, so live learning and replay take the same step.
    """
    log_length = 8.0 * _f32.unpack(_f32.pack(vec.dense[0]))[0]
    return int(round((log_length - LENGTH_CENTRE) * LENGTH_UNIT))


def encode_vector(vec: FeatureVector) -> bytes:
    """Return a compact binary form of ``vec`` (signals are not kept; dense values become float32)."""
    idx = array.array("I", vec.indices)
    dense = array.array("f", vec.dense)
    if sys.byteorder == "big":
        idx.byteswap()
        dense.byteswap()
    return _VECTOR_MAGIC + bytes((len(dense),)) + dense.tobytes() + idx.tobytes()


def decode_vector(data: bytes) -> FeatureVector:
    """Inverse of ``encode_vector``; raise TypeError for non-bytes and ValueError on anything else."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"vector data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data.startswith(_VECTOR_MAGIC) or len(data) < 4:
        raise ValueError("not an encoded feature vector (bad header)")
    n_dense = data[3]
    start = 4 + 4 * n_dense
    if n_dense != len(DENSE_NAMES) or (len(data) - start) % 4:
        raise ValueError("encoded feature vector has the wrong size")
    dense = array.array("f")
    dense.frombytes(data[4:start])
    idx = array.array("I")
    idx.frombytes(data[start:])
    if sys.byteorder == "big":
        dense.byteswap()
        idx.byteswap()
    if any(i > MASK for i in idx):
        raise ValueError("encoded feature vector has an index out of range")
    return FeatureVector(tuple(idx), tuple(dense), None)
