"""Run every code example of the antaris-router manual against antaris_like.

Each example is copied from the manual (../shared/seeds/004_db3b1349958a2a1a.txt) with only
``antaris_router`` renamed to ``antaris_like``; functions the manual leaves to the user
(``call_llm``, ``evaluate``) are stubbed. Every test runs in its own temporary working directory, so
the manual's relative workspace paths (``"./routing_data"``) land there.

After each example the test checks what the manual documents: field types, dict keys, value ranges
and behaviour (escalation strategies, A/B split, cost arithmetic). The manual's literal outputs
(which model, which confidence) are illustrations and are not asserted.
"""

# The examples are kept verbatim: bare attribute lines and the manual's import order included.
# ruff: noqa: B018, I001

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import shutil
import tempfile
import time
import unittest
from typing import Any, Dict, List, Sequence

TIER_NAMES = ("trivial", "simple", "moderate", "complex", "expert")

# The keys of RoutingDecision.to_dict() shown in the manual's "to_dict() Output".
TO_DICT_KEYS = {
    "model", "provider", "tier", "confidence", "reasoning", "estimated_cost", "fallback_models",
    "confidence_basis", "evidence", "escalated", "original_confidence", "escalation_reason",
    "ab_variant", "explanation", "supports_streaming", "sla_compliant", "sla_breaches",
    "sla_adjustments",
}
CONFIDENCE_BASES = {"keyword_density", "composite", "rule_based"}
EXPLAIN_SECTIONS = ("Model selected:", "Basis:", "Reasoning:", "Estimated cost:", "Evidence:",
                    "Alternatives considered:")


def call_llm(model: str, prompt: str) -> str:
    """Stand in for the user's LLM call: a deterministic answer, no network."""
    return f"[{model}] answer to: {prompt[:40]}"


def evaluate(response: str) -> float:
    """Stand in for the user's quality evaluation: a score in [0, 1]."""
    return 0.5 + (len(response) % 50) / 100.0


def _tier_rank(tier: str) -> int:
    return TIER_NAMES.index(str(tier))


def _bump(tier: str) -> str:
    return TIER_NAMES[min(_tier_rank(tier) + 1, len(TIER_NAMES) - 1)]


class ManualExampleTestCase(unittest.TestCase):
    """Fresh temporary cwd per test; the examples' print() output is captured in ``self.out``."""

    def setUp(self) -> None:
        self._old_cwd = os.getcwd()
        self.tmp = tempfile.mkdtemp(prefix="antaris_like_manual_")
        os.chdir(self.tmp)
        self.addCleanup(self._restore_cwd)
        self.out = io.StringIO()
        redirect = contextlib.redirect_stdout(self.out)
        redirect.__enter__()
        self.addCleanup(redirect.__exit__, None, None, None)

    def _restore_cwd(self) -> None:
        os.chdir(self._old_cwd)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- shared shape checks ------------------------------------------------------------------

    def assertConfidence(self, value: Any, what: str = "confidence") -> None:
        self.assertIsInstance(value, float, what)
        self.assertTrue(0.0 <= value <= 1.0, f"{what}={value!r} outside [0, 1]")

    def assertTier(self, value: Any, what: str = "tier") -> None:
        self.assertIsInstance(value, str, what)
        self.assertIn(str(value), TIER_NAMES, what)
        self.assertEqual(json.dumps(value), json.dumps(str(value)), f"{what} must serialise as its name")

    def assertStrList(self, value: Any, what: str) -> None:
        """A List[str] field: a list (or tuple) of str, never a bare str."""
        self.assertIsInstance(value, (list, tuple), what)
        for item in value:
            self.assertIsInstance(item, str, f"{what} item {item!r}")

    def assertCost(self, value: Any, what: str = "cost") -> None:
        self.assertIsInstance(value, float, what)
        self.assertTrue(math.isfinite(value) and value >= 0.0, f"{what}={value!r}")

    def assertCostEqual(self, actual: Any, expected: float, what: str = "cost") -> None:
        """Compare USD amounts relatively: they are often below 1e-4, where assertAlmostEqual sees nothing."""
        self.assertIsInstance(actual, float, what)
        self.assertTrue(math.isclose(actual, expected, rel_tol=1e-6, abs_tol=1e-12),
                        f"{what}: {actual!r} != {expected!r}")

    def assertKeys(self, mapping: Any, keys: Sequence[str], what: str) -> None:
        self.assertIsInstance(mapping, dict, what)
        missing = sorted(set(keys) - set(mapping))
        self.assertEqual(missing, [], f"{what} lacks documented keys")

    def assertRoutingDecision(self, router: Any, decision: Any) -> None:
        """Check every documented RoutingDecision field and to_dict()."""
        from antaris_like import ClassificationResult, RoutingDecision

        self.assertIsInstance(decision, RoutingDecision)
        self.assertIsInstance(decision.model, str)
        self.assertTrue(decision.model)
        info = router.get_model_info(decision.model)
        self.assertIsNotNone(info, f"selected model {decision.model!r} unknown to get_model_info()")
        self.assertIsInstance(decision.provider, str)
        self.assertEqual(decision.provider, info.provider)
        self.assertTier(decision.tier)
        self.assertConfidence(decision.confidence)
        self.assertStrList(decision.reasoning, "reasoning")
        self.assertTrue(decision.reasoning, "reasoning is empty")
        self.assertCost(decision.estimated_cost, "estimated_cost")
        self.assertStrList(decision.fallback_models, "fallback_models")
        self.assertNotIn(decision.model, decision.fallback_models, "fallback_models lists the selected model")
        for name in decision.fallback_models:
            self.assertIsNotNone(router.get_model_info(name), f"fallback {name!r} unknown")
        self.assertIsInstance(decision.classification, ClassificationResult)
        self.assertIn(decision.confidence_basis, CONFIDENCE_BASES)
        self.assertStrList(decision.evidence, "evidence")
        self.assertIsInstance(decision.escalated, bool)
        self.assertIsInstance(decision.original_confidence, float)
        self.assertIsInstance(decision.escalation_reason, str)
        self.assertIsInstance(decision.ab_variant, str)
        self.assertIn(decision.ab_variant, ("", "a", "b"))
        self.assertIsInstance(decision.explanation, str)
        self.assertIn(decision.model, decision.explanation)
        self.assertIsInstance(decision.supports_streaming, bool)
        self.assertEqual(decision.supports_streaming, info.supports_streaming)
        self.assertIsInstance(decision.sla_compliant, bool)
        self.assertStrList(decision.sla_breaches, "sla_breaches")
        self.assertStrList(decision.sla_adjustments, "sla_adjustments")
        self.assertEqual(decision.sla_compliant, not decision.sla_breaches)
        self.assertEqual(decision.selected_model, decision.model)

        d = decision.to_dict()
        self.assertKeys(d, sorted(TO_DICT_KEYS), "to_dict()")
        json.dumps(d)  # "all fields serialized to a plain dict"
        for key in ("model", "provider", "tier", "confidence", "estimated_cost", "confidence_basis",
                    "escalated", "original_confidence", "escalation_reason", "ab_variant",
                    "explanation", "supports_streaming", "sla_compliant"):
            self.assertEqual(d[key], getattr(decision, key), f"to_dict()[{key!r}]")
        for key in ("reasoning", "fallback_models", "evidence", "sla_breaches", "sla_adjustments"):
            self.assertIsInstance(d[key], list, f"to_dict()[{key!r}] must be a list")
            self.assertEqual(d[key], list(getattr(decision, key)), f"to_dict()[{key!r}]")


