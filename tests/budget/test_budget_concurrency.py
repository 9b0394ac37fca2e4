"""Concurrency claims, tested with real processes behind a barrier: the cap holds, nothing is lost."""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sqlite3
import sys
import tempfile
import time
import unittest
from typing import Any, List, Optional

from antaris_like.budget import Budget, Limit, SQLiteStore

from ._support import (
    cap_worker,
    create_and_reserve_worker,
    drop_store,
    hold_and_spin_worker,
    make_store,
    new_spec,
    postgres_skip_reason,
    redis_skip_reason,
)

WORKERS = 8
CAP = 1.0
WAIT = 180.0  # seconds a worker may take before the test gives up on it (never reached when healthy)


def _collect(results: Any, count: int, processes: List[Any]) -> List[Any]:
    """Return ``count`` results, failing fast when a worker died without reporting."""
    found: List[Any] = []
    deadline = time.monotonic() + WAIT
    while len(found) < count:
        try:
            found.append(results.get(timeout=1.0))
        except queue.Empty:
            dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                raise AssertionError(f"workers failed (exit codes {dead}) after {len(found)} results") from None
    return found


class CapMixin:
    """Eight processes reserve and settle random amounts against one $1.00 cap."""

    kind = "sqlite"

    def skip_reason(self) -> Optional[str]:
        return None

    def setUp(self) -> None:
        reason = self.skip_reason()
        if reason:
            self.skipTest(reason)  # type: ignore[attr-defined]
        self._tmp = tempfile.TemporaryDirectory()
        self.spec = new_spec(self.kind, self._tmp.name)
        self.addCleanup(self._tmp.cleanup)  # type: ignore[attr-defined]
        self.addCleanup(drop_store, self.spec)  # type: ignore[attr-defined]

    def test_eight_processes_never_overspend_and_use_the_cap(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
        processes = [ctx.Process(target=cap_worker, args=(self.spec, CAP, seed, barrier, results))
                     for seed in range(WORKERS)]
        for process in processes:
            process.start()
        try:
            reports = _collect(results, WORKERS, processes)
        finally:
            for process in processes:
                process.join(timeout=30)
        self.assertEqual([p.exitcode for p in processes], [0] * WORKERS)  # type: ignore[attr-defined]
        settled = sum(report[0] for report in reports)
        largest = max(report[1] for report in reports)
        self.assertGreater(sum(report[2] for report in reports), 20)  # type: ignore[attr-defined]

        store = make_store(self.spec)
        try:
            status = Budget(Limit(usd=CAP), store=store).status().limits[0]
            self.assertLessEqual(status.spent, CAP + 1e-9)  # type: ignore[attr-defined]
            self.assertGreaterEqual(status.spent, CAP - largest)  # type: ignore[attr-defined]
            self.assertAlmostEqual(status.spent, settled, places=9)  # type: ignore[attr-defined]
            self.assertAlmostEqual(status.reserved, 0.0, places=9)  # type: ignore[attr-defined]
            self.check_raw_sum(settled)
        finally:
            store.close()

    def check_raw_sum(self, settled: float) -> None:
        """Check the sum straight from the backend (where that is cheap to read)."""


class SQLiteCapTest(CapMixin, unittest.TestCase):
    kind = "sqlite"

    def check_raw_sum(self, settled: float) -> None:
        with sqlite3.connect(self.spec[1]) as conn:
            (committed,), = conn.execute("SELECT sum(committed) FROM budget_counters").fetchall()
            self.assertEqual(conn.execute("SELECT count(*) FROM budget_reservations").fetchone()[0], 0)
            self.assertEqual(conn.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        self.assertAlmostEqual(committed, settled, places=9)


class RedisCapTest(CapMixin, unittest.TestCase):
    kind = "redis"

    def skip_reason(self) -> Optional[str]:
        return redis_skip_reason()


class PostgresCapTest(CapMixin, unittest.TestCase):
    kind = "postgres"

    def skip_reason(self) -> Optional[str]:
        return postgres_skip_reason()


@unittest.skipIf(sys.platform == "win32", "SIGKILL is POSIX")
class CrashTest(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.path = os.path.join(self._tmp.name, "ledger.db")

    def test_sigkilled_worker_loses_nothing(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        worker = ctx.Process(target=hold_and_spin_worker, args=(self.path, child))
        worker.start()
        try:
            self.assertTrue(parent.poll(WAIT), "worker never reported its reservations")
            kind, held = parent.recv()
            self.assertEqual((kind, held), ("held", 0.625))
            self.assertTrue(parent.poll(WAIT), "worker never started spinning")
            parent.recv()
            os.kill(worker.pid, signal.SIGKILL)  # mid-loop: likely inside a transaction
        finally:
            worker.join(timeout=30)
        self.assertEqual(worker.exitcode, -signal.SIGKILL)

        with sqlite3.connect(self.path) as conn:
            self.assertEqual(conn.execute("PRAGMA integrity_check").fetchone()[0], "ok")

        now = Budget(Limit(usd=1000.0), store=SQLiteStore(self.path))
        before = now.status().limits[0]
        now.close()
        self.assertGreaterEqual(before.reserved, held)  # still held: the expiry is what releases them
        later = time.time() + 3600.0  # past every reservation's 60 s expiry, without waiting
        budget = Budget(Limit(usd=1000.0), store=SQLiteStore(self.path), clock=lambda: later)
        self.assertGreaterEqual(budget.expire(), 0)
        after = budget.status().limits[0]
        self.assertAlmostEqual(after.reserved, 0.0, places=9)
        self.assertGreaterEqual(after.spent, held + 200 * 0.001 - 1e-9)
        # Every loop reservation was either never made or charged 0.001 in full: whole steps only.
        steps = (after.spent - held) / 0.001
        self.assertAlmostEqual(steps, round(steps), places=4)
        self.assertAlmostEqual(after.spent, before.spent + before.reserved, places=9)
        budget.close()

    def test_many_processes_create_one_ledger_at_once(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
        processes = [ctx.Process(target=create_and_reserve_worker, args=(self.path, barrier, results))
                     for _ in range(WORKERS)]
        for process in processes:
            process.start()
        try:
            outcomes = _collect(results, WORKERS, processes)
        finally:
            for process in processes:
                process.join(timeout=30)
        self.assertEqual(outcomes, ["ok"] * WORKERS)
        budget = Budget(Limit(usd=1.0), store=SQLiteStore(self.path))
        self.assertAlmostEqual(budget.spent(), WORKERS * 0.01, places=9)
        budget.close()


if __name__ == "__main__":
    unittest.main()
