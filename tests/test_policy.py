"""Policy: cheapest eligible model for this request, never registration order."""

from __future__ import annotations

import itertools
import unittest

from antaris_like.errors import NoEligibleModelError
from antaris_like.policy import Policy, matches_preference
from antaris_like.registry import ModelInfo
from antaris_like.tiers import Tier


def model(name, provider="openai", price_in=1.0, price_out=2.0, tiers=("trivial", "expert"), **kw):
    return ModelInfo(
        name=name,
        provider=provider,
        input_per_1m=price_in,
        output_per_1m=price_out,
        min_tier=Tier.parse(tiers[0]),
        max_tier=Tier.parse(tiers[1]),
        context_window=kw.pop("context_window", 128_000),
        **kw,
    )


class OrderingTest(unittest.TestCase):
    def test_cheapest_wins_whatever_the_registration_order(self) -> None:
        models = [model("a", price_in=3, price_out=3), model("b", price_in=1, price_out=1), model("c", price_in=2, price_out=2)]
        for perm in itertools.permutations(models):
            with self.subTest(order=[m.name for m in perm]):
                chosen = Policy().select(perm, Tier.SIMPLE, input_tokens=100, output_tokens=50)
                self.assertEqual(chosen.model.name, "b")
                self.assertEqual([m.name for m in chosen.candidates], ["b", "c", "a"])

    def test_cost_of_this_request_decides_not_the_list_price(self) -> None:
        cheap_input = model("cheap-in", price_in=0.1, price_out=10.0)
        cheap_output = model("cheap-out", price_in=5.0, price_out=0.5)
        long_prompt = Policy().select([cheap_input, cheap_output], Tier.SIMPLE, input_tokens=100_000, output_tokens=10)
        long_answer = Policy().select([cheap_input, cheap_output], Tier.SIMPLE, input_tokens=10, output_tokens=100_000)
        self.assertEqual(long_prompt.model.name, "cheap-in")
        self.assertEqual(long_answer.model.name, "cheap-out")

    def test_ties_go_to_quality_then_name(self) -> None:
        models = [model("zeta", quality=0.9), model("alpha", quality=0.5), model("beta", quality=0.9)]
        chosen = Policy().select(models, Tier.SIMPLE, input_tokens=10, output_tokens=10)
        self.assertEqual([m.name for m in chosen.candidates], ["beta", "zeta", "alpha"])

    def test_selected_sentence_for_a_model_put_in_place_of_the_choice(self) -> None:
        chosen = Policy().select([model("a"), model("b", price_in=9)], Tier.SIMPLE, input_tokens=10, output_tokens=10)
        self.assertIn("the cheapest eligible model for 'simple'", chosen.facts(chosen.model)[2])
        other = model("c", provider="anthropic")
        self.assertEqual(chosen.served(other, ["auto-scaled (fallback_chain)", "escalated (low confidence)"]),
                         "Selected c (anthropic), auto-scaled (fallback_chain) then escalated (low confidence) from a, "
                         "the policy's choice for 'simple'.")

    def test_unpriced_models_sort_last(self) -> None:
        unpriced = ModelInfo(name="mystery", provider="x", input_per_1m=None, output_per_1m=None)
        chosen = Policy().select([unpriced, model("known", price_in=50, price_out=50)], Tier.SIMPLE,
                                 input_tokens=10, output_tokens=10)
        self.assertEqual(chosen.model.name, "known")


