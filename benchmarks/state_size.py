"""Benchmark how much state an AdaptiveRouter keeps as decisions accumulate: disk and Python memory.

    python benchmarks/state_size.py                       # 1,000 / 10,000 / 100,000 decisions
    python benchmarks/state_size.py --decisions 10000     # shorter
    python benchmarks/state_size.py --no-tracemalloc      # faster; disk only

One AdaptiveRouter (two models) in a temporary workspace routes distinct prompts from the mixed set
and reports an outcome for each (route + report_outcome = one decision). At each checkpoint the
router is flushed, and the script records every workspace file's size in bytes and the Python memory
still held since just before the router was built (tracemalloc, after gc). antaris-router is measured
the same way in its own venv when present (default 10,000 decisions: it rewrites its whole decision
list every 100 decisions, so 100,000 takes very long). Results: benchmarks/results/state_size.json.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import random
import sys
import tempfile
import time
import tracemalloc
from typing import Any, Dict, List, Optional, Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402  (the benchmarks folder is not a package)
from speed import two_model_router  # noqa: E402


def workspace_files(path: str) -> Dict[str, int]:
    """Map each file under ``path`` (relative name) to its size in bytes."""
    files: Dict[str, int] = {}
    for root, _dirs, names in os.walk(path):
        for name in names:
            full = os.path.join(root, name)
            try:
                files[os.path.relpath(full, path)] = os.path.getsize(full)
            except OSError:  # a temp file replaced between listing and stat
                continue
    return dict(sorted(files.items()))


def measure(decisions: int, use_tracemalloc: bool, tmp: str) -> List[Dict[str, Any]]:
    """Route+report ``decisions`` times; return one row per checkpoint."""
    from antaris_like import AdaptiveRouter, ModelConfig  # noqa: F401  (module code is not router state)

    rng = random.Random(11)
    base = _common.mixed_prompts()  # built before the baseline: the prompts are not router state
    stream = _common.unique_prompts(base)
    checkpoints = sorted({c for c in (1000, 10_000, 100_000) if c <= decisions} | {decisions})
    workspace = os.path.join(tmp, "ws")
    rows: List[Dict[str, Any]] = []
    gc.collect()
    if use_tracemalloc:
        tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0] if use_tracemalloc else 0
    router = two_model_router(workspace)
    done = 0
    started = time.perf_counter()
    try:
        for checkpoint in checkpoints:
            while done < checkpoint:
                result = router.route(next(stream))
                quality = rng.random()
                router.report_outcome(result.prompt_hash, quality_score=quality, success=quality > 0.3)
                done += 1
                if done % 10_000 == 0:
                    _common.progress(f"  {done:,} decisions ({time.perf_counter() - started:.0f} s)")
            flush = getattr(router, "flush", None)
            if callable(flush):
                flush()  # count buffered decisions on disk, where they would be after a clean exit
            gc.collect()
            row: Dict[str, Any] = {"decisions": done, "files": workspace_files(workspace)}
            row["disk_bytes"] = sum(row["files"].values())
            row["python_bytes"] = tracemalloc.get_traced_memory()[0] - baseline if use_tracemalloc else None
            row["elapsed_s"] = round(time.perf_counter() - started, 1)
            rows.append(row)
            _common.progress(f"state: {done:,} decisions, {row['disk_bytes']:,} bytes on disk, "
                             f"python {row['python_bytes']}")
    finally:
        close = getattr(router, "close", None)
        if callable(close):
            close()
        if use_tracemalloc:
            tracemalloc.stop()
    return rows


def _print_rows(label: str, rows: List[Dict[str, Any]]) -> None:
    names = sorted({name for row in rows for name in row["files"]})
    headers = ["decisions", "disk bytes", "bytes/decision", "python bytes"] + names
    table = []
    for row in rows:
        python_bytes = row["python_bytes"] if row["python_bytes"] is not None else "-"
        table.append([row["decisions"], row["disk_bytes"], round(row["disk_bytes"] / row["decisions"], 1),
                      python_bytes] + [row["files"].get(name, 0) for name in names])
    _common.print_table(headers, table, title=label)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="workspace size and router memory after N decisions")
    parser.add_argument("--decisions", type=int, default=100_000, help="route+report decisions (default 100000)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip Python memory (runs faster)")
    parser.add_argument("--peer-decisions", type=int, default=10_000,
                        help="decisions for antaris-router (default 10000; 0 skips)")
    parser.add_argument("--no-peers", action="store_true", help="do not run antaris-router side by side")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="antaris_like_state_") as tmp:
        rows = measure(max(args.decisions, 1), not args.no_tracemalloc, tmp)
    _print_rows("antaris_like AdaptiveRouter: workspace files (bytes) and traced Python memory", rows)

    peer = None
    if not args.no_peers and args.peer_decisions > 0:
        peer = _common.run_peer("state", _common.mixed_prompts(), "--decisions", str(args.peer_decisions))
        if peer is not None:
            _print_rows(f"antaris-router {peer['version']} AdaptiveRouter (its own venv)", peer["state"])
        elif _common.peer_python() is None:
            print(_common.PEER_SETUP_HINT + "\n")

    growth = None
    if len(rows) >= 2 and rows[-1]["decisions"] > rows[0]["decisions"]:
        first, last = rows[0], rows[-1]
        growth = {
            "disk_bytes_per_decision_between_checkpoints":
                round((last["disk_bytes"] - first["disk_bytes"]) / (last["decisions"] - first["decisions"]), 2),
            "python_bytes_per_decision_between_checkpoints":
                None if last["python_bytes"] is None else
                round((last["python_bytes"] - first["python_bytes"]) / (last["decisions"] - first["decisions"]), 2),
        }
        print(f"growth from {first['decisions']:,} to {last['decisions']:,} decisions: "
              f"{growth['disk_bytes_per_decision_between_checkpoints']} disk bytes/decision, "
              f"{growth['python_bytes_per_decision_between_checkpoints']} Python bytes/decision")
        print()
    _common.write_json("state_size", {"decisions": args.decisions, "results": rows, "growth": growth,
                                      "peer": peer})
    return 0


if __name__ == "__main__":
    sys.exit(main())
