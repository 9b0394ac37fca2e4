"""Where cost aggregates live: in this process, or in table ``cost_usage_v1`` of a SQLite file.

Both backends offer the same operations over rows of counters per (calendar hour bucket, model,
scope); ``CostTracker`` (costs.py) decides what goes in them and reads reports out. See costs.py's
module docstring for why costs keep their own table instead of the budget Store API.
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from .workspace import sqlite_errors

if TYPE_CHECKING:  # pragma: no cover
    from .budget.ledger import Budget
    from .budget.stores import Store


_ALL = ""  # the scope key of the row every record is counted in

# One aggregate row: these counters, in this order.
_FIELDS = ("requests", "priced_requests", "input_tokens", "output_tokens", "priced_input_tokens",
           "priced_output_tokens", "cost_usd", "estimated_requests")
_REQ, _PRICED, _IN, _OUT, _PIN, _POUT, _COST, _EST = range(len(_FIELDS))
Row = List[float]


def _add(total: Row, row: Iterable[float]) -> None:
    for i, value in enumerate(row):
        total[i] += value


def _empty() -> Row:
    return [0, 0, 0, 0, 0, 0, 0.0, 0]


# --- backends: the same five operations in memory and in SQLite -------------------------------


class _MemoryBackend:
    """Aggregates in this process: bucket start -> scope -> model -> row."""

    durable = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: Dict[float, Dict[str, Dict[str, Row]]] = {}
        self._providers: Dict[str, str] = {}

    def add(self, bucket: float, model: str, provider: str, scopes: Tuple[str, ...], delta: Row) -> None:
        with self._lock:
            hour = self._buckets.setdefault(bucket, {})
            for scope in scopes:
                models = hour.setdefault(scope, {})
                row = models.get(model)
                if row is None:
                    models[model] = list(delta)
                else:
                    _add(row, delta)
            if provider:
                self._providers[model] = provider

    def totals(self, start: Optional[float], end: Optional[float], scope: str) -> Dict[str, Row]:
        out: Dict[str, Row] = {}
        with self._lock:
            for bucket, scopes in self._buckets.items():
                if (start is None or bucket >= start) and (end is None or bucket < end):
                    for model, row in scopes.get(scope, {}).items():
                        _add(out.setdefault(model, _empty()), row)
        return out

    def by_scope(self, start: Optional[float], end: Optional[float]) -> Dict[str, Row]:
        out: Dict[str, Row] = {}
        with self._lock:
            for bucket, scopes in self._buckets.items():
                if (start is None or bucket >= start) and (end is None or bucket < end):
                    for scope, models in scopes.items():
                        if scope != _ALL:
                            for row in models.values():
                                _add(out.setdefault(scope, _empty()), row)
        return out

    def providers(self) -> Dict[str, str]:
        with self._lock:
            return dict(self._providers)

    def first_bucket(self) -> Optional[float]:
        with self._lock:
            return min(self._buckets, default=None)

    def prune(self, horizon: float) -> None:
        with self._lock:
            for bucket in [b for b in self._buckets if b < horizon]:
                del self._buckets[bucket]

    def dump(self) -> List[List[Any]]:
        with self._lock:
            return [[bucket, model, scope, self._providers.get(model, ""), *row]
                    for bucket, scopes in sorted(self._buckets.items())
                    for scope, models in scopes.items() for model, row in models.items()]

    def load(self, rows: Iterable[Tuple[float, str, str, str, Row]]) -> None:
        with self._lock:
            for bucket, model, scope, provider, row in rows:
                # Set, not add: loading the same snapshot twice must not double the spend.
                self._buckets.setdefault(bucket, {}).setdefault(scope, {})[model] = row
                if provider:
                    self._providers.setdefault(model, provider)

    def close(self) -> None:
        pass


_SQL_CREATE = (
    """CREATE TABLE IF NOT EXISTS cost_usage_v1 (
        scope TEXT NOT NULL, bucket REAL NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
        requests INTEGER NOT NULL, priced_requests INTEGER NOT NULL, input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL, priced_input_tokens INTEGER NOT NULL,
        priced_output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, estimated_requests INTEGER NOT NULL,
        PRIMARY KEY (scope, bucket, model)
    ) WITHOUT ROWID""",
)
# UPDATE then INSERT inside BEGIN IMMEDIATE rather than UPSERT: works on SQLite older than 3.24.
_SQL_UPDATE = ("UPDATE cost_usage_v1 SET provider = ?, " + ", ".join(f"{f} = {f} + ?" for f in _FIELDS)
               + " WHERE scope = ? AND bucket = ? AND model = ?")
_SQL_INSERT = (f"INSERT INTO cost_usage_v1 (scope, bucket, model, provider, {', '.join(_FIELDS)}) "
               f"VALUES ({', '.join('?' * (4 + len(_FIELDS)))})")
_SQL_SUMS = ", ".join(f"total({f})" for f in _FIELDS)
_SQL_TOTALS = (f"SELECT model, {_SQL_SUMS} FROM cost_usage_v1 WHERE scope = ? AND bucket >= ? AND bucket < ? "
               "GROUP BY model")
_SQL_BY_SCOPE = (f"SELECT scope, {_SQL_SUMS} FROM cost_usage_v1 WHERE scope != '' AND bucket >= ? "
                 "AND bucket < ? GROUP BY scope")
_SQL_PROVIDERS = "SELECT model, max(provider) FROM cost_usage_v1 WHERE scope = '' GROUP BY model"
_SQL_FIRST = "SELECT min(bucket) FROM cost_usage_v1 WHERE scope = ''"
_SQL_PRUNE = "DELETE FROM cost_usage_v1 WHERE bucket < ?"


class _SQLiteBackend:
    """Aggregates in table ``cost_usage_v1`` of a SQLite file shared by every process using it."""

    durable = True

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        self.path = path
        self._timeout = timeout
        self._lock = threading.Lock()  # one connection per process, used by one thread at a time
        self._conn: Optional[sqlite3.Connection] = None
        self._pid = -1

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        # A connection inherited over fork() must never be used in the child: open a new one.
        with sqlite_errors("opening the cost history", self.path):
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None,
                                   check_same_thread=False)
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
                deadline = time.monotonic() + self._timeout
                while True:  # the switch to WAL can report "locked" without calling the busy handler
                    try:
                        conn.execute("PRAGMA journal_mode = WAL").fetchone()
                        break
                    except sqlite3.OperationalError as exc:
                        if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                            raise
                        time.sleep(0.005)
                conn.execute("PRAGMA synchronous = NORMAL")
                self._write(conn, lambda c: [c.execute(sql) for sql in _SQL_CREATE])
            except BaseException:
                conn.close()
                raise
        self._conn, self._pid = conn, os.getpid()
        return conn

    @staticmethod
    def _write(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], object]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            fn(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _read(self, sql: str, args: Tuple[Any, ...]) -> List[Tuple[Any, ...]]:
        with self._lock, sqlite_errors("reading the cost history", self.path):
            return self._connection().execute(sql, args).fetchall()

    def add(self, bucket: float, model: str, provider: str, scopes: Tuple[str, ...], delta: Row) -> None:
        def txn(conn: sqlite3.Connection) -> None:
            for scope in scopes:
                if conn.execute(_SQL_UPDATE, (provider, *delta, scope, bucket, model)).rowcount == 0:
                    conn.execute(_SQL_INSERT, (scope, bucket, model, provider, *delta))

        with self._lock, sqlite_errors("recording usage in the cost history", self.path):
            self._write(self._connection(), txn)

    def totals(self, start: Optional[float], end: Optional[float], scope: str) -> Dict[str, Row]:
        rows = self._read(_SQL_TOTALS, (scope, -math.inf if start is None else start,
                                        math.inf if end is None else end))
        return {r[0]: list(r[1:]) for r in rows}

    def by_scope(self, start: Optional[float], end: Optional[float]) -> Dict[str, Row]:
        rows = self._read(_SQL_BY_SCOPE, (-math.inf if start is None else start, math.inf if end is None else end))
        return {r[0]: list(r[1:]) for r in rows}

    def providers(self) -> Dict[str, str]:
        return {m: p for m, p in self._read(_SQL_PROVIDERS, ()) if p}

    def first_bucket(self) -> Optional[float]:
        return self._read(_SQL_FIRST, ())[0][0]

    def prune(self, horizon: float) -> None:
        with self._lock, sqlite_errors("pruning the cost history", self.path):
            self._write(self._connection(), lambda c: c.execute(_SQL_PRUNE, (horizon,)))

    def dump(self) -> List[List[Any]]:
        return []  # durable already: snapshots carry no rows, so loading one cannot double count

    def load(self, rows: Iterable[Tuple[float, str, str, str, Row]]) -> None:
        pass

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


Backend = Union[_MemoryBackend, _SQLiteBackend]
StoreArg = Union[None, str, "Store", "Budget"]


def _open_backend(store: StoreArg) -> Backend:
    """Return the backend ``store`` names (see the module docstring)."""
    if store is None:
        return _MemoryBackend()
    from .budget.ledger import Budget  # the ledger loads only when a store is named
    from .budget.stores import MemoryStore, SQLiteStore, Store, store_from_url

    if isinstance(store, Budget):
        store = store.store
    if isinstance(store, str):
        store = store_from_url(store)  # ConfigurationError for bad or client-only URLs
    if store is None or isinstance(store, MemoryStore):
        return _MemoryBackend()
    if isinstance(store, SQLiteStore):
        return _SQLiteBackend(store.path, store.timeout)
    if isinstance(store, Store):
        raise ValueError(f"{type(store).__name__} cannot hold cost history (it cannot group counters by "
                         "model or scope): pass store=None for in-process costs or a 'sqlite:///path' URL")
    raise TypeError(f"store must be None, a ledger URL, a budget Store or a Budget, got {type(store).__name__}")