class EligibilityTest(unittest.TestCase):
    def test_tier_range_capability_and_context(self) -> None:
        small = model("small", price_in=0.1, price_out=0.1, tiers=("trivial", "simple"), context_window=8_000)
        coder = model("coder", price_in=1, price_out=1, tiers=("simple", "complex"), capabilities=("text", "code"))
        big = model("big", price_in=10, price_out=10, tiers=("moderate", "expert"), capabilities=("text", "code", "vision"))
        models = [small, coder, big]
        cases = [
            (Tier.TRIVIAL, {}, 10, "small"),
            (Tier.SIMPLE, {}, 10, "small"),
            (Tier.SIMPLE, {"capability": "code"}, 10, "coder"),
            (Tier.SIMPLE, {}, 20_000, "coder"),  # too long for small's 8k context
            (Tier.MODERATE, {"capability": "vision"}, 10, "big"),
            (Tier.EXPERT, {}, 10, "big"),
        ]
        for tier, options, tokens, expected in cases:
            with self.subTest(tier=tier, options=options, tokens=tokens):
                chosen = Policy().select(models, tier, input_tokens=tokens, output_tokens=10, **options)
                self.assertEqual(chosen.model.name, expected)

    def test_context_window_holds_the_context_count_not_the_cost_estimate(self) -> None:
        small = model("small", price_in=0.1, price_out=0.1, context_window=8_000)
        big = model("big", price_in=10, price_out=10, context_window=200_000)
        chosen = Policy().select([small, big], Tier.SIMPLE, input_tokens=5_000, output_tokens=10,
                                 context_tokens=9_000)
        self.assertEqual(chosen.model.name, "big")
        self.assertIn("9,010 tokens needed", chosen.rejected["small"])
        self.assertAlmostEqual(chosen.costs["big"], big.calculate_cost(5_000, 10))  # costed at the estimate

    def test_rejections_say_why(self) -> None:
        small = model("small", tiers=("trivial", "simple"))
        with self.assertRaises(NoEligibleModelError) as ctx:
            Policy().select([small], Tier.SIMPLE, input_tokens=10, output_tokens=10, capability="vision")
        self.assertIn("small", str(ctx.exception))
        self.assertIn("vision", str(ctx.exception))
        self.assertIn("small", ctx.exception.reasons)

    def test_nearest_range_when_nothing_covers_the_tier(self) -> None:
        weak = model("weak", price_in=0.1, tiers=("trivial", "simple"))
        strong = model("strong", price_in=9, tiers=("complex", "expert"))
        moderate = Policy().select([weak, strong], Tier.MODERATE, input_tokens=10, output_tokens=10)
        self.assertEqual(moderate.model.name, "strong")  # one above beats one below at equal distance
        only_weak = Policy().select([weak], Tier.EXPERT, input_tokens=10, output_tokens=10)
        self.assertEqual(only_weak.model.name, "weak")
        self.assertTrue(any("no model covers" in r for r in only_weak.reasons))

    def test_prefer_provider_and_alias(self) -> None:
        gpt = model("gpt-x", provider="openai", price_in=1)
        claude = model("claude-y", provider="anthropic", price_in=5)
        chosen = Policy().select([gpt, claude], Tier.SIMPLE, input_tokens=10, output_tokens=10, prefer="claude")
        self.assertEqual(chosen.model.name, "claude-y")
        ignored = Policy().select([gpt, claude], Tier.SIMPLE, input_tokens=10, output_tokens=10, prefer="mistral")
        self.assertEqual(ignored.model.name, "gpt-x")
        self.assertTrue(any("ignored" in r for r in ignored.reasons))
        self.assertTrue(matches_preference(claude, "anthropic"))
        self.assertFalse(matches_preference(claude, "openai"))

    def test_unhealthy_models_are_filtered(self) -> None:
        a, b = model("a", price_in=1), model("b", price_in=2)
        chosen = Policy().select([a, b], Tier.SIMPLE, input_tokens=1, output_tokens=1, healthy=lambda m: m.name != "a")
        self.assertEqual(chosen.model.name, "b")


class LearnedQualityTest(unittest.TestCase):
    def test_a_model_that_keeps_failing_moves_behind(self) -> None:
        a, b = model("a", price_in=1), model("b", price_in=2)
        bounds = {Tier.SIMPLE: {"a": 0.2}}
        policy = Policy(failing=lambda tier: bounds.get(tier, {}))
        selection = policy.reorder_by_quality(policy.select([a, b], Tier.SIMPLE, input_tokens=1, output_tokens=1))
        self.assertEqual([m.name for m in selection.candidates], ["b", "a"])
        self.assertTrue(any("Skipped a" in r for r in selection.reasons))
        # Another tier is unaffected.
        other = policy.reorder_by_quality(policy.select([a, b], Tier.COMPLEX, input_tokens=1, output_tokens=1))
        self.assertEqual(other.model.name, "a")

    def test_when_every_model_fails_cost_order_is_kept(self) -> None:
        a, b = model("a", price_in=1), model("b", price_in=2)
        policy = Policy(failing=lambda tier: {"a": 0.1, "b": 0.1})
        selection = policy.reorder_by_quality(policy.select([a, b], Tier.SIMPLE, input_tokens=1, output_tokens=1))
        self.assertEqual(selection.model.name, "a")



if __name__ == "__main__":
    unittest.main()