def _adaptive_router(workspace: str = "./routing_data", ab_test_rate: float = 0.05) -> Any:
    """Build the three-model AdaptiveRouter of the manual's quick start."""
    from antaris_like import AdaptiveRouter, ModelConfig

    router = AdaptiveRouter(workspace, ab_test_rate=ab_test_rate)
    router.register_model(ModelConfig(name="gpt-4o-mini", tier_range=("trivial", "moderate"),
                                      cost_per_1k_input=0.00015, cost_per_1k_output=0.0006))
    router.register_model(ModelConfig(name="claude-sonnet-4-6", tier_range=("simple", "complex"),
                                      cost_per_1k_input=0.003, cost_per_1k_output=0.015))
    router.register_model(ModelConfig(name="claude-opus-4-6", tier_range=("complex", "expert"),
                                      cost_per_1k_input=0.015, cost_per_1k_output=0.075))
    return router


VARIED_PROMPTS = (
    "hi",
    "What is 2 + 2?",
    "Explain async/await in Python with examples",
    "Summarize the following contract clause: the supplier shall deliver the goods within 30 days.",
    "Implement a distributed task queue with priority scheduling",
    "Design a microservices platform for high-throughput event processing with exactly-once "
    "semantics, multi-region failover, schema evolution and a migration plan from the monolith. " * 8,
    "Prove that there are infinitely many primes, then generalise the argument to primes of the "
    "form 4k+3 and discuss why the same trick fails for 4k+1.",
    "def f(x):\n    return x * 2\n\nWhy does f('a') return 'aa'?",
    "请解释一下量子纠缠的基本原理，并给出一个简单的例子。",
    "Объясните, пожалуйста, разницу между процессом и потоком в операционной системе.",
)


class QuickStartTests(ManualExampleTestCase):
    def test_quick_start_adaptive_router(self) -> None:
        from antaris_like import AdaptiveRouter, ModelConfig

        router = AdaptiveRouter("./routing_data", ab_test_rate=0.05)
        router.register_model(ModelConfig(
            name="gpt-4o-mini",
            tier_range=("trivial", "moderate"),
            cost_per_1k_input=0.00015,
            cost_per_1k_output=0.0006,
        ))
        router.register_model(ModelConfig(
            name="claude-sonnet-4-6",
            tier_range=("simple", "complex"),
            cost_per_1k_input=0.003,
            cost_per_1k_output=0.015,
        ))
        router.register_model(ModelConfig(
            name="claude-opus-4-6",
            tier_range=("complex", "expert"),
            cost_per_1k_input=0.015,
            cost_per_1k_output=0.075,
        ))
        result = router.route("Implement a distributed task queue with priority scheduling")
        print(result.model)  # "claude-sonnet-4-6"
        print(result.tier)  # "complex"
        print(result.confidence)  # 0.87
        print(result.estimated_cost)  # 0.00234
        # Feed outcome back to improve future routing
        router.report_outcome(result.prompt_hash, quality_score=0.9, success=True)
        # Session analytics
        analytics = router.get_analytics()
        print(analytics)

        prompt = "Implement a distributed task queue with priority scheduling"
        self.assertIn(result.model, ("gpt-4o-mini", "claude-sonnet-4-6", "claude-opus-4-6"))
        self.assertTier(result.tier)
        self.assertConfidence(result.confidence)
        self.assertCost(result.estimated_cost, "estimated_cost")
        self.assertEqual(result.prompt_hash, hashlib.sha256(prompt.encode("utf-8")).hexdigest(),
                         "prompt_hash is documented as the SHA-256 hash of the prompt")
        self.assertKeys(analytics, ["total_routed", "tier_distribution", "avg_quality", "model_usage",
                                    "cost_savings"], "get_analytics()")
        self.assertEqual(analytics["total_routed"], 1)
        self.assertEqual(analytics["model_usage"].get(result.model), 1)
        self.assertEqual(sum(analytics["model_usage"].values()), 1)
        self.assertEqual(analytics["tier_distribution"].get(str(result.tier)), 1)
        self.assertEqual(sum(analytics["tier_distribution"].values()), 1)
        self.assertTrue(set(analytics["tier_distribution"]) <= set(TIER_NAMES))
        self.assertAlmostEqual(analytics["avg_quality"], 0.9)
        self.assertCost(analytics["cost_savings"], "cost_savings")
        self.assertIn(result.model, self.out.getvalue())

    def test_quick_start_router(self) -> None:
        from antaris_like import Router

        router = Router(enable_cost_tracking=True)
        decision = router.route("Explain async/await in Python with examples")
        print(decision.model)  # "claude-sonnet-4-6"
        print(decision.tier)  # "moderate"
        print(decision.confidence)  # 0.82
        print(router.explain(decision))

        self.assertRoutingDecision(router, decision)
        self.assertIn("Model selected: " + decision.model, self.out.getvalue())


