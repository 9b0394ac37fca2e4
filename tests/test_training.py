"""Offline training from JSONL: outcome and labelled rows, errors naming the line, the CLI verb."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import tempfile
import unittest

from antaris_like import AdaptiveRouter, ModelConfig
from antaris_like.training import TrainingDataError, add_train_command, train_from_jsonl

HARD = "Derive the asymptotic error bound of the adaptive quadrature scheme for singular integrands"


class TrainFromJsonlTest(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name
        self.addCleanup(self._tmp.cleanup)

    def write(self, rows: list) -> str:
        path = os.path.join(self.dir, "train.jsonl")
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
        return path

    def router(self) -> AdaptiveRouter:
        router = AdaptiveRouter(os.path.join(self.dir, "ws"), ab_test_rate=0.0)
        router.register_model(ModelConfig("weak", ("trivial", "moderate")))
        router.register_model(ModelConfig("strong", ("complex", "expert"), cost_per_1k_input=0.01))
        return router

    def test_outcomes_raise_complexity_and_persist(self) -> None:
        router = self.router()
        before = router.route(HARD).complexity
        path = self.write([{"prompt": HARD, "model": "weak", "success": False, "quality": 0.0}] * 3
                          + ["", {"prompt": HARD + " now", "model": "strong", "success": True, "quality": 1.0}])
        report = train_from_jsonl(router, path)
        self.assertEqual((report.outcomes, report.labelled, report.skipped_blank), (4, 0, 1))
        after = router.route(HARD).complexity
        self.assertGreater(after, before)
        router.close()
        again = self.router()
        self.assertAlmostEqual(again.route(HARD).complexity, after, places=9)
        again.close()

    def test_labelled_rows_teach(self) -> None:
        router = self.router()
        before = router.route("hello there friend").complexity
        report = train_from_jsonl(router, self.write([{"prompt": "hello there friend", "tier": "expert"}] * 3))
        self.assertEqual(report.labelled, 3)
        self.assertGreater(router.route("hello there friend").complexity, before)
        router.close()

    def test_bad_rows_name_the_line(self) -> None:
        good = {"prompt": "hi", "tier": "trivial"}
        cases = [
            ("{not json", "line 2: not valid JSON"),
            ("[" * 100_000 + "]" * 100_000, "line 2: JSON nested too deeply"),
            ("[1, 2]", "line 2: expected a JSON object"),
            ({"prompt": None, "tier": "simple"}, "line 2: 'prompt' must be str"),
            ({"prompt": "  ", "tier": "simple"}, "line 2: 'prompt' is empty"),
            ({"prompt": "x", "tier": "legendary"}, "line 2: .*tier"),
            ({"prompt": "x"}, "line 2: needs either 'tier'"),
            ({"prompt": "x", "model": "nope", "success": True, "quality": 1}, "line 2: unknown model 'nope'"),
            ({"prompt": "x", "model": "weak", "success": "yes", "quality": 1}, "line 2: 'success' must be"),
            ({"prompt": "x", "model": "weak", "success": True, "quality": 7}, "line 2: 'quality' must be"),
        ]
        router = self.router()
        for bad, message in cases:
            with self.subTest(bad=bad):
                path = self.write([good, bad])
                with self.assertRaisesRegex(TrainingDataError, message) as ctx:
                    train_from_jsonl(router, path)
                self.assertEqual(ctx.exception.line, 2)
        router.close()

    def test_bad_file_changes_nothing(self) -> None:
        router = self.router()
        before = router.route(HARD).complexity
        path = self.write([{"prompt": HARD, "model": "weak", "success": False, "quality": 0.0}, "oops"])
        with self.assertRaises(TrainingDataError):
            train_from_jsonl(router, path)
        self.assertEqual(router.route(HARD).complexity, before)
        router.close()

    def test_cli_verb(self) -> None:
        parser = argparse.ArgumentParser()
        add_train_command(parser.add_subparsers(dest="command"))
        path = self.write([{"prompt": "hi", "tier": "trivial"}])
        ws = os.path.join(self.dir, "cli-ws")
        args = parser.parse_args(["train", path, "--workspace", ws, "--json"])
        out = io.StringIO()
        self.assertEqual(args.handler(args, out, None), 0)
        self.assertEqual(json.loads(out.getvalue())["labelled"], 1)
        self.assertTrue(os.path.exists(os.path.join(ws, "classifier.json")))
        bad = self.write(["{"])
        args = parser.parse_args(["train", bad, "--workspace", ws])
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(args.handler(args, io.StringIO(), None), 2)
        self.assertIn("line 1", err.getvalue())


if __name__ == "__main__":
    unittest.main()
