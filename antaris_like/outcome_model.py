"""The fitted outcome model: one logistic regression of failure shared by cheap and top-tier models.

Bandit feedback sees the cheap model's outcome on prompts routed down and the top tier's on
prompts routed up. The per-bucket gain counts in classifier.py compare two failure rates measured
on different prompts, so they are biased by the routing itself. This model fits both outcomes at
once, conditional on the prompt:

    logit P(fail | prompt, cheap) = b + bl * x + w . f
    logit P(fail | prompt, top)   = b + bl * x + w . f + c + cl * x + v . f

``f`` is the prompt's IDF-weighted, L2-normalised set of feature buckets and ``x`` its centred log
length. ``w`` learns what is hard for every model and ``v`` where the top tier does better; ``v`` is
penalised less than ``w`` (``top_penalty``) because top-tier outcomes are the scarcer ones. The gain
of sending a prompt up is P(fail | cheap) - P(fail | top). Conditioning on the prompt is what makes
the estimate robust to the routing: which prompts were routed where does not bias a model of
P(fail | prompt), as long as the model fits.

The fit is deterministic: averaged stochastic gradient descent, each epoch over the rows in an
order shuffled by a generator seeded with the epoch number, with a fixed step schedule. The same
rows in the same order therefore give the same model in every process, so the model is a pure
function of the outcome window it was fitted on (see ``TierClassifier`` for when fits run).
Route-time cost is two gathers over the prompt's distinct buckets, whatever the history.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from operator import mul
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from ._packing import array_from_b64, b64_array
from .classification import sigmoid as _sigmoid
from .text import gather as _getter

__all__ = ["OutcomeModel", "OutcomeRow", "fit_outcome_model"]

# A row: (distinct feature buckets, centred log length, routed to a top-tier model, failed).
OutcomeRow = Tuple[Tuple[int, ...], float, bool, bool]

_EPOCHS = 10
_STEP = 0.2  # first epoch's SGD step; epoch e uses _STEP / (1 + e), further lowered by the L2 decay


@dataclass(frozen=True)
class OutcomeModel:
    """A fitted model (see the module docstring); ``gain`` is what the classifier scores with.

    Weights are kept per bucket already multiplied by the bucket's IDF, beside the squared IDF that
    the L2 norm needs; buckets never seen in the fit take ``default_idf_sq`` and weigh nothing.
    """

    rows: int
    intercept: float
    length_slope: float
    top_intercept: float
    top_length_slope: float
    weights: Dict[int, float]
    top_weights: Dict[int, float]
    idf_sq: Dict[int, float]
    default_idf_sq: float

    def __post_init__(self) -> None:
        # Dense lists so that route() gathers in C, built once per fit (frozen: set via object).
        # Each bucket's two weights are one complex number (real: shared, imaginary: top-tier), so
        # one gather and one C-level sum give both: each gather over the large lists costs about as
        # much as the rest of the arithmetic.
        size = 1 << 18
        weights = [0j] * size
        for i, value in self.weights.items():
            weights[i] = complex(value, 0.0)
        for i, value in self.top_weights.items():
            weights[i] = complex(weights[i].real, value)
        idf_sq = [self.default_idf_sq] * size
        for i, value in self.idf_sq.items():
            idf_sq[i] = value
        object.__setattr__(self, "_dense", (weights, idf_sq))

    def gain(self, buckets: Iterable[int], x: float) -> float:
        """Return P(fail | cheap) - P(fail | top) for a prompt's distinct ``buckets`` and length ``x``."""
        weights, idf_sq = self._dense  # type: ignore[attr-defined]
        keys = tuple(buckets)
        pick = _getter(keys)
        total = sum(pick(weights), 0j)
        norm = math.sqrt(sum(pick(idf_sq))) or 1.0
        cheap = self.intercept + self.length_slope * x + total.real / norm
        top = cheap + self.top_intercept + self.top_length_slope * x + total.imag / norm
        return _sigmoid(cheap) - _sigmoid(top)

    # -- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """Return the model as JSON data (sparse tables as base64 little-endian arrays)."""
        out: Dict[str, Any] = {"rows": self.rows, "intercept": self.intercept, "length_slope": self.length_slope,
                               "top_intercept": self.top_intercept, "top_length_slope": self.top_length_slope,
                               "default_idf_sq": self.default_idf_sq}
        for name, table in (("weights", self.weights), ("top_weights", self.top_weights), ("idf_sq", self.idf_sq)):
            keys = sorted(table)
            out[name] = [b64_array("I", keys), b64_array("d", [table[k] for k in keys])]
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> OutcomeModel:
        """Inverse of ``to_dict``; raise ValueError on malformed data."""
        try:
            tables = []
            for name in ("weights", "top_weights", "idf_sq"):
                keys, values = (array_from_b64(code, text) for code, text in zip("Id", data[name]))
                if len(keys) != len(values) or any(k >= 1 << 18 for k in keys) \
                        or not all(map(math.isfinite, values)):
                    raise ValueError(f"outcome model table {name!r} is malformed")
                tables.append(dict(zip(keys, values)))
            numbers = [float(data[key]) for key in ("intercept", "length_slope", "top_intercept",
                                                     "top_length_slope", "default_idf_sq")]
            if not all(map(math.isfinite, numbers)):
                raise ValueError("a coefficient is not a finite number")
            # Squared IDF weights are >= 0 by construction; a negative one makes the norm's square root
            # fail in every route(), so such a snapshot is refused (and moved aside) here instead.
            if numbers[4] < 0 or any(v < 0 for v in tables[2].values()):
                raise ValueError("a squared IDF weight is negative")
            if isinstance(data["rows"], bool) or not isinstance(data["rows"], int) or data["rows"] < 0:
                raise ValueError(f"rows must be a count >= 0, got {data['rows']!r}")
            return cls(int(data["rows"]), numbers[0], numbers[1], numbers[2], numbers[3], tables[0], tables[1],
                       tables[2], numbers[4])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:  # binascii.Error is a ValueError
            raise ValueError(f"outcome model is malformed: {exc}") from exc


