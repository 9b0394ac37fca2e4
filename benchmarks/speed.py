"""Benchmark route(): median and p99 over a mixed prompt set, side by side with antaris-router, and
whether it stays flat as outcomes accumulate.

    python benchmarks/speed.py                    # full run: flatness after 100,000 route+report pairs
    python benchmarks/speed.py --pairs 10000      # shorter flatness run
    python benchmarks/speed.py --skip-flat        # route() speed only

Goals (issue 2): our Router().route() median at most half of antaris-router's keyword Router median
(81 µs on the issue author's machine; the same-run figure is used when the peer venv exists), and the
median after 100,000 route+report pairs within 20% of the median after 100. Also shown: route() on
distinct prompts, each seen once (no repeated prompt lengths or words for caches to reuse).

The two packages' route() timings alternate in --blocks blocks (default 5 of 2 rounds each; never
more blocks than rounds, and the blocks' rounds add up to --rounds) and are pooled: on a shared
machine speed drifts by half within seconds, so one pass each, taken minutes apart, could pass or
fail the goal by luck. Each block's two medians are printed and saved too.

antaris-router runs in its own venv (benchmarks/peers/setup.sh) through benchmarks/peers/antaris_runner.py,
so antaris_like never imports it. Results: benchmarks/results/speed.json.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import random
import sys
import tempfile
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402  (the benchmarks folder is not a package)

ISSUE_ANTARIS_KEYWORD_MEDIAN_US = 81.0


def two_model_router(workspace: str, ab_test_rate: float = 0.05) -> Any:
    """An AdaptiveRouter with two models covering every tier (the flatness and state set-up)."""
    from antaris_like import AdaptiveRouter, ModelConfig

    router = AdaptiveRouter(workspace, ab_test_rate=ab_test_rate)
    router.register_model(ModelConfig(name="gpt-4o-mini", tier_range=("trivial", "moderate"),
                                      cost_per_1k_input=0.00015, cost_per_1k_output=0.0006))
    router.register_model(ModelConfig(name="claude-sonnet-4-6", tier_range=("moderate", "expert"),
                                      cost_per_1k_input=0.003, cost_per_1k_output=0.015))
    return router


def _close(router: Any) -> None:
    close = getattr(router, "close", None)
    if callable(close):
        close()


def measure_route(prompts: Sequence[str], rounds: int, warmup: int, tmp: str) -> Dict[str, List[float]]:
    """Time route() of our routers on ``prompts``, taking turns each round; each call's time in µs."""
    from antaris_like import Router

    routers = {
        "Router()": Router(),
        "Router(workspace=...)": Router(workspace=os.path.join(tmp, "router_ws")),
        "AdaptiveRouter (2 models)": two_model_router(os.path.join(tmp, "adaptive_ws")),
    }
    try:
        return _common.time_interleaved({name: r.route for name, r in routers.items()}, prompts,
                                        rounds=rounds, warmup_rounds=warmup)
    finally:
        for router in routers.values():
            _close(router)


def measure_route_blocks(prompts: Sequence[str], rounds: int, warmup: int, blocks: int, tmp: str,
                         with_peer: bool) -> Tuple[Dict[str, Dict[str, float]], Optional[Dict[str, Any]],
                                                   List[Dict[str, float]]]:
    """Time our routers and antaris-router's in alternating blocks, pooling each side's calls.

    The peer runs in its own process, so the two cannot take turns call by call. On a shared
    machine the speed drifts by half within seconds; alternating blocks of a few rounds puts both
    sides in the same stretches of time, so the comparison holds where a single pass each would not.
    Returns our summaries, the peer's output with pooled summaries (None without the peer venv),
    and each block's two Router medians.
    """
    blocks = min(blocks, rounds)
    ours: Dict[str, List[float]] = {}
    theirs: Dict[str, List[float]] = {}
    peer: Optional[Dict[str, Any]] = None
    block_rows: List[Dict[str, float]] = []
    for block in range(blocks):
        per_block = rounds // blocks + (block < rounds % blocks)  # the blocks' rounds add up to ``rounds``
        mine = measure_route(prompts, per_block, warmup, os.path.join(tmp, f"block_{block}"))
        for name, values in mine.items():
            ours.setdefault(name, []).extend(values)
        row = {"block": block, "ours_median_us": _common.summarize(mine["Router()"])["median_us"]}
        if with_peer:
            result = _common.run_peer("route", prompts, "--rounds", str(per_block), "--warmup", str(warmup),
                                      "--samples")
            if result is None:
                with_peer = False
            else:
                peer = result
                for name, values in result.pop("samples").items():
                    theirs.setdefault(name, []).extend(values)
                row["antaris_keyword_median_us"] = result["route"]["keyword Router()"]["median_us"]
        block_rows.append(row)
        _common.progress(f"block {block + 1}/{blocks}: " + ", ".join(f"{k} {v}" for k, v in row.items()
                                                                       if k != "block"))
    if peer is not None and with_peer:
        peer["route"] = {name: _common.summarize(values) for name, values in theirs.items()}
    else:
        peer = None
    return {name: _common.summarize(values) for name, values in ours.items()}, peer, block_rows


