"""Durable routing decisions and outcomes: OutcomeLog and QualityTracker, in ``<workspace>/routing.db``.

What is stored, and why it stays bounded (SQLite, one file shared by every process on the host):

* ``decisions``: one row per ``route()`` (write-behind: buffered in memory and inserted in batches,
  so ``record_decision`` costs about a microsecond). Only the newest ``retention`` rows are kept
  (default 50,000); older decisions and their outcomes are deleted as new batches arrive, and SQLite
  reuses the freed pages, so the file stops growing.
* ``outcomes``: at most one per decision; a second report replaces the first.
* ``quality``: per model x tier counts, successes and quality sums, in integer millionths so that
  subtracting a replaced outcome is exact. O(models x tiers) rows, never pruned.
* ``counters``: analytics totals (decisions, per tier / model / provider / A-B variant, confidence,
  estimated cost, reference cost). O(tiers + models + providers) rows, survive restarts.
* ``events``: the learning-event log, one row per report (with the reverted step when it replaces an
  earlier one). Routers in other processes apply ``events_since(seq)`` in ``seq`` order so that every
  process converges on the same classifier; the newest ``event_retention`` events are kept (default
  20,000). A router further behind than that sees ``EventBatch.gap`` and reloads its snapshot.

Durability: ``report()`` commits with ``synchronous=FULL`` (survives power loss) before returning,
inserting any buffered decisions in the same transaction. Buffered decisions are flushed every
``batch_size`` decisions, after ``max_delay`` seconds, on ``report()``, ``flush()``, ``close()`` and
at interpreter exit; a killed process loses at most its unflushed decisions, never an outcome.
The batch insert (rows plus the hash index, ~20 us per decision on a VM disk) is paid by the one
``record_decision`` call that fills a batch; the other calls only touch memory.

Replaying learning events (how several routers sharing a workspace converge): keep ``applied_seq``
with the classifier snapshot; after loading, and from time to time, call ``events_since(applied_seq)``
and, for each event in order, skip it if ``event.origin == log.origin`` (this router already applied
it when it reported), else revert ``previous_learn_step`` when ``replaces_seq`` is set and apply
``learn_step`` (or re-derive it from ``features``, tiers, ``success`` and ``quality``). On
``EventBatch.gap`` reload the newest snapshot first.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any, Callable, DefaultDict, Dict, Iterator, List, Optional, Tuple, Union

from .errors import StateError, UnknownDecisionError
from .tiers import TIER_NAMES, Tier
from .workspace import DB_NAME, Workspace, connect_memory, sqlite_errors

__all__ = [
    "DecisionRecord", "EventBatch", "LearningEvent", "ModelTierStats", "Outcome", "OutcomeLog",
    "OutcomeResult", "QualityTracker", "SCHEMA_VERSION",
]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_MICRO = 1_000_000
_HASH_MATCH = re.compile(r"[0-9a-f]{64}").fullmatch
_TIER_SET = frozenset(TIER_NAMES)
_DECISION_COLS = ("id, prompt_hash, model, provider, tier, min_tier, max_tier, confidence, complexity, "
                  "estimated_cost, timestamp, features, ab_variant, reference_cost, prompt")
_MIGRATIONS: Tuple[Tuple[str, ...], ...] = ((
    "CREATE TABLE IF NOT EXISTS decisions (id INTEGER PRIMARY KEY, prompt_hash TEXT NOT NULL, "
    "model TEXT NOT NULL, provider TEXT NOT NULL, tier TEXT NOT NULL, min_tier TEXT NOT NULL, "
    "max_tier TEXT NOT NULL, confidence REAL NOT NULL, complexity REAL NOT NULL, "
    "estimated_cost REAL NOT NULL, timestamp REAL NOT NULL, features BLOB NOT NULL, ab_variant TEXT, "
    "reference_cost REAL, prompt TEXT, hkey INTEGER NOT NULL)",
    # An integer index (the hash's first 8 bytes) is half the cost per insert of a 64-char text index.
    "CREATE INDEX IF NOT EXISTS decisions_by_hash ON decisions (hkey)",
    "CREATE TABLE IF NOT EXISTS outcomes (decision_id INTEGER PRIMARY KEY, model TEXT NOT NULL, "
    "tier TEXT NOT NULL, quality REAL NOT NULL, success INTEGER NOT NULL, "
    "quality_micro INTEGER NOT NULL, quality_sq_micro INTEGER NOT NULL, timestamp REAL NOT NULL, "
    "revision INTEGER NOT NULL, event_seq INTEGER, learn_step TEXT)",
    "CREATE TABLE IF NOT EXISTS quality (model TEXT NOT NULL, tier TEXT NOT NULL, n INTEGER NOT NULL, "
    "successes INTEGER NOT NULL, quality_micro INTEGER NOT NULL, quality_sq_micro INTEGER NOT NULL, "
    "PRIMARY KEY (model, tier)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS counters (kind TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, "
    "confidence REAL NOT NULL, cost REAL NOT NULL, reference_cost REAL NOT NULL, "
    "PRIMARY KEY (kind, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, "
    "timestamp REAL NOT NULL, prompt_hash TEXT NOT NULL, model TEXT NOT NULL, tier TEXT NOT NULL, "
    "min_tier TEXT NOT NULL, max_tier TEXT NOT NULL, features BLOB NOT NULL, success INTEGER NOT NULL, "
    "quality REAL NOT NULL, learn_step TEXT, replaces_seq INTEGER, previous_model TEXT, "
    "previous_success INTEGER, previous_quality REAL, previous_learn_step TEXT)",
),)
_SQL_MAX_DECISION = "SELECT COALESCE(MAX(id), 0) FROM decisions"
_SQL_INSERT_DECISION = f"INSERT INTO decisions ({_DECISION_COLS}, hkey) VALUES ({', '.join('?' * 16)})"
_SQL_PRUNE_OUTCOMES = "DELETE FROM outcomes WHERE decision_id <= ?"
_SQL_PRUNE_DECISIONS = "DELETE FROM decisions WHERE id <= ?"
_SQL_DECISION_BY_ID = f"SELECT {_DECISION_COLS} FROM decisions WHERE id = ?"
_SQL_LATEST_DECISION = (f"SELECT {_DECISION_COLS} FROM decisions WHERE hkey = ? AND prompt_hash = ? "
                        "ORDER BY id DESC LIMIT 1")
_SQL_OUTCOME = ("SELECT d.prompt_hash, o.model, o.tier, o.quality, o.success, o.timestamp, o.revision, o.event_seq, "
                "o.learn_step, o.quality_micro, o.quality_sq_micro FROM outcomes AS o "
                "JOIN decisions AS d ON d.id = o.decision_id WHERE o.decision_id = ?")
_SQL_UPSERT_OUTCOME = ("INSERT OR REPLACE INTO outcomes (decision_id, model, tier, quality, success, "
                       "quality_micro, quality_sq_micro, timestamp, revision, event_seq, learn_step) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_SQL_QUALITY_SEED = "INSERT OR IGNORE INTO quality VALUES (?, ?, 0, 0, 0, 0)"
_SQL_QUALITY_ADD = ("UPDATE quality SET n = n + ?, successes = successes + ?, quality_micro = quality_micro + ?, "
                    "quality_sq_micro = quality_sq_micro + ? WHERE model = ? AND tier = ?")
_SQL_QUALITY_ALL = "SELECT model, tier, n, successes, quality_micro, quality_sq_micro FROM quality"
_SQL_COUNTER_SEED = "INSERT OR IGNORE INTO counters VALUES (?, ?, 0, 0.0, 0.0, 0.0)"
_SQL_COUNTER_ADD = ("UPDATE counters SET n = n + ?, confidence = confidence + ?, cost = cost + ?, "
                    "reference_cost = reference_cost + ? WHERE kind = ? AND key = ?")
_SQL_COUNTERS_ALL = "SELECT kind, key, n, confidence, cost, reference_cost FROM counters"
_SQL_INSERT_EVENT = ("INSERT INTO events (origin, timestamp, prompt_hash, model, tier, min_tier, max_tier, features, "
                     "success, quality, learn_step, replaces_seq, previous_model, previous_success, "
                     "previous_quality, previous_learn_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_SQL_EVENTS_SINCE = ("SELECT seq, origin, timestamp, prompt_hash, model, tier, min_tier, max_tier, features, success, "
                     "quality, learn_step, replaces_seq, previous_model, previous_success, previous_quality, "
                     "previous_learn_step FROM events WHERE seq > ? ORDER BY seq LIMIT ?")
_SQL_EVENT_BOUNDS = ("SELECT (SELECT MIN(seq) FROM events), "
                     "(SELECT seq FROM sqlite_sequence WHERE name = 'events')")
_SQL_PRUNE_EVENTS = "DELETE FROM events WHERE seq <= ?"
_SQL_COUNT = {"decisions": "SELECT COUNT(*) FROM decisions", "outcomes": "SELECT COUNT(*) FROM outcomes",
              "events": "SELECT COUNT(*) FROM events"}
_SQL_DATA_VERSION = "PRAGMA data_version"


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_text(value: object, what: str, *, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    if not value or len(value) > 100_000:
        raise ValueError(f"{what} must be a non-empty str of at most 100,000 characters, got {_preview(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} contains lone surrogates (not encodable as UTF-8): {_preview(value)}") from None
    return str(value)


def _check_real(value: object, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if type(value) is not float and type(value) is not int:
        # bool is an int, and "0.5" / b"1" have no business being numbers here.
        if isinstance(value, (bool, str, bytes, bytearray)) or not hasattr(value, "__float__"):
            raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    number = float(value)  # type: ignore[arg-type,unused-ignore]
    if not math.isfinite(number) or not lo <= number <= hi:
        raise ValueError(f"{what} must be a finite number in [{lo:g}, {hi:g}], got {_preview(value)}")
    return number


def _check_tier(value: object, what: str) -> str:
    if isinstance(value, Tier):
        return value.value
    if isinstance(value, str) and value in TIER_NAMES:
        return str(value)
    return Tier.parse(value, what).value  # type: ignore[arg-type]  # raises TypeError/ValueError


def _check_hash(value: object) -> str:
    """Return ``value`` as a lower-case 64-hex SHA-256 digest, or raise TypeError/ValueError."""
    if not isinstance(value, str):
        raise TypeError(f"prompt_hash must be the str returned by route(), got {type(value).__name__}")
    digest = value.lower() if value.isascii() else value
    if _HASH_MATCH(digest) is None:
        raise ValueError(f"prompt_hash must be a 64-character hex SHA-256 digest, got {_preview(value)}")
    return digest


def _check_success(value: object) -> bool:
    # bool, or the ints 0 / 1 that JSON, CSV and SQL logs use; 1.0, "yes", None are refused.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"success must be True or False (or 1 / 0), got {value!r}")
    raise TypeError(f"success must be a bool, got {type(value).__name__}")


def _dump_step(step: object) -> Optional[str]:
    if step is None:
        return None
    try:
        return json.dumps(step, allow_nan=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"learn_step must be JSON-serialisable (dicts, lists, finite numbers): {exc}") from exc


def _load_step(text: Optional[str]) -> Any:
    return None if text is None else json.loads(text)


def _hkey(digest: str) -> int:
    """Return the first 8 bytes of a hex digest as a signed 64-bit SQLite integer."""
    value = int(digest[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass(frozen=True, init=False)
class DecisionRecord:
    """One routing decision as persisted; ``features`` is the classifier's opaque encoded vector."""

    prompt_hash: str
    model: str
    provider: str
    tier: str
    min_tier: str  # the chosen model's tier range
    max_tier: str
    confidence: float
    complexity: float
    estimated_cost: float
    timestamp: float
    features: bytes = b""
    ab_variant: Optional[str] = None
    reference_cost: Optional[float] = None  # cost of the reference model for the same request (savings)
    prompt: Optional[str] = None  # stored only when the user opts in to keeping prompt text

    def __init__(
        self, prompt_hash: str, model: str, provider: str, tier: str, min_tier: str, max_tier: str,
        confidence: float, complexity: float, estimated_cost: float, timestamp: float, features: bytes = b"",
        ab_variant: Optional[str] = None, reference_cost: Optional[float] = None, prompt: Optional[str] = None,
    ) -> None:
        # Hand-written: one dict update instead of 14 frozen setattr calls (route() is on a 40 us budget).
        self.__dict__.update(
            prompt_hash=prompt_hash, model=model, provider=provider, tier=tier, min_tier=min_tier,
            max_tier=max_tier, confidence=confidence, complexity=complexity, estimated_cost=estimated_cost,
            timestamp=timestamp, features=features, ab_variant=ab_variant, reference_cost=reference_cost,
            prompt=prompt)
        # Validate here, not at flush time: a bad record would otherwise fail a whole batch later.
        # The fast path accepts what route() builds; anything else is checked field by field.
        if not _is_plain(self):
            _normalise(self)