class AdaptiveRouterApiTests(ManualExampleTestCase):
    def test_constructor_register_route_report_analytics(self) -> None:
        from antaris_like import AdaptiveRouter, ModelConfig, RoutingResult

        router = AdaptiveRouter(
            workspace="./routing_data",  # directory for persisted state
            ab_test_rate=0.05,  # fraction of routes used for A/B exploration (0.0-1.0)
        )
        self.assertTrue(os.path.isdir("./routing_data"), "workspace is created automatically")

        router.register_model(ModelConfig(
            name="gpt-4o-mini",
            tier_range=("trivial", "moderate"),  # (min_tier, max_tier)
            cost_per_1k_input=0.00015,
            cost_per_1k_output=0.0006,
        ))
        config = ModelConfig(name="x", tier_range=("simple", "complex"), cost_per_1k_input=0.001,
                             cost_per_1k_output=0.002)
        self.assertEqual((config.name, tuple(config.tier_range), config.cost_per_1k_input,
                          config.cost_per_1k_output), ("x", ("simple", "complex"), 0.001, 0.002))

        result = router.route("Summarize the following contract clause: ...")
        self.assertIsInstance(result, RoutingResult)
        self.assertEqual(result.model, "gpt-4o-mini")  # the only registered model
        self.assertTier(result.tier)
        self.assertConfidence(result.confidence)
        self.assertIsInstance(result.prompt_hash, str)
        self.assertCost(result.estimated_cost, "estimated_cost")

        router.report_outcome(
            result.prompt_hash,
            quality_score=0.9,  # 0.0-1.0, how good the model's response was
            success=True,  # whether the request succeeded at all
        )
        analytics = router.get_analytics()
        self.assertKeys(analytics, ["total_routed", "tier_distribution", "avg_quality", "model_usage",
                                    "cost_savings"], "get_analytics()")
        self.assertIsInstance(analytics["total_routed"], int)
        self.assertEqual(analytics["total_routed"], 1)
        self.assertIsInstance(analytics["avg_quality"], float)
        self.assertEqual(analytics["model_usage"], {"gpt-4o-mini": 1})
        for tier, count in analytics["tier_distribution"].items():
            self.assertIn(tier, TIER_NAMES)
            self.assertIsInstance(count, int)
        self.assertIsInstance(analytics["cost_savings"], float)

    def test_tier_range_semantics_lowest_cost_eligible(self) -> None:
        """The manual: a model is eligible for every tier in its range; the cheapest eligible wins."""
        router = _adaptive_router(ab_test_rate=0.0)
        ranges = {"gpt-4o-mini": ("trivial", "moderate"), "claude-sonnet-4-6": ("simple", "complex"),
                  "claude-opus-4-6": ("complex", "expert")}
        cost_order = ["gpt-4o-mini", "claude-sonnet-4-6", "claude-opus-4-6"]
        for prompt in VARIED_PROMPTS:
            with self.subTest(prompt=prompt[:30]):
                result = router.route(prompt)
                rank = _tier_rank(result.tier)
                eligible = [name for name in cost_order
                            if _tier_rank(ranges[name][0]) <= rank <= _tier_rank(ranges[name][1])]
                self.assertEqual(result.model, eligible[0], f"tier {result.tier}")


class RouterApiTests(ManualExampleTestCase):
    def test_constructor_every_parameter(self) -> None:
        from antaris_like import Router, SLAConfig

        router = Router(
            config_path=None,  # optional path to JSON config file
            enable_cost_tracking=True,  # track per-model cost usage
            low_confidence_threshold=0.0,  # 0.0 = never escalate (default)
            escalation_model=None,  # model to escalate to when confidence is low
            escalation_strategy="always",  # "always" | "log_only" | "ask"
            sla=None,  # SLAConfig instance
            fallback_chain=None,  # ordered list of fallback model names
            classifier=None,  # inject custom classifier (e.g. SemanticClassifier)
        )
        self.assertTrue(callable(SLAConfig))
        decision = router.route("Explain async/await in Python with examples")
        self.assertRoutingDecision(router, decision)
        self.assertFalse(decision.escalated)

    def test_route_every_parameter(self) -> None:
        from antaris_like import Router

        router = Router()
        decision = router.route(
            prompt="text to route",  # required
            context=None,  # optional: additional context dict
            prefer=None,  # preferred provider: "claude" | "openai" | etc.
            min_tier=None,  # minimum tier floor: "simple"|"moderate"|"complex"|"expert"
            capability=None,  # required capability: "vision"|"code"|etc.
            estimate_tokens=(100, 50),  # (input_tokens, output_tokens) for cost estimation
            ab_test=None,  # A/B test config from create_ab_test()
            prefer_healthy=False,  # skip degraded/rate-limited providers
            auto_scale=False,  # fall back through fallback_chain if primary is degraded or over-budget
        )
        self.assertRoutingDecision(router, decision)
        info = router.get_model_info(decision.model)
        self.assertCostEqual(decision.estimated_cost, info.calculate_cost(100, 50),
                             "estimated_cost with estimate_tokens=(100, 50)")

        prompt = "Explain async/await in Python with examples"
        with self.subTest("min_tier is a floor"):
            floored = router.route(prompt, min_tier="complex")
            self.assertGreaterEqual(_tier_rank(floored.tier), _tier_rank("complex"))
            eligible = {m["name"] for m in router.list_models_for_tier(floored.tier)}
            self.assertIn(floored.model, eligible)
        with self.subTest("capability filters models"):
            seen = router.route(prompt, capability="vision")
            self.assertTrue(router.get_model_info(seen.model).has_capability("vision"))
        with self.subTest("estimate_tokens drives estimated_cost"):
            big = router.route(prompt, estimate_tokens=(1000, 500))
            self.assertCostEqual(big.estimated_cost, router.get_model_info(big.model).calculate_cost(1000, 500),
                                 "estimated_cost with estimate_tokens=(1000, 500)")
        with self.subTest("prefer is respected when an eligible model exists"):
            base = router.route(prompt)
            for provider in ("openai", "anthropic"):
                providers = {m["provider"] for m in router.list_models_for_tier(base.tier)}
                if provider in providers:
                    self.assertEqual(router.route(prompt, prefer=provider).provider, provider)
        with self.subTest("context is accepted"):
            self.assertRoutingDecision(router, router.route(prompt, context={"turn": 3}))


class RoutingDecisionTests(ManualExampleTestCase):
    def test_fields_and_to_dict(self) -> None:
        from antaris_like import Router

        router = Router()
        decision = router.route("Design a microservices platform for high-throughput event processing")
        decision.model  # str: "claude-sonnet-4-6"
        decision.provider  # str: "anthropic"
        decision.tier  # str: "complex"
        decision.confidence  # float: 0.85
        decision.reasoning  # List[str]: ["Input length 1,250 chars → complex range", ...]
        decision.estimated_cost  # float: 0.00525 (USD)
        decision.fallback_models  # List[str]: ["claude-opus-4-6", "gpt-4o"]
        decision.classification  # ClassificationResult object
        decision.confidence_basis  # str: "keyword_density" | "composite" | "rule_based"
        decision.evidence  # List[str]: human-readable decision signals
        decision.escalated  # bool: True if escalation changed the model
        decision.original_confidence  # float: pre-escalation confidence (if escalated)
        decision.escalation_reason  # str: why escalation triggered (if escalated)
        decision.ab_variant  # str: "a" | "b" if A/B test active
        decision.explanation  # str: full human-readable explanation
        decision.supports_streaming  # bool: whether selected model supports streaming
        decision.sla_compliant  # bool: whether decision satisfies all SLA constraints
        decision.sla_breaches  # List[str]: e.g. ["latency_exceeded", "budget_exceeded"]
        decision.sla_adjustments  # List[str]: e.g. ["routed_to_cheaper_model_due_to_budget_sla"]
        decision.selected_model  # property alias for decision.model
        decision.to_dict()  # Dict: all fields serialized to a plain dict
        d = decision.to_dict()

        self.assertRoutingDecision(router, decision)
        self.assertFalse(decision.escalated)
        self.assertEqual(decision.ab_variant, "", "ab_variant is '' when no A/B test is active")
        self.assertTrue(decision.sla_compliant, "no SLA configured: nothing can be breached")
        self.assertEqual(list(decision.sla_breaches), [])
        self.assertEqual(list(decision.sla_adjustments), [])
        # Deliberate deviation from antaris (README, "Differences"): without estimate_tokens the
        # input side is estimated from the prompt itself, not a fixed 100 tokens.
        self.assertCostEqual(d["estimated_cost"],
                             router.get_model_info(decision.model).calculate_cost(*decision.estimate_tokens),
                             "estimated_cost for the decision's estimate_tokens")


