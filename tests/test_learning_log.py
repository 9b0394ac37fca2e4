"""Learning that does not come from a routed decision (teach(), offline training), and snapshots that
belong to another outcome log: both used to lose learning without a word."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import unittest

from antaris_like import AdaptiveRouter, ModelConfig
from antaris_like._outcome_sql import _MIGRATIONS
from antaris_like.learning import SNAPSHOT_FILE
from antaris_like.training import train_from_jsonl
from antaris_like.workspace import Workspace

PROMPTS = [f"Summarise item {i} of the quarterly report in two sentences" for i in range(40)]
PROBE = "hello there friend, how are you today"


def make_router(workspace: str) -> AdaptiveRouter:
    router = AdaptiveRouter(workspace, ab_test_rate=0.0)
    router.register_model(ModelConfig("weak", ("trivial", "moderate")))
    router.register_model(ModelConfig("strong", ("complex", "expert"), cost_per_1k_input=0.01))
    return router


class LearningLogTestCase(unittest.TestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def fail_weak(self, router: AdaptiveRouter, prompts: list) -> None:
        for prompt in prompts:
            decision = router.route(prompt)
            router.report_outcome(decision.prompt_hash, 0.0, decision.model == "strong")


class SnapshotOfAnotherLogTest(LearningLogTestCase):
    def test_restored_state_keeps_learning(self) -> None:
        source = make_router(self.path("source"))
        self.fail_weak(source, PROMPTS[:30])
        restored_dir = source.save_state(self.path("restored"))
        source.close()
        with self.assertLogs("antaris_like.learning", "WARNING") as logs:
            restored = make_router(restored_dir)
        self.assertIn("another outcome log", "\n".join(logs.output))
        before = restored.route(PROMPTS[35]).complexity
        self.fail_weak(restored, PROMPTS[30:])
        self.assertEqual(restored.learner._applied_seq, restored.outcomes.last_event_seq())
        self.assertNotEqual(restored.route(PROMPTS[35]).complexity, before, "the restored router learned nothing")
        restored.close()

    def test_replaced_database_replays_new_events(self) -> None:
        ws = self.path("ws")
        router = make_router(ws)
        self.fail_weak(router, PROMPTS[:20])
        router.close()
        os.remove(os.path.join(ws, "routing.db"))  # e.g. moved aside as corrupt; classifier.json stays
        with self.assertLogs("antaris_like.learning", "WARNING") as logs:
            again = make_router(ws)
        self.assertIn("learned beside another outcome log", logs.output[0])
        self.assertEqual(again.learner._applied_seq, 0)
        self.fail_weak(again, PROMPTS[20:25])
        self.assertEqual(again.learner._applied_seq, again.outcomes.last_event_seq())
        again.close()

    def test_own_snapshot_is_trusted_and_records_its_log(self) -> None:
        ws = self.path("ws")
        router = make_router(ws)
        self.fail_weak(router, PROMPTS[:10])
        log_id = router.outcomes.log_id
        router.close()
        with open(os.path.join(ws, SNAPSHOT_FILE), encoding="utf-8") as fh:
            self.assertEqual(json.load(fh)["log_id"], log_id)
        with self.assertLogs("antaris_like.learning", "INFO") as logs:
            logging.getLogger("antaris_like.learning").info("marker")  # assertNoLogs is Python 3.10+
            again = make_router(ws)
        self.assertEqual(logs.output, ["INFO:antaris_like.learning:marker"])
        self.assertEqual(again.outcomes.log_id, log_id)
        self.assertEqual(again.learner._applied_seq, 10)
        again.close()

    def test_snapshot_from_before_log_ids(self) -> None:
        ws = self.path("ws")
        router = make_router(ws)
        self.fail_weak(router, PROMPTS[:10])
        router.close()
        snapshot = os.path.join(ws, SNAPSHOT_FILE)
        with open(snapshot, encoding="utf-8") as fh:
            data = json.load(fh)
        del data["log_id"]
        Workspace(ws).write_json(SNAPSHOT_FILE, data)
        again = make_router(ws)
        self.assertEqual(again.learner._applied_seq, 10, "a snapshot within the log's events is kept")
        again.close()
        data["applied_seq"] = 500  # beyond every event this log ever had: from another log
        Workspace(ws).write_json(SNAPSHOT_FILE, data)
        with self.assertLogs("antaris_like.learning", "WARNING"):
            third = make_router(ws)
        self.assertEqual(third.learner._applied_seq, 10, "replayed this log's events from the first")
        third.close()

    def test_log_id_must_be_text(self) -> None:
        ws = self.path("ws")
        make_router(ws).close()
        Workspace(ws).write_json(SNAPSHOT_FILE, {"schema_version": 1, "log_id": 7, "applied_seq": 0,
                                                 "classifier": make_router(self.path("other")).learner
                                                 .classifier.to_dict()})
        with self.assertLogs("antaris_like.learning", "WARNING") as logs:
            make_router(ws).close()
        self.assertIn("log_id must be a string", "\n".join(logs.output))

    def test_version_1_database_is_upgraded_with_an_identity(self) -> None:
        ws = self.path("ws")
        conn = Workspace(ws).connect("routing.db", migrations=_MIGRATIONS[:1])
        self.assertEqual(conn.execute("PRAGMA user_version").fetchone()[0], 1)
        conn.close()
        router = make_router(ws)
        self.assertRegex(router.outcomes.log_id, r"^[0-9a-f]{32}$")
        router.close()
        conn = sqlite3.connect(os.path.join(ws, "routing.db"))
        self.assertEqual(conn.execute("PRAGMA user_version").fetchone()[0], 2)
        conn.close()

    def test_each_database_has_its_own_identity(self) -> None:
        first, second = make_router(self.path("a")), make_router(self.path("b"))
        self.assertNotEqual(first.outcomes.log_id, second.outcomes.log_id)
        first.close()
        second.close()


class TeachingIsLoggedTest(LearningLogTestCase):
    def test_teach_survives_a_restart_without_close(self) -> None:
        ws = self.path("ws")
        router = make_router(ws)
        before = router.route(PROBE).complexity
        for _ in range(3):
            router.teach(PROBE, "expert")
        taught = router.route(PROBE).complexity
        self.assertGreater(taught, before)
        # No close(), no checkpoint: a crash right here must not lose what was taught.
        again = make_router(ws)
        self.assertAlmostEqual(again.route(PROBE).complexity, taught, places=9)
        again.close()

    def test_teach_reaches_a_router_already_open_and_its_checkpoint_keeps_it(self) -> None:
        ws = self.path("ws")
        teacher, other = make_router(ws), make_router(ws)
        for _ in range(3):
            teacher.teach(PROBE, "expert")
        taught = teacher.route(PROBE).complexity
        other.learner.sync()
        self.assertAlmostEqual(other.route(PROBE).complexity, taught, places=9)
        other.close()  # its checkpoint used to overwrite the teacher's learning
        teacher.outcomes.close()
        third = make_router(ws)
        self.assertAlmostEqual(third.route(PROBE).complexity, taught, places=9)
        third.close()

    def test_training_file_reaches_an_open_router(self) -> None:
        ws = self.path("ws")
        running = make_router(ws)
        before = running.route(PROBE).complexity
        path = self.path("train.jsonl")
        with open(path, "w", encoding="utf-8") as fh:
            for _ in range(3):
                fh.write(json.dumps({"prompt": PROBE, "tier": "expert"}) + "\n")
            fh.write(json.dumps({"prompt": PROBE, "model": "weak", "success": False, "quality": 0.0}) + "\n")
        trainer = make_router(ws)  # another router on the workspace, as `python -m antaris_like train` is
        report = train_from_jsonl(trainer, path)
        trainer.close()
        self.assertEqual((report.labelled, report.outcomes), (3, 1))
        running.learner.sync()
        trained = running.route(PROBE).complexity
        self.assertGreater(trained, before)
        running.close()
        again = make_router(ws)
        self.assertAlmostEqual(again.route(PROBE).complexity, trained, places=9)
        again.close()

    def test_teach_refuses_a_bad_tier_and_stores_nothing(self) -> None:
        router = make_router(self.path("ws"))
        with self.assertRaises(ValueError):
            router.teach(PROBE, "legendary")
        self.assertEqual(router.outcomes.last_event_seq(), 0)
        router.close()


if __name__ == "__main__":
    unittest.main()
