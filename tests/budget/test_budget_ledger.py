"""The Budget facade: argument checks, scopes, request limits, alerts, URLs and failing stores."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import unittest
from typing import Any, List

from antaris_like.budget import (
    Budget,
    BudgetExceededError,
    Limit,
    MemoryStore,
    PostgresStore,
    RedisStore,
    SQLiteStore,
    store_from_url,
)
from antaris_like.errors import ConfigurationError, StateError

from ._support import postgres_skip_reason, redis_skip_reason

T0 = 1715774400.0


class ArgumentTest(unittest.TestCase):
    def setUp(self) -> None:
        self.budget = Budget(Limit(usd=1.0), Limit(tokens=1000, per="user"), clock=lambda: T0)

    def test_bad_amounts_are_value_errors(self) -> None:
        for bad in (float("nan"), float("inf"), float("-inf"), -0.01):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    self.budget.reserve(usd=bad, tokens=1, keys={"user": "a"})
                with self.assertRaises(ValueError):
                    self.budget.reserve(usd=0.1, tokens=bad, keys={"user": "a"})
                reservation = self.budget.reserve(usd=0.1, tokens=1, keys={"user": "a"})
                with self.assertRaises(ValueError):
                    reservation.settle(usd=bad)
                reservation.release()
        with self.assertRaises(TypeError):
            self.budget.reserve(usd="0.1", tokens=1, keys={"user": "a"})  # type: ignore[arg-type]

    def test_missing_scope_key_is_a_clear_error(self) -> None:
        with self.assertRaisesRegex(ValueError, r"is per 'user' but keys has no 'user'"):
            self.budget.reserve(usd=0.1, tokens=1)
        with self.assertRaisesRegex(ValueError, r"keys has no 'user'"):
            self.budget.reserve(usd=0.1, tokens=1, keys={"usr": "alice"})
        with self.assertRaises(TypeError):
            self.budget.reserve(usd=0.1, tokens=1, keys={"user": 7})  # type: ignore[dict-item]

    def test_unknown_cost_under_a_usd_limit_is_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "pass usd="):
            self.budget.reserve(tokens=5, keys={"user": "a"})

    def test_bad_options(self) -> None:
        with self.assertRaises(ValueError):
            Budget()
        with self.assertRaises(TypeError):
            Budget(Limit(usd=1.0), store=42)  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            Budget(Limit(usd=1.0), reservation_ttl=0)
        with self.assertRaises(ValueError):
            self.budget.reserve(usd=0.1, tokens=1, keys={"user": "a"}, priority="urgent")
        with self.assertRaises(ValueError):
            Budget(Limit(usd=1.0), clock=lambda: float("nan")).reserve(usd=0.1)

    def test_scope_values_are_isolated_and_escaped(self) -> None:
        budget = Budget(Limit(usd=1.0, per="user"))
        budget.reserve(usd=1.0, keys={"user": "a|b"}).settle()
        budget.reserve(usd=1.0, keys={"user": "a"}).settle()
        budget.reserve(usd=1.0, keys={"user": "a%7Cb"}).settle()
        self.assertEqual(budget.spent({"user": "a|b"}), 1.0)


class RequestLimitTest(unittest.TestCase):
    def test_request_limit_checks_each_request_alone(self) -> None:
        budget = Budget(Limit(usd=50.0, per="org", window="month"), Limit(usd=0.10, window="request"))
        keys = {"org": "acme"}
        for _ in range(5):
            budget.reserve(usd=0.10, keys=keys).settle()
        with self.assertRaises(BudgetExceededError) as caught:
            budget.reserve(usd=0.11, keys=keys)
        self.assertEqual((caught.exception.limit, caught.exception.requested), (0.10, 0.11))
        self.assertIn("request", caught.exception.scope)
        self.assertAlmostEqual(budget.remaining(keys), 0.10)
        self.assertAlmostEqual(budget.spent(keys), 0.5)


class IssueExampleTest(unittest.TestCase):
    def test_the_example_of_issue_4(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            budget = Budget(
                Limit(usd=50.0, per="org", window="month", timezone="UTC"),
                Limit(usd=1.0, per="user", window="day"),
                Limit(usd=0.10, window="request"),
                store="sqlite:///" + os.path.join(tmp, "ledger.db"),  # tmp is absolute: four slashes
            )
            keys = {"org": "acme", "user": "alice"}
            reservation = budget.reserve(usd=0.02, keys=keys)
            reservation.settle(usd=0.013)
            self.assertAlmostEqual(budget.spent({"org": "acme"}), 0.013)
            self.assertAlmostEqual(budget.remaining(keys), 0.10)
            status = budget.status(keys)
            self.assertEqual([item.limit_id for item in status.limits], ["usd/org/month@UTC", "usd/user/day@UTC"])
            self.assertFalse(status.exceeded)
            self.assertEqual(status.to_dict()["limits"][1]["spent"], 0.013)
            budget.close()


class AlertTest(unittest.TestCase):
    def test_thresholds_fire_once_each_and_on_refusal(self) -> None:
        alerts: List[Any] = []
        budget = Budget(Limit(usd=1.0, per="user"), on_alert=alerts.append)
        keys = {"user": "alice"}
        for _ in range(3):
            budget.reserve(usd=0.2, keys=keys).settle()  # 0.6: crosses 50%
        budget.reserve(usd=0.1, keys=keys).settle()      # 0.7: nothing new
        budget.reserve(usd=0.15, keys=keys).settle()     # 0.85: crosses 80%
        with self.assertRaises(BudgetExceededError):
            budget.reserve(usd=0.2, keys=keys)           # refused: exhausted
        with self.assertRaises(BudgetExceededError):
            budget.reserve(usd=0.2, keys=keys)           # not repeated
        self.assertEqual([(a.kind, a.threshold) for a in alerts],
                         [("threshold", 0.5), ("threshold", 0.8), ("exhausted", 1.0)])
        self.assertIn("user=alice", alerts[0].scope)
        self.assertEqual(budget.status(keys).alerts, (("usd/user/total", 0.8),))

    def test_custom_thresholds_and_a_failing_callback(self) -> None:
        def boom(alert: Any) -> None:
            raise RuntimeError("hook failed")

        budget = Budget(Limit(usd=1.0), thresholds=(0.25,), on_alert=boom)
        with self.assertLogs("antaris_like.budget.ledger", "ERROR"):
            budget.reserve(usd=0.3).settle()  # the hook's failure does not break admission
        self.assertAlmostEqual(budget.spent(), 0.3)


class StoreURLTest(unittest.TestCase):
    def test_urls(self) -> None:
        self.assertIsInstance(store_from_url("memory://"), MemoryStore)
        self.assertEqual(store_from_url("sqlite:///rel/ledger.db").path, "rel/ledger.db")  # type: ignore[attr-defined]
        self.assertEqual(store_from_url("sqlite:////abs/ledger.db").path, "/abs/ledger.db")  # type: ignore[attr-defined]
        for bad in ("ledger.db", "sqlite://", "ftp://x", "memory://x"):
            with self.subTest(url=bad), self.assertRaises(ConfigurationError):
                store_from_url(bad)
        with self.assertRaisesRegex(ConfigurationError, "RedisStore"):
            store_from_url("redis://127.0.0.1:6379/0")
        with self.assertRaisesRegex(ConfigurationError, "PostgresStore"):
            store_from_url("postgresql://127.0.0.1/db")


class SQLiteFaultTest(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.path = os.path.join(self._tmp.name, "ledger.db")

    def test_garbage_file_fails_closed_and_is_left_alone(self) -> None:
        with open(self.path, "wb") as handle:
            handle.write(b"this is not a database, it is garbage\x00" * 200)
        budget = Budget(Limit(usd=1.0), store=SQLiteStore(self.path))
        with self.assertRaisesRegex(StateError, "cannot be used"):
            budget.reserve(usd=0.1)
        with self.assertRaises(StateError):
            budget.status()
        self.assertTrue(os.path.exists(self.path))  # never moved aside: that would reset spend to zero

    def test_truncated_database_fails_closed(self) -> None:
        budget = Budget(Limit(usd=1.0), store=SQLiteStore(self.path))
        for _ in range(50):
            budget.reserve(usd=0.01).settle()
        budget.close()
        with sqlite3.connect(self.path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = os.path.getsize(self.path)
        with open(self.path, "r+b") as handle:
            handle.seek(100)
            handle.write(b"\xff" * (size - 100))
        with self.assertRaises(StateError):
            Budget(Limit(usd=1.0), store=SQLiteStore(self.path)).reserve(usd=0.1)

    def test_missing_directory_and_newer_schema(self) -> None:
        with self.assertRaisesRegex(StateError, "cannot open|cannot be used"):
            Budget(Limit(usd=1.0), store=SQLiteStore(os.path.join(self.path, "nope", "ledger.db"))).reserve(usd=0.1)
        with sqlite3.connect(self.path) as conn:
            conn.execute("PRAGMA user_version = 99")
        with self.assertRaisesRegex(StateError, "newer"):
            Budget(Limit(usd=1.0), store=SQLiteStore(self.path)).reserve(usd=0.1)

    def test_corrupt_reservation_record_fails_closed(self) -> None:
        budget = Budget(Limit(usd=1.0), store=SQLiteStore(self.path), clock=lambda: T0)
        reservation = budget.reserve(usd=0.1)
        with sqlite3.connect(self.path) as conn:
            conn.execute("UPDATE budget_reservations SET lines = '{broken'")
        with self.assertRaisesRegex(StateError, "corrupt"):
            reservation.settle()


class _DownRedis:
    """A redis-py look-alike whose server is gone."""

    def eval(self, *args: Any) -> Any:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    evalsha = eval


class UnreachableServerTest(unittest.TestCase):
    def test_redis_down_refuses(self) -> None:
        budget = Budget(Limit(usd=1.0), store=RedisStore(_DownRedis()))
        with self.assertRaisesRegex(StateError, "Redis budget ledger: cannot .*refused while the ledger is unreachable"):
            budget.reserve(usd=0.1)

    def test_postgres_down_refuses(self) -> None:
        def connect() -> Any:
            raise OSError("connection refused")

        budget = Budget(Limit(usd=1.0), store=PostgresStore(connect))
        with self.assertRaisesRegex(StateError, "PostgreSQL budget ledger unreachable"):
            budget.reserve(usd=0.1)

    def test_bad_client_objects(self) -> None:
        with self.assertRaises(TypeError):
            RedisStore(object())  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            PostgresStore("postgresql://x")  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            PostgresStore(lambda: None, table_prefix="x; DROP TABLE y")

    @unittest.skipIf(redis_skip_reason() is not None and "not installed" in (redis_skip_reason() or ""),
                     "redis client not installed")
    def test_real_redis_client_on_a_closed_port(self) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
        with self.assertRaisesRegex(StateError, "Redis budget ledger"):
            Budget(Limit(usd=1.0), store=RedisStore(client)).reserve(usd=0.1)

    @unittest.skipIf(postgres_skip_reason() is not None and "not installed" in (postgres_skip_reason() or ""),
                     "psycopg not installed")
    def test_real_psycopg_on_a_closed_port(self) -> None:
        import psycopg

        def connect() -> Any:
            return psycopg.connect("postgresql://nobody@127.0.0.1:1/none", connect_timeout=1)

        with self.assertRaisesRegex(StateError, "unreachable"):
            Budget(Limit(usd=1.0), store=PostgresStore(connect)).reserve(usd=0.1)


if __name__ == "__main__":
    unittest.main()