class ExplainTests(ManualExampleTestCase):
    def test_explain_sections(self) -> None:
        from antaris_like import Router

        router = Router()
        decision = router.route("Design a microservices platform for high-throughput event processing")
        explanation = router.explain(decision)
        print(explanation)

        self.assertIsInstance(explanation, str)
        self.assertTrue(explanation.startswith(f"Model selected: {decision.model} (confidence: "),
                        explanation[:80])
        for section in EXPLAIN_SECTIONS:
            self.assertIn(section, explanation)
        self.assertNotIn("[Escalated from", explanation, "escalation section only if escalated")


def _low_confidence_prompt(test: unittest.TestCase) -> Any:
    """Return (prompt, baseline decision) for a prompt routed below confidence 0.99, not to opus."""
    from antaris_like import Router

    plain = Router()
    candidates = ("What does this cryptic error mean in this context?", "some ambiguous prompt",
                  "Tell me about it.", "Can you look at this?") + VARIED_PROMPTS
    for prompt in candidates:
        base = plain.route(prompt)
        if base.confidence < 0.99 and base.model != "claude-opus-4-6":
            return prompt, base
    test.fail("every candidate prompt was routed with confidence >= 0.99; cannot force escalation")


class EscalationTests(ManualExampleTestCase):
    def test_configuration_and_always_usage(self) -> None:
        from antaris_like import Router

        router = Router(
            low_confidence_threshold=0.6,  # escalate if confidence < 0.6
            escalation_model="claude-opus-4-6",  # which model to escalate to
            escalation_strategy="always",  # escalation behavior
        )
        router = Router(
            low_confidence_threshold=0.6,
            escalation_model="claude-opus-4-6",
            escalation_strategy="always",
        )
        decision = router.route("What does this cryptic error mean in this context?")
        if decision.escalated:
            print(f"Escalated! Original confidence: {decision.original_confidence:.2f}")
            print(f"Reason: {decision.escalation_reason}")
            print(f"Using: {decision.model}")  # claude-opus-4-6

        self.assertRoutingDecision(router, decision)
        if decision.escalated:
            self.assertEqual(decision.model, "claude-opus-4-6")
            self.assertLess(decision.original_confidence, 0.6)
            self.assertTrue(decision.escalation_reason)
        else:
            self.assertGreaterEqual(decision.confidence, 0.6)

    def test_ask_usage(self) -> None:
        from antaris_like import Router

        router = Router(
            low_confidence_threshold=0.65,
            escalation_model="claude-opus-4-6",
            escalation_strategy="ask",
        )
        decision = router.route("some ambiguous prompt")
        if decision.escalated:
            # Present choice to user
            print(f"Router is uncertain (confidence: {decision.original_confidence:.0%}).")
            print(f"Suggested escalation: {decision.escalation_reason}")
            print(f"Upgrade to claude-opus-4-6? Current model: {decision.model}")

        self.assertRoutingDecision(router, decision)
        baseline = Router().route("some ambiguous prompt")
        self.assertEqual(decision.model, baseline.model, "'ask' keeps the original model")
        self.assertEqual(decision.escalated, baseline.confidence < 0.65)

    def test_strategies_when_confidence_is_below_threshold(self) -> None:
        from antaris_like import Router

        prompt, base = _low_confidence_prompt(self)
        threshold = min(1.0, base.confidence + 0.01)

        def make(strategy: str) -> Any:
            return Router(low_confidence_threshold=threshold, escalation_model="claude-opus-4-6",
                          escalation_strategy=strategy)

        with self.subTest("always swaps to the escalation model"):
            router = make("always")
            decision = router.route(prompt)
            self.assertRoutingDecision(router, decision)
            self.assertTrue(decision.escalated)
            self.assertEqual(decision.model, "claude-opus-4-6")
            self.assertAlmostEqual(decision.original_confidence, base.confidence)
            self.assertIsInstance(decision.escalation_reason, str)
            self.assertTrue(decision.escalation_reason)
            self.assertCostEqual(decision.estimated_cost,
                                 router.get_model_info("claude-opus-4-6").calculate_cost(*decision.estimate_tokens),
                                 "escalated estimated_cost")
            self.assertIn("[Escalated from", router.explain(decision))
            self.assertTrue(decision.to_dict()["escalated"])
        with self.subTest("ask flags escalation and keeps the model"):
            router = make("ask")
            decision = router.route(prompt)
            self.assertRoutingDecision(router, decision)
            self.assertTrue(decision.escalated)
            self.assertEqual(decision.model, base.model)
            self.assertAlmostEqual(decision.original_confidence, base.confidence)
            self.assertTrue(decision.escalation_reason)
        with self.subTest("log_only logs and changes nothing"):
            router = make("log_only")
            with self.assertLogs("antaris_like", level="DEBUG"):
                decision = router.route(prompt)
            self.assertRoutingDecision(router, decision)
            self.assertFalse(decision.escalated, "escalated means escalation changed the model")
            self.assertEqual(decision.model, base.model)

    def test_no_escalation_above_threshold(self) -> None:
        from antaris_like import Router

        prompt, base = _low_confidence_prompt(self)
        for strategy in ("always", "log_only", "ask"):
            with self.subTest(strategy=strategy):
                router = Router(low_confidence_threshold=base.confidence / 2,
                                escalation_model="claude-opus-4-6", escalation_strategy=strategy)
                decision = router.route(prompt)
                self.assertFalse(decision.escalated)
                self.assertEqual(decision.model, base.model)
                self.assertNotIn("[Escalated from", router.explain(decision))


