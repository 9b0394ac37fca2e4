"""Boundary values found by fuzzing: huge JSON integers, NaN / Infinity, bad bytes, lone surrogates, odd arguments."""

from __future__ import annotations

import fractions
import json
import logging
import os
import tempfile
import unittest

from antaris_like import AdaptiveRouter, Limit, ModelConfig, Router
from antaris_like.errors import ConfigurationError
from antaris_like.learning import SNAPSHOT_FILE
from antaris_like.registry import ModelRegistry
from antaris_like.training import TrainingDataError, train_from_jsonl

HUGE = 10 ** 400  # a JSON integer literal Python parses exactly, beyond float range
MODEL = {"name": "m", "provider": "p", "input_per_1m": 1, "output_per_1m": 2, "tiers": ["trivial", "expert"],
         "context_window": 1000, "max_output_tokens": 100}


class HugeNumbersTest(unittest.TestCase):
    def test_registry_price_and_quality(self) -> None:
        for key in ("input_per_1m", "quality"):
            with self.subTest(key=key), self.assertRaisesRegex(ConfigurationError, key):
                ModelRegistry.from_dict({"schema_version": 1, "models": [dict(MODEL, **{key: HUGE})]})
        with self.assertRaisesRegex(ConfigurationError, "cost_per_1k_input"):
            Router().register_model(ModelConfig("x", ("trivial", "expert"), HUGE, 1))

    def test_absurd_price_is_refused_not_estimated_at_zero(self) -> None:
        # 1e308 is finite, but a request's cost overflows to inf, which decisions used to show as $0.
        with self.assertRaisesRegex(ConfigurationError, "input_per_1m.*check the units"):
            ModelRegistry.from_dict({"schema_version": 1, "models": [dict(MODEL, input_per_1m=1e308)]})
        with self.assertRaisesRegex(ConfigurationError, "output_per_1m"):
            Router().register_model(ModelConfig("x", ("trivial", "expert"), 1, 1e7))  # $1e10 per 1M
        ModelRegistry.from_dict({"schema_version": 1, "models": [dict(MODEL, input_per_1m=1e9)]})  # the limit

    def test_report_outcome_quality(self) -> None:
        router = Router()
        digest = router.route("hello there").prompt_hash
        for quality in (HUGE, fractions.Fraction(HUGE)):
            with self.subTest(quality=type(quality).__name__), self.assertRaisesRegex(ValueError, "quality_score"):
                router.report_outcome(digest, quality, True)

    def test_budget_amounts_and_usage(self) -> None:
        with self.assertRaisesRegex(ValueError, "finite"):
            Router(budget=HUGE)
        with self.assertRaisesRegex(ValueError, "finite"):
            Limit(usd=HUGE)
        router = Router()
        with self.assertRaisesRegex(ValueError, "too large"):
            router.log_usage(router.route("hi"), input_tokens=HUGE, output_tokens=1)


