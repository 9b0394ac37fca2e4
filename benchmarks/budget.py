"""Benchmark the budget ledger: reserve+settle pairs per second and latency, per store.

    python benchmarks/budget.py [--pairs N] [--stores memory,sqlite,redis,postgres,baar]

For each store: one process, then four processes started together behind a barrier on one shared
ledger. Every pair is ``reserve`` under two limits (org per month, user per day) then ``settle`` of a
random share of it. Afterwards an overspend run: four processes hammer a $0.50 cap with random
amounts (some settled in full, some less, some released); the committed total must not exceed the
cap. baar-core's SQLite store runs side by side when installed (its check-and-reserve plus add of
the difference: the same two steps). Redis/PostgreSQL run when reachable (ANTARIS_TEST_REDIS_URL,
ANTARIS_TEST_POSTGRES_DSN; `bash .ci/services.sh` starts both). Prints a table and writes
benchmarks/results/budget.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from antaris_like.budget import (  # noqa: E402
    Budget,
    BudgetExceededError,
    Limit,
    MemoryStore,
    PostgresStore,
    RedisStore,
    SQLiteStore,
)

REDIS_URL = os.environ.get("ANTARIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_DSN = os.environ.get("ANTARIS_TEST_POSTGRES_DSN",
                              "postgresql://antaris:antaris@127.0.0.1:5432/antaris_test")
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "budget.json")
KEYS = {"org": "acme", "user": "alice"}
OVERSPEND_CAP = 0.50


# --- stores by picklable spec -------------------------------------------------------------


def _redis_client() -> Any:
    import redis
    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)


def _pg_connect() -> Any:
    import psycopg
    return psycopg.connect(POSTGRES_DSN, connect_timeout=5)


def make_store(spec: Tuple[str, str]) -> Any:
    kind, arg = spec
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(arg)
    if kind == "redis":
        return RedisStore(_redis_client(), prefix=arg)
    if kind == "postgres":
        return PostgresStore(_pg_connect, table_prefix=arg)
    raise ValueError(spec)


def drop(spec: Tuple[str, str]) -> None:
    kind, arg = spec
    if kind == "redis":
        client = _redis_client()
        keys = list(client.scan_iter(match="{" + arg + "}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start:start + 500])
    elif kind == "postgres":
        with _pg_connect() as conn:
            for table in ("counters", "charges", "reservations"):
                conn.execute(f"DROP TABLE IF EXISTS {arg}_{table}")


def server_version(kind: str) -> Optional[str]:
    """Return the version the Redis or PostgreSQL server reports (for the results), else None."""
    if kind == "redis":
        return "Redis " + str(_redis_client().info("server")["redis_version"])
    if kind == "postgres":
        with _pg_connect() as conn:
            return "PostgreSQL " + str(conn.execute("SHOW server_version").fetchone()[0])
    return None


def availability(kind: str) -> Optional[str]:
    """Return why a store cannot run here, or None."""
    try:
        if kind == "redis":
            _redis_client().ping()
        elif kind == "postgres":
            _pg_connect().close()
        elif kind == "baar":
            if importlib.util.find_spec("baar") is None:
                return "baar-core not installed (pip install baar-core)"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:120]
    return None


def load_baar_stores() -> Any:
    """Load baar.core.stores alone: baar's package __init__ imports litellm, which goes online."""
    spec = importlib.util.find_spec("baar")
    path = os.path.join(list(spec.submodule_search_locations)[0], "core", "stores.py")  # type: ignore[union-attr]
    module_spec = importlib.util.spec_from_file_location("_baar_stores", path)
    module = importlib.util.module_from_spec(module_spec)  # type: ignore[arg-type]
    module_spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# --- workers --------------------------------------------------------------------------------


def run_pairs(spec: Tuple[str, str], pairs: int, seed: int) -> Tuple[List[float], int]:
    """Time ``pairs`` reserve+settle pairs; return latencies (seconds) and refusals."""
    rng = random.Random(seed)
    latencies: List[float] = []
    refused = 0
    clock = time.perf_counter
    if spec[0] == "baar":
        store = load_baar_stores().SQLiteBudgetStore(spec[1], namespace="acme")
        for _ in range(pairs):
            estimate = 0.001
            actual = estimate * rng.uniform(0.2, 1.0)
            start = clock()
            if store.atomic_check_and_reserve(1e9, estimate):
                store.add_spent(actual - estimate)
            else:
                refused += 1
            latencies.append(clock() - start)
        return latencies, refused
    budget = Budget(Limit(usd=1e9, per="org", window="month"), Limit(usd=1e8, per="user", window="day"),
                    store=make_store(spec))
    for _ in range(pairs):
        actual = 0.001 * rng.uniform(0.2, 1.0)
        start = clock()
        try:
            budget.reserve(usd=0.001, keys=KEYS).settle(usd=actual)
        except BudgetExceededError:
            refused += 1
        latencies.append(clock() - start)
    budget.close()
    return latencies, refused


