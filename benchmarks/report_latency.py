"""What one report_outcome() call costs, including the outcome model's periodic refits.

An ``AdaptiveRouter`` in a fresh temporary workspace with two models (quality.py's weak and strong),
fed ``--pairs`` route + report_outcome pairs over distinct mixed prompts with seeded outcomes. Every
report_outcome() call is timed. Most calls write one SQLite row and update counts; at fixed outcome
counts (64, then every quarter of the count so far, at most a quarter of the 4,096-row window) the
call also refits the outcome model synchronously, which is what the tail of the distribution shows.
Calls of 20 ms or more are counted as stalls, with their total and largest time.

Usage: python benchmarks/report_latency.py [--pairs 6000]
Writes benchmarks/results/report_latency.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from typing import Dict, List, Sequence

import _common
from quality import STRONG, WEAK  # the two models of issue 3's protocol

from antaris_like import AdaptiveRouter

STALL_MS = 20.0


def measure(pairs: int, seed: int = 7) -> List[float]:
    """Return each report_outcome() call's time in ms, in call order."""
    rng = random.Random(seed)
    stream = _common.unique_prompts(_common.mixed_prompts())
    samples: List[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        router = AdaptiveRouter(tmp, ab_test_rate=0.0)
        router.register_model(WEAK)
        router.register_model(STRONG)
        try:
            clock = time.perf_counter_ns
            for _ in range(pairs):
                decision = router.route(next(stream))
                quality = rng.random()
                start = clock()
                router.report_outcome(decision.prompt_hash, quality, quality > 0.3)
                samples.append((clock() - start) / 1e6)
        finally:
            router.close()
    return samples


def summary(samples: Sequence[float]) -> Dict[str, float]:
    stalls = [s for s in samples if s >= STALL_MS]
    return {"calls": len(samples), "median_ms": round(statistics.median(samples), 3),
            "p90_ms": round(_common.percentile(samples, 90), 3), "p99_ms": round(_common.percentile(samples, 99), 3),
            "max_ms": round(max(samples), 1), "mean_ms": round(statistics.fmean(samples), 3),
            "stalls": len(stalls), "stall_total_s": round(sum(stalls) / 1000.0, 2),
            "stall_share_of_time": round(sum(stalls) / sum(samples), 3)}


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description="report_outcome() latency, refits included")
    parser.add_argument("--pairs", type=int, default=6000)
    args = parser.parse_args(list(argv) or None)
    samples = measure(args.pairs)
    # The first 4,096 outcomes fill the model's window; after that a refit's size stops growing.
    parts = {"all": samples, "first 4,096": samples[:4096], "after 4,096": samples[4096:]}
    rows = []
    out: Dict[str, object] = {"pairs": args.pairs, "stall_threshold_ms": STALL_MS, "parts": {}}
    for name, part in parts.items():
        if not part:
            continue
        s = summary(part)
        out["parts"][name] = s  # type: ignore[index]
        rows.append((name, s["calls"], s["median_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"], s["mean_ms"],
                     s["stalls"], s["stall_total_s"]))
    _common.print_table(("calls", "n", "median ms", "p90 ms", "p99 ms", "max ms", "mean ms", "stalls >= 20 ms",
                         "stall total s"), rows, title="report_outcome() on an AdaptiveRouter with two models")
    _common.write_json("report_latency", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
