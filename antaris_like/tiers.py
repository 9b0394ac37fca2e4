"""The five ordered complexity tiers."""

from __future__ import annotations

import enum
from typing import Tuple, Union

__all__ = ["Tier", "TIERS", "TIER_NAMES", "RANK"]


class Tier(str, enum.Enum):
    """A complexity tier; compares by rank, and equals its string value."""

    TRIVIAL = "trivial"
    SIMPLE = "simple"
    MODERATE = "moderate"
    COMPLEX = "complex"
    EXPERT = "expert"

    @property
    def rank(self) -> int:
        """0 for trivial up to 4 for expert."""
        return _RANK[self]

    @classmethod
    def parse(cls, value: Union[Tier, str], what: str = "tier") -> Tier:
        """Return the tier named by ``value``; raise ``ValueError`` naming ``what`` otherwise."""
        if type(value) is str:  # the hot path: an exact, already-normalised name
            found = _BY_NAME.get(value)
            if found is not None:
                return found
        if isinstance(value, Tier):
            return value
        if isinstance(value, str):
            tier = _BY_NAME.get(value.strip().lower())
            if tier is not None:
                return tier
            raise ValueError(f"{what} must be one of {', '.join(TIER_NAMES)}; got {value!r}")
        raise TypeError(f"{what} must be a tier name (str), got {type(value).__name__}")

    @classmethod
    def from_rank(cls, rank: int) -> Tier:
        """Return the tier at ``rank``, clamped to trivial..expert."""
        return TIERS[min(max(int(rank), 0), len(TIERS) - 1)]

    def shifted(self, steps: int) -> Tier:
        """Return the tier ``steps`` above (or below, if negative) this one, clamped."""
        return Tier.from_rank(self.rank + steps)

    def __str__(self) -> str:
        return self.value

    # str's ordering would compare names alphabetically; tiers order by rank.
    def __lt__(self, other: object) -> bool:
        if isinstance(other, Tier):
            return self.rank < other.rank
        return NotImplemented

    def __le__(self, other: object) -> bool:
        if isinstance(other, Tier):
            return self.rank <= other.rank
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if isinstance(other, Tier):
            return self.rank > other.rank
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if isinstance(other, Tier):
            return self.rank >= other.rank
        return NotImplemented

    __hash__ = str.__hash__


TIERS: Tuple[Tier, ...] = tuple(Tier)
TIER_NAMES: Tuple[str, ...] = tuple(t.value for t in TIERS)
_RANK = {tier: index for index, tier in enumerate(TIERS)}
RANK = _RANK  # Tier -> 0..4, for hot loops that cannot afford the rank property
_BY_NAME = {tier.value: tier for tier in TIERS}
