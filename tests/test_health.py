"""ProviderHealth: client errors left out of health, the circuit breaker, saved state, and the router's use."""

from __future__ import annotations

import logging
import unittest
from typing import List

from antaris_like import ModelRegistry, Router
from antaris_like.health import BreakerState, HealthEvent, ProviderHealth, is_client_error
from antaris_like.registry import ModelInfo


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Named:
    def __init__(self, name: str) -> None:
        self.name = name


class ClientErrorTest(unittest.TestCase):
    def test_classification_table(self) -> None:
        table = [
            ("error", "context_exceeded", None, True),
            ("error", "Context_Length_Exceeded", None, True),
            ("error", "invalid_request_error", None, True),
            ("error", "HTTP 400", None, True),
            ("error", "status=413", None, True),
            ("error", "404", None, True),
            ("error", "", 400, True),
            ("error", "", 401, True),
            ("error", "rate_limited", None, False),
            ("error", "HTTP 429", None, False),
            ("error", "", 429, False),
            ("error", "", 408, False),
            ("error", "", 500, False),
            ("error", "context_exceeded", 503, False),  # an explicit status wins over the wording
            ("error", "took 450 ms", None, False),  # a number that is not a status code
            ("timeout", "context_exceeded", None, False),
            ("success", "", 400, False),
        ]
        for event, details, status, expected in table:
            with self.subTest(event=event, details=details, status=status):
                self.assertIs(is_client_error(HealthEvent(0.0, event, None, details, status)), expected)

    def test_client_errors_do_not_count(self) -> None:
        health = ProviderHealth(clock=Clock())
        for _ in range(5):
            health.record("m", "error", details="context_exceeded")
            health.record("m", "error", status=400)
        report = health.status("m")
        self.assertEqual(report["status"], "healthy")
        self.assertEqual(report["circuit"], "closed")
        self.assertEqual(report["success_rate_1h"], 1.0)
        self.assertIn("context_exceeded", report["recent_errors"])  # still shown
        self.assertEqual(report["events_1h"], 10)
        self.assertTrue(health.is_healthy("m"))

    def test_rate_limits_and_server_errors_count(self) -> None:
        health = ProviderHealth(clock=Clock())
        health.record("m", "error", details="rate_limited")
        health.record("m", "error", status=503)
        health.record("m", "error", status=408)
        self.assertEqual(health.status("m")["status"], "down")
        self.assertFalse(health.is_healthy("m"))

    def test_bad_status(self) -> None:
        health = ProviderHealth()
        for bad, error in ((True, TypeError), ("400", TypeError), (4000, ValueError), (99, ValueError)):
            with self.subTest(status=bad), self.assertRaises(error):
                health.record("m", "error", status=bad)  # type: ignore[arg-type]
        with self.assertRaisesRegex(ValueError, "cooldown_seconds"):
            ProviderHealth(cooldown_seconds=-1)


class BreakerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.health = ProviderHealth(clock=self.clock, cooldown_seconds=60)

    def trip(self, model: str = "m") -> None:
        for _ in range(3):
            self.health.record(model, "timeout")

    def test_one_timeout_is_not_degraded(self) -> None:
        self.health.record("m", "timeout")
        self.assertEqual(self.health.status("m")["status"], "healthy")  # one call says little
        self.assertEqual(self.health.status("m")["success_rate_1h"], 0.0)
        self.assertTrue(self.health.is_healthy("m"))

    def test_open_cooldown_half_open_one_probe_success_closes(self) -> None:
        self.trip()
        self.assertIs(self.health.breaker_state("m"), BreakerState.OPEN)
        self.assertFalse(self.health.is_healthy("m"))
        self.clock.now += 59.5
        self.assertIs(self.health.breaker_state("m"), BreakerState.OPEN)
        self.clock.now += 0.5
        self.assertIs(self.health.breaker_state("m"), BreakerState.HALF_OPEN)
        self.assertTrue(self.health.is_healthy("m"))  # a look does not take the probe
        first, second = self.health.gate(), self.health.gate()
        self.assertTrue(first(Named("m")))
        self.assertFalse(second(Named("m")), "exactly one probe")
        self.health.routed("m", first)
        self.assertFalse(self.health.is_healthy("m"))
        self.health.record("m", "success", latency_ms=100.0)
        self.assertIs(self.health.breaker_state("m"), BreakerState.CLOSED)
        self.assertEqual(self.health.status("m")["status"], "healthy")  # judged since the close
        self.assertEqual(self.health.status("m")["success_rate_1h"], 0.25)  # the hour still shows it
        self.assertTrue(self.health.is_healthy("m"))

    def test_failed_probe_reopens(self) -> None:
        self.trip()
        self.clock.now += 60
        self.health.routed("m")
        self.health.record("m", "error", details="overloaded")
        self.assertIs(self.health.breaker_state("m"), BreakerState.OPEN)
        self.clock.now += 59
        self.assertFalse(self.health.is_healthy("m"))  # a fresh cool-down from the failed probe
        self.clock.now += 1
        self.assertTrue(self.health.is_healthy("m"))

    def test_client_error_probe_closes(self) -> None:
        self.trip()
        self.clock.now += 60
        self.health.routed("m")
        self.health.record("m", "error", status=400)  # the provider answered
        self.assertIs(self.health.breaker_state("m"), BreakerState.CLOSED)

    def test_lost_probe_is_given_up_after_a_cooldown(self) -> None:
        self.trip()
        self.clock.now += 60
        self.health.routed("m")
        self.assertFalse(self.health.is_healthy("m"))
        self.clock.now += 60
        self.assertTrue(self.health.is_healthy("m"))

    def test_unused_claims_go_back(self) -> None:
        self.trip("a")
        self.trip("b")
        self.clock.now += 60
        gate = self.health.gate()
        self.assertTrue(gate(Named("a")))
        self.assertTrue(gate(Named("b")))
        self.health.routed("b", gate)
        self.assertTrue(self.health.is_healthy("a"), "a's probe was not used")
        self.assertFalse(self.health.is_healthy("b"))

    def test_low_rate_over_enough_calls_trips(self) -> None:
        for i in range(10):
            self.health.record("m", "success" if i % 2 else "timeout")
        self.assertEqual(self.health.status("m")["status"], "degraded")
        self.assertEqual(self.health.status("m")["circuit"], "open")


class SavedStateTest(unittest.TestCase):
    def test_old_rows_load_and_breaker_is_rebuilt(self) -> None:
        clock = Clock()
        health = ProviderHealth(clock=clock)
        t = clock.now - 30
        health.load_dict({
            "m": [[t, "timeout", None, ""], [t, "timeout", None, ""], [t, "error", None, "rate_limited"]],
            "c": [[t, "error", None, "context_exceeded"]] * 3,  # an old file's client errors stop counting
        })
        self.assertIs(health.breaker_state("m"), BreakerState.OPEN)
        self.assertTrue(health.is_healthy("c"))
        clock.now += 30
        self.assertIs(health.breaker_state("m"), BreakerState.HALF_OPEN)  # cool-down counted from the events

    def test_status_round_trips(self) -> None:
        health = ProviderHealth(clock=Clock())
        health.record("m", "error", details="boom", status=502)
        health.record("m", "success", latency_ms=3.0)
        rows = health.to_dict()["m"]
        self.assertEqual(rows, [[1_000_000.0, "error", None, "boom", 502], [1_000_000.0, "success", 3.0, ""]])
        again = ProviderHealth(clock=Clock())
        again.load_dict({"m": rows})
        self.assertEqual(again.to_dict(), health.to_dict())

    def test_bad_status_rows_skipped(self) -> None:
        health = ProviderHealth(clock=Clock())
        with self.assertLogs("antaris_like", logging.WARNING):
            health.load_dict({"m": [[1.0, "error", None, "", "500"], [1.0, "error", None, "", True],
                                    [1.0, "error", None, "", 1000], [1.0, "error", None, "", 500, 1]]})
        self.assertEqual(health.to_dict(), {"m": []})


def cheap_and_backup_router(clock: Clock) -> Router:
    registry = ModelRegistry([
        ModelInfo(name="cheap", provider="p", input_per_1m=0.1, output_per_1m=0.1, min_tier="trivial",
                  max_tier="expert"),
        ModelInfo(name="backup", provider="p", input_per_1m=1.0, output_per_1m=1.0, min_tier="trivial",
                  max_tier="expert"),
    ])
    return Router(registry=registry, clock=clock)


