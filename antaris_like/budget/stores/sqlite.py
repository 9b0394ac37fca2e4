"""SQLite store: the default ledger, shared by every thread and process on one host.

Atomicity comes from ``BEGIN IMMEDIATE``: the write lock is taken before the counters are read,
so the read-check-write of a reservation cannot interleave with another writer's. WAL lets readers
(``usage``) proceed meanwhile. ``synchronous=NORMAL`` in WAL mode survives any process crash
(SIGKILL included); only an OS crash or power loss can drop the last transactions, never corrupt
the file. Pass ``synchronous="FULL"`` to make every commit durable against power loss too.

Every ``sqlite3.Error`` becomes a ``StateError`` here: a ledger that cannot be read is refused,
never taken for zero spend, and a corrupt file is left where it is (moving it aside would reset
the spend to zero).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple, TypeVar

from ...errors import StateError
from ..limits import Line
from .base import (
    EXPIRED_RETENTION,
    ReserveResult,
    SettleRecord,
    Store,
    UnknownReservationError,
    Usage,
    bucket_level,
    check_usage,
    decode_lines,
    encode_lines,
    fits,
    line_charge,
)

__all__ = ["SQLiteStore"]

T = TypeVar("T")
SCHEMA_VERSION = 1

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS budget_counters (
        key TEXT PRIMARY KEY, committed REAL NOT NULL, reserved REAL NOT NULL, stamp REAL NOT NULL
    ) WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS budget_charges (key TEXT NOT NULL, ts REAL NOT NULL, amount REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS budget_charges_key_ts ON budget_charges (key, ts)",
    """CREATE TABLE IF NOT EXISTS budget_reservations (
        id TEXT PRIMARY KEY, created REAL NOT NULL, expires REAL NOT NULL, expired_at REAL, lines TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE INDEX IF NOT EXISTS budget_reservations_held ON budget_reservations (expires)
        WHERE expired_at IS NULL""",
)
_GET_COUNTER = "SELECT committed, reserved, stamp FROM budget_counters WHERE key = ?"
_PUT_COUNTER = "INSERT OR REPLACE INTO budget_counters (key, committed, reserved, stamp) VALUES (?, ?, ?, ?)"
_OLD_CHARGES = "SELECT total(amount) FROM budget_charges WHERE key = ? AND ts <= ?"
_ADD_CHARGE = "INSERT INTO budget_charges (key, ts, amount) VALUES (?, ?, ?)"
_PRUNE_CHARGES = "DELETE FROM budget_charges WHERE key = ? AND ts <= ?"
_ADD_RESERVATION = "INSERT INTO budget_reservations (id, created, expires, expired_at, lines) VALUES (?, ?, ?, NULL, ?)"
_GET_RESERVATION = "SELECT expired_at, lines FROM budget_reservations WHERE id = ?"
_DELETE_RESERVATION = "DELETE FROM budget_reservations WHERE id = ?"
_ANY_EXPIRED = "SELECT 1 FROM budget_reservations WHERE expired_at IS NULL AND expires <= ? LIMIT 1"
_EXPIRED = "SELECT id, lines FROM budget_reservations WHERE expired_at IS NULL AND expires <= ?"
_MARK_EXPIRED = "UPDATE budget_reservations SET expired_at = ? WHERE id = ?"
_FORGET_EXPIRED = "DELETE FROM budget_reservations WHERE expired_at IS NOT NULL AND expired_at < ?"


class SQLiteStore(Store):
    """Keep the ledger in one SQLite file; one connection per thread and process."""

    def __init__(self, path: str, *, timeout: float = 30.0, synchronous: str = "NORMAL") -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path) or os.fspath(path) == ":memory:":
            raise ValueError(f"SQLiteStore needs a file path (use MemoryStore for memory), got {path!r}")
        if str(synchronous).upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be NORMAL, FULL or EXTRA, got {synchronous!r}")
        self.path = os.fspath(path)
        self.timeout = float(timeout)
        self._synchronous = str(synchronous).upper()
        self._local = threading.local()
        self._ready_pid: Optional[int] = None
        self._init_lock = threading.Lock()
        self._open: List[Tuple[int, sqlite3.Connection]] = []  # every thread's connection, for close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # --- connections ------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        pid = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == pid:
            return conn
        # A connection inherited over fork() must never be used in the child: open a new one.
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise StateError(f"cannot open the budget ledger {self.path!r}: {exc}") from exc
        try:
            self._setup(conn)
        except BaseException:
            conn.close()
            raise
        self._local.conn, self._local.pid = conn, pid
        with self._init_lock:
            self._open.append((pid, conn))
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        with self._init_lock:
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
                # Many processes may create the file at once: switching to WAL needs a lock that the
                # busy handler does not always wait for, so retry it until the timeout.
                deadline = time.monotonic() + self.timeout
                while True:
                    try:
                        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
                        break
                    except sqlite3.OperationalError as exc:
                        if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                            raise
                        time.sleep(0.005)
                # ``mode`` may stay "delete" (e.g. on network filesystems that refuse WAL): WAL is an
                # optimisation, and the rollback journal is just as atomic.
                del mode
                conn.execute(f"PRAGMA synchronous = {self._synchronous}")
                if self._ready_pid != os.getpid():
                    self._create_schema(conn)
                    self._ready_pid = os.getpid()
            except sqlite3.DatabaseError as exc:
                raise StateError(f"the budget ledger {self.path!r} cannot be used ({exc}); it is left "
                                 "untouched and requests are refused until it is repaired or replaced") from exc

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")  # creation is serialised: concurrent first opens are safe
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StateError(f"the budget ledger {self.path!r} has schema version {version}, newer than "
                                 f"this version understands ({SCHEMA_VERSION}): upgrade antaris_like")
            if version < SCHEMA_VERSION:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the connections this process opened (every thread's)."""
        pid = os.getpid()
        self._local = threading.local()
        with self._init_lock:
            mine = [conn for owner, conn in self._open if owner == pid]
            self._open = []
        for conn in mine:
            try:
                conn.close()
            except sqlite3.Error:  # closing is best effort; nothing is pending outside a transaction
                pass

    def _write(self, what: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one BEGIN IMMEDIATE transaction; map sqlite3 errors to StateError."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StateError(f"budget ledger {self.path!r}: cannot {what}: {exc}") from exc
        try:
            result = fn(conn)
            conn.execute("COMMIT")
            return result
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the transaction is already gone; the original error matters
            if isinstance(exc, sqlite3.Error):
                raise StateError(f"budget ledger {self.path!r}: cannot {what}: {exc}") from exc
            raise

    # --- the contract -------------------------------------------------------------------------

    def reserve(self, reservation_id: str, lines: Sequence[Line], now: float,
                expires_at: float) -> ReserveResult:
        """Check every line and record the reservation, in one BEGIN IMMEDIATE transaction."""
        payload = encode_lines(lines)

        def txn(conn: sqlite3.Connection) -> ReserveResult:
            rows = [self._read(conn, line, now) for line in lines]
            usage = tuple(row[0] for row in rows)
            for index, line in enumerate(lines):
                if not fits(usage[index], line):
                    return ReserveResult(index, usage)
            for line, (used, raw, stamp) in zip(lines, rows):
                if line.kind == "bucket":
                    # the drained level; the stamp never moves back (a slower clock would hand out refill)
                    raw, stamp = used.committed, max(stamp, now)
                conn.execute(_PUT_COUNTER, (line.key, raw, used.reserved + line.amount, stamp))
            try:
                conn.execute(_ADD_RESERVATION, (reservation_id, now, expires_at, payload))
            except sqlite3.IntegrityError:
                raise ValueError(f"reservation id {reservation_id!r} is already in use") from None
            return ReserveResult(-1, usage)

        return self._write("reserve", txn)

    def settle(self, reservation_id: str, actual: Mapping[str, float], now: float) -> SettleRecord:
        """Charge a held reservation and forget it, in one transaction."""

        def txn(conn: sqlite3.Connection) -> SettleRecord:
            row = conn.execute(_GET_RESERVATION, (reservation_id,)).fetchone()
            if row is None:
                raise UnknownReservationError(reservation_id)
            expired = row[0] is not None
            lines = decode_lines(row[1], reservation_id)
            charged = []
            for line in lines:
                charge = line_charge(line, actual)
                if expired:  # charged in full when it expired: only an overage is still owed
                    charge = max(0.0, charge - line.amount)
                self._charge(conn, line, charge, 0.0 if expired else line.amount, now)
                charged.append(charge)
            conn.execute(_DELETE_RESERVATION, (reservation_id,))
            return SettleRecord(lines, tuple(charged), expired)

        return self._write("settle", txn)

    def usage(self, lines: Sequence[Line], now: float) -> Tuple[Usage, ...]:
        """Read committed and reserved per line (a WAL snapshot; no write lock)."""
        conn = self._conn()
        try:
            conn.execute("BEGIN")  # one snapshot for all lines
            try:
                return tuple(self._read(conn, line, now)[0] for line in lines)
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StateError(f"budget ledger {self.path!r}: cannot read usage: {exc}") from exc

    def expire(self, now: float) -> int:
        """Charge expired reservations in full; a plain read first keeps the common case lock-free."""
        conn = self._conn()
        try:
            if conn.execute(_ANY_EXPIRED, (now,)).fetchone() is None:
                return 0
        except sqlite3.Error as exc:
            raise StateError(f"budget ledger {self.path!r}: cannot read reservations: {exc}") from exc

        def txn(conn: sqlite3.Connection) -> int:
            rows = conn.execute(_EXPIRED, (now,)).fetchall()
            for reservation_id, payload in rows:
                for line in decode_lines(payload, reservation_id):
                    self._charge(conn, line, line.amount, line.amount, now)
                conn.execute(_MARK_EXPIRED, (now, reservation_id))
            conn.execute(_FORGET_EXPIRED, (now - EXPIRED_RETENTION,))
            return len(rows)

        return self._write("expire reservations", txn)

    # --- helpers (inside a transaction) -------------------------------------------------------

    @staticmethod
    def _read(conn: sqlite3.Connection, line: Line, now: float) -> Tuple[Usage, float, float]:
        """Return the usage at ``now``, the stored committed value and the stamp."""
        row = _counter_row(line.key, conn.execute(_GET_COUNTER, (line.key,)).fetchone())
        raw, reserved, stamp = (0.0, 0.0, now) if row is None else row
        committed = raw
        if line.kind == "sliding":  # running sum less what has left the window since the last write
            committed = raw - conn.execute(_OLD_CHARGES, (line.key, now - line.param)).fetchone()[0]
        elif line.kind == "bucket" and row is not None:
            committed = bucket_level(raw, stamp, line.param, now)
        return check_usage(line.key, committed, reserved), raw, stamp

    def _charge(self, conn: sqlite3.Connection, line: Line, charge: float, unreserve: float,
                now: float) -> None:
        row = _counter_row(line.key, conn.execute(_GET_COUNTER, (line.key,)).fetchone())
        committed, reserved, stamp = (0.0, 0.0, now) if row is None else row
        reserved = check_usage(line.key, 0.0, reserved - unreserve).reserved
        if line.kind == "sliding":
            cutoff = now - line.param
            committed -= conn.execute(_OLD_CHARGES, (line.key, cutoff)).fetchone()[0]
            conn.execute(_PRUNE_CHARGES, (line.key, cutoff))
            conn.execute(_ADD_CHARGE, (line.key, now, charge))
            committed = check_usage(line.key, committed + charge, 0.0).committed
        elif line.kind == "bucket":
            committed, stamp = bucket_level(committed, stamp, line.param, now) + charge, max(stamp, now)
        else:
            committed += charge
        conn.execute(_PUT_COUNTER, (line.key, committed, reserved, stamp))


def _counter_row(key: str, row: Optional[Tuple[Any, ...]]) -> Optional[Tuple[float, float, float]]:
    """A counter row as three floats; StateError for a value that is not a number.

    The REAL columns keep what cannot be converted (SQLite's type affinity), so a row edited by hand
    can hold text, which would otherwise escape as a bare TypeError from the first comparison.
    """
    if row is None:
        return None
    if any(type(value) not in (int, float) for value in row):
        raise StateError(f"ledger counter {key!r} is corrupt (committed, reserved, stamp = {row!r:.80}); "
                         "refusing rather than assuming zero spend")
    return float(row[0]), float(row[1]), float(row[2])
