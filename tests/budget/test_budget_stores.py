"""One contract suite, run against every store: memory, SQLite, Redis and PostgreSQL."""

from __future__ import annotations

import math
import sqlite3
import tempfile
import threading
import unittest
from typing import Any, List, Optional

from antaris_like.budget import Budget, BudgetExceededError, Limit, UnknownReservationError
from antaris_like.errors import StateError

from ._support import (
    drop_store,
    make_store,
    new_spec,
    postgres_connect,
    postgres_skip_reason,
    redis_client,
    redis_skip_reason,
)

T0 = 1715774400.0  # 2024-05-15 12:00:00 UTC, a Wednesday


class Clock:
    """An injected clock: tests move time, nobody sleeps."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class StoreContract:
    """The behaviour every store must show; mixed into one TestCase per store."""

    kind = "memory"

    def skip_reason(self) -> Optional[str]:
        return None

    def setUp(self) -> None:
        reason = self.skip_reason()
        if reason:
            self.skipTest(reason)  # type: ignore[attr-defined]
        self._tmp = tempfile.TemporaryDirectory()
        self.spec = new_spec(self.kind, self._tmp.name)
        self.store = make_store(self.spec)
        self.clock = Clock()
        self.addCleanup(self._cleanup)  # type: ignore[attr-defined]

    def _cleanup(self) -> None:
        self.store.close()
        drop_store(self.spec)
        self._tmp.cleanup()

    def budget(self, *limits: Limit, **kwargs: Any) -> Budget:
        kwargs.setdefault("clock", self.clock)
        return Budget(*(limits or (Limit(usd=1.0),)), store=self.store, **kwargs)

    def corrupt_counter(self, budget: Budget) -> None:
        """Write a NaN into the first limit's counter (store specific)."""
        raise NotImplementedError

    # --- reserve, settle, release -------------------------------------------------------------

    def test_settle_less_charges_the_actual(self) -> None:
        budget = self.budget()
        reservation = budget.reserve(usd=0.5)
        self.assertEqual(budget.status().limits[0].reserved, 0.5)
        result = reservation.settle(usd=0.2)
        self.assertEqual(result.charged["usd"], 0.2)
        self.assertFalse(result.overage)
        status = budget.status().limits[0]
        self.assertAlmostEqual(status.spent, 0.2)
        self.assertEqual(status.reserved, 0.0)
        self.assertAlmostEqual(budget.remaining(), 0.8)

    def test_release_gives_everything_back(self) -> None:
        budget = self.budget()
        budget.reserve(usd=0.9).release()
        self.assertEqual(budget.spent(), 0.0)
        self.assertEqual(budget.status().limits[0].reserved, 0.0)
        budget.reserve(usd=1.0).settle()  # the whole cap is usable again
        self.assertEqual(budget.spent(), 1.0)

    def test_refusal_carries_the_numbers(self) -> None:
        budget = self.budget(Limit(usd=1.0, per="user", window="day"))
        budget.reserve(usd=0.6, keys={"user": "alice"}).settle(usd=0.5)
        budget.reserve(usd=0.3, keys={"user": "alice"})
        with self.assertRaises(BudgetExceededError) as caught:  # type: ignore[attr-defined]
            budget.reserve(usd=0.25, keys={"user": "alice"})
        error = caught.exception
        self.assertEqual((error.limit, error.requested, error.unit), (1.0, 0.25, "usd"))
        self.assertAlmostEqual(error.spent, 0.5)
        self.assertAlmostEqual(error.reserved, 0.3)
        self.assertAlmostEqual(error.remaining, 0.2)
        self.assertIn("user=alice", error.scope)
        self.assertRegex(str(error), r"budget exceeded for user=alice")  # type: ignore[attr-defined]
        budget.reserve(usd=0.25, keys={"user": "bob"}).release()  # another user is unaffected

    def test_reservations_count_against_the_cap(self) -> None:
        budget = self.budget()
        held = [budget.reserve(usd=0.25) for _ in range(4)]
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve(usd=0.01)
        held[0].release()
        budget.reserve(usd=0.25)

    def test_refusal_records_nothing_on_any_limit(self) -> None:
        budget = self.budget(Limit(usd=10.0, per="org"), Limit(usd=1.0, per="user"))
        keys = {"org": "acme", "user": "alice"}
        budget.reserve(usd=0.9, keys=keys).settle()
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve(usd=0.2, keys=keys)
        org = budget.status({"org": "acme"}).limits[0]
        self.assertAlmostEqual(org.spent, 0.9)
        self.assertEqual(org.reserved, 0.0)

    def test_settle_above_reservation_is_recorded_in_full_and_reported(self) -> None:
        alerts: List[Any] = []
        budget = self.budget(on_alert=alerts.append)
        with self.assertLogs("antaris_like.budget.ledger", "WARNING"):  # type: ignore[attr-defined]
            result = budget.reserve(usd=0.1).settle(usd=0.3)
        self.assertAlmostEqual(result.overage["usd"], 0.2)
        self.assertAlmostEqual(budget.spent(), 0.3)
        overage = [alert for alert in alerts if alert.kind == "overage"]
        self.assertEqual([(a.limit_id, a.limit) for a in overage], [("usd/*/total", 1.0)])
        self.assertAlmostEqual(overage[0].spent, 0.3)

    def test_settle_twice_or_unknown_is_refused(self) -> None:
        budget = self.budget()
        reservation = budget.reserve(usd=0.1)
        reservation.settle()
        with self.assertRaises(UnknownReservationError):  # type: ignore[attr-defined]
            reservation.settle()
        with self.assertRaises(UnknownReservationError):  # type: ignore[attr-defined]
            budget.settle(reservation.id, usd=0.1)  # by id, as another process would
        with self.assertRaises(UnknownReservationError):  # type: ignore[attr-defined]
            budget.release("no-such-reservation")
        self.assertAlmostEqual(budget.spent(), 0.1)

    def test_settle_by_id_from_another_budget_object(self) -> None:
        first = self.budget()
        reservation = first.reserve(usd=0.4)
        second = self.budget()  # same store: another process would build its own
        second.settle(reservation.id, usd=0.1)
        self.assertAlmostEqual(first.spent(), 0.1)

    def test_duplicate_reservation_id_is_refused(self) -> None:
        budget = self.budget()
        budget.reserve(usd=0.1, reservation_id="same")
        with self.assertRaisesRegex(ValueError, "already in use"):  # type: ignore[attr-defined]
            budget.reserve(usd=0.1, reservation_id="same")

    # --- expiry -----------------------------------------------------------------------------

    def test_expired_reservation_is_charged_in_full(self) -> None:
        budget = self.budget(reservation_ttl=60.0)
        reservation = budget.reserve(usd=0.3)
        self.clock.advance(59.0)
        self.assertEqual(budget.expire(), 0)
        self.clock.advance(2.0)
        self.assertEqual(budget.expire(), 1)
        status = budget.status().limits[0]
        self.assertAlmostEqual(status.spent, 0.3)
        self.assertEqual(status.reserved, 0.0)
        with self.assertLogs("antaris_like.budget.ledger", "WARNING"):  # type: ignore[attr-defined]
            late = reservation.settle(usd=0.1)  # too late to refund: charged in full already
        self.assertTrue(late.expired)
        self.assertAlmostEqual(late.charged["usd"], 0.3)
        self.assertAlmostEqual(budget.spent(), 0.3)

    def test_reserve_sweeps_expired_reservations(self) -> None:
        budget = self.budget(reservation_ttl=30.0, expire_every=1.0)
        budget.reserve(usd=0.4)  # its worker "crashed": never settled
        self.clock.advance(31.0)
        budget.reserve(usd=0.1).release()  # admission sweeps first
        self.assertEqual(self.store.usage([budget.limits[0].line({}, 0.0, T0, "normal")], self.clock())[0],
                         (0.4, 0.0))

    def test_late_settle_above_an_expired_reservation_adds_the_overage(self) -> None:
        budget = self.budget(reservation_ttl=10.0)
        reservation = budget.reserve(usd=0.2)
        self.clock.advance(11.0)
        budget.expire()
        with self.assertLogs("antaris_like.budget.ledger", "WARNING"):  # type: ignore[attr-defined]
            result = reservation.settle(usd=0.5)
        self.assertTrue(result.expired)
        self.assertAlmostEqual(budget.spent(), 0.5)

    def test_context_manager_charges_in_full_when_left_open(self) -> None:
        budget = self.budget()
        with budget.reserve(usd=0.2):
            pass
        self.assertAlmostEqual(budget.spent(), 0.2)
        with budget.reserve(usd=0.2) as reservation:
            reservation.settle(usd=0.05)
        self.assertAlmostEqual(budget.spent(), 0.25)

    # --- windows ------------------------------------------------------------------------------

    def test_calendar_day_resets_at_midnight(self) -> None:
        budget = self.budget(Limit(usd=1.0, per="user", window="day", timezone="UTC"))
        keys = {"user": "alice"}
        budget.reserve(usd=1.0, keys=keys).settle()
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve(usd=0.01, keys=keys)
        self.clock.now = T0 + 12 * 3600 - 1  # 23:59:59 the same day
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve(usd=0.01, keys=keys)
        self.clock.now = T0 + 12 * 3600  # midnight
        budget.reserve(usd=1.0, keys=keys).settle()

    def test_sliding_window_forgets_old_spend(self) -> None:
        budget = self.budget(Limit(tokens=1000, window="sliding", seconds=60))
        budget.reserve(tokens=800).settle()
        self.clock.advance(30)
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve(tokens=300)
        budget.reserve(tokens=200).settle()
        self.clock.advance(30.5)  # the 800 is now older than 60 s; the 200 is not
        self.assertAlmostEqual(budget.spent(unit="tokens"), 200)
        budget.reserve(tokens=800).settle()
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve(tokens=1)

    def test_sliding_window_running_sum_stays_exact(self) -> None:
        budget = self.budget(Limit(usd=1.0, window="sliding", seconds=10))
        for _ in range(40):  # four charges a second through four windows' worth of pruning
            budget.reserve(usd=0.02).settle(usd=0.01)
            self.clock.advance(0.25)
        self.assertAlmostEqual(budget.spent(), 0.39, places=9)  # charges in (now - 10, now]
        self.clock.advance(5.0)
        self.assertAlmostEqual(budget.spent(), 0.19, places=9)
        budget.reserve(usd=0.8).release()  # what is left fits (0.81 less float rounding)
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve(usd=0.82)
        self.clock.advance(100.0)
        self.assertEqual(budget.spent(), 0.0)
        budget.reserve(usd=1.0).settle()

    def test_token_bucket_refills_at_rate(self) -> None:
        budget = self.budget(Limit(requests=5, window="token_bucket", rate=0.5))
        for _ in range(5):
            budget.reserve().settle()
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve()
        self.clock.advance(2.0)  # one request back
        budget.reserve().settle()
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve()
        self.clock.advance(100.0)  # full again, never above the burst
        for _ in range(5):
            budget.reserve().settle()
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve()

    def test_token_bucket_slow_clock_gets_no_refill(self) -> None:
        # Two workers on one ledger whose clocks differ by 5 s: the slower one's reserve used to
        # move the bucket's stamp back, and the faster one's next reserve drained those 5 s again.
        fast = self.budget(Limit(requests=10, window="token_bucket", rate=1.0))
        slow_clock = Clock(T0 - 5.0)
        slow = self.budget(Limit(requests=10, window="token_bucket", rate=1.0), clock=slow_clock)
        admitted = 0
        for turn in range(40):
            try:
                (fast if turn % 2 else slow).reserve().settle()
                admitted += 1
            except BudgetExceededError:
                pass
        # The slow worker's first request is drained by the 5 s the bucket then sees pass; after that
        # neither clock moves, so the burst is all there is (it was 200 before the fix).
        self.assertEqual(admitted, 11)
        slow_clock.advance(7.0)  # the slow clock passes the fast one's stamp by 2 s: 2 back
        for _ in range(2):
            slow.reserve().settle()
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            fast.reserve()

    def test_units_are_counted_separately(self) -> None:
        budget = self.budget(Limit(usd=1.0), Limit(tokens=100), Limit(requests=3))
        budget.reserve(usd=0.1, tokens=50).settle(usd=0.05, tokens=40)
        status = {item.unit: item for item in budget.status().limits}
        self.assertAlmostEqual(status["usd"].spent, 0.05)
        self.assertAlmostEqual(status["tokens"].spent, 40)
        self.assertAlmostEqual(status["requests"].spent, 1)
        with self.assertRaises(BudgetExceededError) as caught:  # type: ignore[attr-defined]
            budget.reserve(usd=0.1, tokens=61)
        self.assertEqual(caught.exception.unit, "tokens")

    def test_priority_share_is_held_for_high_priority(self) -> None:
        budget = self.budget(Limit(usd=1.0, priority_share=0.2))
        budget.reserve(usd=0.8).settle()
        with self.assertRaises(BudgetExceededError) as caught:  # type: ignore[attr-defined]
            budget.reserve(usd=0.1)
        self.assertAlmostEqual(caught.exception.limit, 0.8)
        budget.reserve(usd=0.2, priority="high").settle()
        with self.assertRaises(BudgetExceededError):  # type: ignore[attr-defined]
            budget.reserve(usd=0.01, priority="high")

    def test_zero_amount_fits_an_exhausted_budget(self) -> None:
        budget = self.budget(Limit(usd=1.0))
        budget.reserve(usd=1.0).settle()
        budget.reserve(usd=0.0).settle()  # a free local model under a spent USD budget
        self.assertEqual(budget.spent(), 1.0)

    # --- faults -------------------------------------------------------------------------------

    def test_corrupt_counter_fails_closed(self) -> None:
        budget = self.budget()
        budget.reserve(usd=0.1).settle()
        self.corrupt_counter(budget)
        with self.assertRaises(StateError):  # type: ignore[attr-defined]
            budget.reserve(usd=0.1)
        with self.assertRaises(StateError):  # type: ignore[attr-defined]
            budget.status()

    def test_reused_reservation_id_charges_leave_the_window(self) -> None:
        # Redis used to key a sliding charge by reservation id and amount, so a reused id overwrote
        # its earlier charge and the running sum kept it for good.
        budget = self.budget(Limit(usd=1.0, window="sliding", seconds=60))
        for _ in range(3):
            budget.reserve(usd=0.3, reservation_id="job-7").settle()
            self.clock.advance(1.0)
        self.assertAlmostEqual(budget.spent(), 0.9, places=9)
        self.clock.advance(3600.0)
        self.assertEqual(budget.spent(), 0.0)

    # --- concurrency within one process --------------------------------------------------------

    def test_threads_never_overspend(self) -> None:
        budget = self.budget(Limit(usd=1.0), clock=lambda: T0)
        barrier = threading.Barrier(8)
        errors: List[BaseException] = []

        def work() -> None:
            try:
                barrier.wait()
                for _ in range(40):
                    try:
                        budget.reserve(usd=0.01).settle()
                    except BudgetExceededError:
                        pass
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        spent = budget.spent()
        self.assertLessEqual(spent, 1.0 + 1e-9)
        self.assertGreaterEqual(spent, 0.99 - 1e-9)


