"""Router with a budget: worst-case admission before any network activity, settle, pressure."""

from __future__ import annotations

import tempfile
import unittest

from antaris_like import AdaptiveRouter, Budget, BudgetExceededError, Limit, ModelConfig, ModelInfo, Router
from antaris_like.registry import ModelRegistry
from antaris_like.text import max_input_tokens
from antaris_like.tiers import Tier


def registry(*models: ModelInfo) -> ModelRegistry:
    return ModelRegistry(models)


CHEAP = ModelInfo(name="cheap", provider="p", input_per_1m=1.0, output_per_1m=2.0,
                  min_tier=Tier.TRIVIAL, max_tier=Tier.EXPERT, max_output_tokens=4096)
PRICEY = ModelInfo(name="pricey", provider="p", input_per_1m=10.0, output_per_1m=30.0,
                   min_tier=Tier.COMPLEX, max_tier=Tier.EXPERT, max_output_tokens=8192)
HARD = ("Prove the correctness of a lock-free multi-producer queue under the C11 memory model, "
        "and derive its linearisation points formally.")  # classified 'expert'
UNPRICED = ModelInfo(name="mystery", provider="p", input_per_1m=None, output_per_1m=None)


class AdmissionTest(unittest.TestCase):
    def test_total_cap_reserves_the_worst_case_and_refuses_when_spent(self) -> None:
        router = Router(registry=registry(CHEAP), budget=0.01)
        prompt = "Say hello to the team."
        decision = router.route(prompt, max_tokens=500)
        worst = CHEAP.calculate_cost(max_input_tokens(prompt), 500)
        self.assertEqual(decision.max_tokens, 500)
        self.assertAlmostEqual(decision.reserved_usd, worst)
        self.assertIsNotNone(decision.reservation_id)
        self.assertAlmostEqual(router.budget.status().limits[0].reserved, worst)
        cost = router.log_usage(decision, input_tokens=6, output_tokens=20)
        self.assertAlmostEqual(router.budget.spent(), cost)
        self.assertAlmostEqual(router.budget.status().limits[0].reserved, 0.0)
        # Keep routing until the cap refuses: committed + reserved never passes it.
        with self.assertRaises(BudgetExceededError) as ctx:
            for _ in range(1000):
                router.route(prompt, max_tokens=500)
        err = ctx.exception
        self.assertLessEqual(err.spent + err.reserved, 0.01 + 1e-12)
        self.assertGreater(err.requested, err.remaining)

    def test_real_chat_usage_of_a_short_prompt_stays_within_the_reservation(self) -> None:
        # Regression (edges review #3): the input bound had no chat framing, so settling what
        # OpenAI bills for "hi" pushed spend past a cap admission said the request fitted.
        probe = Router(registry=registry(CHEAP), budget=1.0)
        cap = probe.route("hi", max_tokens=16).reserved_usd  # room for exactly one worst case
        router = Router(registry=registry(CHEAP), budget=Budget(Limit(usd=cap * 1.000001)))
        decision = router.route("hi", max_tokens=16)
        router.log_usage(decision, input_tokens=8, output_tokens=16)  # what OpenAI bills for "hi"
        self.assertLessEqual(router.budget.spent(), cap * 1.000001)

    def test_max_tokens_is_chosen_when_not_given_and_clamped_to_the_model(self) -> None:
        router = Router(registry=registry(CHEAP), budget=1.0, default_max_tokens=700)
        self.assertEqual(router.route("hello").max_tokens, 700)
        self.assertEqual(router.route("hello", max_tokens=100_000).max_tokens, 4096)

    def test_without_budget_max_tokens_is_passed_through_clamped(self) -> None:
        router = Router(registry=registry(CHEAP))
        decision = router.route("hello", max_tokens=100_000)
        self.assertEqual(decision.max_tokens, 4096)
        self.assertIsNone(decision.reservation_id)

    def test_unpriced_model_is_refused_under_a_usd_limit(self) -> None:
        router = Router(registry=registry(UNPRICED), budget=100.0)
        with self.assertRaisesRegex(Exception, "no known price"):
            router.route("hello")

    def test_falls_back_to_a_cheaper_model_when_the_chosen_one_does_not_fit(self) -> None:
        hard = ("Prove the correctness of a lock-free multi-producer queue under the C11 memory model, "
                "and derive its linearisation points formally.")
        budget = Budget(Limit(usd=0.005, window="request"))
        small = ModelInfo(name="small", provider="p", input_per_1m=1.0, output_per_1m=2.0,
                          min_tier=Tier.TRIVIAL, max_tier=Tier.MODERATE)
        router = Router(registry=registry(small, PRICEY), budget=budget)
        decision = router.route(hard, max_tokens=1000)
        self.assertEqual(decision.model, "small")
        self.assertIn("routed_to_cheaper_model_due_to_budget", decision.sla_adjustments)
        # min_tier is the caller's floor: the budget does not buy below it (a refusal, not a weak answer).
        with self.assertRaises(BudgetExceededError):
            router.route(hard, min_tier="complex", max_tokens=1000)

    def test_fallback_skips_models_the_policy_would_not_offer(self) -> None:
        # Regression (budget review #3): the fallback pool was the whole registry, so a model whose
        # context window, health or capability rules it out was reserved and returned.
        big = ModelInfo(name="big", provider="p", input_per_1m=1.0, output_per_1m=2.0,
                        context_window=200_000, max_output_tokens=4096, capabilities=("code",))
        tiny = ModelInfo(name="tiny", provider="p", input_per_1m=0.01, output_per_1m=0.02,
                         context_window=4_096, max_output_tokens=1024, capabilities=("code",))
        sick = ModelInfo(name="sick", provider="p", input_per_1m=0.01, output_per_1m=0.02,
                         capabilities=("code",))
        plain = ModelInfo(name="plain", provider="p", input_per_1m=0.01, output_per_1m=0.02)
        long_prompt = "Summarise the following log. " + "line of the log with some words in it\n" * 2000
        router = Router(registry=registry(big, tiny), budget=Budget(Limit(usd=0.05)))
        with self.assertRaises(BudgetExceededError):
            router.route(long_prompt, max_tokens=512)  # only tiny is cheaper, and it cannot take it
        self.assertEqual(router.budget.status().limits[0].reserved, 0.0)

        router = Router(registry=registry(big, sick, plain), budget=Budget(Limit(usd=0.0001)))
        for _ in range(3):
            router.health.record("sick", "error")
        with self.assertRaises(BudgetExceededError):
            # sick is unhealthy and plain lacks the capability: neither may stand in for big.
            router.route("Write a function that adds two numbers.", capability="code",
                         prefer_healthy=True, max_tokens=512)
        decision = router.route("Write a function that adds two numbers.", capability="code", max_tokens=512)
        self.assertEqual(decision.model, "sick")  # without prefer_healthy, health is not a filter

    def test_fallbacks_are_ranked_by_what_is_reserved_and_tried_until_one_fits(self) -> None:
        # Regression (budget review #4): fallbacks were ranked at 1,024 output tokens whatever
        # default_max_tokens reserved, and only the first was tried.
        z = ModelInfo(name="z", provider="p", input_per_1m=100.0, output_per_1m=100.0, max_output_tokens=8000)
        x = ModelInfo(name="x", provider="p", input_per_1m=0.0, output_per_1m=10.0, max_output_tokens=8000)
        y = ModelInfo(name="y", provider="p", input_per_1m=400.0, output_per_1m=1.0, max_output_tokens=8000)
        n = max_input_tokens("Prove it.")
        # The premise: y fits $0.03 at the 8000 tokens reserved, x does not, and x ranks first at 1024.
        self.assertLess(y.calculate_cost(n, 8000), 0.03)
        self.assertGreater(x.calculate_cost(n, 8000), 0.03)
        self.assertLess(x.calculate_cost(n, 1024), y.calculate_cost(n, 1024))
        router = Router(registry=registry(z, x, y), budget=Budget(Limit(usd=0.03)), default_max_tokens=8000)
        decision = router.route("Prove it.", prefer="z")
        self.assertEqual(decision.model, "y")
        self.assertEqual(decision.max_tokens, 8000)

        # a ($0.04) is the cheapest but needs 4,000 output tokens; b fits the token cap with its 500.
        a = ModelInfo(name="a", provider="p", input_per_1m=0.0, output_per_1m=10.0, max_output_tokens=8000)
        b = ModelInfo(name="b", provider="p", input_per_1m=0.0, output_per_1m=90.0, max_output_tokens=500)
        router = Router(registry=registry(z, a, b), budget=Budget(Limit(usd=1.0), Limit(tokens=1000)),
                        default_max_tokens=4000)
        decision = router.route("Prove it.", prefer="z")
        self.assertEqual((decision.model, decision.max_tokens), ("b", 500))

    def test_fallback_prefers_a_model_that_covers_the_tier(self) -> None:
        mid = ModelInfo(name="mid", provider="p", input_per_1m=2.0, output_per_1m=4.0,
                        min_tier=Tier.COMPLEX, max_tier=Tier.EXPERT)
        weak = ModelInfo(name="weak", provider="p", input_per_1m=0.1, output_per_1m=0.2,
                         min_tier=Tier.TRIVIAL, max_tier=Tier.MODERATE)
        router = Router(registry=registry(PRICEY, mid, weak), budget=Budget(Limit(usd=0.01, window="request")))
        decision = router.route("Design a scalable architecture.", min_tier="complex", prefer="pricey",
                                max_tokens=1000)
        self.assertEqual(decision.model, "mid")  # weak is cheaper but below the tier; mid fits
        self.assertIn("routed_to_cheaper_model_due_to_budget", decision.sla_adjustments)

    def test_a_refused_settle_books_no_cost(self) -> None:
        # Regression (budget review #5, edges review #5): log_usage booked the cost before the
        # settle, so a duplicate call or one after release() raised yet still counted the request.
        from antaris_like.budget import UnknownReservationError

        router = Router(registry=registry(CHEAP), budget=Budget(Limit(usd=1.0)))
        decision = router.route("hello there", max_tokens=100)
        with self.assertRaises(ValueError):
            router.log_usage(decision, 10, 20, usage_source="guessed")  # refused before the settle
        cost = router.log_usage(decision, 10, 20)  # so the reservation is still there to settle
        with self.assertRaises(UnknownReservationError):
            router.log_usage(decision, 10, 20)
        released = router.route("hello there", max_tokens=100)
        router.release(released)
        with self.assertRaises(UnknownReservationError):
            router.log_usage(released, 10, 20)
        report = router.cost_report("day")
        self.assertEqual(report["total_requests"], 1)
        self.assertAlmostEqual(report["total_cost_usd"], cost)
        self.assertAlmostEqual(router.budget.spent(), cost)

    def test_long_context_price_is_reserved_and_booked(self) -> None:
        # Regression (edges review #2): a 300k-token Gemini 2.5 Pro request was admitted under $0.50
        # at the base price ($0.385) and billed $0.765 at the above-200k price.
        pro = ModelRegistry.default().get("gemini-2.5-pro")
        prompt = "Sum these: " + "7" * 300_000
        router = Router(registry=registry(pro), budget=Budget(Limit(usd=0.50)))
        with self.assertRaises(BudgetExceededError):
            router.route(prompt, max_tokens=1024)
        router = Router(registry=registry(pro), budget=Budget(Limit(usd=1.0)))
        decision = router.route(prompt, max_tokens=1024)
        self.assertAlmostEqual(decision.reserved_usd, (max_input_tokens(prompt) * 2.5 + 1024 * 15.0) / 1e6)
        booked = router.log_usage(decision, input_tokens=300_000, output_tokens=1024)
        self.assertAlmostEqual(booked, 300_000 * 2.5e-6 + 1024 * 1.5e-5)

    def test_scoped_limits_and_release(self) -> None:
        budget = Budget(Limit(usd=0.002, per="user", window="day"))
        router = Router(registry=registry(CHEAP), budget=budget)
        decision = router.route("hello", keys={"user": "alice"}, max_tokens=500)
        router.release(decision)
        self.assertEqual(budget.spent({"user": "alice"}), 0.0)
        with self.assertRaises(ValueError):
            router.route("hello")  # the limit is per user and no user was given

    def test_budget_pressure_moves_a_tier_down(self) -> None:
        budget = Budget(Limit(usd=1.0))
        router = Router(registry=registry(CHEAP, PRICEY), budget=budget, budget_pressure=(0.5,))
        first = router.route(HARD, max_tokens=10)
        router.release(first)
        held = budget.reserve(usd=0.6)
        try:
            later = router.route(HARD, max_tokens=10)
        finally:
            held.release()
        self.assertEqual(Tier.parse(later.tier), Tier.parse(later.classified_tier).shifted(-1))
        self.assertIn("routed_to_cheaper_tier_due_to_budget_pressure", later.sla_adjustments)

    def test_budget_pressure_stops_at_min_tier(self) -> None:
        # Regression: pressure used to move a min_tier="complex" request to 'moderate' and below.
        budget = Budget(Limit(usd=1.0))
        router = Router(registry=registry(CHEAP, PRICEY), budget=budget, budget_pressure=(0.5, 0.55))
        held = budget.reserve(usd=0.6)
        try:
            at_floor = router.route("hello", min_tier="complex", max_tokens=10)
            above = router.route(HARD, min_tier="complex", max_tokens=10)
        finally:
            held.release()
        self.assertEqual(at_floor.tier, "complex")
        self.assertNotIn("routed_to_cheaper_tier_due_to_budget_pressure", at_floor.sla_adjustments)
        self.assertIn("Budget 60% used: min_tier 'complex' keeps the tier.", at_floor.reasoning)
        self.assertEqual(above.classified_tier, "expert")
        self.assertEqual(above.tier, "complex")  # two steps wanted, one allowed
        self.assertIn("Budget 60% used: moved 1 tier(s) down to 'complex'.", above.reasoning)

    def test_bad_budget_arguments(self) -> None:
        for value, error in (("ten", TypeError), (float("nan"), ValueError), (-1.0, ValueError)):
            with self.subTest(value=value):
                with self.assertRaises(error):
                    Router(budget=value)
        router = Router(registry=registry(CHEAP), budget=1.0)
        for options, error in (({"max_tokens": 0}, ValueError), ({"max_tokens": 1.5}, ValueError),
                               ({"keys": "alice"}, TypeError), ({"priority": "urgent"}, ValueError)):
            with self.subTest(options=options):
                with self.assertRaises(error):
                    router.route("hello", **options)

    def test_workspace_budget_persists(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            router = AdaptiveRouter(tmp, ab_test_rate=0.0, budget=0.5)
            router.register_model(ModelConfig("m", ("trivial", "expert"), 0.001, 0.002))
            decision = router.route("hello", max_tokens=100)
            router.log_usage(decision, 10, 10)
            router.close()
            again = AdaptiveRouter(tmp, ab_test_rate=0.0, budget=0.5)
            self.assertAlmostEqual(again.budget.spent(), 0.00003)
            again.close()


if __name__ == "__main__":
    unittest.main()


class BudgetAlertTest(unittest.TestCase):
    def test_check_budget_alert_reads_the_ledger(self) -> None:
        router = Router(registry=registry(CHEAP), budget=Budget(Limit(usd=0.001)))
        self.assertEqual(router.check_budget_alert()["status"], "ok")
        decision = router.route("hello", max_tokens=100)
        with self.assertLogs("antaris_like", "WARNING") as logs:  # more input than the 5-character prompt's bound
            router.log_usage(decision, input_tokens=400, output_tokens=100)  # $0.0006 of $0.001
        self.assertIn("settled above what it held", logs.output[0])
        alert = router.check_budget_alert()
        self.assertEqual(alert["status"], "ok" if alert["utilization"] < 0.8 else "warning")
        self.assertAlmostEqual(alert["spent_usd"], 0.0006)
        held = router.budget.reserve(usd=0.0004)
        self.assertEqual(router.check_budget_alert()["status"], "critical")
        held.release()


class DefaultsAgreeTest(unittest.TestCase):
    def test_router_defaults_match_admission(self) -> None:
        from antaris_like import admission, router

        self.assertEqual(router.DEFAULT_MAX_TOKENS, admission.DEFAULT_MAX_TOKENS)
        self.assertEqual(router.DEFAULT_PRESSURE, admission.DEFAULT_PRESSURE)
