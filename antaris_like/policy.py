"""Choose a model for a tier: filters, cost ordering, learned-quality skips.

Pure logic: no I/O, no clock. The router hands in the registry's models, the
request's size, and lookups for learned quality and provider health; the
policy returns the ordered candidates and why every other model was passed over.

Ordering is by the estimated cost of *this* request (input tokens at the input
price plus output tokens at the output price), then by quality prior (higher
first), then by name, so the result never depends on registration order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .errors import NoEligibleModelError
from .registry import ModelInfo
from .tiers import Tier

__all__ = ["Policy", "Selection", "request_cost", "matches_preference"]

# Models that learned outcomes show keep failing at a tier: {model name: upper bound of its success rate}.
FailingLookup = Callable[[Tier], Mapping[str, float]]
HealthLookup = Callable[[ModelInfo], bool]

# Provider aliases people use in `prefer=` (the manual writes prefer="claude").
_PROVIDER_ALIASES = {
    "claude": "anthropic",
    "gpt": "openai",
    "chatgpt": "openai",
    "gemini": "google",
    "local": "ollama",
}


def request_cost(model: ModelInfo, input_tokens: int, output_tokens: int) -> float:
    """Return the USD cost of a request on ``model``; ``inf`` when the model is unpriced."""
    if not model.is_priced:
        return math.inf
    return model.calculate_cost(input_tokens, output_tokens)


def matches_preference(model: ModelInfo, prefer: str) -> bool:
    """Return True if ``prefer`` names the model's provider (or an alias of it) or the model itself."""
    wanted = prefer.strip().lower()
    provider = model.provider.lower()
    return (
        wanted == provider
        or _PROVIDER_ALIASES.get(wanted) == provider
        or model.name.lower() == wanted
        or model.name.lower().startswith(wanted + "-")
    )


@dataclass(frozen=True)
class Selection:
    """The outcome of a policy choice: ordered candidates (best first) and the reasons behind it."""

    model: ModelInfo
    tier: Tier
    candidates: Tuple[ModelInfo, ...]
    costs: Mapping[str, float]
    rejected: Mapping[str, str] = field(default_factory=dict)
    reasons: Tuple[str, ...] = ()

    @property
    def fallbacks(self) -> List[str]:
        """Names of the other candidates, in the order they would be tried."""
        return [m.name for m in self.candidates if m.name != self.model.name]

    def facts(self, chosen: ModelInfo) -> Tuple[Any, ...]:
        """Return what a decision for ``chosen`` repeats from this selection, computed once per model.

        (fallback names, alternatives, the "Selected ..." sentence, tier range names). Selections are
        cached by the router and reused across requests, so route() formats none of this again.
        """
        memo = self.__dict__.setdefault("_facts", {})  # frozen: a private memo, not a field
        found = memo.get(chosen.name)
        if found is None:
            rest = [m for m in self.candidates if m.name != chosen.name]
            found = (
                tuple(m.name for m in rest),
                tuple((m.name, self.costs.get(m.name, math.inf)) for m in rest[:3]),
                f"Selected {chosen.name} ({chosen.provider}), the cheapest eligible model for '{self.tier._value_}'.",
                (chosen.min_tier._value_, chosen.max_tier._value_),
            )
            memo[chosen.name] = found
        return found

    def served(self, chosen: ModelInfo, steps: Sequence[str]) -> str:
        """Return the "Selected ..." sentence for ``chosen`` when ``steps`` put it in place of ``model``.

        facts() says the model is the cheapest eligible one for the tier, which is only true of ``model``.
        """
        how = " then ".join(steps) or "swapped in"
        return (f"Selected {chosen.name} ({chosen.provider}), {how} from {self.model.name}, "
                f"the policy's choice for '{self.tier._value_}'.")