class RouterBreakerTest(unittest.TestCase):
    def test_prefer_healthy_probes_once_then_recovers(self) -> None:
        clock = Clock()
        router = cheap_and_backup_router(clock)
        prompt = "Translate 'good morning' to French"
        self.assertEqual(router.route(prompt).model, "cheap")
        for _ in range(3):
            router.record_provider_event("cheap", "timeout")
        self.assertEqual(router.route(prompt, prefer_healthy=True).model, "backup")
        clock.now += 60
        seen: List[str] = [router.route(prompt, prefer_healthy=True).model for _ in range(3)]
        self.assertEqual(seen, ["cheap", "backup", "backup"], "one probe while half-open")
        router.record_provider_event("cheap", "success", latency_ms=50.0)
        self.assertEqual(router.route(prompt, prefer_healthy=True).model, "cheap")
        self.assertEqual(router.get_provider_health("cheap")["status"], "healthy")

    def test_client_errors_keep_the_model(self) -> None:
        router = cheap_and_backup_router(Clock())
        for _ in range(5):
            router.record_provider_event("cheap", "error", details="context_exceeded")
            router.record_provider_event("cheap", "error", status=413)
        self.assertEqual(router.route("hello there", prefer_healthy=True).model, "cheap")


if __name__ == "__main__":
    unittest.main()


def _pair(clock: Clock, **budget: object) -> Router:
    """Models a (cheap) and b (pricier) for every tier; a's breaker tripped, its cool-down served."""
    from antaris_like.tiers import Tier

    a = ModelInfo(name="a", provider="pa", input_per_1m=1.0, output_per_1m=2.0, min_tier=Tier.TRIVIAL,
                  max_tier=Tier.EXPERT, max_output_tokens=4096)
    b = ModelInfo(name="b", provider="pb", input_per_1m=5.0, output_per_1m=10.0, min_tier=Tier.TRIVIAL,
                  max_tier=Tier.EXPERT, max_output_tokens=4096)
    router = Router(registry=ModelRegistry([a, b]), fallback_chain=["a", "b"], clock=clock, **budget)  # type: ignore[arg-type]
    for _ in range(3):
        router.record_provider_event("a", "error", details="HTTP 503")
    clock.now += 61
    return router


class ProbeRoutingTest(unittest.TestCase):
    """Review of the merged breaker (each failed before its fix)."""

    def test_auto_scale_sends_the_probe_it_claimed(self) -> None:
        clock = Clock()
        router = _pair(clock)
        self.assertEqual(router.health.breaker_state("a"), BreakerState.HALF_OPEN)
        decision = router.route("Say hello.", prefer_healthy=True, auto_scale=True)
        self.assertEqual(decision.model, "a")  # it was moved to b, every time, and a never recovered
        router.record_provider_event("a", "success", latency_ms=100.0)
        self.assertEqual(router.health.breaker_state("a"), BreakerState.CLOSED)

    def test_a_refused_routing_gives_its_probe_back(self) -> None:
        from antaris_like import Budget, BudgetExceededError, Limit

        clock = Clock()
        router = _pair(clock, budget=Budget(Limit(usd=0.015, window="request"), clock=clock))
        with self.assertRaises(BudgetExceededError):
            router.route("word " * 4000, prefer_healthy=True)  # nothing was sent, so nothing was probed
        self.assertTrue(router.health.is_healthy("a"))
        self.assertEqual(router.route("Say hello.", prefer_healthy=True).model, "a")

    def test_a_breaker_closed_by_its_probe_stays_closed_after_a_reload(self) -> None:
        clock = Clock()
        health = ProviderHealth(clock=clock)
        for event in ["success"] * 7 + ["error"] * 3:
            health.record("m", event, latency_ms=100.0 if event == "success" else None)
            clock.now += 1
        self.assertEqual(health.breaker_state("m"), BreakerState.OPEN)
        clock.now += 61
        health.record("m", "success", latency_ms=100.0)
        self.assertEqual(health.breaker_state("m"), BreakerState.CLOSED)
        restored = ProviderHealth(clock=clock)
        restored.load_dict(health.to_dict())
        self.assertEqual(restored.breaker_state("m"), BreakerState.CLOSED)
        self.assertEqual(restored.status("m")["status"], "healthy")

    def test_http_client_libraries_error_texts_are_client_errors(self) -> None:
        for details, client in (("HTTP Error 404: Not Found", True),  # str(urllib.error.HTTPError)
                                ("404 Client Error: Not Found for url: https://x", True),  # requests
                                ("Client error '400 Bad Request' for url 'https://x'", True),  # httpx
                                ("503 Server Error: Service Unavailable", False),
                                ("Server error '502 Bad Gateway' for url 'https://x'", False),
                                ("HTTP Error 429: Too Many Requests", False)):
            with self.subTest(details=details):
                self.assertIs(is_client_error(HealthEvent(0.0, "error", None, details)), client)