def measure_distinct(distinct: Sequence[str]) -> Dict[str, float]:
    """Time a fresh Router() on prompts it has never seen, each once (traffic without repeats)."""
    from antaris_like import Router

    router = Router()
    try:
        return _common.summarize(_common.time_calls(router.route, distinct, rounds=1, warmup_rounds=0))
    finally:
        _close(router)


def _pairs(router: Any, stream: Iterator[str], rng: random.Random, count: int) -> None:
    """Run ``count`` route + report_outcome pairs with distinct prompts and seeded outcomes."""
    for _ in range(count):
        result = router.route(next(stream))
        quality = rng.random()
        router.report_outcome(result.prompt_hash, quality_score=quality, success=quality > 0.3)


def measure_flatness(prompts: Sequence[str], pairs: int, rounds: int, tmp: str) -> List[Dict[str, Any]]:
    """Compare route() on ``prompts`` of a router grown to N pairs with one that stopped at 100 pairs.

    Both routers are timed in turns at every checkpoint, so machine load drift (this is a long run)
    hits both alike; the ratio grown/reference is the flatness figure.
    """
    checkpoints = sorted({c for c in (100, 1000, 10_000, 100_000) if c <= pairs} | {max(pairs, 100)})
    grown = two_model_router(os.path.join(tmp, "flat_grown_ws"))
    rows: List[Dict[str, Any]] = []
    try:
        stream, rng = _common.unique_prompts(prompts), random.Random(7)
        done = 0
        started = time.perf_counter()
        for checkpoint in checkpoints:
            while done < checkpoint:
                step = min(checkpoint - done, 10_000 - done % 10_000)
                _pairs(grown, stream, rng, step)
                done += step
                if done % 10_000 == 0:
                    _common.progress(f"  {done:,} pairs ({time.perf_counter() - started:.0f} s)")
            # a fresh reference each time: timing routes records decisions, so a reused one would grow too
            reference = two_model_router(os.path.join(tmp, f"flat_reference_{checkpoint}_ws"))
            try:
                _pairs(reference, _common.unique_prompts(prompts), random.Random(7), 100)
                samples = _common.time_interleaved({"grown": grown.route, "reference": reference.route}, prompts,
                                                   rounds=rounds, warmup_rounds=0)
            finally:
                _close(reference)
            row: Dict[str, Any] = {"pairs": done, **_common.summarize(samples["grown"])}
            row["reference_median_us"] = _common.summarize(samples["reference"])["median_us"]
            row["ratio_to_100_pairs"] = round(row["median_us"] / row["reference_median_us"], 3)
            row["elapsed_s"] = round(time.perf_counter() - started, 1)
            rows.append(row)
            _common.progress(f"flatness: {done:,} pairs, median {row['median_us']} us "
                             f"(100-pair router now {row['reference_median_us']} us)")
    finally:
        _close(grown)
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="route() speed and flatness, side by side with antaris-router")
    parser.add_argument("--count", type=int, default=210, help="prompts in the mixed set (default 210)")
    parser.add_argument("--rounds", type=int, default=10, help="timed passes over the set (default 10)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed passes first (default 1)")
    parser.add_argument("--pairs", type=int, default=100_000,
                        help="route+report pairs for the flatness check (default 100000)")
    parser.add_argument("--blocks", type=int, default=5,
                        help="alternate ours and antaris-router in this many blocks of rounds/blocks rounds "
                             "(default 5)")
    parser.add_argument("--skip-flat", action="store_true", help="skip the flatness check")
    parser.add_argument("--peer-pairs", type=int, default=10_000,
                        help="route+report pairs for antaris-router's flatness (default 10000; 0 skips)")
    parser.add_argument("--no-peers", action="store_true", help="do not run antaris-router side by side")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.blocks < 1:
        parser.error("--rounds and --blocks must be at least 1")
    logging.disable(logging.WARNING)  # keep the table readable; warnings are not what is measured

    prompts = _common.mixed_prompts(args.count)
    output: Dict[str, Any] = {"prompts": _common.describe_prompts(prompts), "rounds": args.rounds,
                              "warmup_rounds": args.warmup}
    with tempfile.TemporaryDirectory(prefix="antaris_like_speed_") as tmp:
        ours, peer, blocks = measure_route_blocks(prompts, args.rounds, args.warmup, args.blocks, tmp,
                                                  with_peer=not args.no_peers)
        # Every prompt new: caches keyed by prompt words or token counts miss as in real traffic.
        distinct = list(itertools.islice(_common.unique_prompts(prompts), len(prompts) * args.rounds))
        ours_distinct = measure_distinct(distinct)
        # right after ours, so both see the same stretch of machine speed
        peer_distinct = None if peer is None else _common.run_peer("route", distinct, "--rounds", "1",
                                                                    "--warmup", "0")
        flat = None if args.skip_flat else measure_flatness(prompts, args.pairs, args.rounds, tmp)

    peer_flat: Optional[Dict[str, Any]] = None
    if not args.no_peers:
        if peer is not None and not args.skip_flat and args.peer_pairs > 0:
            peer_flat = _common.run_peer("flat", prompts, "--rounds", str(args.rounds),
                                         "--pairs", str(args.peer_pairs))

    rows = [["antaris_like " + name, r["median_us"], r["p99_us"], r["mean_us"], r["n"]] for name, r in ours.items()]
    if peer is not None:
        rows += [[f"antaris-router {peer['version']} " + name, r["median_us"], r["p99_us"], r["mean_us"], r["n"]]
                 for name, r in peer["route"].items()]
    _common.print_table(["route()", "median µs", "p99 µs", "mean µs", "calls"], rows,
                        title=f"route() over {len(prompts)} mixed prompts "
                              f"({output['prompts']['min_chars']}-{output['prompts']['max_chars']} chars, "
                              f"{len(_common.KINDS)} kinds), {args.rounds} rounds after {args.warmup} warm-up")
    output["route"] = ours
    output["route_blocks"] = blocks
    if peer is not None:
        _common.print_table(["block", "antaris_like Router() median µs", "antaris keyword Router() median µs",
                             "ratio"],
                            [[b["block"] + 1, b["ours_median_us"], b["antaris_keyword_median_us"],
                              round(b["ours_median_us"] / b["antaris_keyword_median_us"], 3)] for b in blocks],
                            title="the same, block by block (each side's medians above pool all blocks)")
    drows = [["antaris_like Router()", ours_distinct["median_us"], ours_distinct["p99_us"], ours_distinct["mean_us"],
              ours_distinct["n"]]]
    if not args.no_peers and peer_distinct is not None:
        r = peer_distinct["route"]["keyword Router()"]
        drows.append([f"antaris-router {peer_distinct['version']} keyword Router()", r["median_us"], r["p99_us"],
                      r["mean_us"], r["n"]])
    _common.print_table(["route(), distinct prompts", "median µs", "p99 µs", "mean µs", "calls"], drows,
                        title=f"route() over {len(distinct):,} distinct prompts (the mixed set with a request "
                              "number appended), each routed once by a fresh router")
    output["route_distinct"] = {"antaris_like Router()": ours_distinct,
                                "peer": peer_distinct["route"] if not args.no_peers and peer_distinct else None}
    if peer is not None:
        output["peer"] = peer
    else:
        output["peer"] = None
        if not args.no_peers:
            print(_common.PEER_SETUP_HINT + "\n")

    goals: Dict[str, Any] = {}
    our_median = ours["Router()"]["median_us"]
    if peer is not None:
        reference, where = peer["route"]["keyword Router()"]["median_us"], "same run"
    else:
        reference, where = ISSUE_ANTARIS_KEYWORD_MEDIAN_US, "issue author's figure"
    goals["speed"] = {"ours_median_us": our_median, "antaris_keyword_median_us": reference, "reference": where,
                      "ratio": round(our_median / reference, 3), "met": our_median <= reference / 2}
    print(f"goal: Router().route() median <= half of antaris keyword Router ({where}): "
          f"{our_median:.1f} µs vs {reference / 2:.1f} µs -> {'MET' if goals['speed']['met'] else 'NOT MET'}")

    if flat is not None:
        frows = [["antaris_like AdaptiveRouter", r["pairs"], r["median_us"], r["p99_us"], r["reference_median_us"],
                  r["ratio_to_100_pairs"], r["elapsed_s"]] for r in flat]
        if peer_flat is not None:
            frows += [[f"antaris-router {peer_flat['version']} AdaptiveRouter", r["pairs"], r["median_us"],
                       r["p99_us"], r["reference_median_us"], r["ratio_to_100_pairs"], r["elapsed_s"]]
                      for r in peer_flat["flat"]]
        print()
        _common.print_table(["router", "pairs so far", "median µs", "p99 µs", "100-pair router µs", "ratio",
                             "elapsed s"], frows,
                            title="route() on the mixed set after N route+report_outcome pairs, timed in turns "
                                  "with a router of the same kind that stopped at 100 pairs")
        last = flat[-1]
        ratio = last["ratio_to_100_pairs"]
        goals["flat"] = {"pairs": last["pairs"], "median_us": last["median_us"],
                         "median_us_after_100_pairs": last["reference_median_us"], "ratio": ratio,
                         "met": ratio <= 1.2}
        print(f"goal: median after {last['pairs']:,} pairs within 20% of after 100: "
              f"{last['median_us']:.1f} vs {last['reference_median_us']:.1f} µs, ratio {ratio:.3f} -> "
              f"{'MET' if goals['flat']['met'] else 'NOT MET'}")
        output["flat"] = flat
        output["peer_flat"] = peer_flat["flat"] if peer_flat is not None else None
    output["goals"] = goals
    print()
    _common.write_json("speed", output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