class SlaTests(ManualExampleTestCase):
    def test_setup_route_reports(self) -> None:
        from antaris_like import Router, SLAConfig

        sla = SLAConfig(
            max_latency_ms=200,  # max acceptable latency per request
            budget_per_hour_usd=5.00,  # hourly spend cap in USD
            min_quality_score=0.7,  # minimum acceptable quality (0.0-1.0)
            auto_escalate_on_breach=True,  # automatically adjust routing on SLA breach
        )
        router = Router(
            sla=sla,
            fallback_chain=["claude-sonnet-4-6", "claude-haiku-3-5", "gpt-4o-mini"],
        )
        decision = router.route("prompt", auto_scale=True)
        # SLA compliance info on every decision
        print(decision.sla_compliant)  # True / False
        print(decision.sla_breaches)  # ["budget_exceeded", "latency_exceeded"]
        print(decision.sla_adjustments)  # ["routed_to_cheaper_model_due_to_budget_sla"]
        report = router.get_sla_report(since_hours=1.0)
        alert = router.check_budget_alert()
        router.record_sla_quality("claude-sonnet-4-6", score=0.85)
        suggestions = router.get_cost_optimizations(estimate_tokens=(100, 50))

        for name in ("claude-sonnet-4-6", "claude-haiku-3-5", "gpt-4o-mini"):
            self.assertIsNotNone(router.get_model_info(name), f"fallback_chain model {name!r}")
        self.assertRoutingDecision(router, decision)

        self.assertKeys(report, ["compliance_rate", "breaches", "adjustments_made", "cost_savings_usd",
                                 "avg_latency_ms", "budget_utilization", "total_requests"],
                        "get_sla_report()")
        self.assertKeys(report["breaches"], ["latency", "cost", "quality"], "get_sla_report()['breaches']")
        for key in ("latency", "cost", "quality"):
            self.assertIsInstance(report["breaches"][key], int)
        self.assertTrue(0.0 <= report["compliance_rate"] <= 1.0)
        self.assertIsInstance(report["adjustments_made"], int)
        self.assertIsInstance(report["total_requests"], int)
        self.assertGreaterEqual(report["budget_utilization"], 0.0)

        self.assertKeys(alert, ["status", "hourly_spend_usd", "budget_usd", "utilization",
                                "projected_hourly_usd", "recommendation"], "check_budget_alert()")
        self.assertEqual(alert["status"], "ok", "nothing spent yet")
        self.assertEqual(alert["budget_usd"], 5.00)
        self.assertEqual(alert["hourly_spend_usd"], 0.0)
        self.assertEqual(alert["utilization"], 0.0)
        self.assertIsInstance(alert["recommendation"], str)

        self.assertIsInstance(suggestions, list)
        for suggestion in suggestions:
            self.assertKeys(suggestion, ["suggestion", "estimated_savings_usd_per_day", "tradeoff"],
                            "get_cost_optimizations() item")

    def test_budget_and_quality_breaches(self) -> None:
        from antaris_like import Router, SLAConfig

        sla = SLAConfig(max_latency_ms=200, budget_per_hour_usd=0.01, min_quality_score=0.7,
                        auto_escalate_on_breach=True)
        router = Router(sla=sla, fallback_chain=["claude-sonnet-4-6", "claude-haiku-3-5", "gpt-4o-mini"])
        first = router.route("Explain async/await in Python with examples", auto_scale=True)
        cost = router.log_usage(first, input_tokens=100_000, output_tokens=100_000)
        self.assertGreater(cost, 0.01, "the test needs one request to exceed the hourly budget")
        alert = router.check_budget_alert()
        self.assertEqual(alert["status"], "critical", "at or over budget limit")
        self.assertGreaterEqual(alert["utilization"], 1.0)
        self.assertCostEqual(alert["hourly_spend_usd"], cost, "hourly_spend_usd")

        after = router.route("Explain async/await in Python with examples", auto_scale=True)
        self.assertFalse(after.sla_compliant)
        self.assertIn("budget_exceeded", after.sla_breaches)

        router.record_sla_quality(after.model, score=0.1)
        report = router.get_sla_report(since_hours=1.0)
        self.assertGreaterEqual(report["breaches"]["quality"], 1)
        self.assertGreaterEqual(report["breaches"]["cost"], 1)
        self.assertLess(report["compliance_rate"], 1.0)


class ProviderHealthTests(ManualExampleTestCase):
    def test_events_health_and_routing(self) -> None:
        from antaris_like import Router

        router = Router()
        before = time.time()
        # After a successful call
        router.record_provider_event(
            "claude-sonnet-4-6",
            event="success",
            latency_ms=245.0,
        )
        # After an error
        router.record_provider_event(
            "claude-sonnet-4-6",
            event="error",
            details="rate_limited",
        )
        # After a timeout
        router.record_provider_event("gpt-4o", event="timeout")
        health = router.get_provider_health("claude-sonnet-4-6")
        # Skip degraded/down providers entirely
        decision = router.route("prompt", prefer_healthy=True)
        decision = router.route(
            "prompt",
            prefer_healthy=True,
            auto_scale=True,  # use fallback_chain when primary is unavailable
        )

        self.assertKeys(health, ["model", "status", "success_rate_1h", "avg_latency_ms", "recent_errors",
                                 "last_seen"], "get_provider_health()")
        self.assertEqual(health["model"], "claude-sonnet-4-6")
        self.assertIn(health["status"], ("healthy", "degraded", "down"))
        self.assertAlmostEqual(health["success_rate_1h"], 0.5)
        self.assertAlmostEqual(health["avg_latency_ms"], 245.0)
        self.assertIn("rate_limited", health["recent_errors"])
        self.assertIsInstance(health["last_seen"], float)
        self.assertTrue(before - 1 <= health["last_seen"] <= time.time() + 1)
        gpt4o = router.get_provider_health("gpt-4o")
        self.assertEqual(gpt4o["success_rate_1h"], 0.0)
        self.assertRoutingDecision(router, decision)

    def test_prefer_healthy_skips_down_model(self) -> None:
        from antaris_like import Router

        router = Router()
        prompt = "Explain async/await in Python with examples"
        base = router.route(prompt)
        if len(router.list_models_for_tier(base.tier)) < 2:
            self.skipTest(f"only one model eligible for {base.tier}")
        for _ in range(10):
            router.record_provider_event(base.model, event="timeout")
        status = router.get_provider_health(base.model)["status"]
        self.assertIn(status, ("degraded", "down"), "ten timeouts and no success")
        self.assertNotEqual(router.route(prompt, prefer_healthy=True).model, base.model)
        self.assertEqual(router.route(prompt).model, base.model, "prefer_healthy=False ignores health")