class TrainingFileTest(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.dir = self._tmp.name
        self.ws = os.path.join(self.dir, "ws")

    def write(self, data: bytes) -> str:
        path = os.path.join(self.dir, "train.jsonl")
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def test_huge_quality_names_the_line(self) -> None:
        path = self.write(b'{"prompt": "hi", "model": "gpt-4o-mini", "success": true, "quality": 1' + b"0" * 400 + b"}\n")
        with self.assertRaisesRegex(TrainingDataError, "line 1: 'quality'"):
            train_from_jsonl(self.ws, path)

    def test_non_utf8_names_the_line(self) -> None:
        path = self.write(b'{"prompt": "hi", "tier": "simple"}\n{"prompt": "\xff", "tier": "simple"}\n')
        with self.assertRaisesRegex(TrainingDataError, "line 2: not UTF-8"):
            train_from_jsonl(self.ws, path)

    def test_leading_bom_is_accepted(self) -> None:
        path = self.write(b'\xef\xbb\xbf{"prompt": "hi", "tier": "simple"}\n')
        self.assertEqual(train_from_jsonl(self.ws, path).labelled, 1)

    def test_int_path_is_not_a_file_descriptor(self) -> None:
        router = Router(workspace=self.ws)
        self.addCleanup(router.close)
        fds = [int(fd) for fd in os.listdir("/proc/self/fd")] if os.path.isdir("/proc/self/fd") else [3]
        with self.assertRaisesRegex(TypeError, "path must be a file path"):
            train_from_jsonl(router, max(fds))
        router.report_outcome(router.route("still works").prompt_hash, 1.0, True)


class SnapshotTest(unittest.TestCase):
    """A classifier.json with Infinity, NaN or huge integers is moved aside, never a crash or a NaN route."""

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.ws = os.path.join(self._tmp.name, "ws")
        router = AdaptiveRouter(self.ws)
        router.register_model(ModelConfig("cheap", ("trivial", "moderate")))
        router.register_model(ModelConfig("top", ("complex", "expert"), cost_per_1k_input=0.01))
        for i in range(70):  # past the first fit of the outcome model: the snapshot holds one
            router.report_outcome(router.route(f"prompt number {i} about sorting").prompt_hash, 0.5, i % 3 == 0)
        router.close()
        with open(os.path.join(self.ws, SNAPSHOT_FILE), encoding="utf-8") as fh:
            self.snapshot = json.load(fh)
        self.assertIsNotNone(self.snapshot["classifier"]["model"])

    def corrupt(self, path: tuple, value: object) -> None:
        data = json.loads(json.dumps(self.snapshot))
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with open(os.path.join(self.ws, SNAPSHOT_FILE), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data))  # allow_nan: writes NaN / Infinity literals

    def test_bad_numbers_are_moved_aside(self) -> None:
        inf, nan = float("inf"), float("nan")
        cases = [(("applied_seq",), inf), (("applied_seq",), 2 ** 64), (("classifier", "bias"), inf),
                 (("classifier", "bias"), HUGE), (("classifier", "dense"), [inf] * 13),
                 (("classifier", "learning_rate"), HUGE), (("classifier", "outcome_strength"), nan),
                 (("classifier", "model_window"), inf), (("classifier", "length_stats"), [HUGE] * 10),
                 (("classifier", "model_rows_applied"), inf), (("classifier", "model", "intercept"), nan),
                 (("classifier", "model", "rows"), inf), (("classifier", "model", "intercept"), HUGE),
                 # a fraction or a negative sequence number would replay events already learned from
                 (("applied_seq",), 1.7), (("applied_seq",), -1), (("applied_seq",), True),
                 (("classifier", "schema_version"), True), (("classifier", "evidence_half"), -1.0),
                 (("classifier", "failure_prior"), 2.0)]
        for path, value in cases:
            with self.subTest(path=path, value=str(value)[:10]):
                self.corrupt(path, value)
                with self.assertLogs("antaris_like", logging.WARNING):
                    router = Router(workspace=self.ws)
                decision = router.route("Prove that the sum of two even numbers is even")
                self.assertTrue(0.0 <= decision.confidence <= 1.0 and 0.0 <= decision.complexity <= 1.0)
                router.report_outcome(decision.prompt_hash, 0.5, True)
                router.close()
                moved = [n for n in os.listdir(self.ws) if n.startswith(SNAPSHOT_FILE + ".corrupt-")]
                self.assertTrue(moved)
                for name in moved:
                    os.remove(os.path.join(self.ws, name))


class ClassifierOptionsTest(unittest.TestCase):
    def test_out_of_range_options_are_refused(self) -> None:
        from antaris_like.classifier import TierClassifier
        for name, value in (("evidence_half", -1.0), ("failure_prior", 2.0), ("learning_rate", float("nan")),
                            ("outcome_strength", float("inf"))):
            with self.subTest(name=name), self.assertRaisesRegex(ValueError, name):
                TierClassifier.load_base(**{name: value})
        TierClassifier.load_base(failure_prior=1.0, evidence_half=0.0)  # the edges themselves are allowed


class RouterStateTest(unittest.TestCase):
    def test_bad_numbers_in_router_state_are_skipped(self) -> None:
        with tempfile.TemporaryDirectory() as ws:
            router = Router(workspace=ws)
            router.route("hello")
            router.save_state()
            router.close()
            path = os.path.join(ws, "router_state.json")
            with open(path, encoding="utf-8") as fh:
                state = json.load(fh)
            state["analytics"]["confidence_sum"] = HUGE
            state["health"] = {"m": [[HUGE, "success", 1, ""], [float("nan"), "error", None, ""],
                                     [1.0, "error", float("inf"), ""], [2.0, "timeout", 12.5, "slow"]]}
            state["costs"]["rows"] = [[HUGE, "m", "s", "p", 1, 1, 1, 1, 1, 1, 1, 0]]
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(state))
            with self.assertLogs("antaris_like", logging.WARNING) as logs:
                router = Router(workspace=ws)
            text = "\n".join(logs.output)
            self.assertIn("routing analytics: skipped 1 unreadable entry", text)  # nothing dropped silently
            self.assertIn("provider health: skipped 3 unreadable entries", text)
            self.assertIn("cost history: skipped 1 unreadable row", text)
            self.assertEqual(router.health.to_dict()["m"], [[2.0, "timeout", 12.5, "slow"]])  # the good event is kept
            router.route("hello again")
            router.save_state()  # NaN / Infinity loaded back would make this fail forever
            router.close()


