"""Limits: validation, and calendar windows (months, DST, non-UTC zones) on an injected clock."""

from __future__ import annotations

import datetime as dt
import unittest
from typing import Optional
from unittest import mock

from antaris_like.budget import Budget, BudgetExceededError, Limit, Window
from antaris_like.budget.limits import calendar_span, resolve_timezone
from antaris_like.errors import ConfigurationError

UTC = dt.timezone.utc


def epoch(*args: int, tz: dt.tzinfo = UTC) -> float:
    """Return the epoch of a wall-clock time in ``tz``."""
    return dt.datetime(*args, tzinfo=tz).timestamp()


def zone(name: str) -> Optional[dt.tzinfo]:
    try:
        return resolve_timezone(name)
    except ConfigurationError:
        return None


NEW_YORK, LONDON, TOKYO, KOLKATA = (zone(n) for n in ("America/New_York", "Europe/London", "Asia/Tokyo",
                                                       "Asia/Kolkata"))
NO_TZDATA = "the IANA time zone database is absent on this host (pip install tzdata)"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class LimitValidationTest(unittest.TestCase):
    def test_exactly_one_unit(self) -> None:
        with self.assertRaisesRegex(ValueError, "exactly one of usd=, tokens= or requests="):
            Limit()
        with self.assertRaisesRegex(ValueError, "exactly one"):
            Limit(usd=1.0, tokens=10)

    def test_bad_amounts_are_value_errors(self) -> None:
        for bad in (float("nan"), float("inf"), -0.01, -1):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                Limit(usd=bad)
        with self.assertRaises(TypeError):
            Limit(usd="1.0")  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            Limit(usd=1.0, window="token_bucket", rate=float("nan"))
        with self.assertRaises(ValueError):
            Limit(usd=1.0, priority_share=1.0)

    def test_absurd_amounts_are_refused_before_a_counter_overflows(self) -> None:
        # Two settles of 1e308 used to overflow the counter to inf: the budget then read as corrupt
        # and refused every later request.
        with self.assertRaisesRegex(ValueError, "at most 1e"):
            Limit(usd=1e16)
        budget = Budget(Limit(usd=1e15))
        for amounts in ({"usd": 1e308}, {"tokens": 2e15}):
            with self.subTest(amounts=amounts), self.assertRaisesRegex(ValueError, "at most 1e"):
                budget.reserve(usd=1.0).settle(**amounts)
        with self.assertRaisesRegex(ValueError, "at most 1e"):
            budget.reserve(usd=1e300)
        with self.assertLogs("antaris_like", "WARNING"):  # settled above what it held, recorded in full
            budget.reserve(usd=1.0).settle(usd=1e15)  # the largest amount is still accepted
        self.assertEqual(budget.spent(), 1e15)

    def test_window_options(self) -> None:
        self.assertIs(Limit(usd=1.0, window="daily").window, Window.DAY)
        self.assertIs(Limit(usd=1.0, window="bucket", rate=1).window, Window.TOKEN_BUCKET)
        cases = [
            dict(window="fortnight"),
            dict(window="sliding"),
            dict(window="token_bucket"),
            dict(window="day", seconds=60),
            dict(window="day", rate=1.0),
            dict(window="request", per="user"),
            dict(per="not a scope"),
            dict(timezone="Mars/Olympus_Mons"),
        ]
        for case in cases:
            with self.subTest(case=case), self.assertRaises(ConfigurationError):
                Limit(usd=1.0, **case)  # type: ignore[arg-type]

    def test_identity(self) -> None:
        self.assertEqual(Limit(usd=50.0, per="org", window="month", timezone="UTC").id, "usd/org/month@UTC")
        self.assertEqual(Limit(tokens=5, window="sliding", seconds=60).id, "tokens/*/sliding60s")
        self.assertEqual(Limit(usd=5, name="team-cap").id, "team-cap")
        self.assertEqual(Limit(usd=1.0, window="token_bucket", rate=0.1).burst, 1.0)

    def test_two_limits_with_one_identity_are_refused(self) -> None:
        with self.assertRaisesRegex(ConfigurationError, "share the identity"):
            Budget(Limit(usd=1.0, per="user"), Limit(usd=2.0, per="user"))
        Budget(Limit(usd=1.0, per="user"), Limit(usd=2.0, per="user", name="second"))

    def test_utc_works_without_the_time_zone_database(self) -> None:
        import zoneinfo

        missing = zoneinfo.ZoneInfoNotFoundError
        with mock.patch.object(zoneinfo, "ZoneInfo", side_effect=missing("none")):
            self.assertIs(resolve_timezone("UTC"), UTC)
            self.assertIs(Limit(usd=1.0, window="day", timezone="UTC").tzinfo, UTC)
            with self.assertRaisesRegex(ConfigurationError, "tzdata"):
                Limit(usd=1.0, window="day", timezone="Europe/London")

    def test_tzinfo_objects_are_accepted(self) -> None:
        offset = dt.timezone(dt.timedelta(hours=5, minutes=30))
        limit = Limit(usd=1.0, window="day", timezone=offset)
        span = limit.span(epoch(2024, 1, 1, 20, 0))  # 01:30 on Jan 2 at +05:30
        self.assertEqual(span.start, epoch(2024, 1, 2, tz=offset))