class AbTestTests(ManualExampleTestCase):
    def test_create_and_run(self) -> None:
        from antaris_like import Router

        router = Router()
        ab_test = router.create_ab_test(
            name="quality-vs-cost",
            strategy_a="cost_optimized",  # baseline strategy
            strategy_b="quality_first",  # bumps tier one level for B variant
            split=0.5,  # 50/50 split; 0.3 = 30% to B
        )
        decision = router.route("Summarize the quarterly earnings report", ab_test=ab_test)
        print(decision.ab_variant)  # "a" or "b"
        print(decision.model)  # varies by variant
        if decision.ab_variant == "b":
            # B variant gets one tier higher → more capable model
            print("Quality-first routing applied")

        self.assertRoutingDecision(router, decision)
        self.assertIn(decision.ab_variant, ("a", "b"))

        # Collecting Results
        results: List[Dict[str, Any]] = []
        for prompt in VARIED_PROMPTS:
            # In your application
            decision = router.route(prompt, ab_test=ab_test)
            response = call_llm(decision.model, prompt)
            quality = evaluate(response)
            router.record_sla_quality(decision.model, quality)
            # Store for analysis
            results.append({
                "variant": decision.ab_variant,
                "model": decision.model,
                "cost": decision.estimated_cost,
                "quality": quality,
            })
        self.assertEqual(len(results), len(VARIED_PROMPTS))
        self.assertTrue({r["variant"] for r in results} <= {"a", "b"})

    def test_variant_b_bumps_tier_and_a_is_standard(self) -> None:
        from antaris_like import Router

        router = Router()
        ab_test = router.create_ab_test(name="q", strategy_a="cost_optimized",
                                        strategy_b="quality_first", split=0.5)
        variants = {"a": 0, "b": 0}
        for i in range(60):
            prompt = f"Summarize the quarterly earnings report of company number {i}"
            base = router.route(prompt)
            decision = router.route(prompt, ab_test=ab_test)
            variants[decision.ab_variant] += 1
            with self.subTest(i=i, variant=decision.ab_variant):
                if decision.ab_variant == "a":
                    self.assertEqual(decision.model, base.model, "cost_optimized is standard routing")
                else:
                    bumped = _bump(base.tier)
                    self.assertIn(str(decision.tier), (str(base.tier), bumped))
                    eligible = {m["name"] for m in router.list_models_for_tier(bumped)}
                    self.assertIn(decision.model, eligible, f"B must route for tier {bumped}")
        self.assertGreater(variants["a"], 0)
        self.assertGreater(variants["b"], 0)

    def test_split_is_fraction_to_b(self) -> None:
        from antaris_like import Router

        router = Router()
        prompts = [f"Question {i}: what is the capital of country {i}?" for i in range(300)]
        for split, low, high in ((0.0, 0.0, 0.0), (0.3, 0.2, 0.4), (0.5, 0.4, 0.6), (1.0, 1.0, 1.0)):
            with self.subTest(split=split):
                ab_test = router.create_ab_test(name=f"s{split}", strategy_a="cost_optimized",
                                                strategy_b="quality_first", split=split)
                share_b = sum(router.route(p, ab_test=ab_test).ab_variant == "b" for p in prompts) / 300
                self.assertTrue(low <= share_b <= high, f"split={split}: {share_b:.2f} of traffic to B")

    def test_variant_is_deterministic_per_prompt(self) -> None:
        """Issue 2: A/B tests honour their split, deterministically per prompt."""
        from antaris_like import Router

        router = Router()
        ab_test = router.create_ab_test(name="d", strategy_a="cost_optimized",
                                        strategy_b="quality_first", split=0.5)
        for i in range(20):
            prompt = f"Translate sentence {i} into French"
            first = router.route(prompt, ab_test=ab_test).ab_variant
            self.assertEqual(router.route(prompt, ab_test=ab_test).ab_variant, first)


class CostTests(ManualExampleTestCase):
    def test_forecast_cost(self) -> None:
        from antaris_like import Router

        router = Router()
        for prompt in VARIED_PROMPTS:
            router.route(prompt)
        forecast = router.forecast_cost(
            requests_per_hour=1000,
            avg_input_tokens=500,
            avg_output_tokens=200,
        )
        self.assertKeys(forecast, ["hourly_cost_usd", "daily_cost_usd", "monthly_cost_usd",
                                   "breakdown_by_model", "optimization_tip"], "forecast_cost()")
        hourly = forecast["hourly_cost_usd"]
        self.assertCost(hourly, "hourly_cost_usd")
        self.assertGreater(hourly, 0.0)
        self.assertCostEqual(forecast["daily_cost_usd"], 24 * hourly, "daily_cost_usd = 24 x hourly")
        self.assertTrue(28 * forecast["daily_cost_usd"] - 0.01 <= forecast["monthly_cost_usd"]
                        <= 31 * forecast["daily_cost_usd"] + 0.01)
        breakdown = forecast["breakdown_by_model"]
        self.assertTrue(breakdown)
        for model, row in breakdown.items():
            self.assertIsNotNone(router.get_model_info(model))
            self.assertKeys(row, ["requests_pct", "cost_per_request_usd", "hourly_cost_usd"], model)
            self.assertTrue(0.0 <= row["requests_pct"] <= 1.0)
            self.assertCostEqual(row["cost_per_request_usd"], router.get_model_info(model).calculate_cost(500, 200),
                                 f"{model} cost_per_request_usd")
        self.assertAlmostEqual(sum(r["requests_pct"] for r in breakdown.values()), 1.0, places=6)
        self.assertCostEqual(sum(r["hourly_cost_usd"] for r in breakdown.values()), hourly, "sum of hourly_cost_usd")
        self.assertIsInstance(forecast["optimization_tip"], str)

    def test_log_usage_reports_savings_analytics(self) -> None:
        from antaris_like import Router

        router = Router(enable_cost_tracking=True)
        decision = router.route("Explain async/await in Python with examples")
        cost = router.log_usage(decision, input_tokens=500, output_tokens=200)
        print(f"Request cost: ${cost:.6f}")
        report = router.cost_report(period="week")  # "day" | "week" | "month"
        savings = router.savings_estimate(comparison_model="gpt-4o")
        analytics = router.routing_analytics()

        self.assertCost(cost, "log_usage()")
        self.assertCostEqual(cost, router.get_model_info(decision.model).calculate_cost(500, 200), "log_usage()")
        self.assertKeys(report, ["period", "total_cost_usd", "by_model", "avg_cost_per_request_usd"],
                        "cost_report()")
        self.assertEqual(report["period"], "week")
        self.assertCostEqual(report["total_cost_usd"], cost, "total_cost_usd")
        self.assertKeys(report["by_model"], [decision.model], "cost_report()['by_model']")
        self.assertKeys(report["by_model"][decision.model], ["requests", "cost_usd"], "by_model row")
        self.assertEqual(report["by_model"][decision.model]["requests"], 1)
        self.assertCostEqual(report["by_model"][decision.model]["cost_usd"], cost, "by_model cost_usd")
        self.assertCostEqual(report["avg_cost_per_request_usd"], cost, "avg_cost_per_request_usd")
        for period in ("day", "month"):
            self.assertEqual(router.cost_report(period=period)["period"], period)

        self.assertKeys(savings, ["comparison_model", "actual_cost_usd", "comparison_cost_usd", "savings_usd",
                                  "savings_pct"], "savings_estimate()")
        self.assertEqual(savings["comparison_model"], "gpt-4o")
        self.assertCostEqual(savings["actual_cost_usd"], cost, "actual_cost_usd")
        self.assertCostEqual(savings["comparison_cost_usd"], router.get_model_info("gpt-4o").calculate_cost(500, 200),
                             "comparison_cost_usd")
        self.assertCostEqual(savings["savings_usd"], savings["comparison_cost_usd"] - cost, "savings_usd")
        self.assertAlmostEqual(savings["savings_pct"], savings["savings_usd"] / savings["comparison_cost_usd"])

        self.assertKeys(analytics, ["total_decisions", "avg_confidence", "tier_distribution",
                                    "tier_percentages", "model_usage", "provider_usage", "most_used_model",
                                    "most_used_provider"], "routing_analytics()")
        self.assertEqual(analytics["total_decisions"], 1)
        self.assertAlmostEqual(analytics["avg_confidence"], decision.confidence)
        self.assertEqual(sum(analytics["tier_distribution"].values()), 1)
        self.assertEqual(analytics["tier_distribution"].get(str(decision.tier)), 1)
        self.assertAlmostEqual(analytics["tier_percentages"].get(str(decision.tier)), 100.0)
        self.assertEqual(analytics["model_usage"], {decision.model: 1})
        self.assertEqual(analytics["provider_usage"], {decision.provider: 1})
        self.assertEqual(analytics["most_used_model"], decision.model)
        self.assertEqual(analytics["most_used_provider"], decision.provider)


