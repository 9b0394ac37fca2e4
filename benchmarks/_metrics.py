"""RouteLLM's routing metrics and Spearman's rank correlation, shared by the benchmarks.

PGR at a strong-call share = (quality - weak) / (strong - weak); APGR is the area under the PGR
curve over the share from 0 to 1; CPT(x) the smallest share whose PGR reaches x
(lm-sys/RouteLLM routellm/evals/evaluate.py defines them; this is our own implementation).
"""

from __future__ import annotations

import statistics
from typing import List, Sequence, Tuple

__all__ = ["apgr", "cpt", "pgr_curve", "spearman"]


def _ranks(values: Sequence[float]) -> List[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Return Spearman's rank correlation (average ranks for ties)."""
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    den = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / den if den else 0.0


def pgr_curve(scores: Sequence[float], weak: Sequence[float], strong: Sequence[float]) -> List[Tuple[float, float]]:
    """Return (strong share, PGR) at every cut of the score ranking; tied scores move as one block."""
    n = len(scores)
    w_mean, s_mean = statistics.fmean(weak), statistics.fmean(strong)
    gap = s_mean - w_mean
    order = sorted(range(n), key=lambda i: -scores[i])
    total = sum(weak)
    points = [(0.0, 0.0)]
    k = 0
    while k < n:
        j = k
        while j + 1 < n and scores[order[j + 1]] == scores[order[k]]:
            j += 1
        for m in range(k, j + 1):
            total += strong[order[m]] - weak[order[m]]
        k = j + 1
        points.append((k / n, (total / n - w_mean) / gap))
    return points


def apgr(points: List[Tuple[float, float]]) -> float:
    """Return the trapezoid area under the PGR curve."""
    return sum((x1 - x0) * (y0 + y1) / 2.0 for (x0, y0), (x1, y1) in zip(points, points[1:]))


def cpt(points: List[Tuple[float, float]], target: float) -> float:
    """Return the smallest strong share whose PGR reaches ``target`` (interpolated)."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if y1 >= target:
            return x0 + (x1 - x0) * ((target - y0) / (y1 - y0) if y1 != y0 else 1.0)
    return 1.0