class MemoryStoreTest(StoreContract, unittest.TestCase):
    kind = "memory"

    def corrupt_counter(self, budget: Budget) -> None:
        key = budget.limits[0].line({}, 0.0, T0, "normal").key
        self.store._counters[key][0] = math.nan  # type: ignore[attr-defined]


class SQLiteStoreTest(StoreContract, unittest.TestCase):
    kind = "sqlite"

    def corrupt_counter(self, budget: Budget) -> None:
        with sqlite3.connect(self.spec[1]) as conn:
            conn.execute("UPDATE budget_counters SET committed = -1")

    def test_text_in_a_counter_is_a_state_error(self) -> None:
        budget = self.budget()
        budget.reserve(usd=0.1).settle()
        with sqlite3.connect(self.spec[1]) as conn:
            conn.execute("UPDATE budget_counters SET committed = 'garbage'")
        with self.assertRaisesRegex(StateError, "is corrupt"):
            budget.reserve(usd=0.1)


class RedisStoreTest(StoreContract, unittest.TestCase):
    kind = "redis"

    def skip_reason(self) -> Optional[str]:
        return redis_skip_reason()

    def corrupt_counter(self, budget: Budget) -> None:
        key = budget.limits[0].line({}, 0.0, T0, "normal").key
        client = redis_client()
        client.hset("{" + self.spec[1] + "}:c:" + key, "c", "nan")
        client.close()


class PostgresStoreTest(StoreContract, unittest.TestCase):
    kind = "postgres"

    def skip_reason(self) -> Optional[str]:
        return postgres_skip_reason()

    def corrupt_counter(self, budget: Budget) -> None:
        with postgres_connect() as conn:
            conn.execute(f"UPDATE {self.spec[1]}_counters SET committed = 'NaN'")


if __name__ == "__main__":
    unittest.main()
