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
    SLAConfig,
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
    def test_an_unknown_price_is_never_shown_as_zero(self) -> None:
        registry = ModelRegistry([
            ModelInfo(name="mystery", provider="openai", input_per_1m=None, output_per_1m=None, quality=0.9),
            ModelInfo(name="priced", provider="openai", input_per_1m=5.0, output_per_1m=25.0,
                      min_tier=Tier.COMPLEX, quality=0.5),
        ])
        with tempfile.TemporaryDirectory() as folder:
            router = Router(registry=registry, workspace=folder)
            decision = router.route("hello there")
            self.assertEqual(decision.model, "mystery")
            self.assertIsNone(decision.estimated_cost)
            self.assertIsNone(json.loads(json.dumps(decision.to_dict()))["estimated_cost"])
            self.assertIn("Estimated cost: unknown", router.explain(decision))
            self.assertNotIn("$0.000000", router.explain(decision))
            analytics = router.routing_analytics()
            self.assertEqual((analytics["estimated_cost_usd"], analytics["estimated_savings_usd"]), (0.0, 0.0))
            router.close()
            with Router(registry=registry, workspace=folder) as again:  # the persisted counters agree
                stored = again.outcomes.analytics()
            self.assertEqual(stored["total_routed"], 1)
            self.assertEqual((stored["total_estimated_cost"], stored["cost_savings"]), (0.0, 0.0))

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

    def test_escalated_decision_says_how_its_model_was_chosen(self) -> None:
        # Regression: the reasoning called the escalated model "the cheapest eligible model for 'trivial'".
        plain = Router().route("hi")
        decision = self._router("always").route("hi")
        self.assertEqual(decision.model, "claude-opus-4-6")
        self.assertEqual(decision.tier, plain.tier)  # the routed tier, not the served model's range
        sentence = (f"Selected claude-opus-4-6 (anthropic), escalated (low confidence) from {plain.model}, "
                    f"the policy's choice for '{plain.tier}'.")
        self.assertEqual([r for r in decision.reasoning if r.startswith("Selected")], [sentence])
        self.assertIn(sentence, decision.explanation)
        self.assertNotIn("cheapest eligible", decision.explanation)
        asked = self._router("ask").route("hi")  # the model is kept: it is the cheapest eligible one
        self.assertIn(f"Selected {plain.model}", asked.reasoning[-1])
        self.assertIn("the cheapest eligible model", asked.reasoning[-1])

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

    def test_unknown_escalation_model_is_refused_at_construction(self) -> None:
        # Regression: a typo was accepted and then failed only the low-confidence requests.
        with self.assertRaisesRegex(ConfigurationError,
                                    r"escalation_model: unknown model 'claude-opus-4-7'.*did you mean 'claude-opus-4-6'"):
            Router(low_confidence_threshold=0.6, escalation_model="claude-opus-4-7")

    def test_unknown_escalation_model_on_an_empty_registry_skips_escalation_and_logs_once(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = two_model_router(tmp, low_confidence_threshold=1.0, escalation_model="stronger")
            with self.assertLogs("antaris_like.router", level="WARNING") as logs:
                decisions = [router.route(p) for p in ("hi", "What is 2+2?", "Translate 'cat' to German")]
            self.assertEqual(len(logs.records), 1)
            self.assertIn("escalation_model 'stronger' is not registered", logs.output[0])
            for decision in decisions:
                self.assertFalse(decision.escalated)
                self.assertIn("Low confidence: not escalated, escalation_model 'stronger' is not registered.",
                              decision.reasoning)
            router.register_model(ModelConfig("stronger", ("complex", "expert"), 0.02, 0.06))
            self.assertEqual(router.route("hi").model, "stronger")
            router.close()

    def test_no_escalation_above_threshold(self) -> None:
        decision = Router(low_confidence_threshold=0.0).route("hi")
        self.assertFalse(decision.escalated)
        self.assertEqual(decision.original_confidence, 0.0)


def take_down(router: Router, models) -> None:
    """Trip the real breaker of each of ``models``: three server errors in a row."""
    for name in models:
        for _ in range(3):
            router.record_provider_event(name, "error", details="HTTP 503", status=503)


def filter_registry() -> ModelRegistry:
    """A weak model and three stronger ones: cheapest lacks vision, next is small, last fits everything."""
    def model(name: str, price: float, low: Tier, caps=("text", "vision"), context: int = 200_000) -> ModelInfo:
        return ModelInfo(name=name, provider="p", input_per_1m=price, output_per_1m=price, min_tier=low,
                         max_tier=Tier.EXPERT if low > Tier.TRIVIAL else Tier.MODERATE, capabilities=caps,
                         context_window=context, max_output_tokens=1024)

    return ModelRegistry([
        model("weak", 0.1, Tier.TRIVIAL),
        model("strong-text", 1.0, Tier.SIMPLE, caps=("text",)),
        model("strong-small", 2.0, Tier.SIMPLE, context=4096),
        model("strong-big", 3.0, Tier.SIMPLE),
    ])


class EscalationFilterTest(unittest.TestCase):
    """Regression: escalation picked its target from the whole registry, ignoring the request's filters."""

    def test_default_target_passes_capability_context_and_health(self) -> None:
        router = Router(registry=filter_registry(), low_confidence_threshold=1.0)
        self.assertEqual(router.route("hi").model, "strong-text")
        self.assertEqual(router.route("hi", capability="vision").model, "strong-small")
        big = router.route("hi", capability="vision", estimate_tokens=(8000, 100))
        self.assertEqual((big.model, big.escalated), ("strong-big", True))
        take_down(router, {"strong-small"})
        self.assertEqual(router.route("hi", capability="vision", prefer_healthy=True).model, "strong-big")

    def test_no_fitting_target_means_no_escalation(self) -> None:
        router = Router(registry=filter_registry(), low_confidence_threshold=1.0)
        decision = router.route("hi", capability="vision", estimate_tokens=(8000, 100))
        self.assertTrue(decision.escalated)
        take_down(router, {"strong-big"})
        decision = router.route("hi", capability="vision", estimate_tokens=(8000, 100), prefer_healthy=True)
        self.assertEqual((decision.model, decision.escalated), ("weak", False))
        self.assertIn("Low confidence: not escalated, no stronger model passes the request's capability, "
                      "context and health filters.", decision.reasoning)

    def test_explicit_target_failing_the_filters_is_not_used(self) -> None:
        router = Router(registry=filter_registry(), low_confidence_threshold=1.0, escalation_model="strong-text")
        decision = router.route("hi", capability="vision")
        self.assertEqual((decision.model, decision.escalated, decision.escalation_reason), ("weak", False, ""))
        self.assertIn("Low confidence: not escalated, escalation_model strong-text lacks capability 'vision'.",
                      decision.reasoning)
        self.assertEqual(router.route("hi").model, "strong-text")  # without the capability it fits
        router = Router(registry=filter_registry(), low_confidence_threshold=1.0, escalation_model="strong-small")
        decision = router.route("hi", estimate_tokens=(8000, 100))
        self.assertEqual(decision.model, "weak")
        self.assertTrue(any("escalation_model strong-small context window 4,096" in r for r in decision.reasoning))

    def test_quality_sla_escalation_passes_the_filters(self) -> None:
        router = Router(registry=filter_registry(),
                        sla=SLAConfig(min_quality_score=0.7, auto_escalate_on_breach=True))
        router.record_sla_quality("weak", 0.1)
        decision = router.route("hi", capability="vision", estimate_tokens=(8000, 100))
        self.assertEqual(decision.model, "strong-big")
        self.assertIn("escalated_due_to_quality_sla", decision.sla_adjustments)
        self.assertEqual(decision.reasoning[-1], "Selected strong-big (p), escalated (quality SLA) from weak, "
                                                 "the policy's choice for 'trivial'.")
        take_down(router, {"strong-big"})
        decision = router.route("hi", capability="vision", estimate_tokens=(8000, 100), prefer_healthy=True)
        self.assertEqual(decision.model, "weak")
        self.assertNotIn("escalated_due_to_quality_sla", decision.sla_adjustments)


class AutoScaleFilterTest(unittest.TestCase):
    """Regression: auto_scale took the first healthy fallback_chain entry whatever the request needed."""

    def test_fallback_must_pass_capability_and_context(self) -> None:
        router = Router(registry=filter_registry(), fallback_chain=["strong-text", "strong-small", "strong-big"])
        take_down(router, {"weak"})
        self.assertEqual(router.route("hi", auto_scale=True).model, "strong-text")
        vision = router.route("hi", capability="vision", auto_scale=True)
        self.assertEqual(vision.model, "strong-small")
        self.assertIn("auto_scale: skipped fallback strong-text: lacks capability 'vision'.", vision.reasoning)
        big = router.route("hi", capability="vision", estimate_tokens=(8000, 100), auto_scale=True)
        self.assertEqual((big.model, big.sla_adjustments), ("strong-big", ["auto_scaled_to_strong-big"]))
        self.assertTrue(any(r.startswith("auto_scale: skipped fallback strong-small: context window")
                            for r in big.reasoning))

    def test_auto_scaled_decision_says_how_its_model_was_chosen(self) -> None:
        router = Router(registry=filter_registry(), fallback_chain=["strong-big"])
        take_down(router, {"weak"})
        decision = router.route("hi", auto_scale=True)
        self.assertEqual(decision.reasoning[-1], "Selected strong-big (p), auto-scaled (fallback_chain) from weak, "
                                                 "the policy's choice for 'trivial'.")
        router.low_confidence_threshold = 1.0
        router.escalation_model = "strong-text"
        decision = router.route("hi", auto_scale=True)
        self.assertEqual(decision.reasoning[-1], "Selected strong-text (p), auto-scaled (fallback_chain) then "
                                                 "escalated (low confidence) from weak, the policy's choice for 'trivial'.")

    def test_no_fitting_fallback_keeps_the_model(self) -> None:
        router = Router(registry=filter_registry(), fallback_chain=["strong-text"])
        take_down(router, {"weak"})
        decision = router.route("hi", capability="vision", auto_scale=True)
        self.assertEqual((decision.model, decision.sla_adjustments), ("weak", []))

    def test_fallback_models_list_healthy_models_first_and_the_replaced_one_last(self) -> None:
        router = Router(registry=filter_registry(), fallback_chain=["strong-big"])
        take_down(router, {"weak", "strong-text"})
        plain = router.route("hello there", min_tier="moderate")
        self.assertEqual((plain.model, plain.fallback_models), ("weak", ["strong-text", "strong-small", "strong-big"]))
        decision = router.route("hello there", min_tier="moderate", auto_scale=True)
        self.assertEqual(decision.model, "strong-big")
        self.assertEqual(decision.fallback_models, ["strong-small", "strong-text", "weak"])


class RegistryChangeTest(unittest.TestCase):
    """Regression: cached selections outlived changes made to the registry directly."""

    def _model(self, name: str, price: float) -> ModelInfo:
        return ModelInfo(name=name, provider="p", input_per_1m=price, output_per_1m=price)

    def test_direct_registry_changes_reach_the_next_route(self) -> None:
        registry = ModelRegistry([self._model("a", 1.0), self._model("b", 2.0)])
        router = Router(registry=registry)
        self.assertEqual(router.route("hello world").model, "a")
        registry.remove("a")
        self.assertEqual(router.route("hello world").model, "b")
        router.registry.add(self._model("c", 0.5))
        self.assertEqual(router.route("hello world").model, "c")
        registry.add(self._model("c", 3.0), replace=True)
        decision = router.route("hello world")
        self.assertEqual(decision.model, "b")
        self.assertEqual(decision.fallback_models, ["c"])
        router.registry = ModelRegistry([self._model("d", 1.0)])
        self.assertEqual(router.route("hello world").model, "d")

    def test_savings_reference_follows_the_registry(self) -> None:
        registry = ModelRegistry([self._model("a", 1.0)])
        router = Router(registry=registry)
        router.route("hello world")
        self.assertEqual(router.get_analytics()["cost_savings"], 0.0)  # the reference is the model itself
        registry.add(self._model("z", 10.0))  # priced, same range, and last by name: the new reference
        decision = router.route("hello world")
        self.assertEqual(decision.model, "a")
        self.assertGreater(router.get_analytics()["cost_savings"], 0.0)


class SLADowngradeTest(unittest.TestCase):
    def _router(self) -> Router:
        router = Router(registry=ModelRegistry([
            ModelInfo(name="weak", provider="p", input_per_1m=0.1, output_per_1m=0.2,
                      min_tier=Tier.TRIVIAL, max_tier=Tier.MODERATE),
            ModelInfo(name="strong", provider="p", input_per_1m=10.0, output_per_1m=30.0,
                      min_tier=Tier.COMPLEX, max_tier=Tier.EXPERT),
        ]), sla=SLAConfig(budget_per_hour_usd=0.01, auto_escalate_on_breach=True))
        assert router.sla_monitor is not None
        router.sla_monitor.record_request("strong", cost_usd=1.0)  # the hourly budget is breached
        return router

    def test_budget_breach_moves_a_tier_down(self) -> None:
        decision = self._router().route(HARD)
        self.assertEqual((decision.classified_tier, decision.tier), ("expert", "complex"))
        self.assertIn("routed_to_cheaper_model_due_to_budget_sla", decision.sla_adjustments)

    def test_budget_breach_stops_at_min_tier(self) -> None:
        # Regression: the SLA downgrade moved a min_tier="complex" request to 'moderate'.
        decision = self._router().route("hi", min_tier="complex")
        self.assertEqual((decision.tier, decision.model), ("complex", "strong"))
        self.assertNotIn("routed_to_cheaper_model_due_to_budget_sla", decision.sla_adjustments)


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

    def test_exploration_never_goes_below_min_tier(self) -> None:
        # Regression: exploration ran after min_tier and sent min_tier="complex" requests to 'moderate'.
        with tempfile.TemporaryDirectory() as tmp:
            router = two_model_router(tmp, ab_test_rate=1.0, seed=7)
            at_floor = [router.route(f"what is {i} plus {i}?", min_tier="complex") for i in range(20)]
            self.assertEqual({(d.tier, d.model, d.explored) for d in at_floor}, {("complex", "strong", False)})
            above = router.route(HARD, min_tier="complex")
            self.assertEqual((above.classified_tier, above.tier, above.explored), ("expert", "complex", True))
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


class MergeReviewTest(unittest.TestCase):
    """Integration mistakes found reviewing the merged changes (each failed before its fix)."""

    def test_a_model_config_with_its_own_prices_drops_the_templates_long_context_price(self) -> None:
        router = Router(registry=ModelRegistry())
        shipped = Router().registry.get("gemini-2.5-pro")
        self.assertTrue(shipped.long_context_prices)  # the premise: the shipped entry has one
        info = router.register_model(ModelConfig("gemini-2.5-pro", ("complex", "expert"), 0.01, 0.03))
        self.assertEqual(info.long_context_prices, ())
        self.assertAlmostEqual(info.calculate_cost(300_000, 0), 3.0)  # the caller's price, not the list one

    def test_the_savings_reference_is_priced_with_its_long_context_price(self) -> None:
        cheap = ModelInfo(name="cheap", provider="p", input_per_1m=0.1, output_per_1m=0.1, quality=0.5,
                          context_window=1_000_000)
        strong = ModelInfo(name="strong", provider="q", input_per_1m=1.25, output_per_1m=10.0, quality=0.95,
                           min_tier=Tier.MODERATE, context_window=1_000_000,
                           extra={"long_context_price": {"above_tokens": 200_000, "input_per_1m": 2.5,
                                                         "output_per_1m": 15.0}})
        router = Router(registry=ModelRegistry([cheap, strong]))
        decision = router.route("Summarise this document.", estimate_tokens=(300_000, 0))
        self.assertEqual(decision.model, "cheap")
        self.assertAlmostEqual(router.routing_analytics()["estimated_savings_usd"],
                               strong.calculate_cost(300_000, 0) - cheap.calculate_cost(300_000, 0))

    def test_register_model_between_a_cache_check_and_its_use_is_harmless(self) -> None:
        class Registry(ModelRegistry):
            other_thread = None  # run once, right after a version read: another thread's turn

            @property
            def version(self) -> int:
                value = ModelRegistry.version.fget(self)  # type: ignore[attr-defined]
                hook, Registry.other_thread = Registry.other_thread, None
                if hook is not None:
                    hook()
                return value

        a = ModelInfo(name="a", provider="p", input_per_1m=1.0, output_per_1m=2.0, context_window=100_000)
        b = ModelInfo(name="b", provider="p", input_per_1m=3.0, output_per_1m=6.0, context_window=50_000)
        router = Router(registry=Registry([a]))
        router.route("Say hello.")
        router.route("Say hello.")
        Registry.other_thread = lambda: router.register_model(b)
        self.assertEqual(router.route("Say hello.").model, "a")  # it raised TypeError (int > None)
