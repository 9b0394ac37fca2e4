"""PostgreSQL store: the ledger for many hosts, over the user's own DB-API connection factory.

    store = PostgresStore(lambda: psycopg.connect(dsn))       # psycopg 3, psycopg2 or pg8000

Reserve is one transaction: the counter rows are created if missing, then locked with
``SELECT ... FOR UPDATE`` in key order, checked, updated, and the reservation inserted; COMMIT
makes it all visible at once. Every writer locks counters in the same (sorted) order, and nobody
holding a counter waits for a reservation row, so writers do not deadlock; should the server
still report a deadlock or serialization failure, the transaction is retried.

The package never imports a driver. SQL uses the ``%s`` parameter style (psycopg, psycopg2, pg8000).
Any driver error becomes a ``StateError``: an unreachable database refuses requests.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, TypeVar

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
    unique_keys,
)

__all__ = ["PostgresStore"]

T = TypeVar("T")
_PREFIX = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
_RETRY_STATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock detected
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS {p}_counters (
        key TEXT PRIMARY KEY, committed DOUBLE PRECISION NOT NULL, reserved DOUBLE PRECISION NOT NULL,
        stamp DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {p}_charges (
        key TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, amount DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS {p}_charges_key_ts ON {p}_charges (key, ts)",
    """CREATE TABLE IF NOT EXISTS {p}_reservations (
        id TEXT PRIMARY KEY, created DOUBLE PRECISION NOT NULL, expires DOUBLE PRECISION NOT NULL,
        expired_at DOUBLE PRECISION, lines TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS {p}_reservations_held ON {p}_reservations (expires) WHERE expired_at IS NULL",
)


class _Retry(Exception):
    """Internal: the transaction hit a deadlock or serialization failure and may be retried."""


