"""CostTracker: scopes across threads and tasks, calendar reports, unpriced models, bad input, SQLite."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import multiprocessing
import os
import sqlite3
import tempfile
import threading
import unittest
from typing import Any, Dict, List

from antaris_like.budget import Budget, Limit, RedisStore, SQLiteStore
from antaris_like.costs import PERIODS, CostTracker, UsageRecord
from antaris_like.errors import ConfigurationError, StateError
from antaris_like.registry import ModelInfo

CHEAP = ModelInfo(name="cheap", provider="p1", input_per_1m=1.0, output_per_1m=2.0)
DEAR = ModelInfo(name="dear", provider="p2", input_per_1m=10.0, output_per_1m=30.0)
MYSTERY = ModelInfo(name="mystery", provider="p3", input_per_1m=None, output_per_1m=None)
HOUR = 3600.0
DAY = 86400.0


def epoch(*args: int, tz: Any = dt.timezone.utc) -> float:
    """Return the epoch of a wall-clock time in ``tz``."""
    if isinstance(tz, str):
        tz = _zone(tz)
    return dt.datetime(*args, tzinfo=tz).timestamp()


def _zone(name: str) -> Any:
    try:
        import zoneinfo
        return zoneinfo.ZoneInfo(name)
    except Exception as exc:  # noqa: BLE001 - any failure means the database is missing here
        raise unittest.SkipTest(f"time zone database lacks {name}: {exc}") from None


class _FakeRedis:
    """Enough of a redis-py client to build a RedisStore (never called)."""

    def eval(self, *args: Any) -> Any:
        raise AssertionError("not used")

    evalsha = eval


class Clock:
    """A settable clock: tests move time by assignment, never by sleeping."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class TrackerTestMixin:
    """The behaviour every backend shares; subclasses say how to build a tracker."""

    def make(self, clock: Clock, **kwargs: Any) -> CostTracker:
        raise NotImplementedError

    def setUp(self) -> None:  # noqa: D102
        self.clock = Clock(epoch(2025, 3, 14, 12, 30))
        self.tracker = self.make(self.clock)

    # -- recording and reports -------------------------------------------------------------
    def test_log_returns_priced_frozen_record(self) -> None:
        record = self.tracker.log(CHEAP, 1000, 500, "simple")
        self.assertIsInstance(record, UsageRecord)
        self.assertEqual((record.model, record.provider, record.tier), ("cheap", "p1", "simple"))
        self.assertAlmostEqual(record.cost_usd, CHEAP.calculate_cost(1000, 500))
        self.assertTrue(record.priced)
        self.assertEqual(record.usage_source, "provider")
        self.assertEqual(record.timestamp, self.clock.now)
        with self.assertRaises(AttributeError):
            record.cost_usd = 0.0  # type: ignore[misc]

    def test_report_has_the_manual_shape_and_sums(self) -> None:
        self.tracker.log(CHEAP, 1000, 500)
        self.tracker.log(CHEAP, 2000, 0)
        self.tracker.log(DEAR, 100, 100, usage_source="estimated")
        report = self.tracker.report("day")
        for key in ("period", "total_requests", "total_cost_usd", "by_model", "avg_cost_per_request_usd"):
            self.assertIn(key, report)
        expected = CHEAP.calculate_cost(3000, 500) + DEAR.calculate_cost(100, 100)
        self.assertEqual(report["total_requests"], 3)
        self.assertAlmostEqual(report["total_cost_usd"], expected)
        self.assertAlmostEqual(report["avg_cost_per_request_usd"], expected / 3)
        self.assertEqual(report["by_model"]["cheap"]["requests"], 2)
        self.assertEqual(report["by_model"]["cheap"]["input_tokens"], 3000)
        self.assertEqual(report["by_model"]["cheap"]["provider"], "p1")
        self.assertAlmostEqual(report["by_model"]["dear"]["cost_usd"], DEAR.calculate_cost(100, 100))
        self.assertEqual(report["estimated_requests"], 1)
        self.assertTrue(report["cost_complete"])
        self.assertEqual(report["window"]["label"], "2025-03-14")
        self.assertEqual(report["window"]["timezone"], "UTC")

    def test_periods_are_calendar_windows(self) -> None:
        self.clock.now = epoch(2025, 1, 31, 23, 59)
        self.tracker.log(CHEAP, 1_000_000, 0)                      # $1 on the last minute of January
        self.clock.now = epoch(2025, 2, 1, 0, 0)
        self.tracker.log(CHEAP, 2_000_000, 0)                      # $2 at the first instant of February
        rows = {p: self.tracker.report(p)["total_cost_usd"] for p in PERIODS}
        self.assertEqual(rows, {"hour": 2.0, "day": 2.0, "week": 3.0, "month": 2.0})  # 27 Jan - 2 Feb week
        self.assertEqual(self.tracker.report("month", ago=1)["total_cost_usd"], 1.0)
        self.assertEqual(self.tracker.report("month", ago=1)["window"]["label"], "2025-01")
        self.assertEqual(self.tracker.report("day", ago=1)["total_cost_usd"], 1.0)

    def test_month_report_covers_31_days(self) -> None:
        for day in range(1, 32):
            self.clock.now = epoch(2025, 1, day, 0, 0)
            self.tracker.log(CHEAP, 1_000_000, 0)
        self.clock.now = epoch(2025, 1, 31, 23, 59)
        report = self.tracker.report("month")
        self.assertEqual(report["total_requests"], 31)
        self.assertTrue(report["history_complete"])
        self.clock.now = epoch(2025, 3, 31, 23, 59)             # Jan 1 is 89 days back: pruned
        self.tracker.log(CHEAP, 0, 0)
        partial = self.tracker.report("month", ago=2)
        self.assertFalse(partial["history_complete"], "January is older than the 62 days retained")
        self.assertEqual(partial["total_requests"], 3, "only 29-31 January are still retained")

    def test_unknown_period_lists_the_valid_ones(self) -> None:
        for bad in ("year", "Day", "", None, 3600):
            with self.subTest(period=bad), self.assertRaisesRegex(ValueError, "hour, day, week, month"):
                self.tracker.report(bad)  # type: ignore[arg-type]
        with self.assertRaisesRegex(ValueError, "ago"):
            self.tracker.report("day", ago=-1)

    def test_unpriced_model_is_kept_and_reported_never_as_zero(self) -> None:
        self.tracker.log(CHEAP, 1_000_000, 0)
        record = self.tracker.log(MYSTERY, 500, 100)
        self.assertIsNone(record.cost_usd)
        self.assertFalse(record.priced)
        bare = self.tracker.log("bare-model", 10, 10, provider="x")
        self.assertIsNone(bare.cost_usd)
        report = self.tracker.report("day")
        self.assertEqual(report["total_requests"], 3)
        self.assertEqual(report["priced_requests"], 1)
        self.assertEqual(report["unpriced_requests"], 2)
        self.assertEqual(report["unpriced_models"], ["bare-model", "mystery"])
        self.assertFalse(report["cost_complete"])
        self.assertIsNone(report["by_model"]["mystery"]["cost_usd"])
        self.assertEqual(report["by_model"]["mystery"]["input_tokens"], 500)
        self.assertEqual(report["total_cost_usd"], 1.0)
        self.assertEqual(report["avg_cost_per_request_usd"], 1.0, "averaged over priced requests only")

    def test_explicit_cost_prices_a_record(self) -> None:
        record = self.tracker.log(MYSTERY, 10, 10, cost_usd=0.25)
        self.assertEqual(record.cost_usd, 0.25)
        self.assertEqual(self.tracker.log("bare", 1, 1, cost_usd=0).cost_usd, 0.0)
        self.assertEqual(self.tracker.report("hour")["unpriced_requests"], 0)

    def test_bad_input_raises_and_records_nothing(self) -> None:
        cases = [
            ((CHEAP, -1, 0), {}, ValueError, "input_tokens must be >= 0"),
            ((CHEAP, 0, -5), {}, ValueError, "output_tokens"),
            ((CHEAP, 1.5, 0), {}, TypeError, "input_tokens must be an int"),
            ((CHEAP, math.nan, 0), {}, TypeError, "input_tokens"),
            ((CHEAP, math.inf, 0), {}, TypeError, "input_tokens"),
            ((CHEAP, True, 0), {}, TypeError, "input_tokens"),
            ((CHEAP, "10", 0), {}, TypeError, "input_tokens"),
            ((CHEAP, 1, 1), {"cost_usd": -0.01}, ValueError, "cost_usd must be >= 0"),
            ((CHEAP, 1, 1), {"cost_usd": math.nan}, ValueError, "cost_usd must be a finite"),
            ((CHEAP, 1, 1), {"cost_usd": math.inf}, ValueError, "cost_usd must be a finite"),
            ((CHEAP, 1, 1), {"cost_usd": True}, TypeError, "cost_usd must be a number"),
            ((CHEAP, 1, 1), {"cost_usd": "0.1"}, TypeError, "cost_usd must be a number"),
            ((None, 1, 1), {}, TypeError, "model must be"),
            (("  ", 1, 1), {}, TypeError, "model must be"),
            ((CHEAP, 1, 1, "genius"), {}, ValueError, "tier must be one of"),
            ((CHEAP, 1, 1), {"usage_source": "guess"}, ValueError, "provider, estimated"),
            ((CHEAP, 1, 1), {"provider": 3}, TypeError, "provider must be a str"),
        ]
        for args, kwargs, error, message in cases:
            with self.subTest(args=args, kwargs=kwargs), self.assertRaisesRegex(error, message):
                self.tracker.log(*args, **kwargs)
        self.assertEqual(self.tracker.report("day")["total_requests"], 0)

    def test_bad_clock_is_refused(self) -> None:
        self.clock.now = math.nan
        with self.assertRaisesRegex(ValueError, "clock"):
            self.tracker.log(CHEAP, 1, 1)

    # -- scopes ------------------------------------------------------------------------------
    def test_nested_scopes_count_under_every_enclosing_scope(self) -> None:
        with self.tracker.scope("pipeline:batch-0"):
            with self.tracker.scope("step:classify"):
                inner = self.tracker.log(CHEAP, 1_000_000, 0)
            with self.tracker.scope("step:answer"):
                self.tracker.log(CHEAP, 2_000_000, 0)
        with self.tracker.scope("pipeline:batch-1"), self.tracker.scope("step:classify"):
            self.tracker.log(CHEAP, 4_000_000, 0)
        self.tracker.log(CHEAP, 8_000_000, 0)
        self.assertEqual(inner.scopes, ("pipeline:batch-0", "step:classify"))
        self.assertEqual(self.tracker.scope_cost("pipeline:batch-0"), 3.0)
        self.assertEqual(self.tracker.scope_cost("pipeline:batch-1"), 4.0)
        self.assertEqual(self.tracker.scope_cost("step:classify"), 5.0, "across all pipelines")
        self.assertEqual(self.tracker.scope_cost("step:answer"), 2.0)
        self.assertEqual(self.tracker.scope_cost("never-used"), 0.0)
        self.assertEqual(self.tracker.report("day")["total_cost_usd"], 15.0)
        self.assertEqual(self.tracker.report("day", scope="step:classify")["total_requests"], 2)
        self.assertEqual(set(self.tracker.by_scope()), {"pipeline:batch-0", "pipeline:batch-1",
                                                        "step:classify", "step:answer"})
        self.assertEqual(self.tracker.summary()["total_usd"], 15.0)
        self.assertEqual(self.tracker.current_scopes(), ())

    def test_scope_entered_twice_counts_once_and_exits_on_error(self) -> None:
        with self.assertRaises(RuntimeError):
            with self.tracker.scope("job"), self.tracker.scope("job"):
                record = self.tracker.log(CHEAP, 1_000_000, 0)
                raise RuntimeError("boom")
        self.assertEqual(record.scopes, ("job",))
        self.assertEqual(self.tracker.scope_cost("job"), 1.0)
        self.assertEqual(self.tracker.current_scopes(), ())

    def test_bad_scope_names(self) -> None:
        for bad, error in ((None, TypeError), (3, TypeError), ("", ValueError), ("  ", ValueError),
                           ("a\nb", ValueError), ("x" * 257, ValueError)):
            with self.subTest(name=bad), self.assertRaises(error):
                self.tracker.scope(bad)  # type: ignore[arg-type]

    def test_scopes_do_not_leak_between_threads(self) -> None:
        workers, per_worker = 8, 50
        barrier = threading.Barrier(workers)
        leaks: List[Any] = []

        def work(index: int) -> None:
            barrier.wait()
            with self.tracker.scope(f"worker:{index}"):
                for _ in range(per_worker):
                    record = self.tracker.log(CHEAP, 1_000_000, 0)
                    if record.scopes != (f"worker:{index}",):
                        leaks.append(record.scopes)

        with self.tracker.scope("main-only"):  # a new thread starts with no scopes
            threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        self.assertEqual(leaks, [])
        for index in range(workers):
            self.assertEqual(self.tracker.scope_cost(f"worker:{index}"), float(per_worker))
        self.assertEqual(self.tracker.scope_cost("main-only"), 0.0)
        self.assertEqual(self.tracker.report("day")["total_requests"], workers * per_worker)

    def test_scopes_do_not_leak_between_asyncio_tasks(self) -> None:
        seen: Dict[int, List[Any]] = {}

        async def task(index: int) -> None:
            with self.tracker.scope(f"task:{index}"):
                for _ in range(5):
                    await asyncio.sleep(0)  # yields to the other tasks; no real time passes
                    seen.setdefault(index, []).append(self.tracker.log(CHEAP, 1_000_000, 0).scopes)

        async def main() -> None:
            with self.tracker.scope("request"):  # tasks created inside a scope inherit it
                await asyncio.gather(*(task(i) for i in range(10)))
            self.assertEqual(self.tracker.current_scopes(), ())

        asyncio.run(main())
        for index in range(10):
            self.assertEqual(set(seen[index]), {("request", f"task:{index}")})
            self.assertEqual(self.tracker.scope_cost(f"task:{index}"), 5.0)
        self.assertEqual(self.tracker.scope_cost("request"), 50.0)

    def test_scopes_belong_to_their_tracker(self) -> None:
        other = CostTracker(clock=self.clock)
        with other.scope("elsewhere"):
            record = self.tracker.log(CHEAP, 1, 1)
        self.assertEqual(record.scopes, ())

    # -- savings, shares, forecast, alerts ------------------------------------------------
    def test_savings_against_a_comparison_model(self) -> None:
        self.tracker.log(CHEAP, 1_000_000, 1_000_000)       # $3 actual
        self.tracker.log(MYSTERY, 1_000_000, 0)             # unpriced: out of both sides
        savings = self.tracker.savings(DEAR)
        self.assertEqual(savings["comparison_model"], "dear")
        self.assertEqual(savings["actual_cost_usd"], 3.0)
        self.assertEqual(savings["comparison_cost_usd"], 40.0)
        self.assertEqual(savings["savings_usd"], 37.0)
        self.assertAlmostEqual(savings["savings_pct"], 37.0 / 40.0)
        self.assertEqual(savings["excluded_unpriced_requests"], 1)
        self.assertEqual(self.tracker.savings(DEAR, "hour")["actual_cost_usd"], 3.0)
        with self.assertRaisesRegex(ValueError, "no price"):
            self.tracker.savings(MYSTERY)
        with self.assertRaises(TypeError):
            self.tracker.savings("dear")  # type: ignore[arg-type]

    def test_model_shares(self) -> None:
        self.assertEqual(self.tracker.model_shares(), {})
        for model in (CHEAP, CHEAP, CHEAP, DEAR):
            self.tracker.log(model, 1, 1)
        self.assertEqual(self.tracker.model_shares(), {"cheap": 0.75, "dear": 0.25})

    def test_forecast_uses_the_observed_rate(self) -> None:
        self.clock.now = epoch(2025, 4, 10, 0, 0)
        for hour in range(24):
            self.clock.now = epoch(2025, 4, 10, hour, 0)
            self.tracker.log(CHEAP, 1_000_000, 0)           # $1 per hour
        self.clock.now = epoch(2025, 4, 11, 0, 0)
        forecast = self.tracker.forecast(lookback_hours=24)
        self.assertAlmostEqual(forecast["hourly_cost_usd"], 1.0)
        self.assertAlmostEqual(forecast["daily_cost_usd"], 24.0)
        self.assertAlmostEqual(forecast["monthly_cost_usd"], 30 * 24.0, msg="April has 30 days")
        self.assertAlmostEqual(forecast["month_to_date_usd"], 24.0)
        self.assertAlmostEqual(forecast["projected_month_usd"], 24.0 + 20 * 24.0)
        self.assertEqual(forecast["breakdown_by_model"]["cheap"]["requests_pct"], 1.0)
        with self.assertRaises(ValueError):
            self.tracker.forecast(lookback_hours=0)

    def test_budget_alert_statuses(self) -> None:
        self.clock.now = epoch(2025, 3, 14, 12, 0)
        self.assertEqual(self.tracker.budget_alert(5.0)["status"], "ok")
        self.tracker.log(CHEAP, 1_000_000, 0)               # $1 at 12:00
        self.clock.now = epoch(2025, 3, 14, 12, 30)
        alert = self.tracker.budget_alert(5.0)
        self.assertEqual(alert["status"], "ok")
        self.assertAlmostEqual(alert["projected_hourly_usd"], 2.0)
        for key in ("status", "hourly_spend_usd", "budget_usd", "utilization", "projected_hourly_usd",
                    "recommendation"):
            self.assertIn(key, alert)
        self.tracker.log(CHEAP, 3_000_000, 0)
        self.assertEqual(self.tracker.budget_alert(5.0)["status"], "warning")
        self.tracker.log(CHEAP, 1_000_000, 0)
        critical = self.tracker.budget_alert(5.0)
        self.assertEqual(critical["status"], "critical")
        self.assertEqual(critical["utilization"], 1.0)
        month = self.tracker.budget_alert(100.0, "month")   # $6 in 30 minutes projects past $100
        self.assertEqual((month["status"], month["period"]), ("warning", "month"))
        self.assertNotIn("hourly_spend_usd", month)
        for bad in (0, -1, math.nan, True):
            with self.subTest(budget=bad), self.assertRaises((TypeError, ValueError)):
                self.tracker.budget_alert(bad)  # type: ignore[arg-type]