def _is_plain(r: DecisionRecord) -> bool:
    inf = math.inf
    return (type(r.prompt_hash) is str and _HASH_MATCH(r.prompt_hash) is not None
            and type(r.model) is str and r.model.isascii() and 0 < len(r.model) <= 1000
            and type(r.provider) is str and r.provider.isascii() and len(r.provider) <= 1000
            and type(r.tier) is str and r.tier in _TIER_SET and type(r.min_tier) is str
            and r.min_tier in _TIER_SET and type(r.max_tier) is str and r.max_tier in _TIER_SET
            and type(r.confidence) is float and 0.0 <= r.confidence <= 1.0
            and type(r.complexity) is float and 0.0 <= r.complexity <= 1.0
            and type(r.estimated_cost) is float and 0.0 <= r.estimated_cost < inf
            and type(r.timestamp) is float and -inf < r.timestamp < inf and type(r.features) is bytes
            and (r.reference_cost is None or (type(r.reference_cost) is float and 0.0 <= r.reference_cost < inf))
            and (r.ab_variant is None or (type(r.ab_variant) is str and r.ab_variant.isascii()
                                          and 0 < len(r.ab_variant) <= 1000))
            and r.prompt is None)


def _normalise(r: DecisionRecord) -> None:
    setattr_ = object.__setattr__
    setattr_(r, "prompt_hash", _check_hash(r.prompt_hash))
    setattr_(r, "model", _check_text(r.model, "model"))
    if not isinstance(r.provider, str):
        raise TypeError(f"provider must be a str, got {type(r.provider).__name__}")
    if r.provider:
        setattr_(r, "provider", _check_text(r.provider, "provider"))
    for name in ("tier", "min_tier", "max_tier"):
        setattr_(r, name, _check_tier(getattr(r, name), name))
    setattr_(r, "confidence", _check_real(r.confidence, "confidence", 0.0, 1.0))
    setattr_(r, "complexity", _check_real(r.complexity, "complexity", 0.0, 1.0))
    setattr_(r, "estimated_cost", _check_real(r.estimated_cost, "estimated_cost", 0.0))
    setattr_(r, "timestamp", _check_real(r.timestamp, "timestamp"))
    if not isinstance(r.features, bytes) or type(r.features) is not bytes:
        if not isinstance(r.features, (bytes, bytearray, memoryview)):
            raise TypeError(f"features must be bytes, got {type(r.features).__name__}")
        setattr_(r, "features", bytes(r.features))
    setattr_(r, "ab_variant", _check_text(r.ab_variant, "ab_variant", optional=True))
    if r.reference_cost is not None:
        setattr_(r, "reference_cost", _check_real(r.reference_cost, "reference_cost", 0.0))
    setattr_(r, "prompt", _check_text(r.prompt, "prompt", optional=True))


