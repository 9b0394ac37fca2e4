"""Time antaris-router 5.0.1 on a given prompt set and print the figures as JSON on stdout.

Run with the peer venv's interpreter (see setup.sh), never with antaris_like's: the benchmarks call
this script by subprocess so the two packages never share a process.

    /work/peers-venv/bin/python benchmarks/peers/antaris_runner.py route --prompts prompts.json
    ... flat --prompts prompts.json --pairs 10000
    ... state --prompts prompts.json --decisions 10000

Standard library plus antaris_router only; it mirrors benchmarks/_common.py's timing on purpose.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any, Callable, Dict, Iterator, List, Sequence

import antaris_router
from antaris_router import AdaptiveRouter, ModelConfig, Router, SemanticClassifier


def time_calls(fn: Callable[[str], Any], prompts: Sequence[str], rounds: int, warmup_rounds: int) -> List[float]:
    """Call ``fn`` on every prompt ``rounds`` times after warm-up; return each call's time in µs."""
    for _ in range(warmup_rounds):
        for prompt in prompts:
            fn(prompt)
    clock = time.perf_counter_ns
    samples: List[float] = []
    for _ in range(rounds):
        for prompt in prompts:
            start = clock()
            fn(prompt)
            samples.append((clock() - start) / 1000.0)
    return samples


def summarize(samples: Sequence[float]) -> Dict[str, float]:
    """Median, p99, mean and count of timing samples (µs)."""
    ordered = sorted(samples)
    p99 = ordered[max(1, int(math.ceil(0.99 * len(ordered)))) - 1]
    return {"median_us": round(statistics.median(ordered), 2), "p99_us": round(p99, 2),
            "mean_us": round(statistics.fmean(ordered), 2), "n": len(ordered)}


def unique_prompts(base: Sequence[str]) -> Iterator[str]:
    """Yield distinct prompts built from ``base``, exactly as benchmarks/_common.py does."""
    index = 0
    while True:
        for prompt in base:
            yield f"{prompt} (request {index})"
            index += 1


def two_model_router(workspace: str) -> Any:
    """The benchmarks' AdaptiveRouter: two models covering every tier."""
    router = AdaptiveRouter(workspace, ab_test_rate=0.05)
    router.register_model(ModelConfig(name="gpt-4o-mini", tier_range=("trivial", "moderate"),
                                      cost_per_1k_input=0.00015, cost_per_1k_output=0.0006))
    router.register_model(ModelConfig(name="claude-sonnet-4-6", tier_range=("moderate", "expert"),
                                      cost_per_1k_input=0.003, cost_per_1k_output=0.015))
    return router


def route_mode(prompts: List[str], args: argparse.Namespace) -> Dict[str, Any]:
    """Time route() of the keyword Router, the Router with SemanticClassifier, and AdaptiveRouter."""
    results: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        contenders = {
            "keyword Router()": Router(),
            "Router(classifier=SemanticClassifier)": Router(classifier=SemanticClassifier(os.path.join(tmp, "sem"))),
            "AdaptiveRouter (2 models)": two_model_router(os.path.join(tmp, "adaptive")),
        }
        samples: Dict[str, List[float]] = {name: [] for name in contenders}
        for router in contenders.values():
            time_calls(router.route, prompts, 0, args.warmup)
        for _ in range(args.rounds):  # taking turns, as benchmarks/_common.py time_interleaved does
            for name, router in contenders.items():
                samples[name].extend(time_calls(router.route, prompts, 1, 0))
        results = {name: summarize(values) for name, values in samples.items()}
    output: Dict[str, Any] = {"route": results}
    if args.samples:  # raw per-call times, so a caller can pool several interleaved runs
        output["samples"] = {name: [round(v, 3) for v in values] for name, values in samples.items()}
    return output