class ModelRegistryTests(ManualExampleTestCase):
    def test_model_info_list_models_save_state(self) -> None:
        from antaris_like import ModelInfo, Router

        router = Router()
        info = router.get_model_info("claude-sonnet-4-6")
        info.name  # "claude-sonnet-4-6"
        info.provider  # "anthropic"
        info.cost_per_1k_input  # 0.003
        info.cost_per_1k_output  # 0.015
        info.capabilities  # ["text", "code", "vision"]
        info.max_tokens  # 200000
        info.supports_streaming  # True
        info.has_capability("vision")  # True → bool
        info.calculate_cost(500, 200)  # → float: cost for 500 input + 200 output tokens
        models = router.list_models_for_tier("moderate")
        router.save_state("./router_state")

        self.assertIsInstance(info, ModelInfo)
        self.assertEqual(info.name, "claude-sonnet-4-6")
        self.assertEqual(info.provider, "anthropic")
        self.assertCost(info.cost_per_1k_input, "cost_per_1k_input")
        self.assertCost(info.cost_per_1k_output, "cost_per_1k_output")
        self.assertStrList(info.capabilities, "capabilities")
        self.assertIsInstance(info.max_tokens, int)
        self.assertGreater(info.max_tokens, 0)
        self.assertIsInstance(info.supports_streaming, bool)
        self.assertIsInstance(info.has_capability("vision"), bool)
        self.assertEqual(info.has_capability("vision"), "vision" in info.capabilities)
        cost = info.calculate_cost(500, 200)
        self.assertIsInstance(cost, float)
        self.assertCostEqual(cost, 500 / 1000 * info.cost_per_1k_input + 200 / 1000 * info.cost_per_1k_output,
                             "calculate_cost(500, 200)")

        self.assertIsInstance(models, list)
        self.assertTrue(models)
        for row in models:
            self.assertKeys(row, ["name", "provider", "cost", "capabilities", "max_tokens"],
                            "list_models_for_tier() item")
            self.assertIsInstance(row["capabilities"], list)
            self.assertEqual(row["provider"], router.get_model_info(row["name"]).provider)
        costs = [row["cost"] for row in models]
        self.assertEqual(costs, sorted(costs), "list_models_for_tier() is ordered by cost")
        self.assertTrue(os.path.exists("./router_state"), "save_state() writes to the path given")


class SemanticClassifierTests(ManualExampleTestCase):
    def test_injected_into_router(self) -> None:
        from antaris_like import SemanticClassifier, Router

        sem = SemanticClassifier(workspace="./routing_data")
        router = Router(classifier=sem)
        decision = router.route("Design a microservices platform with event-driven architecture")

        self.assertTier(decision.tier)
        self.assertConfidence(decision.confidence)
        self.assertIsNotNone(router.get_model_info(decision.model))
        self.assertTrue(os.path.isdir("./routing_data"), "SemanticClassifier persists to its workspace")

    def test_injected_with_escalation(self) -> None:
        from antaris_like import SemanticClassifier, Router

        sem = SemanticClassifier(workspace="./routing_data")
        router = Router(
            classifier=sem,
            low_confidence_threshold=0.6,
            escalation_model="claude-opus-4-6",
            escalation_strategy="always",
        )
        decision = router.route("Implement OAuth2 with PKCE in a distributed system")

        self.assertTier(decision.tier)
        if decision.escalated:
            self.assertEqual(decision.model, "claude-opus-4-6")
            self.assertLess(decision.original_confidence, 0.6)
        else:
            self.assertGreaterEqual(decision.confidence, 0.6)


class QualityTrackerTests(ManualExampleTestCase):
    def test_record_and_query(self) -> None:
        from antaris_like import QualityTracker

        result = _adaptive_router(ab_test_rate=0.0).route("Explain async/await in Python with examples")
        prompt_hash = result.prompt_hash

        tracker = QualityTracker("./routing_data")
        # Record an outcome
        tracker.record_outcome(
            prompt_hash,  # str: from RoutingResult.prompt_hash
            quality_score=0.9,  # float: 0.0-1.0
            success=True,  # bool: did the request succeed
            model="claude-sonnet-4-6",
        )
        # Query model performance history
        history = tracker.get_model_performance("claude-sonnet-4-6")

        self.assertKeys(history, ["model", "avg_quality", "success_rate", "total_outcomes", "quality_by_tier"],
                        "get_model_performance()")
        self.assertEqual(history["model"], "claude-sonnet-4-6")
        self.assertEqual(history["total_outcomes"], 1)
        self.assertAlmostEqual(history["avg_quality"], 0.9)
        self.assertAlmostEqual(history["success_rate"], 1.0)
        self.assertIsInstance(history["quality_by_tier"], dict)
        # The router has not written its decision yet; the tracker still finds it, with its tier.
        self.assertEqual(list(history["quality_by_tier"]), [result.tier])
        for tier, quality in history["quality_by_tier"].items():
            self.assertIn(tier, TIER_NAMES)
            self.assertAlmostEqual(quality, 0.9)