class MemoryTrackerTest(TrackerTestMixin, unittest.TestCase):
    def make(self, clock: Clock, **kwargs: Any) -> CostTracker:
        return CostTracker(clock=clock, **kwargs)

    def test_memory_is_per_hour_not_per_request(self) -> None:
        for _ in range(1000):
            with self.tracker.scope("s"):
                self.tracker.log(CHEAP, 10, 10)
        self.assertEqual(len(self.tracker.to_dict()["rows"]), 2, "one row for all, one for the scope")

    def test_old_hours_are_pruned(self) -> None:
        start = epoch(2025, 1, 1)
        for hour in range(24 * 100):
            self.clock.now = start + hour * HOUR
            self.tracker.log(CHEAP, 1, 1)
        rows = self.tracker.to_dict()["rows"]
        self.assertLessEqual(len(rows), 62 * 24 + 1)
        self.assertGreaterEqual(len(rows), 62 * 24)

    def test_to_dict_load_dict_round_trip_is_idempotent(self) -> None:
        with self.tracker.scope("s"):
            self.tracker.log(CHEAP, 1_000_000, 0)
        self.tracker.log(MYSTERY, 5, 5)
        saved = self.tracker.to_dict()
        again = CostTracker(clock=self.clock)
        again.load_dict(saved)
        again.load_dict(saved)
        self.assertEqual(again.report("day"), self.tracker.report("day"))
        self.assertEqual(again.scope_cost("s"), 1.0)

    def test_load_dict_reads_version_1_and_skips_garbage(self) -> None:
        hour = epoch(2025, 3, 14, 12)
        legacy = {"buckets": [[hour, "cheap", 2, 100, 50, 0.5], [hour, "bad"], "junk",
                              [hour, "neg", 1, -1, 0, 0.1], [hour, "nan", 1, 1, 1, math.nan]], "tiers": {}}
        with self.assertLogs("antaris_like.costs", "WARNING"):
            self.tracker.load_dict(legacy)
        report = self.tracker.report("day")
        self.assertEqual(report["total_requests"], 2)
        self.assertEqual(report["total_cost_usd"], 0.5)
        self.tracker.load_dict({})  # nothing to load is fine

    def test_timezone_day_and_dst(self) -> None:
        clock = Clock(epoch(2025, 11, 2, 23, 30, tz="America/New_York"))  # the 25-hour day
        tracker = CostTracker(clock=clock, timezone="America/New_York")
        for hour_utc in range(-2, 27):
            clock.now = epoch(2025, 11, 2, tz="America/New_York") + hour_utc * HOUR
            tracker.log(CHEAP, 1_000_000, 0)
        clock.now = epoch(2025, 11, 2, 23, 30, tz="America/New_York")
        report = tracker.report("day")
        self.assertEqual(report["total_requests"], 25, "midnight to midnight local is 25 hours that day")
        self.assertEqual(report["window"]["start"], "2025-11-02T00:00:00-04:00")
        self.assertEqual(report["window"]["end"], "2025-11-03T00:00:00-05:00")

    def test_half_hour_timezone_day_boundary(self) -> None:
        clock = Clock(epoch(2025, 6, 1, 23, 45, tz="Asia/Kolkata"))
        tracker = CostTracker(clock=clock, timezone="Asia/Kolkata")
        tracker.log(CHEAP, 1_000_000, 0)                                   # 1 June local
        clock.now = epoch(2025, 6, 2, 0, 15, tz="Asia/Kolkata")
        tracker.log(CHEAP, 2_000_000, 0)                                   # 2 June local
        self.assertEqual(tracker.report("day")["total_cost_usd"], 2.0)
        self.assertEqual(tracker.report("day", ago=1)["total_cost_usd"], 1.0)
        utc = CostTracker(clock=clock)
        self.assertEqual(utc.report("day")["window"]["label"], "2025-06-01", "18:45 UTC is still 1 June")

    def test_constructor_validation(self) -> None:
        for bad in (0, -1, True, 1.5):
            with self.subTest(retention=bad), self.assertRaises(ValueError):
                CostTracker(retention_days=bad)  # type: ignore[arg-type]
        with self.assertRaises(ConfigurationError):
            CostTracker(timezone="Mars/Olympus")
        with self.assertRaises(TypeError):
            CostTracker(store=42)  # type: ignore[arg-type]
        with self.assertRaisesRegex(ConfigurationError, "unknown ledger URL scheme"):
            CostTracker(store="ftp://x")
        with self.assertRaisesRegex(ConfigurationError, "own client"):
            CostTracker(store="redis://localhost")
        with self.assertRaisesRegex(ValueError, "cannot hold cost history"):
            CostTracker(store=RedisStore(_FakeRedis()))  # type: ignore[arg-type]
        self.assertFalse(CostTracker(store="memory://").durable)