class MonthWindowTest(unittest.TestCase):
    def test_month_lengths_are_calendar_months(self) -> None:
        cases = [((2024, 1, 15), 31), ((2024, 2, 10), 29), ((2023, 2, 10), 28), ((2024, 4, 30), 30),
                 ((2024, 12, 31), 31)]
        for day, days in cases:
            with self.subTest(day=day):
                span = calendar_span(Window.MONTH, UTC, epoch(*day, 12))
                self.assertEqual(span.start, epoch(day[0], day[1], 1))
                self.assertEqual(span.end - span.start, days * 86400)

    def test_spend_carries_to_the_last_second_of_february_and_resets_on_march_1(self) -> None:
        clock = Clock(epoch(2024, 2, 1))
        budget = Budget(Limit(usd=1.0, window="month", timezone="UTC"), clock=clock)
        budget.reserve(usd=1.0).settle()
        for moment in (epoch(2024, 2, 28, 23, 59, 59), epoch(2024, 2, 29, 23, 59, 59)):
            clock.now = moment  # 28 days in: a "28-day month" would already have reset
            with self.assertRaises(BudgetExceededError):
                budget.reserve(usd=0.01)
        clock.now = epoch(2024, 3, 1)
        budget.reserve(usd=1.0).settle()
        clock.now = epoch(2024, 3, 31, 23, 59, 59)  # March has 31 days: still March
        with self.assertRaises(BudgetExceededError):
            budget.reserve(usd=0.01)
        clock.now = epoch(2024, 4, 1)
        self.assertEqual(budget.spent(), 0.0)

    def test_year_rollover(self) -> None:
        span = calendar_span(Window.MONTH, UTC, epoch(2024, 12, 31, 23, 59, 59))
        self.assertEqual((span.start, span.end, span.label), (epoch(2024, 12, 1), epoch(2025, 1, 1), "2024-12"))

    def test_week_starts_on_monday(self) -> None:
        span = calendar_span(Window.WEEK, UTC, epoch(2024, 5, 15, 9))  # a Wednesday
        self.assertEqual((span.start, span.end, span.label), (epoch(2024, 5, 13), epoch(2024, 5, 20), "2024-W20"))


@unittest.skipIf(NEW_YORK is None or LONDON is None, NO_TZDATA)
class DaylightSavingTest(unittest.TestCase):
    def test_new_york_days_are_23_and_25_hours_on_dst_changes(self) -> None:
        spring = calendar_span(Window.DAY, NEW_YORK, epoch(2024, 3, 10, 12, tz=NEW_YORK))  # type: ignore[arg-type]
        self.assertEqual(spring.end - spring.start, 23 * 3600)
        self.assertEqual(spring.start, epoch(2024, 3, 10, 5))  # midnight EST = 05:00 UTC
        autumn = calendar_span(Window.DAY, NEW_YORK, epoch(2024, 11, 3, 12, tz=NEW_YORK))  # type: ignore[arg-type]
        self.assertEqual(autumn.end - autumn.start, 25 * 3600)
        self.assertEqual(autumn.end, epoch(2024, 11, 4, 5))  # next midnight is EST again

    def test_new_york_repeated_hour_is_two_windows(self) -> None:
        first = epoch(2024, 11, 3, 5, 30)   # 01:30 EDT
        second = epoch(2024, 11, 3, 6, 30)  # 01:30 EST, an hour later
        a = calendar_span(Window.HOUR, NEW_YORK, first)  # type: ignore[arg-type]
        b = calendar_span(Window.HOUR, NEW_YORK, second)  # type: ignore[arg-type]
        self.assertEqual((a.start, a.end, b.start, b.end),
                         (epoch(2024, 11, 3, 5), epoch(2024, 11, 3, 6), epoch(2024, 11, 3, 6), epoch(2024, 11, 3, 7)))
        self.assertNotEqual(a.label, b.label)

    def test_new_york_day_budget_across_spring_forward(self) -> None:
        clock = Clock(epoch(2024, 3, 10, 0, 30, tz=NEW_YORK))  # type: ignore[arg-type]
        budget = Budget(Limit(usd=1.0, per="user", window="day", timezone="America/New_York"), clock=clock)
        keys = {"user": "alice"}
        budget.reserve(usd=1.0, keys=keys).settle()
        clock.now = epoch(2024, 3, 11, 3, 59, 59)  # 23:59:59 EDT on the 10th: same (23-hour) day
        with self.assertRaises(BudgetExceededError):
            budget.reserve(usd=0.01, keys=keys)
        clock.now = epoch(2024, 3, 11, 4)  # midnight EDT
        budget.reserve(usd=1.0, keys=keys).settle()

    def test_london_month_ends_at_local_midnight_in_summer_time(self) -> None:
        clock = Clock(epoch(2024, 3, 31, 12))
        budget = Budget(Limit(usd=1.0, window="month", timezone="Europe/London"), clock=clock)
        budget.reserve(usd=1.0).settle()
        clock.now = epoch(2024, 3, 31, 22, 59, 59)  # 23:59:59 BST, still March in London
        with self.assertRaises(BudgetExceededError):
            budget.reserve(usd=0.01)
        clock.now = epoch(2024, 3, 31, 23)  # 00:00 BST on April 1, still March 31 in UTC
        budget.reserve(usd=1.0).settle()
        span = calendar_span(Window.MONTH, LONDON, epoch(2024, 3, 15))  # type: ignore[arg-type]
        self.assertEqual((span.start, span.end), (epoch(2024, 3, 1), epoch(2024, 3, 31, 23)))
        day = calendar_span(Window.DAY, LONDON, epoch(2024, 3, 31, 12))  # type: ignore[arg-type]
        self.assertEqual(day.end - day.start, 23 * 3600)


