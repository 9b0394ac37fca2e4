"""get_analytics(): the manual's types, and counts that agree with avg_quality across close() and reopen."""

from __future__ import annotations

import tempfile
import unittest

from antaris_like import AdaptiveRouter, ModelConfig, Router, StateError


def open_router(workspace: str) -> AdaptiveRouter:
    router = AdaptiveRouter(workspace, ab_test_rate=0.0)
    router.register_model(ModelConfig("weak", ("trivial", "moderate"), 0.0001, 0.0002))
    router.register_model(ModelConfig("strong", ("complex", "expert"), 0.01, 0.03))
    return router


class AnalyticsTest(unittest.TestCase):
    def test_avg_quality_is_a_float_before_any_outcome(self) -> None:
        with tempfile.TemporaryDirectory() as ws:
            router = open_router(ws)
            router.route("hello")
            analytics = router.get_analytics()
            self.assertIsInstance(analytics["avg_quality"], float)
            self.assertEqual(analytics["avg_quality"], 0.0)
            self.assertEqual(analytics["outcomes"], 0)  # how to tell "no data" from a quality of 0
            self.assertEqual(f"{analytics['avg_quality']:.2f}", "0.00")
            router.close()

    def test_counts_survive_close_and_reopen(self) -> None:
        with tempfile.TemporaryDirectory() as ws:
            router = open_router(ws)
            for i in range(6):
                decision = router.route(f"Explain item {i} of the list")
                if i % 2 == 0:
                    router.report_outcome(decision.prompt_hash, quality_score=0.9, success=True)
            before = router.get_analytics()
            router.close()
            self.assertEqual(before["total_routed"], 6)
            self.assertEqual(before["outcomes"], 3)
            self.assertGreater(before["cost_savings"], 0.0)
            again = open_router(ws)
            self.assertEqual(again.get_analytics(), before)
            again.route("one more")
            after = again.get_analytics()
            self.assertEqual(after["total_routed"], 7)
            self.assertEqual(sum(after["model_usage"].values()), 7)
            self.assertEqual(sum(after["tier_distribution"].values()), 7)
            again.close()
            with self.assertRaisesRegex(StateError, "closed"):
                again.get_analytics()

    def test_two_routers_on_one_workspace_agree(self) -> None:
        with tempfile.TemporaryDirectory() as ws:
            first, second = open_router(ws), open_router(ws)
            first.route("hello")
            second.route("what is 2 + 2?")
            first.flush()
            self.assertEqual(second.get_analytics()["total_routed"], 2)
            self.assertEqual(first.get_analytics(), second.get_analytics())
            first.close()
            second.close()

    def test_without_workspace_counts_this_router(self) -> None:
        router = Router()
        router.route("hello")
        router.route("hello again")
        analytics = router.get_analytics()
        self.assertEqual(analytics["total_routed"], 2)
        self.assertEqual(Router().get_analytics()["total_routed"], 0)
        router.close()


if __name__ == "__main__":
    unittest.main()
