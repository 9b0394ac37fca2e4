"""Four processes routing and reporting into one workspace lose nothing and learn the same thing."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import tempfile
import unittest

PER_WORKER = 300


def _worker(workspace: str, index: int, barrier) -> None:  # type: ignore[no-untyped-def]
    from antaris_like import AdaptiveRouter, ModelConfig

    router = AdaptiveRouter(workspace, ab_test_rate=0.0)
    router.register_model(ModelConfig("weak", ("trivial", "moderate"), 0.0001, 0.0002))
    router.register_model(ModelConfig("strong", ("complex", "expert"), 0.01, 0.03))
    barrier.wait()
    for i in range(PER_WORKER):
        result = router.route(f"worker {index} question {i}: explain topic number {i * 7 % 50} briefly")
        router.report_outcome(result.prompt_hash, quality_score=(i % 10) / 10, success=i % 3 != 0)
    router.close()


class FourProcessesTest(unittest.TestCase):
    def test_nothing_is_lost_and_learning_converges(self) -> None:
        context = multiprocessing.get_context("spawn")
        with tempfile.TemporaryDirectory() as workspace:
            barrier = context.Barrier(4)
            workers = [context.Process(target=_worker, args=(workspace, n, barrier)) for n in range(4)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=300)
                self.assertEqual(w.exitcode, 0)
            with sqlite3.connect(os.path.join(workspace, "routing.db")) as conn:
                decisions = conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
                outcomes = conn.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0]
                quality_n = conn.execute("SELECT SUM(n) FROM quality").fetchone()[0]
            self.assertEqual(decisions, 4 * PER_WORKER)
            self.assertEqual(outcomes, 4 * PER_WORKER)
            self.assertEqual(quality_n, 4 * PER_WORKER)

            from antaris_like import AdaptiveRouter, ModelConfig

            # Two fresh routers on the same workspace agree on what was learned.
            scores = []
            for _ in range(2):
                router = AdaptiveRouter(workspace, ab_test_rate=0.0)
                router.register_model(ModelConfig("weak", ("trivial", "moderate"), 0.0001, 0.0002))
                scores.append(router.route("worker 9 question 1: explain topic number 7 briefly").complexity)
                self.assertEqual(router.outcomes.stats("weak", "trivial").n + sum(
                    router.outcomes.stats(m, t).n for m in ("weak", "strong")
                    for t in ("simple", "moderate", "complex", "expert")), 4 * PER_WORKER)
                router.close()
            self.assertEqual(scores[0], scores[1])


if __name__ == "__main__":
    unittest.main()
