"""Tests for the feedback / outcomes split: same objects under both names, no import-order cycle."""

from __future__ import annotations

import os
import subprocess
import sys
import unittest

import antaris_like.feedback as feedback
import antaris_like.outcomes as outcomes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SplitTest(unittest.TestCase):
    def test_feedback_reexports_outcome_log(self) -> None:
        from antaris_like.feedback import OutcomeLog

        self.assertIs(OutcomeLog, outcomes.OutcomeLog)
        self.assertIs(feedback.OutcomeLog, outcomes.OutcomeLog)
        self.assertIn("OutcomeLog", dir(feedback))

    def test_every_exported_name_resolves(self) -> None:
        for name in feedback.__all__:
            with self.subTest(name=name):
                self.assertIsNotNone(getattr(feedback, name))
        with self.assertRaisesRegex(AttributeError, "no attribute 'nope'"):
            getattr(feedback, "nope")  # noqa: B009 (the lookup itself is under test)

    def test_quality_tracker_wraps_an_outcome_log(self) -> None:
        log = outcomes.OutcomeLog(None)
        tracker = feedback.QualityTracker(log)
        self.assertIs(tracker.log, log)
        own = feedback.QualityTracker(None)
        self.assertIsInstance(own.log, outcomes.OutcomeLog)
        own.close()
        log.close()

    def test_any_module_imports_first(self) -> None:
        for module in ("antaris_like.outcomes", "antaris_like._outcome_sql", "antaris_like.feedback",
                       "antaris_like.litellm_prices", "antaris_like.registry"):
            with self.subTest(module=module):
                code = (f"import {module}\nfrom antaris_like.feedback import DecisionRecord, OutcomeLog\n"
                        "from antaris_like.registry import ModelRegistry, import_litellm_prices\n")
                done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
                self.assertEqual(done.returncode, 0, done.stderr)


if __name__ == "__main__":
    unittest.main()