class Policy:
    """Select the cheapest model able to serve a tier."""

    def __init__(
        self,
        *,
        failing: Optional[FailingLookup] = None,
    ) -> None:
        self._failing = failing

    def select(
        self,
        models: Iterable[ModelInfo],
        tier: Tier,
        *,
        input_tokens: int,
        output_tokens: int,
        capability: Optional[str] = None,
        prefer: Optional[str] = None,
        healthy: Optional[HealthLookup] = None,
        exclude: Sequence[str] = (),
        context_tokens: Optional[int] = None,
    ) -> Selection:
        """Return the ordered candidates for ``tier``; raise NoEligibleModelError if there are none.

        ``input_tokens`` orders by cost; ``context_tokens`` (default ``input_tokens``), a
        conservative count such as ``text.context_tokens``, is what the context window must hold.
        """
        reasons: List[str] = []
        usable, rejected = self.eligible(
            models, input_tokens=input_tokens, output_tokens=output_tokens,
            capability=capability, healthy=healthy, exclude=exclude, context_tokens=context_tokens,
        )
        if not usable:
            raise NoEligibleModelError(f"no model can serve a {tier.value!r} request", rejected)

        covering = [m for m in usable if m.covers(tier)]
        if covering:
            pool = covering
            if len(covering) < len(usable):
                # By identity: ``in`` on a list of dataclasses would compare every field of every pair.
                kept = {id(m) for m in covering}
                for m in usable:
                    if id(m) not in kept:
                        rejected[m.name] = f"tier range {m.min_tier._value_}..{m.max_tier._value_} excludes {tier._value_}"
        else:
            pool = _nearest_range(usable, tier)
            reasons.append(
                f"no model covers {tier.value!r}; nearest: "
                f"{pool[0].name} ({pool[0].min_tier.value}..{pool[0].max_tier.value})"
            )

        costs = {m.name: request_cost(m, input_tokens, output_tokens) for m in pool}
        ordered = sorted(pool, key=lambda m: (costs[m.name], -m.quality, m.name))

        if prefer:
            preferred = [m for m in ordered if matches_preference(m, prefer)]
            if preferred:
                first = {id(m) for m in preferred}
                ordered = preferred + [m for m in ordered if id(m) not in first]
                reasons.append(f"preferred provider {prefer!r}")
            else:
                reasons.append(f"no eligible model matches prefer={prefer!r}; ignored")

        chosen = ordered[0]
        if not chosen.is_priced:
            reasons.append(f"{chosen.name} has no known price; its cost is unknown")
        return Selection(
            model=chosen,
            tier=tier,
            candidates=tuple(ordered),
            costs=costs,
            rejected=rejected,
            reasons=tuple(reasons),
        )

    @staticmethod
    def eligible(
        models: Iterable[ModelInfo],
        *,
        input_tokens: int,
        output_tokens: int,
        capability: Optional[str] = None,
        healthy: Optional[HealthLookup] = None,
        exclude: Sequence[str] = (),
        context_tokens: Optional[int] = None,
    ) -> Tuple[List[ModelInfo], Dict[str, str]]:
        """Return the models that can take this request at all, and why each other one cannot.

        These are the hard filters (exclusion, capability, context window, health); the tier range
        only orders or narrows what passes them. Budget admission draws its fallbacks from the same
        list, so a model select() would never offer is never reserved for either.
        """
        rejected: Dict[str, str] = {}
        usable: List[ModelInfo] = []
        needed_context = (input_tokens if context_tokens is None else context_tokens) + output_tokens
        for model in models:
            if model.name in exclude:
                rejected[model.name] = "excluded"
            elif capability and not model.has_capability(capability):
                rejected[model.name] = f"lacks capability {capability!r}"
            elif model.context_window and needed_context > model.context_window:
                rejected[model.name] = (
                    f"context window {model.context_window:,} < {needed_context:,} tokens needed"
                )
            elif healthy is not None and not healthy(model):
                rejected[model.name] = "provider unhealthy"
            else:
                usable.append(model)
        return usable, rejected

    def reorder_by_quality(self, selection: Selection) -> Selection:
        """Move models that learned outcomes show keep failing at the tier behind the others.

        Kept apart from select() because learned quality changes with every
        outcome while the cost order does not, so callers may cache select().
        """
        if self._failing is None or len(selection.candidates) < 2:
            return selection
        bounds = self._failing(selection.tier)
        if not bounds:  # the common case: nothing learned against any model, nothing to reorder
            return selection
        passing: List[ModelInfo] = []
        failing: List[ModelInfo] = []
        notes: List[str] = []
        for model in selection.candidates:
            bound = bounds.get(model.name)
            if bound is not None:
                failing.append(model)
                notes.append(
                    f"Skipped {model.name}: learned success at '{selection.tier.value}' is at most {bound:.0%}."
                )
            else:
                passing.append(model)
        if not failing or not passing:  # nothing to skip, or every model fails: keep cost order
            return selection
        ordered = tuple(passing + failing)
        return Selection(
            model=ordered[0],
            tier=selection.tier,
            candidates=ordered,
            costs=selection.costs,
            rejected=selection.rejected,
            reasons=selection.reasons + tuple(notes),
        )


def _nearest_range(models: Sequence[ModelInfo], tier: Tier) -> List[ModelInfo]:
    """Order models by how close their tier range is to ``tier``, stronger models first on ties."""

    def distance(m: ModelInfo) -> Tuple[int, int]:
        if m.min_tier > tier:
            return (m.min_tier.rank - tier.rank, 0)  # above: prefer over a weaker model
        return (tier.rank - m.max_tier.rank, 1)

    best = min(distance(m) for m in models)
    return [m for m in models if distance(m) == best]