class SurrogateModelNameTest(unittest.TestCase):
    def test_lone_surrogates_are_refused_at_registration(self) -> None:
        for key in ("name", "provider", "source"):
            with self.subTest(key=key), self.assertRaisesRegex(ConfigurationError, "surrogate"):
                ModelRegistry.from_dict({"schema_version": 1, "models": [dict(MODEL, **{key: "x\ud800"})]})
        with tempfile.TemporaryDirectory() as ws:
            router = AdaptiveRouter(ws)
            router.register_model(ModelConfig("ok", ("trivial", "expert")))
            with self.assertRaises(ConfigurationError):
                router.register_model(ModelConfig("bad\ud800", ("trivial", "expert")))
            router.report_outcome(router.route("hello").prompt_hash, 1.0, True)
            router.close()



class ArgumentCheckTest(unittest.TestCase):
    def test_training_errors_are_in_the_error_tree(self) -> None:
        from antaris_like.errors import AntarisError

        error = TrainingDataError("f.jsonl", 3, "bad")
        self.assertIsInstance(error, AntarisError)
        self.assertIsInstance(error, ConfigurationError)
        self.assertEqual((error.path, error.line, str(error)), ("f.jsonl", 3, "f.jsonl, line 3: bad"))

    def test_max_prompt_chars_is_checked_when_the_router_is_built(self) -> None:
        for bad in ("x", 0, True, 2.5):
            with self.subTest(bad=bad), self.assertRaisesRegex(ValueError, "max_prompt_chars"):
                Router(max_prompt_chars=bad)  # type: ignore[arg-type]

    def test_cli_names_the_max_tokens_flag(self) -> None:
        import contextlib
        import io

        from antaris_like.cli import main

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["route", "hi", "--max-tokens", "-5"], stdout=io.StringIO())
        self.assertEqual(code, 2)
        self.assertIn("--max-tokens must be >= 0", err.getvalue())


if __name__ == "__main__":
    unittest.main()


