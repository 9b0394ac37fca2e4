"""The exception tree of antaris_like.

Every error the package raises on purpose is one of these, or a built-in
``TypeError`` / ``ValueError`` for a programmer mistake (wrong argument type,
empty prompt). Errors about user-supplied values also subclass ``ValueError``
so that ``except ValueError`` keeps working for callers who do not know the
tree.

    AntarisError
    ├── ConfigurationError        bad registry / options (also a ValueError)
    │   └── TrainingDataError     a training file row is unusable .path .line (training.py)
    ├── StateError                workspace unreadable or corrupt, schema too new
    ├── UnknownDecisionError      report_outcome() for a prompt_hash never routed (also a LookupError)
    ├── NoEligibleModelError      nothing fits the tier, capabilities, health and budget
    ├── BudgetExceededError       raised before any network activity
    └── ProviderError             .provider .model
        ├── ProviderTimeoutError
        ├── ProviderHTTPError     .status .body .retry_after
        ├── ProviderResponseError malformed or truncated response
        └── CircuitOpenError      .retry_after
"""

from __future__ import annotations

import math
from typing import Mapping, Optional

__all__ = [
    "AntarisError",
    "BudgetExceededError",
    "CircuitOpenError",
    "ConfigurationError",
    "NoEligibleModelError",
    "ProviderError",
    "ProviderHTTPError",
    "ProviderResponseError",
    "ProviderTimeoutError",
    "StateError",
    "UnknownDecisionError",
]


class AntarisError(Exception):
    """Root of every error antaris_like raises on purpose."""


class ConfigurationError(AntarisError, ValueError):
    """A registry, option or argument value is invalid; the message names the key and the fix."""


class StateError(AntarisError):
    """Persisted state cannot be used: unreadable, corrupt, or written by a newer version."""


class UnknownDecisionError(AntarisError, LookupError):
    """An outcome was reported for a prompt_hash that this workspace never routed (or has forgotten)."""

    def __init__(self, prompt_hash: str, detail: str = "") -> None:
        self.prompt_hash = prompt_hash
        message = (
            f"no routing decision is known for prompt_hash {prompt_hash!r}: "
            "report outcomes with the prompt_hash returned by route()"
        )
        if detail:
            message += f" ({detail})"
        super().__init__(message)

    def __str__(self) -> str:  # LookupError would otherwise quote the message like a key
        return str(self.args[0])


class NoEligibleModelError(AntarisError):
    """No registered model can serve the request; ``reasons`` says why, model by model."""

    def __init__(self, message: str, reasons: Optional[Mapping[str, str]] = None) -> None:
        self.reasons = dict(reasons or {})
        if self.reasons:
            details = "; ".join(f"{name}: {why}" for name, why in sorted(self.reasons.items()))
            message = f"{message} ({details})"
        super().__init__(message)


class BudgetExceededError(AntarisError):
    """A request would exceed a budget limit; raised before any network activity."""

    def __init__(
        self,
        scope: str,
        limit: float,
        spent: float,
        reserved: float,
        requested: float,
        unit: str = "usd",
        message: str = "",
    ) -> None:
        self.scope = scope
        self.limit = limit
        self.spent = spent
        self.reserved = reserved
        self.requested = requested
        self.unit = unit
        remaining = limit - spent - reserved
        self.remaining = remaining if math.isfinite(remaining) else 0.0
        if not message:
            message = (
                f"budget exceeded for {scope}: requested {requested:.6g} {unit}, "
                f"limit {limit:.6g}, spent {spent:.6g}, reserved {reserved:.6g}, "
                f"remaining {max(self.remaining, 0.0):.6g}"
            )
        super().__init__(message)


class ProviderError(AntarisError):
    """A model provider failed to answer; ``provider`` and ``model`` say which."""

    def __init__(self, message: str, provider: str = "", model: str = "") -> None:
        self.provider = provider
        self.model = model
        super().__init__(message)


class ProviderTimeoutError(ProviderError):
    """The provider did not answer within the timeout."""


class ProviderHTTPError(ProviderError):
    """The provider answered with an HTTP error status."""

    def __init__(
        self,
        message: str,
        provider: str = "",
        model: str = "",
        status: int = 0,
        body: str = "",
        retry_after: Optional[float] = None,
    ) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after
        super().__init__(message, provider=provider, model=model)


class ProviderResponseError(ProviderError):
    """The provider's answer was malformed or cut short."""


class CircuitOpenError(ProviderError):
    """The circuit breaker for this provider/model is open; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, provider: str = "", model: str = "", retry_after: float = 0.0) -> None:
        self.retry_after = retry_after
        super().__init__(message, provider=provider, model=model)
