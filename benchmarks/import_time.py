"""Benchmark what `import antaris_like` adds to interpreter start-up, side by side with the peers.

    python benchmarks/import_time.py              # 30 interleaved runs of each command
    python benchmarks/import_time.py --runs 60

Each run starts a fresh interpreter and times it from the outside (wall clock of the process):
`python -c pass`, then `python -c "import antaris_like"`, interleaved so drift in machine load hits both
alike. The figure is the median of the import runs minus the median of the bare runs.
Goal (issue 2): at most 20 ms. antaris-router and baar-core are measured the same way with the peer
venv's interpreter when benchmarks/peers/setup.sh has created it, with antaris_like again under that
same interpreter so those rows compare like with like. baar-core runs with
LITELLM_LOCAL_MODEL_COST_MAP=True so litellm does not fetch prices over the network while importing.
Results: benchmarks/results/import_time.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402  (the benchmarks folder is not a package)

GOAL_MS = 20.0
# baar-core imports litellm, which fetches a price list over the network at import time unless told to
# use its bundled copy; measure the import itself, not network retries (and never touch the network).
PEER_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}


def _run_ms(command: Sequence[str], env: Dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000.0


def measure(python: str, statements: Sequence[str], runs: int, cwd: str, extra_path: Optional[str] = None,
            extra_env: Optional[Dict[str, str]] = None) -> Tuple[List[float], Dict[str, List[float]]]:
    """Return bare start-up times and, per statement, start-up times running it (ms), interleaved."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    if extra_path:
        env["PYTHONPATH"] = extra_path
    env.update(extra_env or {})
    bare: List[float] = []
    timings: Dict[str, List[float]] = {s: [] for s in statements}
    # one untimed pass so byte-code caches exist and files are in the page cache
    subprocess.run([python, "-c", "pass"], env=env, cwd=cwd, check=True)
    for statement in statements:
        subprocess.run([python, "-c", statement], env=env, cwd=cwd, check=True, stderr=subprocess.DEVNULL)
    for _ in range(runs):
        bare.append(_run_ms([python, "-c", "pass"], env, cwd))
        for statement in statements:
            timings[statement].append(_run_ms([python, "-c", statement], env, cwd))
    return bare, timings


def _row(label: str, statement: str, bare: List[float], samples: List[float]) -> Dict[str, Any]:
    bare_median = statistics.median(bare)
    median = statistics.median(samples)
    return {"label": label, "statement": statement, "bare_median_ms": round(bare_median, 2),
            "import_median_ms": round(median, 2), "added_ms": round(median - bare_median, 2), "runs": len(samples)}


# `import antaris_like` loads names lazily (PEP 562), so also time what a user's first line really costs.
OURS = (("antaris_like", "import antaris_like"),
        ("antaris_like Router", "from antaris_like import Router"))
PEERS = (("antaris-router 5.0.1", "import antaris_router"), ("baar-core", "import baar"))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="start-up time added by importing antaris_like and its peers")
    parser.add_argument("--runs", type=int, default=30, help="interleaved runs of each command (default 30)")
    parser.add_argument("--no-peers", action="store_true", help="do not measure antaris-router / baar-core")
    args = parser.parse_args(argv)

    rows: List[Dict[str, Any]] = []
    # cwd outside the repo with PYTHONPATH pointing at it: the import resolves exactly as for a user
    # who put the checkout on their path, and the peers' cwd cannot shadow anything
    neutral_cwd = os.path.dirname(_common.REPO_ROOT) or "/"
    version = sys.version.split()[0]
    bare, ours = measure(sys.executable, [s for _, s in OURS], args.runs, neutral_cwd,
                         extra_path=_common.REPO_ROOT)
    for label, statement in OURS:
        rows.append(_row(f"{label} (python {version})", statement, bare, ours[statement]))
        _common.progress(f"{statement}: +{rows[-1]['added_ms']} ms")

    peer = None if args.no_peers else _common.peer_python()
    if peer is not None:
        group = list(OURS)  # antaris_like again under the peer interpreter: like with like
        for label, statement in PEERS:
            probe = subprocess.run([peer, "-c", statement], cwd=neutral_cwd, capture_output=True,
                                   env={**os.environ, **PEER_ENV})
            if probe.returncode == 0:
                group.append((label, statement))
            else:
                _common.progress(f"{label} not importable in the peer venv; skipped")
        pbare, ptimes = measure(peer, [s for _, s in group], args.runs, neutral_cwd, extra_path=_common.REPO_ROOT,
                                extra_env=PEER_ENV)
        for label, statement in group:
            rows.append(_row(f"{label} (peer venv python)", statement, pbare, ptimes[statement]))
            _common.progress(f"{statement} (peer venv python): +{rows[-1]['added_ms']} ms")

    _common.print_table(["package", "statement", "bare python ms", "with import ms", "added ms", "runs"],
                        [[r["label"], r["statement"], r["bare_median_ms"], r["import_median_ms"], r["added_ms"],
                          r["runs"]] for r in rows],
                        title="median wall-clock start-up of a fresh interpreter, interleaved runs")
    if peer is None and not args.no_peers:
        print(_common.PEER_SETUP_HINT + "\n")
    goal = {"max_added_ms": GOAL_MS}
    for row in rows[:len(OURS)]:
        met = row["added_ms"] <= GOAL_MS
        goal[row["statement"]] = {"added_ms": row["added_ms"], "met": met}
        print(f"goal: `{row['statement']}` adds <= {GOAL_MS:.0f} ms: {row['added_ms']:.1f} ms -> "
              f"{'MET' if met else 'NOT MET'}")
    print()
    _common.write_json("import_time", {"runs": args.runs, "results": rows, "goal": goal})
    return 0


if __name__ == "__main__":
    sys.exit(main())
