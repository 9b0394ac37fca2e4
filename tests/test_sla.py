"""SLAMonitor and the router's SLA report: the report counts what the decisions said."""

from __future__ import annotations

import unittest

from antaris_like import Router, SLAConfig, SLAMonitor


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class ReportMatchesDecisionsTest(unittest.TestCase):
    def test_breaches_of_decisions_are_the_reported_ones(self) -> None:
        router = Router(sla=SLAConfig(budget_per_hour_usd=0.0001), clock=Clock())
        decisions = [router.route("Write a long essay on the history of Rome", estimate_tokens=(500, 2000))
                     for _ in range(4)]
        decisions.append(router.route("hi", estimate_tokens=(1, 1)))  # fits the hourly budget
        flagged = [d for d in decisions if not d.sla_compliant]
        self.assertEqual([d.sla_breaches for d in flagged], [["budget_exceeded"]] * len(flagged))
        self.assertGreater(len(flagged), 0)
        report = router.get_sla_report()
        self.assertEqual(report["total_requests"], 5)
        self.assertEqual(report["breaches"]["cost"], len(flagged))
        self.assertAlmostEqual(report["compliance_rate"], (5 - len(flagged)) / 5)

    def test_monitor_records_given_breaches(self) -> None:
        monitor = SLAMonitor(SLAConfig(budget_per_hour_usd=1.0), clock=Clock())
        self.assertEqual(monitor.record_request("m", breaches=["budget_exceeded"]).breaches, ("budget_exceeded",))
        self.assertEqual(monitor.record_request("m").breaches, ())  # checked now without them
        self.assertEqual(monitor.report()["breaches"]["cost"], 1)


if __name__ == "__main__":
    unittest.main()