class PostgresStore(Store):
    """Keep the ledger in PostgreSQL; one connection per thread and process from ``connect``."""

    def __init__(self, connect: Callable[[], Any], *, table_prefix: str = "antaris_budget",
                 retries: int = 5) -> None:
        if not callable(connect):
            raise TypeError("PostgresStore needs a connection factory, e.g. lambda: psycopg.connect(dsn)")
        if not isinstance(table_prefix, str) or not _PREFIX.match(table_prefix):
            raise ValueError(f"table_prefix must be a lower-case SQL identifier, got {table_prefix!r}")
        self._connect = connect
        self.table_prefix = table_prefix
        self._retries = int(retries)
        self._local = threading.local()
        self._ready_pid: Optional[int] = None
        self._open_lock = threading.Lock()
        self._open: List[Tuple[int, Any]] = []  # every thread's connection, for close()
        self._sql: Dict[str, str] = {name: sql.format(p=table_prefix) for name, sql in _SQL.items()}

    def __repr__(self) -> str:
        return f"PostgresStore(table_prefix={self.table_prefix!r})"

    # --- connections and transactions ------------------------------------------------------

    def _conn(self) -> Any:
        pid = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == pid:
            return conn
        try:
            conn = self._connect()
            if getattr(conn, "autocommit", False):
                conn.autocommit = False  # the store's atomicity is the driver's transaction
        except Exception as exc:
            raise StateError(f"PostgreSQL budget ledger unreachable: {type(exc).__name__}: {exc} "
                             "(requests are refused while the ledger is unreachable)") from exc
        self._local.conn, self._local.pid = conn, pid
        with self._open_lock:
            self._open.append((pid, conn))
        if self._ready_pid != pid:
            self._transaction("create the schema", self._create_schema)
            self._ready_pid = pid
        return conn

    def _create_schema(self, cur: Any) -> None:
        # Concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog: serialise on a lock.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.table_prefix,))
        for statement in _SCHEMA:
            cur.execute(statement.format(p=self.table_prefix))

    def _drop(self) -> None:
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            with self._open_lock:
                self._open = [item for item in self._open if item[1] is not conn]
            _close_quietly(conn)

    def _transaction(self, what: str, fn: Callable[[Any], T]) -> T:
        """Run ``fn(cursor)`` in one transaction, retrying deadlocks; driver errors -> StateError."""
        for attempt in range(self._retries + 1):
            conn = self._conn()
            try:
                cur = conn.cursor()
                try:
                    result = fn(cur)
                finally:
                    cur.close()
                conn.commit()
                return result
            except (ValueError, UnknownReservationError, StateError):
                self._rollback(conn)
                raise
            except Exception as exc:
                self._rollback(conn)
                state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
                if state in _RETRY_STATES and attempt < self._retries:
                    continue
                if state is None or str(state).startswith("08"):
                    self._drop()  # connection-level trouble: reconnect next time
                raise StateError(f"PostgreSQL budget ledger: cannot {what}: {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _rollback(self, conn: Any) -> None:
        try:
            conn.rollback()
        except Exception:
            self._drop()

    def close(self) -> None:
        """Close the connections this process opened (every thread's)."""
        pid = os.getpid()
        self._local = threading.local()
        with self._open_lock:
            mine = [conn for owner, conn in self._open if owner == pid]
            self._open = []
        for conn in mine:
            _close_quietly(conn)

    # --- the contract -----------------------------------------------------------------------

    def reserve(self, reservation_id: str, lines: Sequence[Line], now: float,
                expires_at: float) -> ReserveResult:
        """Lock, check and record in one transaction."""
        payload = encode_lines(lines)

        def txn(cur: Any) -> ReserveResult:
            rows = self._lock_counters(cur, lines, now)
            usage = tuple(self._usage(cur, line, rows[line.key], now) for line in lines)
            for index, line in enumerate(lines):
                if not fits(usage[index], line):
                    return ReserveResult(index, usage)
            for line, used in zip(lines, usage):
                committed, _, stamp = rows[line.key]
                if line.kind == "bucket":
                    # drained level; the stamp never moves back (a slower clock would hand out refill)
                    committed, stamp = used.committed, max(stamp, now)
                cur.execute(self._sql["put"], (committed, used.reserved + line.amount, stamp, line.key))
            cur.execute(self._sql["exists"], (reservation_id,))
            if cur.fetchone() is not None:
                raise ValueError(f"reservation id {reservation_id!r} is already in use")
            cur.execute(self._sql["add_reservation"], (reservation_id, now, expires_at, payload))
            return ReserveResult(-1, usage)

        return self._transaction("reserve", txn)

    def settle(self, reservation_id: str, actual: Mapping[str, float], now: float) -> SettleRecord:
        """Charge and forget a reservation in one transaction."""

        def txn(cur: Any) -> SettleRecord:
            cur.execute(self._sql["get_reservation"], (reservation_id,))
            row = cur.fetchone()
            if row is None:
                raise UnknownReservationError(reservation_id)
            expired = row[0] is not None
            lines = decode_lines(row[1], reservation_id)
            rows = self._lock_counters(cur, lines, now)
            charged = []
            for line in lines:
                charge = line_charge(line, actual)
                if expired:  # charged in full when it expired: only an overage is still owed
                    charge = max(0.0, charge - line.amount)
                self._charge(cur, line, rows, charge, 0.0 if expired else line.amount, now)
                charged.append(charge)
            cur.execute(self._sql["delete_reservation"], (reservation_id,))
            return SettleRecord(lines, tuple(charged), expired)

        return self._transaction("settle", txn)

    def usage(self, lines: Sequence[Line], now: float) -> Tuple[Usage, ...]:
        """Read committed and reserved per line (no locks)."""

        def txn(cur: Any) -> Tuple[Usage, ...]:
            result = []
            for line in lines:
                cur.execute(self._sql["get"], (line.key,))
                row = cur.fetchone()
                result.append(self._usage(cur, line, _floats(row) if row else (0.0, 0.0, now), now))
            return tuple(result)

        return self._transaction("read usage", txn)

    def expire(self, now: float) -> int:
        """Charge expired reservations in full (rows another transaction holds are left to it)."""

        def txn(cur: Any) -> int:
            cur.execute(self._sql["expired"], (now,))
            found = [(rid, decode_lines(payload, rid)) for rid, payload in cur.fetchall()]
            if found:
                all_lines = [line for _, lines in found for line in lines]
                rows = self._lock_counters(cur, all_lines, now)
                for rid, lines in found:
                    for line in lines:
                        self._charge(cur, line, rows, line.amount, line.amount, now)
                    cur.execute(self._sql["mark_expired"], (now, rid))
            cur.execute(self._sql["forget_expired"], (now - EXPIRED_RETENTION,))
            return len(found)

        return self._transaction("expire reservations", txn)

    # --- helpers (inside a transaction) -------------------------------------------------------

    def _lock_counters(self, cur: Any, lines: Sequence[Line], now: float) -> Dict[str, List[float]]:
        keys = unique_keys(lines)
        values = ", ".join(["(%s, 0, 0, %s)"] * len(keys))
        params: List[Any] = []
        for key in keys:
            params.extend((key, now))
        cur.execute(self._sql["ensure"].replace("VALUES_", values), params)
        cur.execute(self._sql["lock"], (keys,))
        return {row[0]: list(_floats(row[1:])) for row in cur.fetchall()}

    def _usage(self, cur: Any, line: Line, row: Sequence[float], now: float) -> Usage:
        committed, reserved, stamp = row
        if line.kind == "sliding":  # running sum less what has left the window since the last write
            cur.execute(self._sql["old_charges"], (line.key, now - line.param))
            committed -= float(cur.fetchone()[0])
        elif line.kind == "bucket":
            committed = bucket_level(committed, stamp, line.param, now)
        return check_usage(line.key, committed, reserved)

    def _charge(self, cur: Any, line: Line, rows: Dict[str, List[float]], charge: float,
                unreserve: float, now: float) -> None:
        row = rows[line.key]  # updated in place: several lines or reservations may share a counter
        committed, reserved, stamp = row
        row[1] = check_usage(line.key, 0.0, reserved - unreserve).reserved
        if line.kind == "sliding":
            cur.execute(self._sql["old_charges"], (line.key, now - line.param))
            old = float(cur.fetchone()[0])
            cur.execute(self._sql["prune_charges"], (line.key, now - line.param))
            cur.execute(self._sql["add_charge"], (line.key, now, charge))
            row[0] = check_usage(line.key, committed - old + charge, 0.0).committed
        elif line.kind == "bucket":
            row[0], row[2] = bucket_level(committed, stamp, line.param, now) + charge, max(stamp, now)
        else:
            row[0] = committed + charge
        cur.execute(self._sql["put"], (row[0], row[1], row[2], line.key))


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # closing a broken connection may fail too; it is gone either way
        pass


def _floats(row: Sequence[Any]) -> Tuple[float, float, float]:
    try:
        return float(row[0]), float(row[1]), float(row[2])
    except (TypeError, ValueError) as exc:
        raise StateError(f"PostgreSQL budget ledger holds a non-number: {row!r}") from exc


_SQL = {
    "ensure": "INSERT INTO {p}_counters (key, committed, reserved, stamp) VALUES VALUES_ ON CONFLICT (key) DO NOTHING",
    "lock": "SELECT key, committed, reserved, stamp FROM {p}_counters WHERE key = ANY(%s) ORDER BY key FOR UPDATE",
    "get": "SELECT committed, reserved, stamp FROM {p}_counters WHERE key = %s",
    "put": "UPDATE {p}_counters SET committed = %s, reserved = %s, stamp = %s WHERE key = %s",
    "old_charges": "SELECT COALESCE(SUM(amount), 0) FROM {p}_charges WHERE key = %s AND ts <= %s",
    "add_charge": "INSERT INTO {p}_charges (key, ts, amount) VALUES (%s, %s, %s)",
    "prune_charges": "DELETE FROM {p}_charges WHERE key = %s AND ts <= %s",
    "exists": "SELECT 1 FROM {p}_reservations WHERE id = %s",
    "add_reservation": "INSERT INTO {p}_reservations (id, created, expires, expired_at, lines) VALUES (%s, %s, %s, NULL, %s)",
    "get_reservation": "SELECT expired_at, lines FROM {p}_reservations WHERE id = %s FOR UPDATE",
    "delete_reservation": "DELETE FROM {p}_reservations WHERE id = %s",
    "expired": ("SELECT id, lines FROM {p}_reservations WHERE expired_at IS NULL AND expires <= %s "
                "ORDER BY id FOR UPDATE SKIP LOCKED"),
    "mark_expired": "UPDATE {p}_reservations SET expired_at = %s WHERE id = %s",
    "forget_expired": "DELETE FROM {p}_reservations WHERE expired_at IS NOT NULL AND expired_at < %s",
}
