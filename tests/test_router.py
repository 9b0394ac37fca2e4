"""Router and AdaptiveRouter: decisions, bad input, escalation, A/B, outcomes, persistence."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

from antaris_like import (
    AdaptiveRouter,
    ConfigurationError,
    ModelConfig,
    NoEligibleModelError,
    Router,
    RoutingDecision,
    RoutingResult,
    UnknownDecisionError,
)
from antaris_like.registry import ModelInfo, ModelRegistry
from antaris_like.tiers import TIER_NAMES, Tier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HARD = (
    "Design a multi-region, strongly consistent distributed database with a consensus protocol; analyse "
    "partition tolerance, failure recovery, clock skew and give formal correctness arguments for the "
    "replication scheme, with capacity estimates and a migration plan."
)


def two_model_router(workspace: str, **options) -> AdaptiveRouter:
    router = AdaptiveRouter(workspace, ab_test_rate=options.pop("ab_test_rate", 0.0), **options)
    router.register_model(ModelConfig("weak", ("trivial", "moderate"), 0.0001, 0.0002))
    router.register_model(ModelConfig("strong", ("complex", "expert"), 0.01, 0.03))
    return router


class BadInputTest(unittest.TestCase):
    def test_route_rejects_bad_prompts_with_clear_errors(self) -> None:
        router = Router()
        cases = [
            (None, TypeError), (123, TypeError), (4.5, TypeError), (b"hi", TypeError), (["hi"], TypeError),
            ("", ValueError), ("   \n\t", ValueError), ("a\ud800b", ValueError), ("nul\x00byte", ValueError),
            ("x" * 10_000_000, ValueError),
        ]
        for prompt, error in cases:
            with self.subTest(prompt=repr(prompt)[:40]):
                with self.assertRaises(error) as ctx:
                    router.route(prompt)
                self.assertNotIsInstance(ctx.exception, (AttributeError, KeyError, UnicodeEncodeError))
                self.assertTrue(str(ctx.exception))

    def test_route_rejects_bad_options(self) -> None:
        router = Router()
        cases = [
            ({"min_tier": "huge"}, ValueError),
            ({"min_tier": 3}, TypeError),
            ({"estimate_tokens": (1,)}, TypeError),
            ({"estimate_tokens": (-1, 5)}, ValueError),
            ({"estimate_tokens": ("a", 5)}, TypeError),
            ({"capability": 5}, TypeError),
            ({"context": "not a dict"}, TypeError),
            ({"ab_test": "b"}, TypeError),
        ]
        for options, error in cases:
            with self.subTest(options=options):
                with self.assertRaises(error):
                    router.route("hello", **options)

    def test_report_outcome_rejects_bad_input(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = two_model_router(tmp)
            digest = router.route("hello").prompt_hash
            cases = [
                ((None, 1.0, True), TypeError), ((123, 1.0, True), TypeError), ((b"ab", 1.0, True), TypeError),
                (("zz", 1.0, True), ValueError), ((digest, float("nan"), True), ValueError),
                ((digest, 1.5, True), ValueError), ((digest, "good", True), TypeError),
                ((digest, None, True), TypeError), ((digest, 1.0, "yes"), TypeError),
                (("a\ud800", 1.0, True), ValueError),
            ]
            for args, error in cases:
                with self.subTest(args=repr(args)[:60]):
                    with self.assertRaises(error) as ctx:
                        router.report_outcome(*args)
                    self.assertNotIsInstance(ctx.exception, (AttributeError, KeyError))
            with self.assertRaises(UnknownDecisionError) as ctx:
                router.report_outcome("0" * 64, 1.0, True)
            self.assertIn("prompt_hash", str(ctx.exception))
            router.close()

    def test_bad_constructor_options(self) -> None:
        for options, error in [
            ({"escalation_strategy": "sometimes"}, ValueError),
            ({"low_confidence_threshold": 2.0}, ValueError),
            ({"low_confidence_threshold": "high"}, TypeError),
            ({"exploration_rate": -0.1}, ValueError),
            ({"sla": {"max_latency_ms": 5}}, TypeError),
        ]:
            with self.subTest(options=options):
                with self.assertRaises(error):
                    Router(**options)


class DecisionTest(unittest.TestCase):
    def test_decision_fields_and_hash(self) -> None:
        router = Router()
        prompt = "Explain async/await in Python with examples"
        decision = router.route(prompt)
        self.assertIsInstance(decision, RoutingDecision)
        self.assertIn(decision.tier, TIER_NAMES)
        self.assertGreaterEqual(decision.confidence, 0.0)
        self.assertLessEqual(decision.confidence, 1.0)
        self.assertGreaterEqual(decision.complexity, 0.0)
        self.assertLessEqual(decision.complexity, 1.0)
        self.assertEqual(decision.prompt_hash, hashlib.sha256(prompt.encode("utf-8")).hexdigest())
        self.assertEqual(decision.selected_model, decision.model)
        self.assertIn(decision.model, router.registry)
        self.assertTrue(router.get_model_info(decision.model).covers(decision.tier))
        data = decision.to_dict()
        json.dumps(data)  # plain data
        for key in ("model", "provider", "tier", "confidence", "reasoning", "estimated_cost", "fallback_models",
                    "confidence_basis", "evidence", "escalated", "original_confidence", "escalation_reason",
                    "ab_variant", "explanation", "supports_streaming", "sla_compliant", "sla_breaches",
                    "sla_adjustments", "complexity", "prompt_hash"):
            self.assertIn(key, data)
        self.assertTrue(router.explain(decision).startswith(f"Model selected: {decision.model}"))

    def test_cheapest_model_covering_the_tier_is_chosen(self) -> None:
        router = Router()
        for prompt in ("hi", "What is 2+2?", HARD):
            decision = router.route(prompt)
            tier = Tier.parse(decision.tier)
            tokens = decision.estimate_tokens
            covering = [m for m in router.registry if m.covers(tier) and m.is_priced]
            cheapest = min(m.calculate_cost(*tokens) for m in covering)
            with self.subTest(prompt=prompt[:20]):
                self.assertAlmostEqual(decision.estimated_cost, cheapest, places=12)

    def test_same_prompt_same_decision_across_processes(self) -> None:
        script = "from antaris_like import Router; d = Router().route('Summarise the plot of Hamlet in five lines.'); print(d.model, d.tier, round(d.confidence, 6), d.prompt_hash)"
        outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                                  check=True).stdout for _ in range(2)}
        self.assertEqual(len(outputs), 1)
        here = Router().route("Summarise the plot of Hamlet in five lines.")
        self.assertEqual(outputs.pop().split(), [here.model, here.tier, str(round(here.confidence, 6)), here.prompt_hash])

    def test_min_tier_and_capability(self) -> None:
        router = Router()
        decision = router.route("hi", min_tier="complex")
        self.assertIn(decision.tier, ("complex", "expert"))
        vision = router.route("Describe this picture", capability="vision")
        self.assertTrue(router.get_model_info(vision.model).has_capability("vision"))
        with self.assertRaises(NoEligibleModelError):
            router.route("hi", capability="teleportation")

    def test_context_window_is_checked_against_a_conservative_count(self) -> None:
        # Regression (edges review #4): a 480,000-digit prompt was estimated at 120k tokens and routed
        # to a 128K model; it is at least 160k tokens for o200k and 480k for per-digit tokenizers.
        small = ModelInfo(name="small", provider="p", input_per_1m=0.1, output_per_1m=0.2, context_window=128_000)
        large = ModelInfo(name="large", provider="p", input_per_1m=1.0, output_per_1m=2.0, context_window=1_000_000)
        router = Router(registry=ModelRegistry([small, large]))
        digits = "".join(str(i % 10) for i in range(480_000))
        decision = router.route("Sum every digit of this number: " + digits)
        self.assertEqual(decision.model, "large")
        self.assertEqual(decision.estimate_tokens[0], 120_008)  # cost still uses the typical estimate
        english = "The quick brown fox jumps over the lazy dog while the cat sleeps.\n" * 4_000
        self.assertEqual(router.route(english).model, "small")  # ~65k tokens: still fits 128K

    def test_config_path_registry(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "models.json")
            registry = ModelRegistry([
                ModelInfo(name="only-one", provider="custom", input_per_1m=1.0, output_per_1m=1.0),
            ])
            registry.save(path)
            router = Router(config_path=path)
            self.assertEqual(router.route("hello").model, "only-one")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write('{"schema_version": 1, "models": [{"name": "x"}]}')
            with self.assertRaises(ConfigurationError):
                Router(config_path=path)

    def test_local_models_are_opt_in(self) -> None:
        self.assertFalse(any(m.provider == "ollama" for m in Router().registry))
        self.assertTrue(any(m.provider == "ollama" for m in Router(local_models=True).registry))


class EscalationTest(unittest.TestCase):
    def _router(self, strategy: str) -> Router:
        return Router(low_confidence_threshold=1.0, escalation_model="claude-opus-4-6", escalation_strategy=strategy)

    def test_always_swaps_the_model(self) -> None:
        decision = self._router("always").route("What does this cryptic error mean in this context?")
        self.assertTrue(decision.escalated)
        self.assertEqual(decision.model, "claude-opus-4-6")
        self.assertGreater(decision.original_confidence, 0.0)
        self.assertIn("Low confidence below threshold 1.00", decision.escalation_reason)
        self.assertIn("[Escalated from original confidence", decision.explanation)

    def test_ask_flags_but_keeps_the_model(self) -> None:
        plain = Router().route("What does this cryptic error mean in this context?")
        decision = self._router("ask").route("What does this cryptic error mean in this context?")
        self.assertTrue(decision.escalated)
        self.assertEqual(decision.model, plain.model)
        self.assertIn("claude-opus-4-6", decision.escalation_reason)

    def test_log_only_keeps_the_model_and_logs(self) -> None:
        with self.assertLogs("antaris_like.router", level="INFO"):
            decision = self._router("log_only").route("What does this cryptic error mean in this context?")
        self.assertFalse(decision.escalated)

    def test_no_escalation_above_threshold(self) -> None:
        decision = Router(low_confidence_threshold=0.0).route("hi")
        self.assertFalse(decision.escalated)
        self.assertEqual(decision.original_confidence, 0.0)


class ABTestTest(unittest.TestCase):
    def test_split_is_honoured_and_deterministic(self) -> None:
        router = Router()
        test = router.create_ab_test("q-vs-c", "cost_optimized", "quality_first", split=0.3)
        prompts = [f"Question number {i}: what is {i} times {i + 1}?" for i in range(2000)]
        variants = [router.route(p, ab_test=test).ab_variant for p in prompts]
        share = variants.count("b") / len(variants)
        self.assertAlmostEqual(share, 0.3, delta=0.04)
        self.assertEqual(variants[:50], [router.route(p, ab_test=test).ab_variant for p in prompts[:50]])

    def test_quality_first_bumps_one_tier(self) -> None:
        router = Router()
        always_b = router.create_ab_test("all-b", split=1.0)
        plain = router.route("Summarize the quarterly earnings report")
        bumped = router.route("Summarize the quarterly earnings report", ab_test=always_b)
        self.assertEqual(bumped.ab_variant, "b")
        self.assertEqual(Tier.parse(bumped.tier), Tier.parse(plain.tier).shifted(1))

    def test_bad_ab_test_arguments(self) -> None:
        router = Router()
        for args, error in [((("", "cost_optimized", "quality_first", 0.5)), ValueError),
                            (("t", "cheap", "quality_first", 0.5), ValueError),
                            (("t", "cost_optimized", "quality_first", 1.5), ValueError)]:
            with self.subTest(args=args):
                with self.assertRaises(error):
                    router.create_ab_test(*args)


class AdaptiveRouterTest(unittest.TestCase):
    def test_starts_empty_and_routes_only_registered_models(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = AdaptiveRouter(tmp)
            with self.assertRaises(NoEligibleModelError):
                router.route("hello")
            router.register_model(ModelConfig("m1", ("trivial", "expert"), 0.001, 0.002))
            result = router.route("hello")
            self.assertIsInstance(result, RoutingResult)
            self.assertEqual(result.model, "m1")
            router.close()

    def test_register_model_validates(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = AdaptiveRouter(tmp)
            for config in [
                ModelConfig("bad", ("expert", "trivial"), 0.1, 0.1),
                ModelConfig("bad", ("trivial", "godlike"), 0.1, 0.1),
                ModelConfig("bad", ("trivial", "expert"), float("nan"), 0.1),
                ModelConfig("bad", ("trivial", "expert"), -1.0, 0.1),
                ModelConfig("", ("trivial", "expert"), 0.1, 0.1),
            ]:
                with self.subTest(config=config):
                    with self.assertRaises(ConfigurationError):
                        router.register_model(config)
            with self.assertRaises(TypeError):
                router.register_model({"name": "dict"})
            router.close()

    def test_prices_decide_not_registration_order(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = AdaptiveRouter(tmp, ab_test_rate=0.0)
            router.register_model(ModelConfig("pricey", ("trivial", "expert"), 0.01, 0.02))
            router.register_model(ModelConfig("cheap", ("trivial", "expert"), 0.0001, 0.0002))
            self.assertEqual(router.route("hello").model, "cheap")
            router.close()

    def test_outcomes_are_durable_idempotent_and_shared_after_restart(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = two_model_router(tmp)
            result = router.route("hello")
            router.report_outcome(result.prompt_hash, quality_score=0.9, success=True)
            router.report_outcome(result.prompt_hash, quality_score=0.4, success=False)  # replaces
            # A fresh process sees the outcome without save_state() or close().
            script = (
                "import sys; from antaris_like import AdaptiveRouter\n"
                "r = AdaptiveRouter(sys.argv[1])\n"
                "print(r.outcomes.stats('weak', sys.argv[2]).n, r.outcomes.stats('weak', sys.argv[2]).successes)\n"
            )
            out = subprocess.run([sys.executable, "-c", script, tmp, result.tier], capture_output=True, text=True,
                                 cwd=ROOT, check=True).stdout.split()
            self.assertEqual(out, ["1", "0"])
            router.close()

    def test_learning_moves_complexity_after_failures(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = two_model_router(tmp)
            prompt = "Compute the eigenvalues of the companion matrix of x^3 - 2x + 1."
            before = router.route(prompt).complexity
            for i in range(30):
                variant = f"Compute the eigenvalues of the companion matrix of x^3 - {i}x + 1."
                result = router.route(variant)
                if result.model == "weak":
                    router.report_outcome(result.prompt_hash, quality_score=0.0, success=False)
            after = router.route(prompt).complexity
            self.assertGreater(after, before)
            router.close()

    def test_exploration_rate_sends_some_prompts_one_tier_lower(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = two_model_router(tmp, ab_test_rate=0.5, seed=7)
            results = [router.route(f"{HARD} Variant {i}.") for i in range(200)]
            explored = [r for r in results if r.explored]
            self.assertTrue(0.35 < len(explored) / len(results) < 0.65)
            self.assertTrue(all(Tier.parse(r.tier) < Tier.parse(r.classified_tier) for r in explored))
            router.close()

    def test_analytics_shape(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = two_model_router(tmp)
            for prompt in ("hi", HARD, "What is the capital of Peru?"):
                result = router.route(prompt)
                router.report_outcome(result.prompt_hash, quality_score=0.8, success=True)
            analytics = router.get_analytics()
            self.assertEqual(analytics["total_routed"], 3)
            self.assertEqual(set(analytics["tier_distribution"]), set(TIER_NAMES))
            self.assertAlmostEqual(analytics["avg_quality"], 0.8)
            self.assertEqual(sum(analytics["model_usage"].values()), 3)
            self.assertGreaterEqual(analytics["cost_savings"], 0.0)
            router.close()


class WorkspaceRouterTest(unittest.TestCase):
    def test_router_with_workspace_persists_state(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = Router(workspace=tmp)
            decision = router.route("hello")
            router.report_outcome(decision.prompt_hash, 1.0, True)
            router.log_usage(decision, 100, 20)
            path = router.save_state()
            self.assertEqual(os.path.realpath(path), os.path.realpath(tmp))
            router.close()
            again = Router(workspace=tmp)
            self.assertEqual(again.routing_analytics()["total_decisions"], 1)
            self.assertEqual(again.cost_report("day")["total_requests"], 1)
            again.close()

    def test_corrupt_state_files_are_moved_aside(self) -> None:
        for content in (b"", b"{", b"{}", b"[]", b"null", b"\xff\xfe\x00garbage"):
            with self.subTest(content=content), tempfile.TemporaryDirectory() as tmp:
                with open(os.path.join(tmp, "router_state.json"), "wb") as fh:
                    fh.write(content)
                with open(os.path.join(tmp, "classifier.json"), "wb") as fh:
                    fh.write(content)
                with self.assertLogs("antaris_like", level="WARNING"):
                    router = Router(workspace=tmp)
                self.assertTrue(router.route("hello").model)
                self.assertTrue(any(".corrupt-" in name for name in os.listdir(tmp)))
                router.close()


if __name__ == "__main__":
    unittest.main()
