"""AdaptiveRouter: antaris-router's v2 router on top of Router."""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Optional, Tuple

from .decision import ABTest, RoutingResult
from .errors import NoEligibleModelError
from .registry import ModelRegistry
from .router import PathLike, Router

__all__ = ["AdaptiveRouter"]


class AdaptiveRouter(Router):
    """antaris-router's v2 router: starts with only the models registered on it, persists to ``workspace``.

    ``ab_test_rate`` is the exploration rate: that share of decisions tries one
    tier lower, so outcomes keep telling whether a cheaper model suffices.
    """

    def __init__(
        self,
        workspace: PathLike,
        ab_test_rate: float = 0.05,
        *,
        registry: Optional[ModelRegistry] = None,
        seed: Optional[int] = None,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        if workspace is None:
            raise TypeError("AdaptiveRouter needs a workspace folder path")
        super().__init__(
            workspace=workspace,
            registry=registry if registry is not None else ModelRegistry(),
            exploration_rate=ab_test_rate,
            seed=seed,
            clock=clock,
            **options,
        )
        self.ab_test_rate = self.exploration_rate

    def route(  # type: ignore[override]
        self,
        prompt: str,
        context: Optional[Mapping[str, Any]] = None,
        prefer: Optional[str] = None,
        min_tier: Optional[str] = None,
        capability: Optional[str] = None,
        estimate_tokens: Optional[Tuple[int, int]] = None,
        ab_test: Optional[ABTest] = None,
        prefer_healthy: bool = False,
        auto_scale: bool = False,
        *,
        max_tokens: Optional[int] = None,
        keys: Optional[Mapping[str, str]] = None,
        priority: str = "normal",
    ) -> RoutingResult:
        """Classify ``prompt`` and choose the model to answer it."""
        if len(self.registry) == 0:
            raise NoEligibleModelError("no models registered: call register_model(ModelConfig(...)) first")
        result: RoutingResult = self._route(
            prompt, context, prefer, min_tier, capability, estimate_tokens, ab_test,
            prefer_healthy, auto_scale, RoutingResult, max_tokens, keys, priority,
        )
        return result
