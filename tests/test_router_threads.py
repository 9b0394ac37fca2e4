"""Threads routing through one Router: route() queues decisions without a lock, so nothing may be lost."""

from __future__ import annotations

import tempfile
import threading
import unittest

from antaris_like import Router, UnknownDecisionError

THREADS = 8
PER_THREAD = 300  # 2,400 decisions: several batch writes and analytics folds happen mid-run


class ThreadedRoutingTest(unittest.TestCase):
    def run_threads(self, router: Router) -> list:
        barrier = threading.Barrier(THREADS)
        decisions: list = [[] for _ in range(THREADS)]
        errors: list = []

        def work(worker: int) -> None:
            try:
                barrier.wait()
                for i in range(PER_THREAD):
                    decisions[worker].append(router.route(f"Explain topic {worker}-{i} with an example."))
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        return [d for per in decisions for d in per]

    def test_analytics_count_every_decision(self) -> None:
        router = Router()
        decisions = self.run_threads(router)
        report = router.routing_analytics()
        self.assertEqual(report["total_decisions"], THREADS * PER_THREAD)
        self.assertEqual(sum(report["tier_distribution"].values()), THREADS * PER_THREAD)
        self.assertEqual(sum(report["model_usage"].values()), THREADS * PER_THREAD)
        self.assertAlmostEqual(report["estimated_cost_usd"], round(sum(d.estimated_cost for d in decisions), 8),
                               places=8)

    def test_every_decision_can_be_reported(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = Router(workspace=tmp)
            try:
                decisions = self.run_threads(router)
                self.assertEqual(len({d.prompt_hash for d in decisions}), THREADS * PER_THREAD)
                for decision in decisions[::7]:  # queued or already written: both are found
                    router.report_outcome(decision.prompt_hash, quality_score=0.8, success=True)
                router.flush()
                for decision in decisions:
                    self.assertEqual(router.outcomes.decision(decision.prompt_hash).model, decision.model)
            finally:
                router.close()
            reopened = Router(workspace=tmp)
            try:
                for decision in decisions[::50]:  # durable: read back from SQLite by a new router
                    self.assertEqual(reopened.outcomes.decision(decision.prompt_hash).tier, decision.tier)
            finally:
                reopened.close()


if __name__ == "__main__":
    unittest.main()


class RoutedRecordTest(unittest.TestCase):
    def test_router_built_record_passes_full_validation(self) -> None:
        from antaris_like.feedback import DecisionRecord

        ticks = iter(range(1000, 100000))
        router = Router(clock=lambda: next(ticks))  # an int clock: the record must still hold floats
        ab = router.create_ab_test("split")
        decision = router.route("Compare two sorting algorithms for nearly sorted input.", ab_test=ab)
        record = router.outcomes.decision(decision.prompt_hash)
        self.assertIsInstance(record.timestamp, float)
        checked = DecisionRecord(**vars(record))  # the validating constructor accepts it unchanged
        self.assertEqual(checked, record)
        self.assertEqual(record.ab_variant, decision.ab_variant)
        self.assertEqual((record.min_tier, record.max_tier), decision.tier_range)


class QueuedDecisionTest(unittest.TestCase):
    def test_a_failing_builder_loses_only_its_decision(self) -> None:
        router = Router()
        good = router.route("Summarise the causes of the French Revolution.")
        log = router.outcomes

        def broken() -> object:
            raise RuntimeError("builder bug")

        log.queue_decision("f" * 64, broken)  # type: ignore[arg-type]
        later = router.route("Write a haiku about autumn leaves.")
        with self.assertLogs("antaris_like.outcomes", level="ERROR") as logs:
            router.flush()
        self.assertIn("f" * 64, "\n".join(logs.output))
        for decision in (good, later):
            self.assertEqual(log.decision(decision.prompt_hash).model, decision.model)
        router.report_outcome(later.prompt_hash, quality_score=1.0, success=True)
        with self.assertRaises(UnknownDecisionError):
            log.decision("f" * 64)

    def test_failing_writes_keep_memory_bounded(self) -> None:
        import contextlib

        from antaris_like import StateError

        router = Router()
        log = router.outcomes
        log.batch_size = 8

        @contextlib.contextmanager
        def broken(*_args: object, **_kwargs: object):
            raise StateError("disk full (simulated)")
            yield  # pragma: no cover

        log._transaction = broken  # type: ignore[method-assign]
        failures = 0
        for i in range(40 * log.batch_size):
            try:
                router.route(f"Translate sentence number {i} into French.")
            except StateError:
                failures += 1
        self.assertGreater(failures, 0)  # the failure is reported, not swallowed
        self.assertLessEqual(len(log._pending) + len(log._queued), 17 * log.batch_size)