def fit_outcome_model(rows: Sequence[OutcomeRow], *, c: float = 1.0, top_penalty: float = 0.3) -> OutcomeModel:
    """Fit the model to ``rows`` (in order) and return it; a pure function of its arguments.

    ``c`` is the inverse L2 strength per row (as in scikit-learn's ``C``: the penalty is
    ``|w|^2 / 2 + top_penalty * |v|^2 / 2`` against the summed log loss); intercepts and length
    slopes are not penalised. Ten epochs of SGD, each over the rows in a fixed shuffled order with
    a step that falls as 1 / (1 + epoch); the returned weights average the last five epochs' ends.
    """
    n = len(rows)
    if not n:
        raise ValueError("cannot fit an outcome model to no rows")
    # Local feature ids 0..F-1 in order of first appearance (deterministic), document frequencies.
    local: Dict[int, int] = {}
    df: List[int] = []
    for buckets, _x, _top, _failed in rows:
        for bucket in buckets:
            j = local.get(bucket)
            if j is None:
                local[bucket] = len(df)
                df.append(1)
            else:
                df[j] += 1
    idf = [math.log((n + 1) / (d + 1)) + 1.0 for d in df]
    default_idf = math.log(n + 1) + 1.0
    data = []
    for buckets, x, top, failed in rows:
        ids = tuple(local[bucket] for bucket in buckets)
        vals = [idf[j] for j in ids]
        norm = math.sqrt(sum(v * v for v in vals)) or 1.0
        data.append((ids, tuple(v / norm for v in vals), float(x), bool(top), 1.0 if failed else 0.0))
    size = len(df)
    lam = 1.0 / (c * n)
    lam_top = lam * top_penalty
    # Weights are stored divided by a running scale, so the per-step L2 decay is one multiply.
    w, v = [0.0] * size, [0.0] * size
    w_scale = v_scale = 1.0
    b = bl = tb = tbl = 0.0
    avg_w, avg_v = [0.0] * size, [0.0] * size
    avg = [0.0, 0.0, 0.0, 0.0]
    snapshots = 0
    t = 0
    for epoch in range(_EPOCHS):
        # A fixed pseudo-random order per epoch: SGD weighs the last rows most, and in arrival
        # order those would be the newest outcomes, which made fits swing from one refit to the next.
        order = list(data)
        random.Random(epoch).shuffle(order)
        step0 = _STEP / (1.0 + epoch)
        for ids, xs, x, top, y in order:
            eta = step0 / (1.0 + step0 * lam * t)
            t += 1
            pick = _getter(ids)
            margin = b + bl * x + w_scale * sum(map(mul, pick(w), xs))
            if top:
                margin += tb + tbl * x + v_scale * sum(map(mul, pick(v), xs))
            g = _sigmoid(margin) - y
            w_scale *= 1.0 - eta * lam
            step = eta * g / w_scale
            for j, xj in zip(ids, xs):
                w[j] -= step * xj
            b -= eta * g
            bl -= eta * g * x
            if top:
                v_scale *= 1.0 - eta * lam_top
                step = eta * g / v_scale
                for j, xj in zip(ids, xs):
                    v[j] -= step * xj
                tb -= eta * g
                tbl -= eta * g * x
            if w_scale < 1e-9 or v_scale < 1e-9:  # fold the scale back in before it underflows
                w = [value * w_scale for value in w]
                v = [value * v_scale for value in v]
                w_scale = v_scale = 1.0
        if epoch >= _EPOCHS // 2:
            snapshots += 1
            for j in range(size):
                avg_w[j] += w[j] * w_scale
                avg_v[j] += v[j] * v_scale
            for k, value in enumerate((b, bl, tb, tbl)):
                avg[k] += value
    seen = list(local)
    weights = {bk: avg_w[j] / snapshots * idf[j] for bk, j in zip(seen, range(size)) if avg_w[j]}
    top_weights = {bk: avg_v[j] / snapshots * idf[j] for bk, j in zip(seen, range(size)) if avg_v[j]}
    idf_sq = {bk: idf[j] * idf[j] for bk, j in zip(seen, range(size))}
    return OutcomeModel(n, avg[0] / snapshots, avg[1] / snapshots, avg[2] / snapshots, avg[3] / snapshots,
                        weights, top_weights, idf_sq, default_idf * default_idf)