def _pairs(router: Any, stream: Iterator[str], rng: random.Random, count: int) -> None:
    for _ in range(count):
        result = router.route(next(stream))
        quality = rng.random()
        router.report_outcome(result.prompt_hash, quality_score=quality, success=quality > 0.3)


def flat_mode(prompts: List[str], args: argparse.Namespace) -> Dict[str, Any]:
    """route() of an AdaptiveRouter grown to N pairs, timed in turns with one that stopped at 100 pairs."""
    checkpoints = sorted({c for c in (100, 1000, 10_000, 100_000) if c <= args.pairs} | {max(args.pairs, 100)})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        grown = two_model_router(os.path.join(tmp, "grown"))
        stream, rng = unique_prompts(prompts), random.Random(7)
        done = 0
        started = time.perf_counter()
        for checkpoint in checkpoints:
            _pairs(grown, stream, rng, checkpoint - done)
            done = checkpoint
            # a fresh reference each time: timing routes records decisions, so a reused one would grow too
            reference = two_model_router(os.path.join(tmp, f"reference_{checkpoint}"))
            _pairs(reference, unique_prompts(prompts), random.Random(7), 100)
            samples: Dict[str, List[float]] = {"grown": [], "reference": []}
            for _ in range(args.rounds):
                samples["grown"].extend(time_calls(grown.route, prompts, 1, 0))
                samples["reference"].extend(time_calls(reference.route, prompts, 1, 0))
            row = {"pairs": done, **summarize(samples["grown"])}
            row["reference_median_us"] = summarize(samples["reference"])["median_us"]
            row["ratio_to_100_pairs"] = round(row["median_us"] / row["reference_median_us"], 3)
            row["elapsed_s"] = round(time.perf_counter() - started, 1)
            rows.append(row)
            print(f"antaris flat: {done} pairs, median {row['median_us']} us", file=sys.stderr, flush=True)
    return {"flat": rows}


def state_mode(prompts: List[str], args: argparse.Namespace) -> Dict[str, Any]:
    """Workspace bytes and traced Python memory of AdaptiveRouter after N route+report decisions."""
    rng = random.Random(11)
    stream = unique_prompts(prompts)
    checkpoints = sorted({c for c in (1000, 10_000, 100_000) if c <= args.decisions} | {args.decisions})
    rows = []
    done = 0
    with tempfile.TemporaryDirectory() as tmp:
        workspace = os.path.join(tmp, "ws")
        gc.collect()
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        router = two_model_router(workspace)
        for checkpoint in checkpoints:
            while done < checkpoint:
                result = router.route(next(stream))
                quality = rng.random()
                router.report_outcome(result.prompt_hash, quality_score=quality, success=quality > 0.3)
                done += 1
            gc.collect()
            memory = tracemalloc.get_traced_memory()[0] - baseline
            files = {}
            for root, _dirs, names in os.walk(workspace):
                for name in names:
                    path = os.path.join(root, name)
                    files[os.path.relpath(path, workspace)] = os.path.getsize(path)
            rows.append({"decisions": done, "files": files, "disk_bytes": sum(files.values()),
                         "python_bytes": memory})
            print(f"antaris state: {done} decisions, {sum(files.values())} bytes on disk", file=sys.stderr,
                  flush=True)
        tracemalloc.stop()
    return {"state": rows, "note": "antaris saves the decision list every 100 decisions; no explicit save()"}


def main(argv: Sequence[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("route", "flat", "state"))
    parser.add_argument("--prompts", required=True, help="JSON file holding a list of prompt strings")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--samples", action="store_true", help="route mode: include each call's time (µs)")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # antaris logs every decision at INFO in some versions
    with open(args.prompts, encoding="utf-8") as handle:
        prompts = json.load(handle)
    modes = {"route": route_mode, "flat": flat_mode, "state": state_mode}
    output = {"package": "antaris-router", "version": antaris_router.__version__,
              "python": sys.version.split()[0], **modes[args.mode](prompts, args)}
    json.dump(output, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
