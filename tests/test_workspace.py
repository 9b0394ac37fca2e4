"""Tests for antaris_like.workspace: atomic JSON state, corruption handling, the SQLite connection."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import unittest

from antaris_like.errors import StateError
from antaris_like.workspace import Workspace, sqlite_errors

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z
MIGRATIONS = (("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)",),
              ("CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY)",))


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _connect_worker(path: str, barrier: multiprocessing.synchronize.Barrier, queue: multiprocessing.Queue) -> None:
    try:
        barrier.wait(timeout=60)
        conn = Workspace(path).connect("shared.db", migrations=MIGRATIONS)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (str(os.getpid()),))
        conn.execute("COMMIT")
        conn.close()
        queue.put("ok")
    except BaseException as exc:  # report to the parent instead of dying silently
        queue.put(f"{type(exc).__name__}: {exc}")


class WorkspaceTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.clock = FakeClock()
        self.ws = Workspace(os.path.join(self.tmp, "a", "b"), clock=self.clock)


class FolderTest(WorkspaceTestCase):
    def test_creates_folder_with_parents(self) -> None:
        self.assertTrue(os.path.isdir(os.path.join(self.tmp, "a", "b")))
        self.assertEqual(Workspace(self.ws.path).path, self.ws.path)

    def test_path_that_is_a_file_is_refused(self) -> None:
        path = os.path.join(self.tmp, "file")
        with open(path, "w") as fh:
            fh.write("x")
        with self.assertRaisesRegex(StateError, "not a folder|cannot create"):
            Workspace(path)

    def test_bad_paths(self) -> None:
        for bad, error in ((None, TypeError), (123, TypeError), (b"x", TypeError), ("", ValueError),
                           ("a\x00b", ValueError)):
            with self.subTest(bad=bad):
                with self.assertRaises(error) as ctx:
                    Workspace(bad)  # type: ignore[arg-type]
                self.assertTrue(str(ctx.exception))

    def test_file_names_stay_inside(self) -> None:
        self.assertEqual(self.ws.file("x.json"), os.path.join(self.ws.path, "x.json"))
        for bad in ("", ".", "..", "../x", "a/b", "a\\b", "a\x00"):
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(ValueError, "plain name"):
                    self.ws.file(bad)
        with self.assertRaises(TypeError):
            self.ws.file(None)  # type: ignore[arg-type]


class JsonTest(WorkspaceTestCase):
    def test_round_trip_and_no_temp_files_left(self) -> None:
        self.ws.write_json("state.json", {"schema_version": 1, "x": [1, 2], "name": "日本"})
        self.ws.write_json("state.json", {"x": 3}, schema_version=2)
        self.assertEqual(self.ws.read_json("state.json", schema_version=2), {"schema_version": 2, "x": 3})
        self.assertEqual(sorted(n for n in os.listdir(self.ws.path) if not n.endswith(".lock")), ["state.json"])

    def test_missing_file_returns_default(self) -> None:
        self.assertIsNone(self.ws.read_json("none.json", schema_version=1))
        self.assertEqual(self.ws.read_json("none.json", schema_version=1, default={"d": 1}), {"d": 1})

    def test_write_refuses_bad_state(self) -> None:
        cases = [({"x": 1}, ValueError, "schema_version"), ({"schema_version": "1"}, ValueError, "schema_version"),
                 ({"schema_version": 1, "x": float("nan")}, ValueError, "JSON"),
                 ({"schema_version": 1, "x": object()}, ValueError, "JSON"), ([1], TypeError, "dict")]
        for data, error, pattern in cases:
            with self.subTest(data=data):
                with self.assertRaisesRegex(error, pattern):
                    self.ws.write_json("s.json", data)  # type: ignore[arg-type]
        self.assertEqual(os.listdir(self.ws.path), [])

    def test_failed_write_keeps_old_file(self) -> None:
        self.ws.write_json("s.json", {"schema_version": 1, "v": "old"})
        with self.assertRaises(ValueError):
            self.ws.write_json("s.json", {"schema_version": 1, "v": float("inf")})
        self.assertEqual(self.ws.read_json("s.json", schema_version=1)["v"], "old")

    def test_corrupt_files_are_moved_aside_with_a_warning(self) -> None:
        valid = json.dumps({"schema_version": 1, "items": list(range(50))}).encode()
        cases = {
            "empty": b"", "truncated": valid[: len(valid) // 2], "empty object": b"{}", "list": b"[]",
            "null": b"null", "garbage": os.urandom(64) + b"\xff\xfe", "not utf-8": b'{"schema_version": 1, "x": "\xff"}',
            "no version": b'{"x": 1}', "string version": b'{"schema_version": "1"}',
            "bool version": b'{"schema_version": true}', "zero version": b'{"schema_version": 0}',
            "number": b"42", "deep nesting": b"[" * 100_000,
        }
        for index, (label, raw) in enumerate(cases.items()):
            with self.subTest(label):
                self.clock.now = T0 + index
                name = f"s{index}.json"
                with open(self.ws.file(name), "wb") as fh:
                    fh.write(raw)
                with self.assertLogs("antaris_like.workspace", "WARNING") as logs:
                    self.assertEqual(self.ws.read_json(name, schema_version=1, default={"fresh": True}),
                                     {"fresh": True})
                self.assertIn("corrupt", logs.output[0])
                self.assertFalse(os.path.exists(self.ws.file(name)))
                aside = [f for f in os.listdir(self.ws.path) if f.startswith(name + ".corrupt-")]
                self.assertEqual(len(aside), 1, aside)
                with open(os.path.join(self.ws.path, aside[0]), "rb") as fh:
                    self.assertEqual(fh.read(), raw)  # kept for inspection, never dropped

    def test_corrupt_name_carries_utc_time_and_is_unique(self) -> None:
        for _ in range(2):
            with open(self.ws.file("s.json"), "wb") as fh:
                fh.write(b"{")
            with self.assertLogs("antaris_like.workspace", "WARNING"):
                self.ws.read_json("s.json", schema_version=1)
        self.assertEqual(sorted(os.listdir(self.ws.path)),
                         ["s.json.corrupt-20231114T221320Z", "s.json.corrupt-20231114T221320Z-1"])

    def test_validator_rejection_counts_as_corrupt(self) -> None:
        self.ws.write_json("s.json", {"schema_version": 1, "models": "oops"})

        def validate(data: dict) -> None:
            if not isinstance(data["models"], list):
                raise ValueError("models must be a list")

        with self.assertLogs("antaris_like.workspace", "WARNING") as logs:
            self.assertIsNone(self.ws.read_json("s.json", schema_version=1, validate=validate))
        self.assertIn("models must be a list", logs.output[0])

    def test_newer_schema_is_refused_and_left_alone(self) -> None:
        self.ws.write_json("s.json", {"schema_version": 3})
        with self.assertRaisesRegex(StateError, "schema_version 3, newer than the 2"):
            self.ws.read_json("s.json", schema_version=2)
        self.assertTrue(os.path.exists(self.ws.file("s.json")))

    def test_older_schema_is_returned_for_migration(self) -> None:
        self.ws.write_json("s.json", {"schema_version": 1, "a": 1})
        self.assertEqual(self.ws.read_json("s.json", schema_version=2), {"schema_version": 1, "a": 1})

    def test_bad_schema_version_argument(self) -> None:
        for bad in (0, -1, True, "1", None, 1.0):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    self.ws.read_json("s.json", schema_version=bad)  # type: ignore[arg-type]


class FileModeTest(WorkspaceTestCase):
    def test_a_rewrite_keeps_the_mode_an_operator_set(self) -> None:
        # mkstemp's 0600 used to replace a shared workspace's 0664 at every checkpoint.
        self.ws.write_json("state.json", {"schema_version": 1})
        path = self.ws.file("state.json")
        os.chmod(path, 0o664)
        self.ws.write_json("state.json", {"schema_version": 1, "x": 1})
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o664)

    def test_a_new_file_gets_what_open_would_give(self) -> None:
        old = os.umask(0o027)
        try:
            self.ws.write_json("fresh.json", {"schema_version": 1})
        finally:
            os.umask(old)
        self.assertEqual(os.stat(self.ws.file("fresh.json")).st_mode & 0o777, 0o640)


class TempFileTest(WorkspaceTestCase):
    def test_a_crashed_writes_temp_file_is_removed_on_open(self) -> None:
        orphan = self.ws.file(".classifier.json.k2j4h1.tmp")
        for path in (orphan, self.ws.file(".classifier.json.lock")):  # as _atomic_write leaves them
            with open(path, "wb") as fh:
                fh.write(b"{}")
        Workspace(self.ws.path)
        self.assertFalse(os.path.exists(orphan))

    def test_a_temp_file_of_a_name_the_workspace_never_wrote_is_left_alone(self) -> None:
        # ModelRegistry.save() into the folder writes the same pattern without taking the lock.
        other = self.ws.file(".models.json.p0q9z8.tmp")
        with open(other, "wb") as fh:
            fh.write(b"{}")
        Workspace(self.ws.path)
        self.assertTrue(os.path.exists(other))

    @unittest.skipIf(os.name != "posix", "flock is POSIX")
    def test_a_live_writers_temp_file_is_left_alone(self) -> None:
        live = self.ws.file(".classifier.json.x81kq0.tmp")
        ready, release = multiprocessing.Event(), multiprocessing.Event()
        holder = multiprocessing.Process(target=_hold_lock, args=(self.ws.path, "classifier.json", ready, release))
        holder.start()
        try:
            self.assertTrue(ready.wait(60))
            with open(live, "wb") as fh:  # as the holder's write would, between mkstemp and rename
                fh.write(b"{}")
            Workspace(self.ws.path)
            self.assertTrue(os.path.exists(live))
        finally:
            release.set()
            holder.join(60)
        Workspace(self.ws.path)
        self.assertFalse(os.path.exists(live))

    def test_an_unusable_lock_file_is_a_state_error(self) -> None:
        os.mkdir(self.ws.file(".state.json.lock"))  # cannot be opened as a file, by anyone
        with self.assertRaisesRegex(StateError, "not writable: cannot create lock file"):
            self.ws.write_json("state.json", {"schema_version": 1})


def _hold_lock(path: str, name: str, ready: object, release: object) -> None:
    with Workspace(path)._lock(name):
        ready.set()  # type: ignore[attr-defined]
        release.wait(60)  # type: ignore[attr-defined]


class ConnectTest(WorkspaceTestCase):
    def test_wal_busy_timeout_and_migrations(self) -> None:
        conn = self.ws.connect("x.db", migrations=MIGRATIONS)
        self.addCleanup(conn.close)
        self.assertEqual(conn.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        self.assertEqual(conn.execute("PRAGMA busy_timeout").fetchone()[0], 30000)
        self.assertEqual(conn.execute("PRAGMA synchronous").fetchone()[0], 1)  # NORMAL
        self.assertEqual(conn.execute("PRAGMA user_version").fetchone()[0], 2)
        self.assertIsNone(conn.isolation_level)

    def test_upgrade_runs_only_missing_steps(self) -> None:
        self.ws.connect("x.db", migrations=MIGRATIONS[:1]).close()
        conn = self.ws.connect("x.db", migrations=MIGRATIONS)
        self.addCleanup(conn.close)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self.assertEqual(tables, {"t", "u"})

    def test_newer_database_is_refused(self) -> None:
        self.ws.connect("x.db", migrations=MIGRATIONS).close()
        with self.assertRaisesRegex(StateError, "schema version 2, newer than the 1"):
            self.ws.connect("x.db", migrations=MIGRATIONS[:1])
        self.assertTrue(os.path.exists(self.ws.file("x.db")))

    def test_corrupt_databases_are_moved_aside_and_recreated(self) -> None:
        conn = self.ws.connect("good.db", migrations=MIGRATIONS)
        conn.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 500,)] * 200)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        with open(self.ws.file("good.db"), "rb") as fh:
            good = fh.read()
        cases = {"garbage": os.urandom(8192), "truncated mid-page": good[: len(good) // 2 + 100],
                 "text": b"hello, this is not a database\n" * 10, "bad header only": b"SQLite format 3\x00" + b"\x00" * 50}
        for index, (label, raw) in enumerate(cases.items()):
            with self.subTest(label):
                self.clock.now = T0 + index
                name = f"c{index}.db"
                with open(self.ws.file(name), "wb") as fh:
                    fh.write(raw)
                with self.assertLogs("antaris_like.workspace", "WARNING") as logs:
                    conn = self.ws.connect(name, migrations=MIGRATIONS)
                conn.execute("INSERT INTO t (v) VALUES ('fresh')")
                self.assertEqual(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0], 1)
                conn.close()
                self.assertIn("corrupt", logs.output[0])
                self.assertTrue(any(f.startswith(name + ".corrupt-") for f in os.listdir(self.ws.path)))

    def test_empty_file_is_a_new_database(self) -> None:
        open(self.ws.file("e.db"), "wb").close()
        conn = self.ws.connect("e.db", migrations=MIGRATIONS)
        conn.close()
        self.assertFalse(any(".corrupt-" in f for f in os.listdir(self.ws.path)))

    def test_sqlite_errors_become_state_errors(self) -> None:
        conn = self.ws.connect("x.db", migrations=MIGRATIONS)
        self.addCleanup(conn.close)
        with self.assertRaisesRegex(StateError, "reading things failed") as ctx:
            with sqlite_errors("reading things"):
                conn.execute("SELECT * FROM missing_table")
        self.assertIsInstance(ctx.exception.__cause__, sqlite3.Error)

    def test_processes_creating_the_database_together(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        barrier, queue = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_connect_worker, args=(self.ws.path, barrier, queue)) for _ in range(4)]
        for proc in procs:
            proc.start()
        results = [queue.get(timeout=120) for _ in procs]
        for proc in procs:
            proc.join(60)
        self.assertEqual(results, ["ok"] * 4)
        conn = self.ws.connect("shared.db", migrations=MIGRATIONS)
        self.addCleanup(conn.close)
        self.assertEqual(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0], 4)
        self.assertEqual(conn.execute("PRAGMA user_version").fetchone()[0], 2)


if __name__ == "__main__":
    unittest.main()