def pairs_worker(spec: Tuple[str, str], pairs: int, seed: int, barrier: Any, out: Any) -> None:
    run_pairs(spec, max(20, pairs // 20), seed + 1000)  # warm up: connections, schema, caches
    barrier.wait()
    start = time.perf_counter()
    latencies, refused = run_pairs(spec, pairs, seed)
    out.put((start, time.perf_counter(), latencies, refused))


def overspend_worker(spec: Tuple[str, str], seed: int, barrier: Any, out: Any) -> None:
    budget = Budget(Limit(usd=OVERSPEND_CAP), store=make_store(spec))
    rng = random.Random(seed)
    settled = 0.0
    barrier.wait()
    for _ in range(300):
        amount = rng.uniform(0.001, 0.01)
        try:
            reservation = budget.reserve(usd=amount)
        except BudgetExceededError:
            continue
        choice = rng.random()
        if choice < 0.2:
            reservation.release()
        else:
            actual = amount if choice < 0.6 else amount * rng.uniform(0.1, 1.0)
            reservation.settle(usd=actual)
            settled += actual
    budget.close()
    out.put(settled)


# --- driver ---------------------------------------------------------------------------------


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(spec: Tuple[str, str], processes: int, pairs: int) -> Dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=pairs_worker, args=(spec, pairs, seed, barrier, out)) for seed in range(processes)]
    for worker in workers:
        worker.start()
    reports = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = [value for report in reports for value in report[2]]
    wall = max(r[1] for r in reports) - min(r[0] for r in reports)
    return {"processes": processes, "pairs": len(latencies), "refused": sum(r[3] for r in reports),
            "pairs_per_s": round(len(latencies) / wall, 1), "p50_ms": round(statistics.median(latencies) * 1e3, 4),
            "p99_ms": round(percentile(latencies, 0.99) * 1e3, 4), "wall_s": round(wall, 3)}


def overspend(spec: Tuple[str, str], processes: int = 4) -> Dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=overspend_worker, args=(spec, seed, barrier, out)) for seed in range(processes)]
    for worker in workers:
        worker.start()
    settled = sum(out.get(timeout=600) for _ in workers)
    for worker in workers:
        worker.join()
    budget = Budget(Limit(usd=OVERSPEND_CAP), store=make_store(spec))
    status = budget.status().limits[0]
    budget.close()
    return {"cap": OVERSPEND_CAP, "committed": round(status.spent, 9), "workers_settled": round(settled, 9),
            "overspend": round(max(0.0, status.spent - OVERSPEND_CAP), 12),
            "lost": round(abs(status.spent - settled), 12)}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000, help="pairs per process (default 2000)")
    parser.add_argument("--stores", default="memory,sqlite,redis,postgres,baar")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="antaris-budget-bench-")
    rows: List[Dict[str, Any]] = []
    skipped: Dict[str, str] = {}
    for kind in args.stores.split(","):
        reason = availability(kind)
        if reason:
            skipped[kind] = reason
            print(f"skip {kind}: {reason}", file=sys.stderr)
            continue
        tag = "b" + uuid.uuid4().hex[:10]
        spec = (kind, os.path.join(tmp, tag + ".db") if kind in ("sqlite", "baar") else tag)
        pairs = args.pairs * (5 if kind == "memory" else 1) // (4 if kind == "postgres" else 1)
        try:
            for processes in (1, 4):
                row = {"store": "baar-core sqlite" if kind == "baar" else kind, **measure(spec, processes, pairs)}
                version = server_version(kind)
                if version:
                    row["server"] = version
                if kind == "memory" and processes > 1:
                    row["note"] = "one ledger per process (memory is not shared)"
                if kind in ("sqlite", "redis", "postgres") and processes > 1:
                    row.update(overspend(spec if kind != "sqlite" else (kind, spec[1] + ".cap")))
                rows.append(row)
                print(format_row(row), file=sys.stderr)
        finally:
            if kind in ("redis", "postgres"):
                drop(spec)
    print_table(rows, skipped)
    report = {
        "benchmark": "budget ledger reserve+settle",
        "command": "python benchmarks/budget.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "sqlite": sqlite3.sqlite_version},
        "limits": "usd/org/month + usd/user/day (two counters per pair)",
        "goal": {"sqlite_p50_ms_below": 0.5, "sqlite_4proc_pairs_per_s_at_least": 2000, "overspend": 0},
        "rows": rows,
        "skipped": skipped,
    }
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
        handle.write("\n")
    print(f"\nwrote {os.path.relpath(RESULTS)}")
    return 0


def format_row(row: Dict[str, Any]) -> str:
    spend = f"{row['overspend']:.2g} (lost {row['lost']:.2g})" if "overspend" in row else "-"
    return (f"{row['store']:<17} {row['processes']:>5} {row['pairs']:>7} {row['pairs_per_s']:>10.0f} "
            f"{row['p50_ms']:>8.3f} {row['p99_ms']:>8.3f}  {spend}")


def print_table(rows: List[Dict[str, Any]], skipped: Dict[str, str]) -> None:
    print(f"{'store':<17} {'procs':>5} {'pairs':>7} {'pairs/s':>10} {'p50 ms':>8} {'p99 ms':>8}  overspend $")
    for row in rows:
        print(format_row(row))
    for kind, reason in skipped.items():
        print(f"{kind:<17} skipped: {reason}")


if __name__ == "__main__":
    sys.exit(main())