class ClassificationResultTests(ManualExampleTestCase):
    def test_signals(self) -> None:
        from antaris_like import Router

        router = Router()
        decision = router.route("Build a Redis-backed distributed rate limiter in Go")
        clf = decision.classification
        clf.tier  # "complex"
        clf.confidence  # 0.83
        clf.signals  # dict (see below)

        self.assertTier(clf.tier)
        self.assertConfidence(clf.confidence)
        signals = clf.signals
        self.assertKeys(signals, ["length", "keyword_matches", "has_code", "code_indicators",
                                  "structural_complexity"], "ClassificationResult.signals")
        self.assertEqual(signals["length"], len("Build a Redis-backed distributed rate limiter in Go"))
        self.assertIsInstance(signals["keyword_matches"], dict)
        for tier, count in signals["keyword_matches"].items():
            self.assertIn(tier, TIER_NAMES)
            self.assertIsInstance(count, int)
        self.assertIsInstance(signals["has_code"], bool)
        self.assertIsInstance(signals["code_indicators"], int)
        self.assertIsInstance(signals["structural_complexity"], int)
        json.dumps(signals)


class ExportsTests(ManualExampleTestCase):
    def test_complete_exports(self) -> None:
        from antaris_like import (
            # ── v2.0 API ──
            AdaptiveRouter,  # Semantic, self-improving router
            RoutingResult,  # Result object from AdaptiveRouter.route()
            ModelConfig,  # Model registration config for AdaptiveRouter
            SemanticClassifier,  # TF-IDF classifier (injectable into v1.0 Router)
            SemanticResult,  # Result object from SemanticClassifier
            TFIDFVectorizer,  # Low-level TF-IDF vectorizer
            QualityTracker,  # Outcome feedback tracker
            QualityDecision,  # Quality decision record
            # ── v1.0 API ──
            Router,  # Keyword-based production router
            RoutingDecision,  # Decision object from Router.route()
            TaskClassifier,  # Built-in keyword classifier
            ClassificationResult,  # Classification output with signals
            ModelRegistry,  # Internal model registry
            ModelInfo,  # Model metadata object
            CostTracker,  # Cost tracking component
            UsageRecord,  # Per-request usage record
            Config,  # Router configuration
            # ── Sprint 5 — SLA ──
            SLAConfig,  # SLA constraint configuration
            SLAMonitor,  # SLA enforcement monitor
            SLARecord,  # Per-request SLA record
        )

        for obj in (AdaptiveRouter, RoutingResult, ModelConfig, SemanticClassifier, SemanticResult,
                    TFIDFVectorizer, QualityTracker, QualityDecision, Router, RoutingDecision, TaskClassifier,
                    ClassificationResult, ModelRegistry, ModelInfo, CostTracker, UsageRecord, Config,
                    SLAConfig, SLAMonitor, SLARecord):
            self.assertTrue(isinstance(obj, type), f"{obj!r} should be a class")


class MigrationTests(ManualExampleTestCase):
    def test_option_a_and_b(self) -> None:
        from antaris_like import AdaptiveRouter, Router, SemanticClassifier, SLAConfig

        sla = SLAConfig(max_latency_ms=200, budget_per_hour_usd=5.00, min_quality_score=0.7,
                        auto_escalate_on_breach=True)
        # Option A: Full v2.0 — new project, accuracy-first
        router = AdaptiveRouter("./routing_data")
        self.assertTrue(os.path.isdir("./routing_data"))
        # Option B: Best of both — semantic accuracy + full v1.0 features
        sem = SemanticClassifier(workspace="./routing_data")
        router = Router(
            classifier=sem,  # semantic classification
            sla=sla,  # + SLA enforcement
            enable_cost_tracking=True  # + cost tracking
        )
        decision = router.route("Design a microservices platform with event-driven architecture")
        self.assertIsInstance(decision.sla_compliant, bool)
        self.assertTier(decision.tier)


FULL_PRODUCTION_PROMPTS = (
    "What is the capital of France?",
    "Implement a distributed task queue with priority scheduling",
    "Design a microservices platform for high-throughput event processing",
)


class AdvancedPatternTests(ManualExampleTestCase):
    def _full_production_setup(self) -> Any:
        from antaris_like import Router, SLAConfig, SemanticClassifier

        sem = SemanticClassifier(workspace="./routing_data")
        sla = SLAConfig(
            max_latency_ms=300,
            budget_per_hour_usd=10.00,
            min_quality_score=0.75,
            auto_escalate_on_breach=True,
        )
        router = Router(
            classifier=sem,
            sla=sla,
            fallback_chain=["claude-sonnet-4-6", "claude-haiku-3-5", "gpt-4o-mini"],
            low_confidence_threshold=0.6,
            escalation_model="claude-opus-4-6",
            escalation_strategy="always",
            enable_cost_tracking=True,
        )

        def route_and_call(prompt: str) -> str:
            decision = router.route(
                prompt,
                estimate_tokens=(len(prompt) // 4, 200),
                prefer_healthy=True,
                auto_scale=True,
            )
            # Log decision for audit
            print(router.explain(decision))
            # Call your LLM here
            response = call_llm(decision.model, prompt)
            # Record actual usage
            router.log_usage(decision, input_tokens=len(prompt)//4, output_tokens=len(response)//4)
            # Record provider health
            router.record_provider_event(decision.model, event="success", latency_ms=242.0)
            return response

        return router, route_and_call

    def test_full_production_setup(self) -> None:
        router, route_and_call = self._full_production_setup()
        responses = [route_and_call(prompt) for prompt in FULL_PRODUCTION_PROMPTS]

        self.assertEqual(len(responses), len(FULL_PRODUCTION_PROMPTS))
        for response in responses:
            self.assertIsInstance(response, str)
        self.assertEqual(self.out.getvalue().count("Model selected:"), len(FULL_PRODUCTION_PROMPTS))
        self.assertEqual(router.routing_analytics()["total_decisions"], len(FULL_PRODUCTION_PROMPTS))
        report = router.cost_report(period="day")
        self.assertEqual(sum(row["requests"] for row in report["by_model"].values()),
                         len(FULL_PRODUCTION_PROMPTS))

    def test_periodic_reporting_body(self) -> None:
        router, route_and_call = self._full_production_setup()
        for prompt in FULL_PRODUCTION_PROMPTS:
            route_and_call(prompt)

        # Every hour (the loop and time.sleep(3600) are left out)
        report = router.get_sla_report(since_hours=1.0)
        alert = router.check_budget_alert()
        analytics = router.routing_analytics()
        print(f"SLA compliance: {report['compliance_rate']:.1%}")
        print(f"Budget: {alert['status']} ({alert['utilization']:.1%} used)")
        print(f"Most used model: {analytics['most_used_model']}")
        if alert["status"] == "critical":
            # Trigger alerts, adjust SLA config, etc.
            pass
        router.save_state("./router_state")

        self.assertIn(alert["status"], ("ok", "warning", "critical"))
        self.assertEqual(alert["status"], "ok", "three tiny requests against a $10/hour budget")
        self.assertTrue(0.0 <= report["compliance_rate"] <= 1.0)
        self.assertIsNotNone(router.get_model_info(analytics["most_used_model"]))
        self.assertTrue(os.path.exists("./router_state"))


if __name__ == "__main__":
    unittest.main()
