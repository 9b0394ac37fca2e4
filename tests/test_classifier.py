"""Tests for antaris_like.classifier: tiers, calibration, determinism, learning, persistence."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import random
import subprocess
import sys
import unittest
from typing import Any, Dict, List

from antaris_like.classifier import ClassificationResult, TierClassifier, _complexity
from antaris_like.text import extract_signals
from antaris_like.tiers import TIER_NAMES, Tier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHINESE = ["你好", "请用一句话解释什么是人工智能。", "设计一个支持每秒百万请求的短链接服务，说明数据模型、缓存、分库分表以及热点数据的处理方法。",
           "证明存在无穷多个素数，并严格推导每一步。"]
RUSSIAN = ["привет", "Что такое инфляция простыми словами?",
           "Спроектируй масштабируемый сервис сокращения ссылок: модель данных, кэширование, шардирование.",
           "Докажи теорему Коши — Буняковского для пространств со скалярным произведением."]


class ClassifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.clf = TierClassifier.load_base()

    def test_result_shape(self) -> None:
        r = self.clf.classify("Design a distributed rate limiter in Go")
        self.assertIsInstance(r, ClassificationResult)
        self.assertIn(r.tier, TIER_NAMES)
        self.assertGreaterEqual(r.confidence, 0.0)
        self.assertLessEqual(r.confidence, 1.0)
        self.assertAlmostEqual(sum(r.probabilities.values()), 1.0, places=3)
        self.assertTrue(0.0 <= r.complexity <= 1.0)
        self.assertTrue(r.evidence)
        self.assertEqual(r.basis, "composite")

    def test_confidence_in_range_for_many_prompts(self) -> None:
        for p in ["hi", "x" * 5000, "Prove Fermat's little theorem.", *CHINESE, *RUSSIAN]:
            with self.subTest(p=p[:20]):
                r = self.clf.classify(p)
                self.assertTrue(0.0 <= r.confidence <= 1.0)
                self.assertTrue(all(0.0 <= v <= 1.0 for v in r.probabilities.values()))

    def test_complexity_monotone_with_tier(self) -> None:
        results = [self.clf.classify(p) for p in ["hi", "thanks", "Explain TCP", *CHINESE, *RUSSIAN,
                                                  "Prove that sqrt 2 is irrational rigorously",
                                                  "Design a multi-region payments architecture with sharding"]]
        for a in results:
            for b in results:
                if a.complexity < b.complexity:
                    self.assertLessEqual(Tier(a.tier).rank, Tier(b.tier).rank)

    def test_filler_is_not_expert(self) -> None:
        self.assertNotEqual(self.clf.classify("x" * 5000).tier, "expert")

    def test_chinese_and_russian_have_features_and_vary(self) -> None:
        for group in (CHINESE, RUSSIAN):
            tiers = set()
            for p in group:
                vec = self.clf.vectorize(p)
                self.assertGreater(len(vec.indices), 0)
                tiers.add(self.clf.classify(p).tier)
            self.assertGreater(len(tiers), 1, group)
            self.assertNotEqual(tiers, {"trivial"})

    def test_hi_does_not_match_inside_architect(self) -> None:
        sig = self.clf.classify("Architect a scalable event pipeline").signals
        self.assertEqual(sig["keyword_matches"]["trivial"], 0)

    def test_easy_below_hard(self) -> None:
        easy = self.clf.classify("hi").complexity
        hard = self.clf.classify("Prove that every planar graph is 5-colorable and analyze where the "
                                 "argument fails for four colors, rigorously.").complexity
        self.assertLess(easy, hard)

    def test_determinism_across_processes(self) -> None:
        prompts = ["hi", "请解释分布式系统", "Докажи теорему", "def f(): return 1"]
        code = (f"import json,sys; sys.path.insert(0, {ROOT!r}); from antaris_like.classifier import TierClassifier as T; "
                "c=T.load_base(); print(json.dumps([[c.classify(p).complexity, list(c.vectorize(p).indices)] "
                f"for p in {prompts!r}]))")
        outs = set()
        for seed in ("1", "2"):
            env = dict(os.environ, PYTHONHASHSEED=seed)
            outs.add(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                                    text=True).stdout)
        self.assertEqual(len(outs), 1)


class LearnTest(unittest.TestCase):
    PROMPT = "Which of these statements about the French Revolution is correct? A. x B. y C. z D. w Answer:"
    SIMILAR = "Which statement about the French Revolution and Napoleon is true? A. a B. b C. c D. d Answer:"

    def learn(self, clf: TierClassifier, prompt: str, success: bool):
        vec = clf.vectorize(prompt)
        return vec, clf.learn_outcome(vec, routed_tier=Tier.SIMPLE, model_max_tier=Tier.MODERATE,
                                      success=success, quality=1.0 if success else 0.0)

    def test_failure_raises_and_success_lowers_similar(self) -> None:
        base = TierClassifier.load_base().classify(self.SIMILAR).complexity
        up, down = TierClassifier.load_base(), TierClassifier.load_base()
        for _ in range(5):
            self.learn(up, self.PROMPT, False)
            self.learn(down, self.PROMPT, True)
        self.assertGreater(up.classify(self.SIMILAR).complexity, base)
        self.assertLess(down.classify(self.SIMILAR).complexity, base)

    def test_low_quality_counts_as_failure(self) -> None:
        clf = TierClassifier.load_base()
        before = clf.classify(self.PROMPT).complexity
        vec = clf.vectorize(self.PROMPT)
        clf.learn_outcome(vec, routed_tier="simple", model_max_tier="moderate", success=True, quality=0.1)
        self.assertGreater(clf.classify(self.PROMPT).complexity, before)

    def test_revert_restores_exactly(self) -> None:
        clf = TierClassifier.load_base()
        self.learn(clf, "some other prompt about chemistry", False)
        before = json.dumps(clf.to_dict(), sort_keys=True)
        before_c = clf.classify(self.PROMPT).complexity
        vec, step = self.learn(clf, self.PROMPT, False)
        self.assertFalse(step.empty)
        _, other = self.learn(clf, self.SIMILAR, True)
        clf.revert(vec, step)
        clf.revert(vec, other)
        self.assertEqual(json.dumps(clf.to_dict(), sort_keys=True), before)
        self.assertEqual(clf.classify(self.PROMPT).complexity, before_c)

    def test_re_report_replaces(self) -> None:
        once = TierClassifier.load_base()
        self.learn(once, self.PROMPT, True)
        twice = TierClassifier.load_base()
        vec, step = self.learn(twice, self.PROMPT, False)
        twice.revert(vec, step)
        self.learn(twice, self.PROMPT, True)
        self.assertEqual(once.to_dict(), twice.to_dict())

    def test_teach_moves_toward_label_and_reverts(self) -> None:
        clf = TierClassifier.load_base()
        before = clf.classify(self.PROMPT).complexity
        step = clf.teach(self.PROMPT, "expert")
        self.assertGreater(clf.classify(self.PROMPT).complexity, before)
        clf.revert(clf.vectorize(self.PROMPT), step)
        self.assertEqual(clf.classify(self.PROMPT).complexity, before)

    def test_state_is_bounded(self) -> None:
        clf = TierClassifier.load_base()
        prompts = [f"question {i} about topic {i % 7} with detail {i * 31}" for i in range(300)]
        for p in prompts:
            self.learn(clf, p, bool(len(p) % 2))
        size = clf.state_size()
        for _ in range(3):
            for p in prompts:
                self.learn(clf, p, bool(len(p) % 2))
        self.assertEqual(clf.state_size(), size)
        self.assertLessEqual(size, 5 * 2 ** 18 + 20)

    def test_top_tier_outcomes_move_the_gain(self) -> None:
        base = TierClassifier.load_base()
        before = base.classify(self.PROMPT).complexity
        moved = {}
        for label, model_max, success in (("top_ok", "expert", True), ("top_fail", "expert", False),
                                          ("cheap_fail", "moderate", False)):
            clf = TierClassifier.load_base()
            clf.learn_outcome(clf.vectorize(self.PROMPT), routed_tier="complex", model_max_tier=model_max,
                              success=success, quality=float(success))
            moved[label] = clf.classify(self.PROMPT).complexity - before
        # A top-tier failure means going up did not help; its success says less than a cheap failure.
        self.assertLess(moved["top_fail"], 0.0)
        self.assertGreater(moved["cheap_fail"], moved["top_ok"])

    def test_thin_top_tier_evidence_escalates(self) -> None:
        clf = TierClassifier.load_base()
        vec = clf.vectorize(self.PROMPT)
        for _ in range(5):
            clf.learn_outcome(vec, routed_tier="simple", model_max_tier="moderate", success=True, quality=1.0)
        self.assertEqual(clf.classify_vector(vec).tier, "complex")
        off = TierClassifier.load_base(top_evidence_floor=0.0)
        for _ in range(5):
            off.learn_outcome(vec, routed_tier="simple", model_max_tier="moderate", success=True, quality=1.0)
        self.assertLess(off.classify_vector(vec).complexity, clf.classify(self.PROMPT).complexity + 1e-9)

    def test_top_tier_only_evidence_keeps_the_unlearned_tier(self) -> None:
        vec = TierClassifier.load_base().vectorize(self.PROMPT)
        unlearned = TierClassifier.load_base().classify_vector(vec).tier
        self.assertIn(unlearned, ("trivial", "simple", "moderate"))
        tiers = {}
        for ceiling in (0.7, 1.0):
            # Full weight from the first outcome (evidence_half 0): five outcomes would barely count.
            clf = TierClassifier.load_base(cheap_evidence_ceiling=ceiling, evidence_half=0.0)
            for _ in range(5):
                clf.learn_outcome(vec, routed_tier="complex", model_max_tier="expert", success=True, quality=1.0)
            tiers[ceiling] = clf.classify_vector(vec)
        # Top-tier successes raise the gain; with only top-tier evidence the prompt goes back down.
        self.assertIn(tiers[1.0].tier, ("complex", "expert"))
        self.assertEqual(tiers[0.7].tier, unlearned)
        self.assertEqual(tiers[0.7].complexity, tiers[1.0].complexity)
        self.assertIn("cheaper model suffices", " ".join(tiers[0.7].evidence))

    def test_cheap_failures_on_long_prompts_raise_long_prompts(self) -> None:
        short, long = "Unseen words here?", "Entirely novel vocabulary " * 30 + "and then a question?"
        gaps = {}
        for strength in (100.0, 0.0):
            clf = TierClassifier.load_base(length_strength=strength)
            before = clf.score(clf.vectorize(long)) - clf.score(clf.vectorize(short))
            for i in range(20):
                text = f"item {i} " + ("filler text " * 40 if i % 2 else "")
                clf.learn_outcome(clf.vectorize(text), routed_tier="simple", model_max_tier="moderate",
                                  success=not i % 2, quality=float(not i % 2))
            gaps[strength] = clf.score(clf.vectorize(long)) - clf.score(clf.vectorize(short)) - before
        self.assertGreater(gaps[100.0], 1.0)
        self.assertAlmostEqual(gaps[0.0], 0.0, places=9)

    def test_step_is_the_same_from_a_replayed_vector(self) -> None:
        clf = TierClassifier.load_base()
        for text in (self.PROMPT, "x" * 3000, "Explain consensus 分布式 " * 9):
            vec = clf.vectorize(text)
            replayed = TierClassifier.decode_vector(TierClassifier.encode_vector(vec))
            for max_tier in ("moderate", "expert"):
                with self.subTest(text=text[:12], max_tier=max_tier):
                    kind = dict(routed_tier="simple", model_max_tier=max_tier, success=False, quality=0.0)
                    step = clf.outcome_step(vec, **kind)
                    self.assertTrue(any(step.length))
                    self.assertEqual(step, clf.outcome_step(replayed, **kind))

    def test_learned_weight_grows_with_the_number_of_outcomes(self) -> None:
        # A few outcomes barely move routing; after many, the learned terms carry their full strength.
        moves = {}
        for half in (100.0, 0.0):
            clf = TierClassifier.load_base(evidence_half=half)
            before = clf.score(clf.vectorize(self.PROMPT))
            moved = []
            for n in range(1, 401):
                text = self.PROMPT if n % 4 == 0 else f"unrelated filler prompt {n} on topic {n % 13}"
                clf.learn_outcome(clf.vectorize(text), routed_tier="simple", model_max_tier="moderate",
                                  success=text != self.PROMPT, quality=float(text != self.PROMPT))
                if n in (4, 40, 400):
                    moved.append(clf.score(clf.vectorize(self.PROMPT)) - before)
            moves[half] = moved
        scaled, full = moves[100.0], moves[0.0]
        self.assertTrue(all(m > 0.0 for m in scaled + full))
        self.assertLess(scaled[0], 0.01 * full[0])  # weight 16 / (16 + 10^4) after 4 outcomes
        self.assertLess(scaled[1], 0.2 * full[1])  # 0.14 after 40
        self.assertGreater(scaled[2], 0.9 * full[2])  # 0.94 after 400
        self.assertLess(scaled[0], scaled[1])
        self.assertLess(scaled[1], scaled[2])

    def test_evidence_weight_reverts_exactly(self) -> None:
        clf = TierClassifier.load_base()
        for i in range(30):
            self.learn(clf, f"warm up prompt {i} about geology", bool(i % 3))
        before = json.dumps(clf.to_dict(), sort_keys=True)
        score = clf.score(clf.vectorize(self.PROMPT))
        steps = [self.learn(clf, f"later prompt {i} on {self.PROMPT}", bool(i % 2)) for i in range(25)]
        self.assertNotEqual(clf.score(clf.vectorize(self.PROMPT)), score)
        for vec, step in steps[::2] + steps[1::2]:  # any order
            clf.revert(vec, step)
        self.assertEqual(json.dumps(clf.to_dict(), sort_keys=True), before)
        self.assertEqual(clf.score(clf.vectorize(self.PROMPT)), score)

    def test_complexity_has_no_ties_far_above_the_bands(self) -> None:
        values = [_complexity(s) for s in (4.0, 4.25, 5.0, 40.0, 80.0, 400.0, 1e6)]
        self.assertEqual(values, sorted(set(values)))
        self.assertLess(values[-1], 1.0)


class PersistenceTest(unittest.TestCase):
    def test_round_trip(self) -> None:
        clf = TierClassifier.load_base()
        for i, ok in enumerate((True, False, True)):
            vec = clf.vectorize(f"prompt number {i} about databases")
            clf.learn_outcome(vec, routed_tier="simple", model_max_tier="moderate", success=ok, quality=float(ok))
        clf.teach("Prove the theorem", "expert")
        data = json.loads(json.dumps(clf.to_dict()))
        self.assertEqual(data["schema_version"], 5)
        back = TierClassifier.from_dict(data)
        self.assertEqual(back.to_dict(), clf.to_dict())
        for p in ("prompt number 1 about databases", "Prove the theorem", "hi"):
            self.assertEqual(back.classify(p).complexity, clf.classify(p).complexity)

    def test_version_2_state_loads_without_length_statistics(self) -> None:
        clf = TierClassifier.load_base(outcome_strength=25.0)
        for i in range(4):
            clf.learn_outcome(clf.vectorize(f"old prompt {i} about rivers"), routed_tier="simple",
                              model_max_tier="moderate", success=bool(i % 2), quality=float(i % 2))
        data = clf.to_dict()
        old = {k: v for k, v in data.items()
               if k not in ("length_stats", "cheap_evidence_ceiling", "length_strength")}
        old["schema_version"] = 2
        back = TierClassifier.from_dict(old)
        self.assertEqual(back.outcome_strength, TierClassifier().outcome_strength)
        self.assertEqual(back.to_dict()["length_stats"], [0] * 10)
        for key in ("fail_index", "fail_value", "ok_index", "ok_value", "index", "value"):
            self.assertEqual(back.to_dict()[key], data[key])
        self.assertEqual(TierClassifier.from_dict(data).outcome_strength, 25.0)
        # No outcome count in version 2: the largest bucket total (4 outcomes share "old", "prompt",
        # "about", "rivers") stands for it, so the old evidence keeps its weight, and it is saved.
        self.assertEqual(back.to_dict()["legacy_outcomes"], 40)
        self.assertEqual(TierClassifier.from_dict(back.to_dict()).to_dict(), back.to_dict())
        fresh = TierClassifier.load_base(length_strength=0.0)  # the snapshot has no length sums
        for i in range(4):
            fresh.learn_outcome(fresh.vectorize(f"old prompt {i} about rivers"), routed_tier="simple",
                                model_max_tier="moderate", success=bool(i % 2), quality=float(i % 2))
        probe = back.vectorize("old prompt about rivers")
        self.assertEqual(back.score(probe), fresh.score(probe))

    def test_version_3_state_takes_the_default_evidence_weight(self) -> None:
        clf = TierClassifier.load_base(evidence_half=0.0)
        for i in range(6):
            clf.learn_outcome(clf.vectorize(f"prompt {i} about lakes"), routed_tier="simple",
                              model_max_tier="moderate", success=bool(i % 2), quality=float(i % 2))
        old = {k: v for k, v in clf.to_dict().items() if k not in ("evidence_half", "legacy_outcomes")}
        old["schema_version"] = 3
        back = TierClassifier.from_dict(old)
        self.assertEqual(back.evidence_half, TierClassifier().evidence_half)
        self.assertEqual(back.to_dict()["legacy_outcomes"], 0)
        self.assertEqual(back.to_dict()["length_stats"], clf.to_dict()["length_stats"])
        probe = clf.vectorize("prompt about lakes")
        self.assertLess(abs(back.score(probe) - TierClassifier.load_base().score(probe)),
                        abs(clf.score(probe) - TierClassifier.load_base().score(probe)))

    def test_from_dict_rejects_bad_state(self) -> None:
        good = TierClassifier.load_base().to_dict()
        bad_cases = [None, [], {}, dict(good, schema_version=99), dict(good, dim_bits=3), dict(good, index="!!"),
                     dict(good, length_stats=[0, 1]), dict(good, legacy_outcomes=-1),
                     dict(good, legacy_outcomes="many")]
        for bad in bad_cases:
            with self.subTest(bad=str(bad)[:40]):
                with self.assertRaises((ValueError, TypeError)):
                    TierClassifier.from_dict(bad)  # type: ignore[arg-type]

    def test_vector_round_trip(self) -> None:
        clf = TierClassifier.load_base()
        vec = clf.vectorize("Explain consensus in distributed systems 分布式")
        data = TierClassifier.encode_vector(vec)
        self.assertIsInstance(data, bytes)
        back = TierClassifier.decode_vector(data)
        self.assertEqual(back.indices, vec.indices)
        self.assertEqual(clf.classify_vector(back, "x").tier, clf.classify_vector(vec).tier)
        with self.assertRaises(ValueError):
            TierClassifier.decode_vector(b"garbage")


# -- golden outputs ----------------------------------------------------------------------------
# Digests of the classifier's outputs on GOLDEN_PROMPTS, recorded before the speed work so any
# optimisation must keep every output. A deliberate feature change updates them (and must not regress
# `python benchmarks/quality.py`): print new values with
# `PYTHONPATH=. python tests/test_classifier.py --golden`.
GOLDEN_DISCRETE = "73abc0f528f03e8a2f11a8019365813d43fca0686dc264db279cbc7e6d69fde1"
GOLDEN_SCORES = "f3a387af0a796d9d3949133fd3e75822881bf28474fef9afe57ad84f307af140"


def golden_prompts() -> List[str]:
    """Return ~400 varied prompts: the labelled corpus, edge cases, and seeded mixtures up to 5,000 chars."""
    with open(os.path.join(ROOT, "data", "corpus", "prompts.jsonl"), encoding="utf-8") as fh:
        corpus = [json.loads(line)["prompt"] for line in fh if line.strip()]
    extra = [
        "hi", "x", "?", "ok!", "x" * 5000, "a b " * 1500, "word " * 10000, "中" * 3000, "😀 emoji 😀" * 30,
        "Привет, мир! " * 200, "请解释一下分布式系统中的一致性算法，以及它们在实际工程中的权衡。" * 60,
        "こんにちは、カタカナとひらがなの混在テキストです。漢字も少し。", "안녕하세요, 분산 시스템 설계를 설명해 주세요.",
        "Ελληνικά κείμενο για δοκιμή, απόδειξη θεωρήματος.", "नमस्ते, कृपया इस प्रमेय को सिद्ध करें।",
        "ما هي عاصمة المغرب؟ اشرح الفرق بين التعلم الآلي والتعلم العميق.",
        "Straße Übergrößenträger Fußgängerübergänge erklären bitte die Unterschiede genau.",
        "```python\ndef merge(a, b):\n    out = []\n    while a and b:\n        out.append(a.pop(0))\n    return out\n```\n"
        "Why slow?",
        "1. first step\n2. second step\n3) third\n- bullet\n* star\n\u2022 dot\na) letter\n" * 5,
        "Prove that for every integer $n \\ge 1$, $\\sum_{k=1}^n k^3 = (n(n+1)/2)^2$.",
        "SELECT user_id, COUNT(*) FROM orders GROUP BY user_id HAVING COUNT(*) > 5;",
        "\t tabs\tand\r\nwindows\r\nlines and   spaces  ", "thank you, what is this? system design! rate limiter.",
        "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ，全角！？", "MiXeD CaSe İstanbul ǅ ß ﬁ ligature",
        "e" * 576, "e " * 288, "y" * 577, "Привет" + "a" * 600 + "世界",
        "what is\nthe meaning? thank\tyou", "Hi.Hello.Hey!!!Thanks???", "must must must should never always",
        "a\u2028b\u2029c\x0bd\x0ce\x1cf\x1dg\x1eh\x85i\xa0j\u3000k",
    ]
    rng = random.Random(20240607)
    mixed = []
    for _ in range(60):
        target = int(10 * (500 ** rng.random()))
        parts: List[str] = []
        size = 0
        while size < target:
            parts.append(rng.choice(corpus))
            size += len(parts[-1]) + 1
        joiner = rng.choice([" ", "\n", "", "\n\n", "? "])
        mixed.append(joiner.join(parts)[:target].strip() or "x")
    return corpus + extra + mixed


def golden_classifier(prompts: List[str]) -> TierClassifier:
    """Return the base classifier after a fixed series of outcomes and labels (exercises learned paths)."""
    clf = TierClassifier.load_base()
    for i, p in enumerate(prompts[:150]):
        clf.learn_outcome(clf.vectorize(p), routed_tier=TIER_NAMES[i % 5], model_max_tier=TIER_NAMES[i * 3 % 5],
                          success=bool(i % 3), quality=(i % 10) / 10.0)
    for i, p in enumerate(prompts[150:170]):
        clf.teach(p, TIER_NAMES[i % 5])
    return clf


def golden_digests() -> Dict[str, str]:
    """Return sha256 digests of discrete outputs and of scores rounded to 1e-9 (base and learned)."""
    prompts = golden_prompts()
    discrete: List[Any] = []
    scores: List[float] = []
    for clf in (TierClassifier.load_base(), golden_classifier(prompts)):
        for p in prompts:
            vec = clf.vectorize(p)
            r = clf.classify_vector(vec, p)
            again = TierClassifier.decode_vector(TierClassifier.encode_vector(vec))
            discrete.append([r.tier, r.confidence, r.probabilities, list(r.evidence), r.signals, r.basis,
                             sorted(vec.indices), [round(x, 12) for x in vec.dense], extract_signals(p).to_dict(),
                             clf.classify_vector(again).tier])
            scores.append(round(r.score, 9))
            scores.append(round(r.complexity, 9))
    return {name: hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
            for name, data in (("discrete", discrete), ("scores", scores))}


class GoldenTest(unittest.TestCase):
    def test_outputs_match_golden(self) -> None:
        got = golden_digests()
        self.assertEqual(got["discrete"], GOLDEN_DISCRETE, "tiers/confidence/signals/features changed")
        self.assertEqual(got["scores"], GOLDEN_SCORES, "scores or complexity changed beyond 1e-9")

    def test_lazy_fields_behave_like_eager_ones(self) -> None:
        r = TierClassifier.load_base().classify("Design a distributed rate limiter and prove it is fair")
        eager = ClassificationResult(**{f.name: getattr(r, f.name) for f in dataclasses.fields(r)})
        self.assertEqual(r, eager)
        self.assertEqual(repr(r), repr(eager))
        self.assertEqual(dataclasses.asdict(r), dataclasses.asdict(eager))
        self.assertEqual(pickle.loads(pickle.dumps(r)), r)
        self.assertEqual(dataclasses.replace(r, tier="expert").evidence, r.evidence)
        for name in ("tier", "evidence", "probabilities"):
            with self.assertRaises(dataclasses.FrozenInstanceError):
                setattr(r, name, None)
        self.assertEqual(r.confidence, r.probabilities[r.tier])

    def test_classify_equals_vectorize_then_classify_vector(self) -> None:
        clf = TierClassifier.load_base()
        for p in golden_prompts()[::7]:
            with self.subTest(p=p[:20]):
                self.assertEqual(clf.classify(p).to_dict(), clf.classify_vector(clf.vectorize(p), p).to_dict())


if __name__ == "__main__":
    if sys.argv[1:] == ["--golden"]:
        print(json.dumps(golden_digests(), indent=1))
    else:
        unittest.main()
