"""AdaptiveRouter: antaris-router's v2 router on top of Router."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from .decision import RoutingResult
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

    # route() is Router's; decisions come back under antaris's v2 name.
    _result_type = RoutingResult
