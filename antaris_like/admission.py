"""Budget admission for routing: reserve the worst case before any network activity.

The worst case of a request on a model is an upper bound of its input tokens
(``text.max_input_tokens``: the UTF-8 byte length, plus 4 special tokens, plus
32 tokens of chat framing around the one user message; a byte-level BPE token
covers at least one byte, so no tokenizer produces more, whatever the script)
at the input price, plus ``max_tokens`` at
the output price. When the caller gives no ``max_tokens`` one is chosen
(``default_max_tokens``, clamped to the model's own output limit) and returned,
so the caller passes it on and the bound holds.

Budget pressure: as the utilisation of the caller's USD limits crosses each
threshold in ``pressure`` (default 80% and 95%), routing moves one tier lower.
When the chosen model does not fit, the cheaper eligible models are tried in
order of what each would reserve, those covering the request's tier first; when
none fits, ``BudgetExceededError`` from the last attempt is raised: nothing has
been sent anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

from .budget import Budget, Reservation
from .errors import BudgetExceededError, NoEligibleModelError
from .registry import ModelInfo
from .text import max_input_tokens
from .tiers import Tier

__all__ = ["Admission", "Admitter", "DEFAULT_MAX_TOKENS", "DEFAULT_PRESSURE"]

DEFAULT_MAX_TOKENS = 1024
DEFAULT_PRESSURE = (0.8, 0.95)


@dataclass(frozen=True)
class Admission:
    """A model admitted under the budget, with the reservation that holds its worst case."""

    model: ModelInfo
    max_tokens: int
    input_bound: int
    worst_usd: Optional[float]
    reservation: Reservation
    notes: Tuple[str, ...] = ()
    adjustments: Tuple[str, ...] = ()


class Admitter:
    """Reserve a request's worst-case cost on a Budget, moving to cheaper models when needed."""

    def __init__(
        self,
        budget: Budget,
        *,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
        pressure: Sequence[float] = DEFAULT_PRESSURE,
    ) -> None:
        if not isinstance(budget, Budget):
            raise TypeError("budget must be a Budget, a number of USD, or None")
        if isinstance(default_max_tokens, bool) or not isinstance(default_max_tokens, int) or default_max_tokens < 1:
            raise ValueError(f"default_max_tokens must be an int >= 1, got {default_max_tokens!r}")
        for value in pressure:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
                raise ValueError(f"budget pressure thresholds must be within (0, 1], got {value!r}")
        self.budget = budget
        self.default_max_tokens = default_max_tokens
        self.pressure = tuple(sorted(float(v) for v in pressure))
        self._counts_usd = any(limit.unit.value == "usd" for limit in budget.limits)

    def pressure_steps(self, keys: Mapping[str, str]) -> Tuple[int, float]:
        """Return how many tiers to move down, and the highest USD utilisation seen for ``keys``."""
        if not self.pressure or not self._counts_usd:
            return 0, 0.0
        status = self.budget.status(keys)
        usage = [s.utilisation for s in status.limits if s.unit == "usd" and s.window != "request"]
        top = max(usage) if usage else 0.0
        return sum(1 for threshold in self.pressure if top >= threshold), top

    def max_tokens_for(self, model: ModelInfo, requested: Optional[int]) -> int:
        """Return the output bound to reserve and send: the caller's, or the default, within the model's limit."""
        if requested is None:
            return min(self.default_max_tokens, model.max_output_tokens)
        return min(requested, model.max_output_tokens)

    def worst_case(self, model: ModelInfo, input_bound: int, max_tokens: int) -> Optional[float]:
        """Return the worst-case USD cost, or None when the model has no known price."""
        return model.calculate_cost(input_bound, max_tokens) if model.is_priced else None

    def admit(
        self,
        text: str,
        chosen: ModelInfo,
        cheaper_pool: Iterable[ModelInfo],
        *,
        max_tokens: Optional[int],
        keys: Mapping[str, str],
        priority: str,
        tier: Optional[Tier] = None,
        input_bound: Optional[int] = None,
    ) -> Admission:
        """Reserve for ``chosen``; failing that, for the models of ``cheaper_pool`` that are cheaper.

        The pool is tried in order of the worst case that would be reserved (the ``max_tokens``
        actually sent to each model), models covering ``tier`` before the others, until one fits.
        """
        if input_bound is None:  # route() passes the bound of the UTF-8 it already holds
            input_bound = max_input_tokens(text)
        notes: List[str] = []
        chosen_cost = self._sort_cost(chosen, input_bound, max_tokens)
        ranked = []
        for m in cheaper_pool:
            if m.name == chosen.name:
                continue
            cost = self._sort_cost(m, input_bound, max_tokens)
            if cost < chosen_cost:
                ranked.append((tier is not None and not m.covers(tier), cost, m.name, m))
        ranked.sort(key=lambda r: r[:3])
        attempts = [chosen] + [r[3] for r in ranked]
        refusal: Optional[BudgetExceededError] = None
        unpriced: List[str] = []
        refused: List[Tuple[float, int]] = []
        for model in attempts:
            out = self.max_tokens_for(model, max_tokens)
            worst = self.worst_case(model, input_bound, out)
            if worst is None and self._counts_usd:
                unpriced.append(model.name)
                notes.append(f"{model.name} has no known price: refused under a USD limit")
                continue
            # Reserving more of every unit than a refused attempt cannot fit either (the ledger's
            # state aside): skipping it keeps a refusal to one reservation per distinct worst case
            # instead of one per registry model.
            if any((worst or 0.0) >= usd and out >= tok for usd, tok in refused):
                continue
            try:
                reservation = self.budget.reserve(
                    usd=worst, tokens=float(input_bound + out), keys=keys, priority=priority,
                )
            except BudgetExceededError as exc:
                refusal = exc
                refused.append((worst or 0.0, out))
                notes.append(
                    f"{model.name}: worst case ${worst or 0:.6f} ({input_bound} input + {out} output tokens) "
                    f"does not fit {exc.scope}"
                )
                continue
            adjustments: Tuple[str, ...] = ()
            if model is not chosen:
                adjustments = ("routed_to_cheaper_model_due_to_budget",)
                notes.append(f"Budget: {chosen.name} does not fit; {model.name} does.")
            if max_tokens is not None and out < max_tokens:
                notes.append(f"max_tokens clamped to {model.name}'s output limit {out}.")
            return Admission(model, out, input_bound, worst, reservation, tuple(notes), adjustments)
        if refusal is not None:
            raise refusal
        raise NoEligibleModelError(
            "no model with a known price can be admitted under a USD budget",
            {name: "no known price (null in the registry)" for name in unpriced},
        )

    def _sort_cost(self, model: ModelInfo, input_bound: int, max_tokens: Optional[int]) -> float:
        """The worst case that admitting ``model`` would reserve (inf when unpriced): the ranking key."""
        if not model.is_priced:
            return math.inf
        return model.calculate_cost(input_bound, self.max_tokens_for(model, max_tokens))
