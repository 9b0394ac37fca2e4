"""Tests for antaris_like.feedback: durable, idempotent, bounded and concurrent outcome logging."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import math
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Any, Dict

from antaris_like.errors import StateError, UnknownDecisionError
from antaris_like.feedback import DecisionRecord, ModelTierStats, OutcomeLog, QualityTracker
from antaris_like.tiers import Tier
from antaris_like.workspace import Workspace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T0 = 1_700_000_000.0


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def h(key: Any) -> str:
    return hashlib.sha256(str(key).encode()).hexdigest()


def record(key: Any, model: str = "small", tier: str = "simple", **changes: Any) -> DecisionRecord:
    fields: Dict[str, Any] = dict(prompt_hash=h(key), model=model, provider="local", tier=tier,
                                  min_tier="trivial", max_tier="moderate", confidence=0.75, complexity=0.3,
                                  estimated_cost=0.001, timestamp=T0, features=b"\x00vec" + str(key).encode(),
                                  ab_variant=None, reference_cost=0.01)
    fields.update(changes)
    return DecisionRecord(**fields)


def _worker(path: str, worker: int, barrier: Any, queue: Any) -> None:
    try:
        barrier.wait(timeout=60)
        log = OutcomeLog(path, batch_size=37)
        for i in range(300):
            log.record_decision(record(f"{worker}-{i}", model=f"m{i % 3}", tier=Tier.from_rank(i % 5).value))
            if i % 2:
                log.report(h(f"{worker}-{i - 1}"), 0.5, True)
        for i in range(0, 300, 2):
            log.report(h(f"{worker}-{i}"), 0.25, i % 4 == 0)  # replaces the earlier report of even keys
        for i in range(1, 300, 2):
            log.report(h(f"{worker}-{i}"), 1.0, False)
        log.close()
        queue.put("ok")
    except BaseException as exc:
        queue.put(f"{type(exc).__name__}: {exc}")


class FeedbackTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.clock = FakeClock()
        self.log = self.open_log()

    def open_log(self, **options: Any) -> OutcomeLog:
        log = OutcomeLog(self.tmp, clock=self.clock, **options)
        self.addCleanup(log.close)
        return log

    def run_python(self, code: str) -> str:
        env = dict(os.environ, PYTHONPATH=ROOT)
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout.strip()


class DurabilityTest(FeedbackTestCase):
    def test_report_is_visible_to_a_fresh_log_and_another_process(self) -> None:
        self.log.record_decision(record(1))
        self.log.report(h(1), 0.9, True)  # no flush() or close(): report alone must be durable
        other = self.open_log()
        self.assertEqual(other.outcome(h(1)).quality, 0.9)
        out = self.run_python(
            "from antaris_like.feedback import OutcomeLog; import sys\n"
            f"log = OutcomeLog({self.tmp!r}); o = log.outcome({h(1)!r}); print(o.quality, o.success)")
        self.assertEqual(out, "0.9 True")

    def test_outcome_survives_a_killed_process(self) -> None:
        self.run_python(
            "import os\nfrom tests.test_feedback import record, h\nfrom antaris_like.feedback import OutcomeLog\n"
            f"log = OutcomeLog({self.tmp!r})\nlog.record_decision(record(7))\nlog.report(h(7), 0.4, False)\n"
            "os._exit(0)  # no close, no atexit")
        outcome = self.log.outcome(h(7))
        self.assertEqual((outcome.quality, outcome.success), (0.4, False))

    def test_buffered_decisions_are_flushed_at_exit(self) -> None:
        self.run_python(
            "from tests.test_feedback import record\nfrom antaris_like.feedback import OutcomeLog\n"
            f"log = OutcomeLog({self.tmp!r})\n[log.record_decision(record(i)) for i in range(5)]")
        self.assertEqual(self.log.counts()["decisions"], 5)
        self.log.report(h(3), 1.0, True)  # a decision routed by another process is found once flushed

    def test_decision_buffered_by_another_log_in_this_process_is_found(self) -> None:
        # The manual's AdaptiveRouter(ws) + QualityTracker(ws): two logs on one file. A report through
        # one must see what the other has buffered, with its tier, and not store it as "never routed".
        other = self.open_log(batch_size=100, max_delay=1e9)
        other.record_decision(record("x"))
        result = self.log.report(h("x"), 0.5, True, allow_unrouted=True, model="small")
        self.assertEqual(result.decision.features, b"\x00vecx")
        self.assertEqual(result.outcome.tier, "simple")
        other.report(h("x"), 0.6, True)  # the router's own report replaces it: still one outcome
        self.assertEqual(self.log.analytics()["total_outcomes"], 1)

    def test_decision_buffered_in_another_process_is_unknown_until_flushed(self) -> None:
        code = ("import sys\nfrom tests.test_feedback import record\nfrom antaris_like.feedback import OutcomeLog\n"
                f"log = OutcomeLog({self.tmp!r}, batch_size=100, max_delay=1e9)\n"
                "log.record_decision(record('x'))\nprint('queued', flush=True)\nsys.stdin.readline()\n"
                "log.flush()\nprint('flushed', flush=True)\nsys.stdin.readline()\n")
        env = dict(os.environ, PYTHONPATH=ROOT)
        child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            self.assertEqual(child.stdout.readline().strip(), "queued")
            with self.assertRaises(UnknownDecisionError):
                self.log.report(h("x"), 0.5, True)  # max_delay 1e9: the child's flusher never finds it due
            child.stdin.write("\n")
            child.stdin.flush()
            self.assertEqual(child.stdout.readline().strip(), "flushed")
            self.assertEqual(self.log.report(h("x"), 0.5, True).decision.features, b"\x00vecx")
        finally:
            child.communicate("\n", timeout=60)

    def test_a_frozen_clock_still_lets_the_background_write_happen(self) -> None:
        # Due by wall time too: a log whose injected clock stands still (a test's), dropped without
        # close(), used to be held by the flusher, with its open database files, until exit.
        log = OutcomeLog(self.tmp, clock=lambda: T0, batch_size=100, max_delay=0.05)
        log.record_decision(record("frozen"))
        del log
        reader = self.open_log()
        deadline = time.monotonic() + 30.0  # a generous bound on a loaded machine, not a timing goal
        while reader.counts()["decisions"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(reader.counts()["decisions"], 1)

    def test_an_idle_log_writes_its_decisions_in_the_background(self) -> None:
        # No route(), report() or flush() after the last decision: the flusher thread writes it once it
        # is max_delay old, so another process sharing the workspace can report on it.
        log = OutcomeLog(self.tmp, batch_size=100, max_delay=0.05)
        self.addCleanup(log.close)
        log.record_decision(record("idle"))
        reader = self.open_log()
        deadline = time.monotonic() + 30.0  # a generous bound on a loaded machine, not a timing goal
        while reader.counts()["decisions"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(reader.counts()["decisions"], 1)
        self.assertEqual(reader.report(h("idle"), 0.5, True).decision.tier, "simple")

    def test_batches_flush_by_count_and_by_age(self) -> None:
        log = self.open_log(batch_size=3, max_delay=10.0)
        log.record_decision(record(1))
        log.record_decision(record(2))
        self.assertEqual(self.open_log().counts()["decisions"], 0)
        log.record_decision(record(3))
        self.assertEqual(self.open_log().counts()["decisions"], 3)
        log.record_decision(record(4))
        self.clock.now += 10.0
        log.record_decision(record(5))
        self.assertEqual(self.open_log().counts()["decisions"], 5)

    def test_analytics_survive_restart(self) -> None:
        self.log.record_decision(record(1, model="a", tier="simple"))
        self.log.record_decision(record(2, model="b", tier="expert", ab_variant="B"))
        self.log.report(h(1), 0.5, True)
        self.log.close()
        stats = self.open_log().analytics()
        self.assertEqual(stats["total_routed"], 2)
        self.assertEqual(stats["tier_distribution"]["expert"], 1)
        self.assertEqual(stats["model_usage"], {"a": 1, "b": 1})
        self.assertEqual(stats["provider_usage"], {"local": 2})
        self.assertEqual(stats["ab_variants"], {"B": 1})
        self.assertAlmostEqual(stats["cost_savings"], 0.018)
        self.assertAlmostEqual(stats["avg_confidence"], 0.75)
        self.assertEqual((stats["total_outcomes"], stats["avg_quality"]), (1, 0.5))

    def test_closed_log_refuses_work(self) -> None:
        self.log.close()
        self.log.close()  # idempotent
        with self.assertRaisesRegex(StateError, "closed"):
            self.log.report(h(1), 0.5, True)


class IdempotencyTest(FeedbackTestCase):
    def test_second_report_replaces_the_first(self) -> None:
        self.log.record_decision(record(1))
        first = self.log.report(h(1), 0.9, True, learn_step={"delta": [1, 2]})
        self.assertFalse(first.replaced)
        second = self.log.report(h(1), 0.2, False)
        self.assertTrue(second.replaced)
        self.assertEqual(second.previous.quality, 0.9)
        self.assertEqual(second.previous.learn_step, {"delta": [1, 2]})  # to revert the classifier step
        self.assertEqual(second.outcome.revision, 2)
        stats = self.log.stats("small", "simple")
        self.assertEqual((stats.n, stats.successes, stats.mean_quality), (1, 0, 0.2))
        self.assertEqual(self.open_log().stats("small", Tier.SIMPLE).n, 1)
        self.assertEqual(self.log.counts()["outcomes"], 1)

    def test_many_replacements_stay_exact(self) -> None:
        self.log.record_decision(record(1))
        for i in range(200):
            self.log.report(h(1), (i % 7) / 7, i % 2 == 0)
        stats = self.log.stats("small", "simple")
        self.assertEqual((stats.n, stats.successes), (1, 0))
        self.assertEqual(stats.quality_sum, round(199 % 7 / 7, 6))

    def test_replacement_with_another_model_moves_the_aggregate(self) -> None:
        self.log.record_decision(record(1))
        self.log.report(h(1), 0.9, True)
        self.log.report(h(1), 0.8, True, model="fallback")
        self.assertEqual(self.log.stats("small", "simple").n, 0)
        self.assertEqual(self.log.stats("fallback", "simple").n, 1)

    def test_routing_the_same_prompt_again_is_a_new_decision(self) -> None:
        self.log.record_decision(record(1))
        self.log.report(h(1), 0.9, True)
        self.log.record_decision(record(1, model="big", tier="complex"))
        result = self.log.report(h(1), 0.7, True)
        self.assertFalse(result.replaced)
        self.assertEqual(result.outcome.model, "big")
        self.assertEqual(self.log.model_performance("small")["total_outcomes"], 1)

    def test_learning_events_record_the_revert(self) -> None:
        self.log.record_decision(record(1))
        first = self.log.report(h(1), 0.9, True, learn_step={"s": 1})
        second = self.log.report(h(1), 0.1, False, learn_step={"s": 2})
        batch = self.log.events_since(0)
        self.assertEqual([e.seq for e in batch], [first.outcome.event_seq, second.outcome.event_seq])
        event = batch.events[-1]
        self.assertEqual((event.replaces_seq, event.previous_success, event.previous_learn_step),
                         (first.outcome.event_seq, True, {"s": 1}))
        self.assertEqual((event.features, event.tier, event.max_tier, event.origin),
                         (b"\x00vec1", "simple", "moderate", self.log.origin))
        self.assertEqual(len(self.log.events_since(batch.last_seq)), 0)
        self.assertFalse(batch.gap)


class UnknownAndBadInputTest(FeedbackTestCase):
    def test_unknown_hash(self) -> None:
        with self.assertRaisesRegex(UnknownDecisionError, h("nope") + ".*route\\(\\)") as ctx:
            self.log.report(h("nope"), 0.5, True)
        self.assertIsInstance(ctx.exception, LookupError)
        with self.assertRaises(UnknownDecisionError):
            self.log.decision(h("nope"))

    def test_report_rejects_bad_input_with_a_message(self) -> None:
        self.log.record_decision(record(1))
        good: Dict[str, Any] = {"prompt_hash": h(1), "quality_score": 0.5, "success": True}
        cases = [
            ("prompt_hash", None), ("prompt_hash", 123), ("prompt_hash", b"a" * 64), ("prompt_hash", "x"),
            ("prompt_hash", "\ud800" * 64), ("prompt_hash", "g" * 64), ("prompt_hash", h(1) + "\x00"),
            ("prompt_hash", ""), ("prompt_hash", " " + h(1)[1:]), ("prompt_hash", "x" * 10_000_000),
            ("quality_score", None), ("quality_score", "0.5"), ("quality_score", b"1"), ("quality_score", math.nan),
            ("quality_score", math.inf), ("quality_score", -0.1), ("quality_score", 1.5), ("quality_score", True),
            ("quality_score", [0.5]), ("quality_score", complex(0.5, 0)),
            ("success", None), ("success", "yes"), ("success", 2), ("success", 1.0), ("success", math.nan),
            ("success", b"1"), ("model", ""), ("model", 5), ("model", "\udcff"), ("learn_step", object()),
            ("learn_step", {"x": math.nan}),
        ]
        for key, value in cases:
            with self.subTest(key=key, value=value if not isinstance(value, str) else value[:20]):
                args = dict(good, **{key: value})
                with self.assertRaises((TypeError, ValueError)) as ctx:
                    self.log.report(args.pop("prompt_hash"), args.pop("quality_score"), args.pop("success"), **args)
                self.assertNotIsInstance(ctx.exception, (KeyError, AttributeError, UnicodeError))
                self.assertTrue(str(ctx.exception))
        self.assertIsNone(self.log.outcome(h(1)))  # nothing was recorded by the failed calls

    def test_numbers_accepted(self) -> None:
        self.log.record_decision(record(1))
        self.assertTrue(self.log.report(h(1).upper(), 1, 1).outcome.success)  # ints 0/1, upper-case hex
        self.assertFalse(self.log.report(h(1), 0, 0).outcome.success)

    def test_decision_record_rejects_bad_fields(self) -> None:
        cases = [("prompt_hash", None), ("prompt_hash", "abc"), ("model", None), ("model", ""), ("model", "\ud800"),
                 ("provider", None), ("tier", "huge"), ("tier", None), ("min_tier", 3), ("confidence", 1.5),
                 ("confidence", math.nan), ("complexity", "0.3"), ("estimated_cost", -1.0),
                 ("estimated_cost", math.inf), ("timestamp", None), ("features", "text"), ("ab_variant", 1),
                 ("reference_cost", -0.5), ("prompt", b"bytes")]
        for key, value in cases:
            with self.subTest(key=key, value=value):
                with self.assertRaises((TypeError, ValueError)) as ctx:
                    record(1, **{key: value})
                self.assertTrue(str(ctx.exception))
        with self.assertRaises(TypeError):
            self.log.record_decision({"prompt_hash": h(1)})  # type: ignore[arg-type]

    def test_decision_record_normalises(self) -> None:
        rec = record(1, tier=Tier.COMPLEX, confidence=1, features=bytearray(b"ab"), prompt_hash=h(1).upper())
        self.assertEqual((type(rec.tier), rec.tier, rec.confidence, rec.features, rec.prompt_hash),
                         (str, "complex", 1.0, b"ab", h(1)))
        init = list(inspect.signature(DecisionRecord.__init__).parameters)[1:]
        self.assertEqual(init, [f.name for f in dataclasses.fields(DecisionRecord)])
        with self.assertRaises(dataclasses.FrozenInstanceError):
            rec.model = "x"  # type: ignore[misc]


class QualityTest(FeedbackTestCase):
    def test_quality_tracker_api(self) -> None:
        tracker = QualityTracker(self.log)
        for i in range(4):
            self.log.record_decision(record(i, model="claude-sonnet-4-6", tier=("simple", "complex")[i % 2]))
            tracker.record_outcome(h(i), quality_score=0.8 + i / 100, success=i != 3, model="claude-sonnet-4-6")
        tracker.record_outcome(h("standalone"), 0.5, True, model="claude-sonnet-4-6")  # never routed
        perf = tracker.get_model_performance("claude-sonnet-4-6")
        self.assertEqual(set(perf), {"model", "avg_quality", "success_rate", "total_outcomes", "quality_by_tier"})
        self.assertEqual(perf["total_outcomes"], 5)
        self.assertAlmostEqual(perf["avg_quality"], (0.8 + 0.81 + 0.82 + 0.83 + 0.5) / 5)
        self.assertEqual(perf["success_rate"], 0.8)
        self.assertEqual(perf["quality_by_tier"], {"simple": 0.81, "complex": 0.82})
        self.assertEqual(tracker.get_model_performance("unused")["total_outcomes"], 0)
        with self.assertRaises(UnknownDecisionError):
            tracker.record_outcome(h("never"), 0.5, True)  # no model: nothing to attribute it to

    def test_quality_tracker_on_a_path(self) -> None:
        tracker = QualityTracker(os.path.join(self.tmp, "qt"))
        self.addCleanup(tracker.close)
        tracker.record_outcome(h(1), 0.9, True, "m")
        tracker.record_outcome(h(1), 0.7, True, "m")
        self.assertEqual(tracker.get_model_performance("m")["total_outcomes"], 1)

    def test_stats_uncertainty(self) -> None:
        empty = self.log.stats("m", "simple")
        self.assertEqual((empty.n, empty.posterior_success, empty.success_interval()), (0, 0.5, (0.0, 1.0)))
        failing = ModelTierStats("m", "simple", 20, 2, 5.0, 2.0)
        lo, hi = failing.success_interval()
        self.assertAlmostEqual(lo, 0.0279, places=3)
        self.assertAlmostEqual(hi, 0.3010, places=3)
        self.assertTrue(failing.keeps_failing(0.5))
        self.assertFalse(ModelTierStats("m", "simple", 3, 0, 0.0, 0.0).keeps_failing(0.5))  # too few to say
        self.assertFalse(ModelTierStats("m", "simple", 20, 12, 10.0, 6.0).keeps_failing(0.5))
        self.assertAlmostEqual(failing.posterior_success, 3 / 22)
        self.assertAlmostEqual(ModelTierStats("m", "t", 2, 1, 1.0, 1.0).quality_std, math.sqrt(0.5))

    def test_stats_cache_sees_other_processes_after_refresh(self) -> None:
        self.log.record_decision(record(1))
        self.log.flush()
        self.assertEqual(self.log.stats("small", "simple").n, 0)
        self.open_log().report(h(1), 1.0, True)
        self.assertEqual(self.log.stats("small", "simple").n, 0)  # cached within stats_refresh
        self.clock.now += 1.0
        self.assertEqual(self.log.stats("small", "simple").n, 1)


class MemoryTest(unittest.TestCase):
    def test_without_a_workspace_everything_works_in_memory(self) -> None:
        log = OutcomeLog(None)
        self.addCleanup(log.close)
        self.assertIsNone(log.workspace)
        log.record_decision(record(1))
        self.assertEqual(log.report(h(1), 0.5, True).outcome.revision, 1)
        self.assertEqual(log.report(h(1), 0.6, True).outcome.revision, 2)
        self.assertEqual(log.stats("small", "simple").n, 1)
        self.assertEqual(log.analytics()["total_routed"], 1)
        self.assertEqual(QualityTracker(None).get_model_performance("small")["total_outcomes"], 0)


class BoundsTest(FeedbackTestCase):
    def test_pruning_keeps_tables_bounded(self) -> None:
        log = self.open_log(retention=100, event_retention=150, batch_size=10)
        for i in range(1000):
            log.record_decision(record(i))
            log.report(h(i), 0.5, i % 2 == 0)
        counts = log.counts()
        self.assertLessEqual(counts["decisions"], 110)
        self.assertLessEqual(counts["outcomes"], 110)
        self.assertLessEqual(counts["events"], 150 + 64)
        self.assertEqual(log.stats("small", "simple").n, 1000)  # aggregates keep everything
        self.assertEqual(log.analytics()["total_routed"], 1000)
        with self.assertRaisesRegex(UnknownDecisionError, "retention limit"):
            self.open_log().report(h(0), 0.5, True)
        batch = log.events_since(0, limit=10)
        self.assertTrue(batch.gap)
        self.assertEqual(len(batch), 10)
        self.assertFalse(log.events_since(990).gap)

    def test_memory_map_is_bounded(self) -> None:
        log = self.open_log(memory_size=8, batch_size=4)
        for i in range(100):
            log.record_decision(record(i))
        self.assertEqual(len(log._recent), 8)
        self.assertEqual(log.report(h(0), 0.5, True).decision.prompt_hash, h(0))  # found in SQLite


class StateTest(FeedbackTestCase):
    def test_corrupt_database_starts_clean(self) -> None:
        self.log.close()
        path = os.path.join(self.tmp, "routing.db")
        for suffix in ("-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        with open(path, "wb") as fh:
            fh.write(os.urandom(10_000))
        with self.assertLogs("antaris_like.workspace", "WARNING"):
            log = self.open_log()
        log.record_decision(record(1))
        self.assertFalse(log.report(h(1), 0.5, True).replaced)

    def test_newer_database_is_refused(self) -> None:
        self.log.close()
        conn = sqlite3.connect(os.path.join(self.tmp, "routing.db"))
        conn.execute("PRAGMA user_version = 99")
        conn.close()
        with self.assertRaisesRegex(StateError, "schema version 99"):
            OutcomeLog(Workspace(self.tmp))

    def test_bad_options(self) -> None:
        for key, value in (("retention", 0), ("batch_size", True), ("memory_size", "8"), ("event_retention", -1)):
            with self.subTest(key=key):
                with self.assertRaisesRegex(ValueError, key):
                    OutcomeLog(self.tmp, **{key: value})


class ConcurrencyTest(FeedbackTestCase):
    def test_four_processes_lose_nothing(self) -> None:
        self.log.close()
        shutil.rmtree(self.tmp)  # the workers create the workspace and database together
        ctx = multiprocessing.get_context("spawn")
        barrier, queue = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_worker, args=(self.tmp, w, barrier, queue)) for w in range(4)]
        for proc in procs:
            proc.start()
        results = [queue.get(timeout=300) for _ in procs]
        for proc in procs:
            proc.join(60)
        self.assertEqual(results, ["ok"] * 4)
        log = self.open_log()
        counts = log.counts()
        self.assertEqual((counts["decisions"], counts["outcomes"]), (1200, 1200))
        self.assertEqual(counts["events"], 4 * (150 + 300))
        stats = log.analytics()
        self.assertEqual(stats["total_routed"], 1200)
        self.assertEqual(sum(stats["tier_distribution"].values()), 1200)
        table = log.quality_table()
        self.assertEqual(sum(s.n for s in table.values()), 1200)
        # even keys end at (0.25, success when i % 4 == 0), odd keys at (1.0, failure)
        self.assertEqual(sum(s.successes for s in table.values()), 4 * 75)
        self.assertAlmostEqual(sum(s.quality_sum for s in table.values()), 4 * (150 * 0.25 + 150 * 1.0))
        seqs = [e.seq for e in log.events_since(0, limit=10_000)]
        self.assertEqual(seqs, list(range(1, 1801)))


if __name__ == "__main__":
    unittest.main()