LORD_HOWE = zone("Australia/Lord_Howe")


@unittest.skipIf(LORD_HOWE is None, NO_TZDATA)
class HalfHourShiftTest(unittest.TestCase):
    # Regression (budget review #6): at Lord Howe's 30-minute shifts the hour truncated with the new
    # offset started 30 minutes before the previous hour ended.
    def test_hours_meet_at_the_shift(self) -> None:
        for when in (epoch(2024, 4, 6, 15, 5), epoch(2024, 10, 5, 15, 40)):  # after fall-back / spring forward
            with self.subTest(when=when):
                span = calendar_span(Window.HOUR, LORD_HOWE, when)  # type: ignore[arg-type]
                before = calendar_span(Window.HOUR, LORD_HOWE, span.start - 1)  # type: ignore[arg-type]
                after = calendar_span(Window.HOUR, LORD_HOWE, span.end)  # type: ignore[arg-type]
                self.assertLessEqual(span.start, when)
                self.assertLess(when, span.end)
                self.assertEqual((before.end, after.start), (span.start, span.end))
                self.assertNotEqual(before.label, span.label)
        fallback = calendar_span(Window.HOUR, LORD_HOWE, epoch(2024, 4, 6, 15, 5))  # type: ignore[arg-type]
        self.assertEqual((fallback.start, fallback.end, fallback.label),
                         (epoch(2024, 4, 6, 15), epoch(2024, 4, 6, 15, 30), "2024-04-07T01:30+1030"))

    def test_every_quarter_hour_of_a_year_lies_in_contiguous_hours(self) -> None:
        when = epoch(2024, 1, 1)
        while when < epoch(2025, 1, 1):
            span = calendar_span(Window.HOUR, LORD_HOWE, when)  # type: ignore[arg-type]
            nxt = calendar_span(Window.HOUR, LORD_HOWE, span.end)  # type: ignore[arg-type]
            if not (span.start <= when < span.end and nxt.start == span.end):
                self.fail(f"hour {span} at {when} does not meet the next {nxt}")
            when += 900


@unittest.skipIf(TOKYO is None or KOLKATA is None, NO_TZDATA)
class NonUTCZoneTest(unittest.TestCase):
    def test_tokyo_day_starts_at_15_utc(self) -> None:
        clock = Clock(epoch(2024, 5, 15, 14, 59, 59))  # 23:59:59 JST
        budget = Budget(Limit(usd=1.0, per="team", window="day", timezone="Asia/Tokyo"), clock=clock)
        keys = {"team": "ml"}
        budget.reserve(usd=1.0, keys=keys).settle()
        status = budget.status(keys).limits[0]
        self.assertIn("2024-05-15", status.scope)
        self.assertEqual(status.window_end, epoch(2024, 5, 15, 15))
        clock.now = epoch(2024, 5, 15, 15)  # midnight JST; still the 15th in UTC
        budget.reserve(usd=1.0, keys=keys).settle()
        self.assertEqual(budget.spent(keys), 1.0)

    def test_kolkata_hours_start_at_half_past_utc(self) -> None:
        span = calendar_span(Window.HOUR, KOLKATA, epoch(2024, 5, 15, 10, 10))  # type: ignore[arg-type]
        self.assertEqual((span.start, span.end), (epoch(2024, 5, 15, 9, 30), epoch(2024, 5, 15, 10, 30)))

    def test_same_instant_different_zones_are_different_days(self) -> None:
        moment = epoch(2024, 5, 15, 20)
        tokyo = Limit(usd=1.0, window="day", timezone="Asia/Tokyo")
        utc = Limit(usd=1.0, window="day", timezone="UTC", name="utc-day")
        self.assertEqual(tokyo.span(moment).label, "2024-05-16")
        self.assertEqual(utc.span(moment).label, "2024-05-15")


if __name__ == "__main__":
    unittest.main()