def _process_worker(path: str, index: int, count: int, start: float, barrier: Any) -> None:
    tracker = CostTracker(clock=lambda: start, store=f"sqlite:///{path}")
    barrier.wait()
    with tracker.scope(f"proc:{index}"):
        for _ in range(count):
            tracker.log(CHEAP, 1_000_000, 0)
    tracker.close()


class SQLiteTrackerTest(TrackerTestMixin, unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self._tmp.name, "ledger.db")
        self._trackers: List[CostTracker] = []
        super().setUp()

    def tearDown(self) -> None:
        for tracker in self._trackers:
            tracker.close()
        self._tmp.cleanup()

    def make(self, clock: Clock, **kwargs: Any) -> CostTracker:
        tracker = CostTracker(clock=clock, store=f"sqlite:///{self.path}", **kwargs)
        self._trackers.append(tracker)
        return tracker

    def test_trackers_sharing_a_file_see_each_others_usage(self) -> None:
        other = self.make(self.clock)
        self.assertTrue(other.durable)
        self.tracker.log(CHEAP, 1_000_000, 0)
        with other.scope("s"):
            other.log(DEAR, 100_000, 0)
        for tracker in (self.tracker, other):
            self.assertEqual(tracker.report("day")["total_cost_usd"], 2.0)
            self.assertEqual(tracker.scope_cost("s"), 1.0)

    def test_processes_sharing_a_file(self) -> None:
        workers, count = 4, 25
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(workers)
        procs = [ctx.Process(target=_process_worker, args=(self.path, i, count, self.clock.now, barrier))
                 for i in range(workers)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
            self.assertEqual(proc.exitcode, 0)
        report = self.tracker.report("day")
        self.assertEqual(report["total_requests"], workers * count)
        self.assertEqual(report["total_cost_usd"], float(workers * count))
        for index in range(workers):
            self.assertEqual(self.tracker.scope_cost(f"proc:{index}"), float(count))

    def test_shares_the_budget_ledger_file_without_touching_it(self) -> None:
        budget = Budget(Limit(usd=10.0, window="day"), store=SQLiteStore(self.path), clock=self.clock)
        tracker = CostTracker(clock=self.clock, store=budget)
        self._trackers.append(tracker)
        reservation = budget.reserve(usd=1.0)
        record = tracker.log(CHEAP, 500_000, 0)
        reservation.settle(usd=record.cost_usd)
        self.assertEqual(budget.spent(), 0.5)
        self.assertEqual(self.tracker.report("day")["total_cost_usd"], 0.5)
        with sqlite3.connect(self.path) as conn:
            self.assertEqual(conn.execute("PRAGMA user_version").fetchone()[0], 1, "the ledger's version")
        budget.close()

    def test_snapshots_carry_no_rows(self) -> None:
        self.tracker.log(CHEAP, 1_000_000, 0)
        saved = self.tracker.to_dict()
        self.assertEqual(saved["rows"], [])
        self.tracker.load_dict({"rows": [[self.clock.now, "cheap", "", "", 1, 1, 1, 1, 1, 1, 9.0, 0]]})
        self.assertEqual(self.tracker.report("day")["total_cost_usd"], 1.0, "a durable tracker never double counts")

    def test_corrupt_file_is_refused_and_left_in_place(self) -> None:
        path = os.path.join(self._tmp.name, "corrupt.db")
        with open(path, "wb") as fh:
            fh.write(b"this is not a database" * 100)
        tracker = CostTracker(clock=self.clock, store=f"sqlite:///{path}")
        with self.assertRaises(StateError):
            tracker.log(CHEAP, 1, 1)
        with self.assertRaises(StateError):
            tracker.report("day")
        with open(path, "rb") as fh:
            self.assertTrue(fh.read().startswith(b"this is not a database"))

    def test_old_hours_are_pruned(self) -> None:
        start = epoch(2025, 1, 1)
        for day in range(100):
            self.clock.now = start + day * DAY
            self.tracker.log(CHEAP, 1, 1)
        with sqlite3.connect(self.path) as conn:
            oldest = conn.execute("SELECT min(bucket) FROM cost_usage_v1").fetchone()[0]
        self.assertGreaterEqual(oldest, self.clock.now - 62 * DAY)


class DisabledTrackingTest(unittest.TestCase):
    """Router(enable_cost_tracking=False) keeps no cost (router review #13); budgets still settle."""

    def test_the_budget_alert_says_the_hours_spend_is_unknown(self) -> None:
        from antaris_like import Router
        from antaris_like.registry import ModelRegistry

        clock = Clock(epoch(2026, 3, 1, 12))
        model = ModelInfo(name="m", provider="p", input_per_1m=10.0, output_per_1m=30.0)
        router = Router(registry=ModelRegistry([model]), enable_cost_tracking=False, clock=clock,
                        budget=Budget(Limit(usd=0.05, window="day"), clock=clock))
        decision = router.route("Say hello.", max_tokens=500)
        router.log_usage(decision, input_tokens=20, output_tokens=500)
        alert = router.check_budget_alert()
        self.assertGreater(alert["spent_usd"], 0.0)
        self.assertIsNone(alert["hourly_spend_usd"])  # it read $0.0 beside a settled spend
        self.assertIsNone(alert["projected_hourly_usd"])

    def test_tracker_prices_but_keeps_nothing(self) -> None:
        tracker = CostTracker(clock=Clock(epoch(2026, 3, 1, 12)), enabled=False)
        record = tracker.log(CHEAP, 1000, 500)
        self.assertAlmostEqual(record.cost_usd or 0.0, 0.002)
        self.assertEqual(tracker.report("day")["total_cost_usd"], 0.0)
        self.assertEqual(tracker.report("day")["total_requests"], 0)
        enabled = CostTracker(clock=Clock(epoch(2026, 3, 1, 12)))
        enabled.log(CHEAP, 1000, 500)
        tracker.load_dict(enabled.to_dict())
        self.assertEqual(tracker.report("day")["by_model"], {})

    def test_router_flag_off_no_costs_db_budget_settled(self) -> None:
        from antaris_like import Router

        with tempfile.TemporaryDirectory() as ws:
            router = Router(enable_cost_tracking=False, workspace=ws, budget=1.0)
            decision = router.route("hello world")
            cost = router.log_usage(decision, 3, 5)  # within the reservation
            self.assertIsNotNone(cost)
            self.assertEqual(router.cost_report("day")["total_cost_usd"], 0.0)
            self.assertEqual(router.cost_report("day")["by_model"], {})
            self.assertFalse(os.path.exists(os.path.join(ws, "costs.db")))
            assert router.budget is not None
            spent = router.budget.status({}).limits[0].spent
            self.assertAlmostEqual(spent, cost or 0.0)  # the budget is not cost tracking
            router.close()
            on = Router(workspace=ws)
            on.log_usage(on.route("hello world"), 1000, 500)
            self.assertGreater(on.cost_report("day")["total_cost_usd"], 0.0)
            on.close()


if __name__ == "__main__":
    unittest.main()
