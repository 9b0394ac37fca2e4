"""Durable routing decisions and outcomes: OutcomeLog, in ``<workspace>/routing.db``.

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
inserting any buffered decisions in the same transaction (and first those of other logs in this
process on the same file, so a QualityTracker beside the router sees the router's decisions).
Buffered decisions are flushed every ``batch_size`` decisions, ``max_delay`` seconds after the
oldest was queued (by the next route(), or by one daemon thread per process when the router is idle),
on ``report()``, ``flush()``, ``close()`` and at interpreter exit; a killed process loses at most
its unflushed decisions (up to ``max_delay`` seconds of them), never an outcome.
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
import logging
import math
import os
import sqlite3
import threading
import time
import weakref
from typing import Any, Callable, DefaultDict, Deque, Dict, Iterator, List, Optional, Tuple, Union

from ._outcome_sql import (
    _MICRO,
    _MIGRATIONS,
    _SQL_COUNT,
    _SQL_COUNTER_ADD,
    _SQL_COUNTER_SEED,
    _SQL_COUNTERS_ALL,
    _SQL_DATA_VERSION,
    _SQL_DECISION_BY_ID,
    _SQL_EVENT_BOUNDS,
    _SQL_EVENTS_SINCE,
    _SQL_INSERT_DECISION,
    _SQL_INSERT_EVENT,
    _SQL_LAST_EVENT,
    _SQL_LATEST_DECISION,
    _SQL_LOG_ID,
    _SQL_MAX_DECISION,
    _SQL_OUTCOME,
    _SQL_PRUNE_DECISIONS,
    _SQL_PRUNE_EVENTS,
    _SQL_PRUNE_OUTCOMES,
    _SQL_QUALITY_ADD,
    _SQL_QUALITY_ALL,
    _SQL_QUALITY_SEED,
    _SQL_UPSERT_OUTCOME,
    _decision,
    _dump_step,
    _hkey,
    _load_step,
    _outcome,
)
from .errors import StateError, UnknownDecisionError
from .feedback import (
    TEACHING_MODEL,
    DecisionRecord,
    EventBatch,
    LearningEvent,
    ModelTierStats,
    Outcome,
    OutcomeResult,
    _check_hash,
    _check_real,
    _check_success,
    _check_text,
    _check_tier,
)
from .tiers import TIER_NAMES, Tier
from .workspace import DB_NAME, Workspace, connect_memory, sqlite_errors

__all__ = ["OutcomeLog"]

log = logging.getLogger(__name__)


class _Entry:
    """A decision known to this process; ``rowid`` is set once it is in SQLite.

    The record may be given as a zero-argument ``build`` callable: route() then only hands over what it
    already holds, and the record (with its encoded features) is made when first needed, by the batch
    write or a lookup, off the per-request path.
    """

    __slots__ = ("digest", "_record", "_build", "rowid")

    def __init__(self, digest: str, record: Optional[DecisionRecord],
                 build: Optional[Callable[[], DecisionRecord]] = None) -> None:
        self.digest = digest
        self._record = record
        self._build = build
        self.rowid: Optional[int] = None

    @property
    def record(self) -> DecisionRecord:
        record = self._record
        if record is None:
            built = self._build() if self._build is not None else None
            if not isinstance(built, DecisionRecord):
                raise TypeError(f"a decision builder must return a DecisionRecord, got {type(built).__name__}")
            record = self._record = built
            self._build = None
        return record


_LIVE: weakref.WeakSet[OutcomeLog] = weakref.WeakSet()
# Guards _LIVE's add and discard against a snapshot taken in another thread (a WeakSet defers only the
# removals made by garbage collection while it is iterated, not add/discard: "changed size").
_live_lock = threading.Lock()


def _live_logs() -> List[OutcomeLog]:
    with _live_lock:
        return list(_LIVE)
_ORPHANS: List[Any] = []  # connections inherited across fork: never closed in the child (SQLite forbids it)
_atexit_lock = threading.Lock()
_atexit_registered = False


def _flush_all() -> None:
    for outcome_log in _live_logs():
        try:
            outcome_log.flush()
        except Exception as exc:  # interpreter exit: report, do not raise
            log.warning("could not flush routing decisions at exit: %s", exc)


def _after_fork_in_child() -> None:
    global _live_lock
    _live_lock = threading.Lock()  # another thread of the parent may have held it at the fork
    _FLUSHER.reset()
    for outcome_log in list(_LIVE):  # the child has one thread: nothing changes the set meanwhile
        outcome_log._after_fork()


class _Flusher:
    """One daemon thread per process that writes the decisions of routers gone idle.

    route() only checks ``max_delay`` when it queues the next decision, so without this thread a
    router that stops routing would hold its last decisions until exit, and another process sharing
    the workspace (a gateway reporting in another worker) would get UnknownDecisionError for them.
    queue_decision() wakes the thread when a log's queue goes from empty to one entry; the thread
    then sleeps until the oldest waiting decision of any log is ``max_delay`` old and flushes it.
    It holds a reference to each log with buffered decisions until they are written, so a router
    dropped without close() (``AdaptiveRouter(ws).route(p)``) still writes what it routed.
    A log is due by its own (injectable) clock or by wall time, whichever says so first.
    """

    # A ceiling on one sleep: a log whose clock is not wall time still gets re-checked now and then.
    MAX_SLEEP = 5.0

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        # After a fork the thread is gone and the Event's lock may have been held by it: start afresh.
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._pid = os.getpid()
        self._held: Dict[int, OutcomeLog] = {}

    def poke(self, outcome_log: OutcomeLog) -> None:
        thread = self._thread
        if thread is None or self._pid != os.getpid():
            if self._pid != os.getpid():
                self.reset()
            with self._start_lock:
                if self._thread is None:
                    thread = threading.Thread(target=self._run, name="antaris_like-decision-flusher", daemon=True)
                    self._thread = thread
                    thread.start()
        self._held[id(outcome_log)] = outcome_log
        self._wake.set()

    def _run(self) -> None:
        wake = self._wake
        while True:
            wake.clear()  # before the scan: a poke after this point is seen by the next wait
            wait = self._flush_due()
            wake.wait(wait)

    def _flush_due(self) -> Optional[float]:
        """Flush every log whose oldest buffered decision is due; return the seconds to the next one."""
        soonest: Optional[float] = None
        held = self._held
        for outcome_log in list(held.values()):  # a C-level copy: atomic against poke() in other threads
            try:
                left = outcome_log._flush_if_due()
            except Exception as exc:  # keep the thread alive; the next route() or report() retries
                log.warning("could not write routing decisions in the background: %s", exc)
                left = outcome_log.max_delay
            if left is None:
                held.pop(id(outcome_log), None)
                # A decision queued between the check and the pop was poked before the pop: look again.
                if outcome_log._buffered():
                    held[id(outcome_log)] = outcome_log
                    left = 0.0
            if left is not None and (soonest is None or left < soonest):
                soonest = left
        if soonest is None:
            return None
        return min(max(soonest, 0.01), self.MAX_SLEEP)


_FLUSHER = _Flusher()


if hasattr(os, "register_at_fork"):  # POSIX: os.fork() and multiprocessing's fork start method
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
        self.origin = os.urandom(16).hex()  # tags this log's learning events so its router can skip them
        self._path = self.workspace.file(DB_NAME) if self.workspace is not None else ":memory:"
        self._lock = threading.RLock()
        self._recent: collections.OrderedDict[str, _Entry] = collections.OrderedDict()
        self._pending: List[_Entry] = []
        self._pending_since = 0.0
        self._pending_wall = 0.0  # time.monotonic() beside _pending_since: see _flush_if_due
        # route()'s decisions wait here, appended without a lock, until the next batch write or
        # lookup moves them into _recent and _pending (see queue_decision).
        self._queued: Deque[Tuple[str, Callable[[], DecisionRecord]]] = collections.deque()
        self._queued_since = 0.0
        self._queued_wall = 0.0
        self._quality: Optional[Dict[Tuple[str, str], ModelTierStats]] = None
        self._quality_checked = -math.inf
        self._data_version = -1
        self._pid = os.getpid()
        self._conn = self._connect()
        with _atexit_lock:
            if not _atexit_registered:
                atexit.register(_flush_all)
                _atexit_registered = True
        with _live_lock:
            _LIVE.add(self)

    def _after_fork(self) -> None:
        """In a forked child, before it runs anything else: buffered decisions are the parent's to write.

        The child starts with empty buffers, a fresh lock (another thread may have held the parent's
        at the fork) and, with a workspace, its own connection (SQLite connections must not cross a
        fork). Decisions the child then routes are its own and are kept.
        """
        self._lock = threading.RLock()
        self._queued.clear()
        self._pending = []
        if self.workspace is not None and self._conn is not None:
            _ORPHANS.append(self._conn)
            self._conn = self._connect()
        self._pid = os.getpid()

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
        self._remember(_Entry(record.prompt_hash, record))

    def queue_decision(self, digest: str, build: Callable[[], DecisionRecord]) -> None:
        """Like ``record_decision``, with the record made by ``build()`` when the batch is written.

        The router's path, so it takes no lock and checks nothing: ``digest`` must be the SHA-256 hex
        digest the record will carry (route() computed it), ``build`` a callable returning the record.
        """
        queued = self._queued
        queued.append((digest, build))
        n = len(queued)
        if n == 1:
            self._queued_since = self.clock()
            if self.workspace is not None:  # nobody else can read a private in-memory database
                self._queued_wall = time.monotonic()
                _FLUSHER.poke(self)
        elif n >= self.batch_size or self.clock() - self._queued_since >= self.max_delay:
            self.flush()

    def _absorb(self) -> None:
        """Move queued decisions into the recent map and the write buffer; call with the lock held."""
        queued = self._queued
        if not queued:
            return
        recent, pending = self._recent, self._pending
        if not pending:
            self._pending_since, self._pending_wall = self._queued_since, self._queued_wall
        while queued:
            digest, build = queued.popleft()  # atomic against route()'s appends in other threads
            entry = _Entry(digest, None, build)
            recent[digest] = entry
            recent.move_to_end(digest)
            pending.append(entry)
        while len(recent) > self.memory_size:
            recent.popitem(last=False)
        excess = len(pending) - 16 * self.batch_size
        if excess > 0:
            del pending[:excess]  # flushes keep failing (StateError each time): bound the memory held

    def _remember(self, entry: _Entry) -> None:
        digest = entry.digest
        now = self.clock()
        with self._lock:
            self._absorb()  # keep the order of decisions
            recent = self._recent
            recent[digest] = entry
            recent.move_to_end(digest)
            if len(recent) > self.memory_size:
                recent.popitem(last=False)
            pending = self._pending
            if len(pending) >= 16 * self.batch_size:
                # Flushes keep failing (StateError raised below each time): bound the memory held.
                del pending[0]
            pending.append(entry)
            if len(pending) == 1:
                self._pending_since = now
                if self.workspace is not None:
                    self._pending_wall = time.monotonic()
                    _FLUSHER.poke(self)
            if len(pending) >= self.batch_size or now - self._pending_since >= self.max_delay:
                self.flush()

    def flush(self) -> None:
        """Write buffered decisions to SQLite in one transaction."""
        with self._lock:
            self._absorb()  # before the transaction: if it fails, the buffer it fills stays bounded
            if self._pending or os.getpid() != self._pid:
                with self._transaction("saving routing decisions", durable=False) as done:
                    done.append(self._write_pending())

    def _buffered(self) -> bool:
        return bool(self._queued or self._pending) and self._conn is not None and os.getpid() == self._pid

    def _flush_if_due(self) -> Optional[float]:
        """The background flusher's check: flush when the oldest buffered decision is ``max_delay`` old.

        Old by the log's clock or by wall time, whichever comes first: an injected clock that stands
        still (a test's) would otherwise keep a router dropped without close() held, with its open
        SQLite files, until exit. Returns the seconds until this log next needs a look, or None when
        nothing is buffered.
        """
        if self.workspace is None or self._conn is None or os.getpid() != self._pid:
            return None
        starts, walls = [], []
        if self._queued:
            starts.append(self._queued_since)
            walls.append(self._queued_wall)
        if self._pending:
            starts.append(self._pending_since)
            walls.append(self._pending_wall)
        if not starts:
            return None
        left = min(min(starts) + self.max_delay - self.clock(), min(walls) + self.max_delay - time.monotonic())
        if left > 0:
            return left
        with self._lock:
            if self._conn is not None:
                self.flush()
        return None

    def _flush_siblings(self) -> None:
        """Write the buffered decisions of other logs in this process on the same routing.db.

        The manual pairs ``AdaptiveRouter(ws)`` with ``QualityTracker(ws)``: two logs, one file. A
        report through the tracker must see the decision the router just made and has not written
        yet, or it is stored as "never routed" (no tier, nothing learned). Each sibling is flushed
        under its own lock, before this log takes its own, so two reporting threads cannot deadlock.
        """
        for other in _live_logs():
            if other is not self and other._path == self._path and (other._queued or other._pending):
                with other._lock:
                    if other._conn is not None and other._pid == os.getpid():
                        other.flush()

    def decision(self, prompt_hash: str) -> DecisionRecord:
        """Return the latest decision for ``prompt_hash`` (this process first, then SQLite)."""
        digest = _check_hash(prompt_hash)
        with self._lock:
            self._absorb()
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
        if self.workspace is not None:
            self._flush_siblings()
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
        quality = self._quality  # fresh enough: no lock (attribute reads are atomic; route() calls this)
        if quality is not None and now - self._quality_checked < self.stats_refresh:
            return quality
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

    @property
    def log_id(self) -> str:
        """The identity of this log's database (random, made when it was created; the same for every process)."""
        with self._lock, sqlite_errors("reading the log's identity", self._path):
            return str(self._conn.execute(_SQL_LOG_ID).fetchone()[0])

    def last_event_seq(self) -> int:
        """Return the highest learning-event sequence number ever assigned in this log (0 when none)."""
        with self._lock, sqlite_errors("reading learning events", self._path):
            return int(self._conn.execute(_SQL_LAST_EVENT).fetchone()[0])

    def record_learning(self, rows: List[Tuple[str, str, str, str, str, bytes, bool, float]]) -> int:
        """Append learning events that have no routing decision (offline training, ``teach()``); return the last seq.

        Each row is ``(prompt_hash, model, tier, min_tier, max_tier, features, success, quality)``;
        a labelled example has ``model`` :data:`~antaris_like.feedback.TEACHING_MODEL` and its label
        as ``tier``. One durable transaction: every router sharing the workspace replays them in
        ``seq`` order like reported outcomes, so what was taught is neither lost at a restart nor
        overwritten by another process's snapshot. They are not pruned here, so that a router
        replaying a large training file finds all of it.
        """
        checked = []
        for digest, model, tier, min_tier, max_tier, features, success, quality in rows:
            if model != TEACHING_MODEL:
                _check_text(model, "model")
            checked.append((self.origin, self.clock(), _check_hash(digest), model, _check_tier(tier, "tier"),
                            _check_tier(min_tier, "min_tier"), _check_tier(max_tier, "max_tier"),
                            bytes(features), int(_check_success(success)),
                            _check_real(quality, "quality", 0.0, 1.0), None, None, None, None, None, None))
        with self._lock:
            with self._transaction("recording learning events", durable=True):
                self._conn.executemany(_SQL_INSERT_EVENT, checked)
            return self.last_event_seq()

    def analytics(self) -> Dict[str, Any]:
        """Return totals since the workspace was created (all processes): routing, cost and quality."""
        if self._conn is None:
            raise StateError("this OutcomeLog is closed: read analytics before close()")
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
                with _live_lock:
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
            self._queued.clear()  # the parent's decisions: the parent writes them
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

    def _build_pending(self, pending: List[_Entry]) -> List[_Entry]:
        """Make the records of deferred entries; one whose builder fails is dropped, loudly.

        A builder is the router's own code over values it validated, so this should never happen;
        if it does, one decision is lost with an error in the log rather than every later batch.
        """
        good: List[_Entry] = []
        for entry in pending:
            try:
                entry.record  # noqa: B018 (building it is the point)
            except Exception:
                log.exception("dropping routing decision %s: its record could not be built", entry.digest)
                if self._recent.get(entry.digest) is entry:
                    del self._recent[entry.digest]
                continue
            good.append(entry)
        if len(good) != len(pending):
            self._pending[:len(pending)] = good
        return good

    def _write_pending(self) -> List[Tuple[_Entry, int]]:
        """Insert buffered decisions, update counters and prune; call inside a transaction."""
        self._absorb()
        pending = list(self._pending)
        if not pending:
            return []
        if any(entry._record is None for entry in pending):
            pending = self._build_pending(pending)
            if not pending:
                return []
        conn = self._conn
        base = conn.execute(_SQL_MAX_DECISION).fetchone()[0]
        rows: List[Tuple[Any, ...]] = []
        # Sums per (tier, model, provider, A/B variant) first: a batch has few distinct ones, and each
        # adds to five counters below.
        groups: Dict[Tuple[str, str, str, Optional[str]], List[float]] = {}
        for offset, entry in enumerate(pending, 1):
            r = entry.record.__dict__
            digest, cost = r["prompt_hash"], r["estimated_cost"]
            rows.append((base + offset, digest, r["model"], r["provider"], r["tier"], r["min_tier"], r["max_tier"],
                         r["confidence"], r["complexity"], cost, r["timestamp"], r["features"], r["ab_variant"],
                         r["reference_cost"], r["prompt"], _hkey(digest)))
            ref = r["reference_cost"]
            group_key = (r["tier"], r["model"], r["provider"] or "unknown", r["ab_variant"])
            group = groups.get(group_key)
            if group is None:
                group = groups[group_key] = [0, 0.0, 0.0, 0.0]
            group[0] += 1
            group[1] += r["confidence"]
            group[2] += cost
            group[3] += cost if ref is None else ref
        totals: DefaultDict[Tuple[str, str], List[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0])
        for (tier, model, provider, variant), sums in groups.items():
            keys = [("all", ""), ("tier", tier), ("model", model), ("provider", provider)]
            if variant is not None:
                keys.append(("ab", variant))
            for counter in keys:
                t = totals[counter]
                for k in range(4):
                    t[k] += sums[k]
        conn.executemany(_SQL_INSERT_DECISION, rows)
        for (kind, key), (n, conf, cost, ref) in totals.items():
            conn.execute(_SQL_COUNTER_SEED, (kind, key))
            conn.execute(_SQL_COUNTER_ADD, (n, conf, cost, ref, kind, key))
        cutoff = base + len(pending) - self.retention
        if cutoff > 0:
            conn.execute(_SQL_PRUNE_OUTCOMES, (cutoff,))
            conn.execute(_SQL_PRUNE_DECISIONS, (cutoff,))
        return [(entry, base + offset) for offset, entry in enumerate(pending, 1)]