@dataclass(frozen=True)
class Outcome:
    """The outcome recorded for one decision; ``revision`` counts replacements (1 = first report)."""

    prompt_hash: str
    model: str
    tier: str
    quality: float
    success: bool
    timestamp: float
    revision: int
    event_seq: Optional[int]
    learn_step: Any = None


@dataclass(frozen=True)
class OutcomeResult:
    """What ``report()`` stored; ``previous`` is the outcome it replaced (revert its learn step)."""

    decision: DecisionRecord
    outcome: Outcome
    previous: Optional[Outcome]

    @property
    def replaced(self) -> bool:
        """True when this report replaced an earlier one for the same decision."""
        return self.previous is not None


@dataclass(frozen=True)
class LearningEvent:
    """One report, as other processes replay it: revert ``previous_*`` (if any), then learn this one."""

    seq: int
    origin: str
    timestamp: float
    prompt_hash: str
    model: str
    tier: str
    min_tier: str
    max_tier: str
    features: bytes
    success: bool
    quality: float
    learn_step: Any
    replaces_seq: Optional[int]
    previous_model: Optional[str]
    previous_success: Optional[bool]
    previous_quality: Optional[float]
    previous_learn_step: Any


@dataclass(frozen=True)
class EventBatch:
    """Events after a sequence number; ``gap`` means some were pruned: reload a snapshot first."""

    events: Tuple[LearningEvent, ...]
    last_seq: int
    gap: bool

    def __iter__(self) -> Iterator[LearningEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


@dataclass(frozen=True)
class ModelTierStats:
    """Outcome statistics of one model at one tier, with uncertainty for the policy."""

    model: str
    tier: str
    n: int
    successes: int
    quality_sum: float
    quality_sq_sum: float

    @property
    def success_rate(self) -> float:
        """Observed success share (0.0 with no outcomes)."""
        return self.successes / self.n if self.n else 0.0

    @property
    def mean_quality(self) -> float:
        """Mean reported quality (0.0 with no outcomes)."""
        return self.quality_sum / self.n if self.n else 0.0

    @property
    def quality_std(self) -> float:
        """Sample standard deviation of quality (0.0 below two outcomes)."""
        if self.n < 2:
            return 0.0
        var = (self.quality_sq_sum - self.quality_sum ** 2 / self.n) / (self.n - 1)
        return math.sqrt(max(var, 0.0))

    @property
    def posterior_success(self) -> float:
        """Mean of the Beta(1 + successes, 1 + failures) posterior: 0.5 with no data."""
        return (self.successes + 1) / (self.n + 2)

    def success_interval(self, z: float = 1.96) -> Tuple[float, float]:
        """Wilson score interval for the success rate ((0, 1) with no data)."""
        if not self.n:
            return 0.0, 1.0
        p, n = self.successes / self.n, self.n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def keeps_failing(self, threshold: float = 0.5, *, min_outcomes: int = 5, z: float = 1.96) -> bool:
        """Return True when the success rate is confidently below ``threshold`` (skip this model here)."""
        return self.n >= min_outcomes and self.success_interval(z)[1] < threshold


class _Entry:
    """A decision known to this process; ``rowid`` is set once it is in SQLite."""

    __slots__ = ("record", "rowid")

    def __init__(self, record: DecisionRecord) -> None:
        self.record = record
        self.rowid: Optional[int] = None


_LIVE: weakref.WeakSet[OutcomeLog] = weakref.WeakSet()
_ORPHANS: List[Any] = []  # connections inherited across fork: never closed in the child (SQLite forbids it)
_atexit_lock = threading.Lock()
_atexit_registered = False


def _flush_all() -> None:
    for outcome_log in list(_LIVE):
        try:
            outcome_log.flush()
        except Exception as exc:  # interpreter exit: report, do not raise
            log.warning("could not flush routing decisions at exit: %s", exc)


class OutcomeLog:
    """Durable decisions, outcomes, quality aggregates, analytics counters and learning events.

    With ``workspace=None`` everything lives in a private in-memory database (same behaviour, nothing
    survives the process), for routers created without a workspace.
    """

    def __init__(
        self,
        workspace: Union[Workspace, str, os.PathLike[str], None],
        *,
        clock: Callable[[], float] = time.time,
        retention: int = 50_000,
        event_retention: int = 20_000,
        batch_size: int = 512,
        max_delay: float = 1.0,
        memory_size: int = 4096,
        stats_refresh: float = 1.0,
    ) -> None:
        global _atexit_registered
        for name, value in (("retention", retention), ("event_retention", event_retention),
                            ("batch_size", batch_size), ("memory_size", memory_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if workspace is None or isinstance(workspace, Workspace):
            self.workspace: Optional[Workspace] = workspace
        else:
            self.workspace = Workspace(workspace, clock=clock)
        self.clock = clock
        self.retention, self.event_retention = retention, event_retention
        self.batch_size, self.max_delay, self.memory_size = batch_size, float(max_delay), memory_size
        self.stats_refresh = float(stats_refresh)
        self.origin = uuid.uuid4().hex  # tags this log's learning events so its router can skip them
        self._path = self.workspace.file(DB_NAME) if self.workspace is not None else ":memory:"
        self._lock = threading.RLock()
        self._recent: collections.OrderedDict[str, _Entry] = collections.OrderedDict()
        self._pending: List[_Entry] = []
        self._pending_since = 0.0
        self._quality: Optional[Dict[Tuple[str, str], ModelTierStats]] = None
        self._quality_checked = -math.inf
        self._data_version = -1
        self._pid = os.getpid()
        self._conn = self._connect()
        with _atexit_lock:
            if not _atexit_registered:
                atexit.register(_flush_all)
                _atexit_registered = True
        _LIVE.add(self)

    def _connect(self) -> sqlite3.Connection:
        if self.workspace is None:
            return connect_memory(_MIGRATIONS)
        return self.workspace.connect(DB_NAME, migrations=_MIGRATIONS)

    def __enter__(self) -> OutcomeLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- decisions ----------------------------------------------------------------------------

    def record_decision(self, record: DecisionRecord) -> None:
        """Remember ``record`` now and persist it with the next batch (cheap: no I/O on most calls)."""
        if not isinstance(record, DecisionRecord):
            raise TypeError(f"record must be a DecisionRecord, got {type(record).__name__}")
        entry = _Entry(record)
        now = self.clock()
        with self._lock:
            recent = self._recent
            recent[record.prompt_hash] = entry
            recent.move_to_end(record.prompt_hash)
            if len(recent) > self.memory_size:
                recent.popitem(last=False)
            pending = self._pending
            if len(pending) >= 16 * self.batch_size:
                # Flushes keep failing (StateError raised below each time): bound the memory held.
                del pending[0]
            pending.append(entry)
            if len(pending) == 1:
                self._pending_since = now
            if len(pending) >= self.batch_size or now - self._pending_since >= self.max_delay:
                self.flush()

    def flush(self) -> None:
        """Write buffered decisions to SQLite in one transaction."""
        with self._lock:
            if self._pending or os.getpid() != self._pid:
                with self._transaction("saving routing decisions", durable=False) as done:
                    done.append(self._write_pending())

    def decision(self, prompt_hash: str) -> DecisionRecord:
        """Return the latest decision for ``prompt_hash`` (this process first, then SQLite)."""
        digest = _check_hash(prompt_hash)
        with self._lock:
            entry = self._recent.get(digest)
            if entry is not None:
                return entry.record
            with sqlite_errors("reading a routing decision", self._path):
                row = self._conn.execute(_SQL_LATEST_DECISION, (_hkey(digest), digest)).fetchone()
        if row is None:
            raise UnknownDecisionError(digest)
        return _decision(row)

    def outcome(self, prompt_hash: str) -> Optional[Outcome]:
        """Return the outcome reported for the latest decision on ``prompt_hash``, if any."""
        digest = _check_hash(prompt_hash)
        with self._lock:
            self.flush()
            with sqlite_errors("reading an outcome", self._path):
                row = self._conn.execute(_SQL_LATEST_DECISION, (_hkey(digest), digest)).fetchone()
                found = row and self._conn.execute(_SQL_OUTCOME, (row[0],)).fetchone()
        return _outcome(found) if found else None

    # -- outcomes -----------------------------------------------------------------------------

    def report(
        self,
        prompt_hash: str,
        quality_score: float,
        success: bool,
        *,
        model: Optional[str] = None,
        learn_step: Any = None,
        allow_unrouted: bool = False,
    ) -> OutcomeResult:
        """Record the outcome of the latest decision on ``prompt_hash``; durable when it returns.

        A second report for the same decision replaces the first: aggregates subtract the old one,
        and ``previous`` carries its ``learn_step`` so the caller can revert it. ``model`` names the
        model that actually answered when it differs from the routed one (fallback). With
        ``allow_unrouted`` (QualityTracker's standalone use) an unknown hash is recorded against
        ``model`` with no tier instead of raising :class:`UnknownDecisionError`.
        """
        digest = _check_hash(prompt_hash)
        quality = _check_real(quality_score, "quality_score", 0.0, 1.0)
        ok = _check_success(success)
        served = _check_text(model, "model", optional=True)
        if allow_unrouted and served is None:
            raise ValueError("model is required to record an outcome for a prompt that was not routed")
        step = _dump_step(learn_step)
        now = self.clock()
        with self._lock:
            with self._transaction("recording an outcome", durable=True) as done:
                assigned = self._write_pending()
                done.append(assigned)
                result = self._report_locked(digest, quality, ok, served, step, learn_step, now,
                                             assigned, allow_unrouted)
            if result is None:
                raise UnknownDecisionError(digest, "never routed in this workspace, not yet flushed by the process "
                                           f"that routed it, or older than the retention limit ({self.retention:,})")
            self._quality = None  # own writes do not move PRAGMA data_version
        return result

    def _report_locked(self, digest: str, quality: float, ok: bool, served: Optional[str], step: Optional[str],
                       learn_step: Any, now: float, assigned: List[Tuple[_Entry, int]],
                       allow_unrouted: bool) -> Optional[OutcomeResult]:
        conn = self._conn
        row = None
        entry = self._recent.get(digest)
        rowid = entry.rowid if entry is not None else None
        for pending_entry, new_id in assigned:
            if pending_entry is entry:
                rowid = new_id
        if rowid is not None:
            row = conn.execute(_SQL_DECISION_BY_ID, (rowid,)).fetchone()
        if row is None:
            row = conn.execute(_SQL_LATEST_DECISION, (_hkey(digest), digest)).fetchone()
        if row is None:
            if not allow_unrouted:
                return None
            values = (conn.execute(_SQL_MAX_DECISION).fetchone()[0] + 1, digest, served, "", "", "", "",
                      0.0, 0.0, 0.0, now, b"", None, None, None)
            conn.execute(_SQL_INSERT_DECISION, values + (_hkey(digest),))
            row = values
        decision_id, decision = row[0], _decision(row)
        served = served or decision.model
        previous_row = conn.execute(_SQL_OUTCOME, (decision_id,)).fetchone()
        previous = _outcome(previous_row) if previous_row else None
        q_micro, q_sq_micro = round(quality * _MICRO), round(quality * quality * _MICRO)
        if previous is not None:
            # Subtract exactly what the replaced report added: no double counting, no float drift.
            self._bump(previous.model, previous.tier, -1, -int(previous.success), -previous_row[9], -previous_row[10])
        self._bump(served, decision.tier, 1, int(ok), q_micro, q_sq_micro)
        seq = None
        if decision.tier:  # unrouted outcomes have no features or tier: nothing to learn
            prev_seq = previous.event_seq if previous else None
            cursor = conn.execute(_SQL_INSERT_EVENT, (
                self.origin, now, digest, served, decision.tier, decision.min_tier, decision.max_tier,
                decision.features, int(ok), quality, step, prev_seq,
                previous.model if previous else None, int(previous.success) if previous else None,
                previous.quality if previous else None, previous_row[8] if previous_row else None))
            seq = cursor.lastrowid
            if seq is not None and seq > self.event_retention and seq % 64 == 0:
                conn.execute(_SQL_PRUNE_EVENTS, (seq - self.event_retention,))
        revision = previous.revision + 1 if previous else 1
        conn.execute(_SQL_UPSERT_OUTCOME, (decision_id, served, decision.tier, quality, int(ok),
                                           q_micro, q_sq_micro, now, revision, seq, step))
        outcome = Outcome(digest, served, decision.tier, quality, ok, now, revision, seq,
                          _load_step(step) if learn_step is not None else None)
        return OutcomeResult(decision, outcome, previous)

    def _bump(self, model: str, tier: str, n: int, successes: int, q_micro: int, q_sq_micro: int) -> None:
        self._conn.execute(_SQL_QUALITY_SEED, (model, tier))
        self._conn.execute(_SQL_QUALITY_ADD, (n, successes, q_micro, q_sq_micro, model, tier))

    # -- quality ------------------------------------------------------------------------------

    def quality_table(self) -> Dict[Tuple[str, str], ModelTierStats]:
        """Return every (model, tier) aggregate; cached, re-read when another process has written."""
        now = self.clock()
        with self._lock:
            if self._quality is not None and now - self._quality_checked < self.stats_refresh:
                return self._quality
            with sqlite_errors("reading quality statistics", self._path):
                version = self._conn.execute(_SQL_DATA_VERSION).fetchone()[0]
                if self._quality is None or version != self._data_version:
                    self._quality = {
                        (m, t): ModelTierStats(m, t, n, s, qm / _MICRO, qsq / _MICRO)
                        for m, t, n, s, qm, qsq in self._conn.execute(_SQL_QUALITY_ALL) if n
                    }
                    self._data_version = version
            self._quality_checked = now
            return self._quality

    def stats(self, model: str, tier: Union[Tier, str]) -> ModelTierStats:
        """Return the outcome statistics of ``model`` at ``tier`` (zeros when none were reported)."""
        name, tier_name = _check_text(model, "model"), _check_tier(tier, "tier")
        found = self.quality_table().get((name, tier_name))  # type: ignore[arg-type]
        return found or ModelTierStats(name, tier_name, 0, 0, 0.0, 0.0)  # type: ignore[arg-type]

    def model_performance(self, model: str) -> Dict[str, Any]:
        """Return antaris' summary for ``model``: avg_quality, success_rate, total_outcomes, quality_by_tier."""
        name = _check_text(model, "model")
        rows = [s for (m, _), s in self.quality_table().items() if m == name]
        n = sum(s.n for s in rows)
        tiered = sorted((s for s in rows if s.tier), key=lambda s: Tier(s.tier).rank)
        by_tier = {s.tier: round(s.mean_quality, 6) for s in tiered}
        return {
            "model": name,
            "avg_quality": round(sum(s.quality_sum for s in rows) / n, 6) if n else 0.0,
            "success_rate": round(sum(s.successes for s in rows) / n, 6) if n else 0.0,
            "total_outcomes": n,
            "quality_by_tier": by_tier,
        }

    # -- learning events, analytics, housekeeping -------------------------------------------

    def events_since(self, seq: int, *, limit: int = 1000) -> EventBatch:
        """Return up to ``limit`` learning events with a sequence number above ``seq``, oldest first."""
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise ValueError(f"seq must be an integer >= 0, got {seq!r}")
        with self._lock, sqlite_errors("reading learning events", self._path):
            first, last = self._conn.execute(_SQL_EVENT_BOUNDS).fetchone()
            rows = self._conn.execute(_SQL_EVENTS_SINCE, (seq, limit)).fetchall()
        first = first if first is not None else (last or 0) + 1
        events = tuple(
            LearningEvent(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bytes(r[8]), bool(r[9]), r[10],
                          _load_step(r[11]), r[12], r[13], None if r[14] is None else bool(r[14]), r[15],
                          _load_step(r[16]))
            for r in rows)
        return EventBatch(events, events[-1].seq if events else max(seq, last or 0), first > seq + 1)

    def analytics(self) -> Dict[str, Any]:
        """Return totals since the workspace was created (all processes): routing, cost and quality."""
        with self._lock:
            self.flush()
            with sqlite_errors("reading analytics", self._path):
                rows = self._conn.execute(_SQL_COUNTERS_ALL).fetchall()
        by_kind: Dict[str, Dict[str, Tuple[int, float, float, float]]] = collections.defaultdict(dict)
        for kind, key, n, conf, cost, ref in rows:
            by_kind[kind][key] = (n, conf, cost, ref)
        total_n, conf, cost, ref = by_kind["all"].get("", (0, 0.0, 0.0, 0.0))
        quality = list(self.quality_table().values())
        outcomes = sum(s.n for s in quality)
        return {
            "total_routed": total_n,
            "tier_distribution": {t: by_kind["tier"].get(t, (0,))[0] for t in TIER_NAMES},
            "model_usage": {k: v[0] for k, v in sorted(by_kind["model"].items())},
            "provider_usage": {k: v[0] for k, v in sorted(by_kind["provider"].items())},
            "ab_variants": {k: v[0] for k, v in sorted(by_kind["ab"].items())},
            "avg_confidence": round(conf / total_n, 6) if total_n else 0.0,
            "total_estimated_cost": round(cost, 10),
            "reference_cost": round(ref, 10),
            "cost_savings": round(ref - cost, 10),
            "total_outcomes": outcomes,
            "avg_quality": round(sum(s.quality_sum for s in quality) / outcomes, 6) if outcomes else 0.0,
            "success_rate": round(sum(s.successes for s in quality) / outcomes, 6) if outcomes else 0.0,
        }

    def counts(self) -> Dict[str, int]:
        """Return the row counts of the bounded tables (decisions, outcomes, events)."""
        with self._lock:
            self.flush()
            with sqlite_errors("counting rows", self._path):
                return {name: self._conn.execute(sql).fetchone()[0] for name, sql in _SQL_COUNT.items()}

    def close(self) -> None:
        """Flush buffered decisions and close the database connection."""
        with self._lock:
            if self._conn is None:
                return
            try:
                self.flush()
            finally:
                if os.getpid() == self._pid or self.workspace is None:
                    self._conn.close()
                self._conn = None  # type: ignore[assignment]
                _LIVE.discard(self)

    @contextlib.contextmanager
    def _transaction(self, action: str, *, durable: bool) -> Iterator[List[List[Tuple[_Entry, int]]]]:
        """Run one ``BEGIN IMMEDIATE`` transaction; buffered decisions count as saved only on commit."""
        if self._conn is None:
            raise StateError("this OutcomeLog is closed")
        if os.getpid() != self._pid:
            # A forked child must not use (or close) the parent's file connection, nor write its
            # buffer; a private in-memory database is the child's own copy and stays usable.
            if self.workspace is not None:
                _ORPHANS.append(self._conn)
                self._conn = self._connect()
            self._pid, self._pending = os.getpid(), []
        conn = self._conn
        done: List[List[Tuple[_Entry, int]]] = []
        with sqlite_errors(action, self._path):
            if durable:
                conn.execute("PRAGMA synchronous = FULL")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield done
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            finally:
                if durable:
                    conn.execute("PRAGMA synchronous = NORMAL")
        for assigned in done:
            for entry, rowid in assigned:
                entry.rowid = rowid
            del self._pending[:len(assigned)]

    def _write_pending(self) -> List[Tuple[_Entry, int]]:
        """Insert buffered decisions, update counters and prune; call inside a transaction."""
        pending = list(self._pending)
        if not pending:
            return []
        conn = self._conn
        base = conn.execute(_SQL_MAX_DECISION).fetchone()[0]
        rows: List[Tuple[Any, ...]] = []
        totals: DefaultDict[Tuple[str, str], List[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0])
        for offset, entry in enumerate(pending, 1):
            r = entry.record
            rows.append((base + offset, r.prompt_hash, r.model, r.provider, r.tier, r.min_tier, r.max_tier,
                         r.confidence, r.complexity, r.estimated_cost, r.timestamp, r.features, r.ab_variant,
                         r.reference_cost, r.prompt, _hkey(r.prompt_hash)))
            ref = r.reference_cost if r.reference_cost is not None else r.estimated_cost
            keys = [("all", ""), ("tier", r.tier), ("model", r.model), ("provider", r.provider or "unknown")]
            if r.ab_variant is not None:
                keys.append(("ab", r.ab_variant))
            for kind_key in keys:
                t = totals[kind_key]
                t[0] += 1
                t[1] += r.confidence
                t[2] += r.estimated_cost
                t[3] += ref
        conn.executemany(_SQL_INSERT_DECISION, rows)
        for (kind, key), (n, conf, cost, ref) in totals.items():
            conn.execute(_SQL_COUNTER_SEED, (kind, key))
            conn.execute(_SQL_COUNTER_ADD, (n, conf, cost, ref, kind, key))
        cutoff = base + len(pending) - self.retention
        if cutoff > 0:
            conn.execute(_SQL_PRUNE_OUTCOMES, (cutoff,))
            conn.execute(_SQL_PRUNE_DECISIONS, (cutoff,))
        return [(entry, base + offset) for offset, entry in enumerate(pending, 1)]


def _decision(row: Tuple[Any, ...]) -> DecisionRecord:
    if not row[4]:  # an unrouted outcome's placeholder row: no tier to validate
        record = object.__new__(DecisionRecord)
        for name, value in zip(_DECISION_COLS.split(", ")[1:], row[1:]):
            object.__setattr__(record, name, bytes(value) if name == "features" else value)
        return record
    return DecisionRecord(row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10],
                          bytes(row[11]), row[12], row[13], row[14])


def _outcome(row: Tuple[Any, ...]) -> Outcome:
    return Outcome(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6], row[7], _load_step(row[8]))


class QualityTracker:
    """antaris' QualityTracker over an :class:`OutcomeLog`: per model x tier outcome history."""

    def __init__(self, workspace: Union[OutcomeLog, Workspace, str, os.PathLike[str], None],
                 **options: Any) -> None:
        self.log = workspace if isinstance(workspace, OutcomeLog) else OutcomeLog(workspace, **options)

    def record_outcome(self, prompt_hash: str, quality_score: float, success: bool,
                       model: Optional[str] = None) -> OutcomeResult:
        """Record an outcome; a hash that was never routed is kept against ``model`` with no tier."""
        return self.log.report(prompt_hash, quality_score, success, model=model, allow_unrouted=model is not None)

    def get_model_performance(self, model: str) -> Dict[str, Any]:
        """Return {"model", "avg_quality", "success_rate", "total_outcomes", "quality_by_tier"}."""
        return self.log.model_performance(model)

    def stats(self, model: str, tier: Union[Tier, str]) -> ModelTierStats:
        """Return the statistics of ``model`` at ``tier`` with uncertainty (see ModelTierStats)."""
        return self.log.stats(model, tier)

    def close(self) -> None:
        """Close the underlying OutcomeLog."""
        self.log.close()
