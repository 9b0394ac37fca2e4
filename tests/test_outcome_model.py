"""Tests for antaris_like.outcome_model and the classifier's use of it (fits, window, schedule, state)."""

from __future__ import annotations

import json
import random
import unittest
from typing import List, Tuple

from antaris_like._outcome_window import FIRST_FIT, OutcomeWindow, row_from_key, row_key
from antaris_like.classifier import TierClassifier
from antaris_like.outcome_model import OutcomeModel, fit_outcome_model
from antaris_like.tiers import Tier

Row = Tuple[Tuple[int, ...], float, bool, bool]
COMMON = (1, 2, 3, 4, 5)  # words every prompt has
GAIN = (10, 11, 12)  # the cheap model fails, the top tier succeeds
EASY = (20, 21, 22)  # both succeed
HARD = (30, 31, 32)  # both fail


def synthetic_rows(n: int, seed: int = 0, top_share: float = 0.5) -> List[Row]:
    """Rows of three prompt families, routed up with probability ``top_share`` (1 in 10 outcomes flipped)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        family = rng.choice((GAIN, EASY, HARD))
        top = rng.random() < top_share
        failed = {GAIN: not top, EASY: False, HARD: True}[family]
        if rng.random() < 0.1:
            failed = not failed
        rows.append((tuple(sorted(COMMON + family + (100 + rng.randrange(50),))), rng.uniform(-1, 1), top, failed))
    return rows


class FitTest(unittest.TestCase):
    def test_gain_is_largest_where_only_the_top_tier_succeeds(self) -> None:
        model = fit_outcome_model(synthetic_rows(600))
        gains = {name: model.gain(COMMON + family, 0.0) for name, family in
                 (("gain", GAIN), ("easy", EASY), ("hard", HARD))}
        self.assertGreater(gains["gain"], 0.4)
        self.assertLess(abs(gains["easy"]), 0.15)
        self.assertLess(abs(gains["hard"]), 0.15)

    def test_routing_share_does_not_bias_the_ranking(self) -> None:
        # Mostly routed down, then mostly up: a model of P(fail | prompt) ranks the families the same.
        for share in (0.15, 0.85):
            model = fit_outcome_model(synthetic_rows(800, seed=3, top_share=share))
            gain = model.gain(COMMON + GAIN, 0.0)
            self.assertGreater(gain, model.gain(COMMON + EASY, 0.0) + 0.2, share)
            self.assertGreater(gain, model.gain(COMMON + HARD, 0.0) + 0.2, share)

    def test_fit_is_a_pure_function_of_its_rows(self) -> None:
        rows = synthetic_rows(300, seed=5)
        first, second = fit_outcome_model(rows), fit_outcome_model(list(rows))
        self.assertEqual(json.dumps(first.to_dict(), sort_keys=True), json.dumps(second.to_dict(), sort_keys=True))

    def test_unseen_buckets_weigh_nothing_but_count_in_the_norm(self) -> None:
        model = fit_outcome_model(synthetic_rows(300))
        self.assertNotIn(99999, model.weights)
        self.assertNotEqual(model.gain(COMMON + GAIN, 0.0), model.gain(COMMON + GAIN + (99999,), 0.0))
        self.assertEqual(model.gain((99998, 99999), 0.25), model.gain((99997,), 0.25))

    def test_no_rows_is_an_error(self) -> None:
        with self.assertRaises(ValueError):
            fit_outcome_model([])

    def test_round_trip_and_malformed_data(self) -> None:
        model = fit_outcome_model(synthetic_rows(200))
        back = OutcomeModel.from_dict(json.loads(json.dumps(model.to_dict())))
        for family in (GAIN, EASY, HARD, (7, 8)):
            self.assertEqual(back.gain(COMMON + family, 0.3), model.gain(COMMON + family, 0.3))
        data = model.to_dict()
        for broken in ({**data, "weights": ["@@@", "AAAA"]}, {k: v for k, v in data.items() if k != "idf_sq"},
                       {**data, "top_weights": [data["top_weights"][0], ""]}, {**data, "rows": None}):
            with self.assertRaises(ValueError):
                OutcomeModel.from_dict(broken)


PROMPTS = [f"question {i}: explain {('the theorem', 'a recipe', 'the treaty')[i % 3]} in detail, part {i % 7}"
           for i in range(400)]


def learn_all(clf: TierClassifier, prompts: List[str], start: int = 0) -> None:
    for i, prompt in enumerate(prompts, start):
        top = i % 2 == 0
        tier = Tier.EXPERT if top else Tier.MODERATE
        success = (i % 3 != 0) or top
        clf.learn_outcome(clf.vectorize(prompt), routed_tier=tier, model_max_tier=tier, success=success,
                          quality=1.0 if success else 0.0)


class ClassifierModelTest(unittest.TestCase):
    def test_first_fit_after_64_outcomes_then_a_growing_gap(self) -> None:
        clf = TierClassifier.load_base()
        learn_all(clf, PROMPTS[:63])
        self.assertIsNone(clf._model)
        before = clf.score(clf.vectorize(PROMPTS[0]))
        learn_all(clf, PROMPTS[63:64], start=63)
        self.assertIsNotNone(clf._model)
        self.assertEqual(clf._model.rows, 64)
        self.assertNotEqual(clf.score(clf.vectorize(PROMPTS[0])), before)
        self.assertEqual(clf._window.next_fit, 64 + 16)
        learn_all(clf, PROMPTS[64:200], start=64)
        self.assertLess(clf._model.rows, 200)  # fits at 64, 80, 100, 125, 156, 195
        self.assertEqual(clf._model.rows, 195)

    def test_window_keeps_the_newest_outcomes(self) -> None:
        clf = TierClassifier.load_base(model_window=50)
        learn_all(clf, PROMPTS[:120])
        self.assertEqual(sum(clf._window.rows.values()), 50)
        self.assertEqual(clf._model.rows, 50)
        with self.assertRaises(ValueError):
            TierClassifier.load_base(model_window=0)

    def test_model_strength_zero_never_fits(self) -> None:
        plain = TierClassifier.load_base(model_strength=0)
        learn_all(plain, PROMPTS[:100])
        self.assertIsNone(plain._model)

    def test_same_outcomes_in_the_same_order_give_the_same_state(self) -> None:
        a, b = TierClassifier.load_base(), TierClassifier.load_base()
        learn_all(a, PROMPTS[:150])
        # b replays the steps a would take, as another process replaying the outcome log does.
        for i, prompt in enumerate(PROMPTS[:150]):
            top = i % 2 == 0
            tier = Tier.EXPERT if top else Tier.MODERATE
            success = (i % 3 != 0) or top
            vec = TierClassifier.decode_vector(TierClassifier.encode_vector(b.vectorize(prompt)))
            b.apply(b.outcome_step(vec, routed_tier=tier, model_max_tier=tier, success=success,
                                   quality=1.0 if success else 0.0))
        self.assertEqual(json.dumps(a.to_dict(), sort_keys=True), json.dumps(b.to_dict(), sort_keys=True))

    def test_revert_takes_the_outcome_out_of_the_window(self) -> None:
        clf = TierClassifier.load_base()
        learn_all(clf, PROMPTS[:70])
        before = (dict(clf._window.rows), clf._window.applied)
        vec = clf.vectorize("a new prompt about the treaty")
        step = clf.learn_outcome(vec, routed_tier="moderate", model_max_tier="moderate", success=False, quality=0.0)
        self.assertEqual(clf._window.applied, 71)
        clf.revert(vec, step)
        self.assertEqual((dict(clf._window.rows), clf._window.applied), before)

    def test_state_round_trip_keeps_model_window_and_schedule(self) -> None:
        clf = TierClassifier.load_base()
        learn_all(clf, PROMPTS[:90])
        back = TierClassifier.from_dict(json.loads(json.dumps(clf.to_dict())))
        for prompt in PROMPTS[:20]:
            self.assertEqual(back.score(back.vectorize(prompt)), clf.score(clf.vectorize(prompt)))
        learn_all(clf, PROMPTS[90:130], start=90)
        learn_all(back, PROMPTS[90:130], start=90)
        self.assertEqual(json.dumps(back.to_dict(), sort_keys=True), json.dumps(clf.to_dict(), sort_keys=True))

    def test_version_4_state_loads_without_a_model(self) -> None:
        clf = TierClassifier.load_base()
        learn_all(clf, PROMPTS[:30])
        data = clf.to_dict()
        data["schema_version"] = 4
        for key in [k for k in data if k.startswith("model")]:
            del data[key]
        back = TierClassifier.from_dict(data)
        self.assertIsNone(back._model)
        self.assertEqual(back._window.applied, 0)
        learn_all(back, PROMPTS[30:94], start=30)
        self.assertIsNotNone(back._model)

    def test_malformed_model_state_is_rejected(self) -> None:
        clf = TierClassifier.load_base()
        learn_all(clf, PROMPTS[:70])
        data = clf.to_dict()
        for broken in ({**data, "model_rows": ["!!!:1"]}, {**data, "model_rows": ["AAAA:1"]},
                       {**data, "model_rows": [data["model_rows"][0].split(":")[0] + ":0"]},
                       {**data, "model": {"rows": 3}}, {**data, "model_next_fit": "soon"}):
            with self.assertRaises(ValueError):
                TierClassifier.from_dict(broken)


class SharedWorkspaceTest(unittest.TestCase):
    def test_a_second_router_replays_to_the_same_model(self) -> None:
        import tempfile

        from antaris_like import AdaptiveRouter, ModelConfig

        models = (ModelConfig("weak", ("trivial", "moderate"), 0.0006, 0.0006),
                  ModelConfig("strong", ("complex", "expert"), 0.01, 0.03))
        with tempfile.TemporaryDirectory() as workspace:
            first, second = AdaptiveRouter(workspace, ab_test_rate=0.0), AdaptiveRouter(workspace, ab_test_rate=0.0)
            for router in (first, second):
                for model in models:
                    router.register_model(model)
            for i, prompt in enumerate(PROMPTS[:150]):
                decision = first.route(prompt)
                first.report_outcome(decision.prompt_hash, 1.0 if i % 3 else 0.0, bool(i % 3))
            second.learner.sync()
            self.assertIsNotNone(first.learner.classifier._model)
            self.assertEqual(json.dumps(second.learner.classifier.to_dict(), sort_keys=True),
                             json.dumps(first.learner.classifier.to_dict(), sort_keys=True))
            first.close()
            third = AdaptiveRouter(workspace, ab_test_rate=0.0)  # from the snapshot written on close
            for model in models:
                third.register_model(model)
            self.assertEqual(third.route(PROMPTS[3]).complexity, second.route(PROMPTS[3]).complexity)
            second.close()
            third.close()



class OutcomeWindowTest(unittest.TestCase):
    @staticmethod
    def key(bucket: int, failed: bool = False) -> bytes:
        # Ten length sums of a cheaper model's outcome: n, sum x, sum x^2, sum failed, sum x * failed.
        length = (10, 10 * 250, 0, 10 if failed else 0, 0) + (0,) * 5
        return row_key((bucket, bucket + 1), length)  # type: ignore[return-value]

    def test_row_key_round_trip(self) -> None:
        top = row_key((3, 9), (0,) * 5 + (10, -4000, 0, 10, 0))
        assert top is not None
        self.assertEqual(row_from_key(top), ((3, 9), -0.4, True, True))
        self.assertEqual(row_from_key(self.key(5)), ((5, 6), 0.25, False, False))
        self.assertIsNone(row_key((1,), ()))  # not an outcome step (teach)
        self.assertIsNone(row_key((1,), (0,) * 10))

    def test_schedule_and_eviction(self) -> None:
        window = OutcomeWindow(8)
        due = [window.add(self.key(i % 3)) for i in range(FIRST_FIT + 17)]
        self.assertEqual([i + 1 for i, d in enumerate(due) if d], [64, 80])
        self.assertEqual(window.held, 8)
        self.assertEqual(sum(window.rows.values()), 8)
        self.assertEqual(window.next_fit, 80 + 16)
        self.assertEqual(len(window.decoded()), 8)

    def test_remove_of_an_evicted_row_only_takes_back_the_count(self) -> None:
        window = OutcomeWindow(2)
        for bucket in (1, 2, 3):
            window.add(self.key(bucket))
        self.assertNotIn(self.key(1), window.rows)
        window.remove(self.key(1))
        self.assertEqual((window.applied, window.held), (2, 2))
        window.remove(self.key(3))
        self.assertEqual((window.applied, window.held, list(window.rows)), (1, 1, [self.key(2)]))

    def test_snapshot_round_trip(self) -> None:
        window = OutcomeWindow(4)
        for bucket in (1, 1, 2):
            window.add(self.key(bucket, failed=bucket == 2))
        back = OutcomeWindow(4)
        back.load(json.loads(json.dumps(window.to_dict())))
        self.assertEqual((back.rows, back.held, back.applied, back.next_fit),
                         (window.rows, 3, 3, FIRST_FIT))
        with self.assertRaises(ValueError):
            OutcomeWindow(4).load({"model_rows": ["AAAA:1"]})


if __name__ == "__main__":
    unittest.main()