class FoundByPropertiesTest(unittest.TestCase):
    """Regressions for what tests/test_properties.py found (each failed before its fix)."""

    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp()
        self.addCleanup(__import__("shutil").rmtree, self.folder, True)

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.folder, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def test_registry_values_that_cannot_be_written_back_are_refused_at_load(self) -> None:
        model = {"name": "m", "provider": "p", "input_per_1m": 1, "output_per_1m": 1, "tiers": ["trivial", "expert"],
                 "context_window": 1000, "max_output_tokens": 100}
        for extra, message in (({"note": "x\ud800"}, "'note' holds a lone surrogate"),
                               ({"k\ud800": 1}, "is a key holding a lone surrogate"),
                               ({"big": 10 ** 400}, "'big' holds an integer beyond float range")):
            with self.subTest(message=message):
                doc = {"schema_version": 1, "models": [dict(model, **extra)]}
                path = self.write("reg.json", json.dumps(doc))  # ensure_ascii: surrogates as \ud800 escapes
                with self.assertRaisesRegex(ConfigurationError, "model 'm'.*" + message):
                    ModelRegistry.from_file(path)
        ModelRegistry.from_file(self.write("ok.json", json.dumps({"schema_version": 1, "models": [model]})))
        doc = {"schema_version": 1, "note": "x\ud800", "models": [model]}
        with self.assertRaisesRegex(ConfigurationError, "lone surrogate"):
            ModelRegistry.from_file(self.write("meta.json", json.dumps(doc)))

    def test_an_integer_literal_past_pythons_digit_limit_is_a_clear_error(self) -> None:
        huge = "9" * 5001
        with self.assertRaisesRegex(ConfigurationError, "not usable JSON"):
            ModelRegistry.from_file(self.write("reg.json", '{"schema_version": 1, "models": [], "n": ' + huge + "}"))
        with self.assertRaisesRegex(ConfigurationError, "not usable JSON"):
            ModelRegistry.from_litellm_file(self.write("lite.json", '{"m": {"input_cost_per_token": ' + huge + "}}"))
        rows = self.write("rows.jsonl", '{"prompt": "a", "tier": "simple"}\n{"prompt": "b", "n": ' + huge + "}\n")
        with self.assertRaises(TrainingDataError) as caught:
            train_from_jsonl(os.path.join(self.folder, "ws"), rows)
        self.assertEqual(caught.exception.line, 2)
        key = "input_cost_per_token_above_" + "1" * 5000 + "k_tokens"
        lite = {"gpt-x": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "litellm_provider": "openai",
                          "mode": "chat", "max_input_tokens": 1000, "max_output_tokens": 100, key: 3e-6}}
        registry = ModelRegistry.from_litellm_file(self.write("lite2.json", json.dumps(lite)))
        self.assertIn("gpt-x", registry)  # a key naming no sane context size is just an unknown key

    def test_an_unpriced_alternative_is_null_in_json(self) -> None:
        registry = ModelRegistry.from_dict({"schema_version": 1, "models": [
            {"name": name, "provider": "p", "input_per_1m": None, "output_per_1m": None, "tiers": ["trivial", "expert"],
             "context_window": 100000, "max_output_tokens": 1000} for name in ("a", "b")]})
        data = Router(registry=registry).route("hello").to_dict()
        self.assertTrue(data["alternatives"])
        self.assertTrue(all(cost is None for _, cost in data["alternatives"]))
        json.dumps(data, allow_nan=False)

    def test_a_negative_squared_idf_weight_moves_the_snapshot_aside(self) -> None:
        ws = os.path.join(self.folder, "ws")
        router = AdaptiveRouter(ws)
        router.register_model(ModelConfig("cheap", ("trivial", "moderate")))
        router.register_model(ModelConfig("top", ("complex", "expert"), cost_per_1k_input=0.01))
        for i in range(70):  # past the outcome model's first fit, so the snapshot holds one
            router.report_outcome(router.route(f"prompt number {i} about sorting").prompt_hash, 0.5, i % 3 == 0)
        router.close()
        path = os.path.join(ws, SNAPSHOT_FILE)
        with open(path, encoding="utf-8") as fh:
            snapshot = json.load(fh)
        self.assertIsNotNone(snapshot["classifier"]["model"])
        snapshot["classifier"]["model"]["default_idf_sq"] = -1.0
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(snapshot, fh)
        with self.assertLogs("antaris_like", logging.WARNING):
            again = Router(workspace=ws)
        self.addCleanup(again.close)
        again.route("Prove that the sum of two even numbers is even")
        self.assertTrue(any(n.startswith(SNAPSHOT_FILE + ".corrupt-") for n in os.listdir(ws)))

    def test_a_priced_cost_past_float_range_is_refused_not_unknown(self) -> None:
        registry = ModelRegistry.from_dict({"schema_version": 1, "models": [
            {"name": "m", "provider": "p", "input_per_1m": 1e9, "output_per_1m": 1e9, "tiers": ["trivial", "expert"],
             "context_window": 10 ** 400, "max_output_tokens": 1000}]})
        with self.assertRaisesRegex(ValueError, "too large to price"):
            registry.get("m").calculate_cost(10 ** 300, 10 ** 300)

    def test_whitespace_is_no_model_name_for_an_outcome(self) -> None:
        from antaris_like import QualityTracker

        tracker = QualityTracker(os.path.join(self.folder, "ws"))
        self.addCleanup(tracker.close)
        with self.assertRaisesRegex(ValueError, "model must be a non-empty str"):
            tracker.record_outcome("ab" * 32, 0.5, True, model="   ")

    def test_as_of_is_exactly_year_month_day_on_every_python(self) -> None:
        from antaris_like.registry import ModelInfo

        self.assertEqual(ModelInfo(name="m", provider="p", as_of="2026-11-22").as_of, "2026-11-22")
        for text in ("20261122", "2026-W47-1", "2026-02-30", "2026-11-22T00:00"):
            with self.subTest(text=text), self.assertRaisesRegex(ConfigurationError, "YYYY-MM-DD"):
                ModelInfo(name="m", provider="p", as_of=text)
