"""Learning from outcomes: the outcome log is the truth, the classifier a view of it.

``report()`` stores the outcome durably (the features of the decision are in
the log already), then replays the learning-event log. The classifier step an
outcome implies is a pure function of those features and the outcome, so the
log stores no steps: every process sharing a workspace recomputes the same
steps from the same events in the same order (an event that replaces an
earlier report reverts that report's step first). So all processes converge on
the same classifier, and a re-reported outcome replaces the first instead of
counting twice.

A snapshot (``classifier.json``: learned state plus ``applied_seq``, the last
event it includes) is written atomically every ``checkpoint_every`` reports and
on close, so a restart replays only the events after it. The event log is
bounded (see feedback.py); a router that falls further behind than the log
reaches reloads the newest snapshot and logs a warning.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from .classifier import TierClassifier
from .feedback import TEACHING_MODEL, LearningEvent, OutcomeLog
from .text import prompt_hash
from .tiers import Tier
from .workspace import Workspace

__all__ = ["Learner", "SNAPSHOT_FILE"]

logger = logging.getLogger(__name__)

SNAPSHOT_FILE = "classifier.json"
SNAPSHOT_SCHEMA_VERSION = 1
_MIN_OUTCOMES_FOR_BOUND = 5
_SYNC_INTERVAL = 1.0
_NOTHING: Mapping[str, float] = {}


class Learner:
    """Keep a TierClassifier in step with the outcome log of a workspace."""

    def __init__(
        self,
        classifier: TierClassifier,
        outcomes: OutcomeLog,
        workspace: Optional[Workspace],
        *,
        clock: Callable[[], float] = time.time,
        checkpoint_every: int = 256,
    ) -> None:
        self.classifier = classifier
        self.outcomes = outcomes
        self.workspace = workspace
        self._clock = clock
        self._checkpoint_every = checkpoint_every
        self._lock = threading.RLock()
        self._applied_seq = 0
        self._unsaved = 0
        self._last_sync = -math.inf
        self.min_success = 0.5
        self._table_seen: object = None
        self._failing: Dict[str, Dict[str, float]] = {}
        if workspace is not None:
            self._load_snapshot()
            self.sync()

    # -- snapshots --------------------------------------------------------------------------------
    def _load_snapshot(self) -> None:
        assert self.workspace is not None
        data = self.workspace.read_json(SNAPSHOT_FILE, schema_version=SNAPSHOT_SCHEMA_VERSION, default=None)
        if data is None:
            return
        try:
            learned = TierClassifier.from_dict(data["classifier"])
            applied = data["applied_seq"]
            if isinstance(applied, bool) or not isinstance(applied, int) or not 0 <= applied < 1 << 63:
                # an event sequence number: a SQLite integer, never a fraction, a flag or negative
                raise ValueError(f"applied_seq must be an integer in [0, 2**63), got {applied!r:.40}")
            log_id = data.get("log_id")
            if log_id is not None and not isinstance(log_id, str):
                raise ValueError(f"log_id must be a string, got {log_id!r:.40}")
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            moved = self.workspace.move_aside(SNAPSHOT_FILE)
            logger.warning("classifier snapshot %s is unusable (%s); moved to %s, starting from the base model",
                           SNAPSHOT_FILE, exc, moved)
            return
        # applied_seq counts events of one log. A snapshot beside another log (save_state() into a new
        # folder, routing.db replaced or moved aside as corrupt) would otherwise skip this log's first
        # applied_seq events without a word; it keeps what it learned and replays this log from the start.
        # Snapshots older than log_id are judged by the log's highest seq ever assigned.
        foreign = (log_id != self.outcomes.log_id) if log_id is not None else applied > self.outcomes.last_event_seq()
        if foreign and applied:
            logger.warning("classifier snapshot %s was learned beside another outcome log (restored or copied, or "
                           "routing.db was replaced); keeping what it learned and applying this log's events from "
                           "the first", SNAPSHOT_FILE)
            applied = 0
        self.classifier = learned
        self._applied_seq = applied

    def checkpoint(self, workspace: Optional[Workspace] = None) -> None:
        """Write the learned classifier and the last applied event to ``classifier.json`` atomically."""
        target = workspace or self.workspace
        if target is None:
            return
        with self._lock:
            if self.workspace is not None:
                self.sync()
            target.write_json(SNAPSHOT_FILE, {
                "schema_version": SNAPSHOT_SCHEMA_VERSION,
                "log_id": self.outcomes.log_id,
                "applied_seq": self._applied_seq,
                "classifier": self.classifier.to_dict(),
            })
            self._unsaved = 0

    # -- replay -----------------------------------------------------------------------------------
    def sync(self) -> int:
        """Apply the outcome log's events this classifier has not seen yet; return how many."""
        applied = 0
        with self._lock:
            self._last_sync = self._clock()
            while True:
                batch = self.outcomes.events_since(self._applied_seq)
                if batch.gap:
                    logger.warning(
                        "learning events after seq %d were pruned before this router applied them; "
                        "reloading the newest classifier snapshot", self._applied_seq)
                    self._reload_after_gap(batch.last_seq)
                    continue
                for event in batch:
                    self._replay(event)
                    self._applied_seq = event.seq
                    applied += 1
                if not batch.events:
                    return applied

    def _replay(self, event: LearningEvent) -> None:
        """Revert the step of the outcome ``event`` replaces, then apply its own.

        Steps are recomputed from the stored features and outcomes (``outcome_step`` is a pure
        function of them), so the log stores no steps and every process derives the same ones.
        """
        try:
            vector = self.classifier.decode_vector(event.features)
        except ValueError:
            logger.warning("skipping learning event %d: its stored features are unreadable", event.seq)
            return
        if event.is_teaching:
            self.classifier.teach_vector(vector, event.tier)
            return
        kind = {"routed_tier": event.tier, "model_max_tier": event.max_tier}
        if event.replaces_seq is not None and event.previous_success is not None:
            previous = self.classifier.outcome_step(
                vector, success=event.previous_success, quality=event.previous_quality or 0.0, **kind)
            self.classifier.revert(vector, previous)
        self.classifier.apply(self.classifier.outcome_step(
            vector, success=event.success, quality=event.quality, **kind))

    def _reload_after_gap(self, last_seq: int) -> None:
        before = self._applied_seq
        if self.workspace is not None:
            self._load_snapshot()
        if self._applied_seq == before:
            # No newer snapshot: skip what was pruned rather than loop; the loss is logged above.
            self._applied_seq = max(self._applied_seq, self._oldest_available() - 1, 0)
            if self._applied_seq == before:
                self._applied_seq = last_seq

    def _oldest_available(self) -> int:
        batch = self.outcomes.events_since(0, limit=1)
        return batch.events[0].seq if batch.events else 0

    def maybe_sync(self) -> None:
        """Pick up other processes' learning at most once a second (cheap when nothing is due)."""
        if self.workspace is not None and self._clock() - self._last_sync >= _SYNC_INTERVAL:
            self.sync()

    # -- feedback -------------------------------------------------------------------------------
    def report(self, prompt_hash: str, quality_score: float, success: bool) -> None:
        """Record an outcome durably, then learn from it (see the module docstring)."""
        with self._lock:
            self.outcomes.report(prompt_hash, quality_score, success)  # validates; durable; replaces
            self.sync()
            self._unsaved += 1
            if self.workspace is not None and self._unsaved >= self._checkpoint_every:
                self.checkpoint()

    def teach(self, text: str, tier: Tier) -> None:
        """Learn a labelled example: durable when it returns, and learned by every router sharing the workspace."""
        self.learn_rows([self.teaching_row(text, tier)])

    def teaching_row(self, text: str, tier: Tier) -> Tuple[str, str, str, str, str, bytes, bool, float]:
        """The learning event of a labelled example, for ``learn_rows``."""
        features = self.classifier.encode_vector(self.classifier.vectorize(text))
        return (prompt_hash(text), TEACHING_MODEL, tier.value, tier.value, tier.value, features, True, 1.0)

    def outcome_row(self, text: str, model: str, min_tier: Tier, max_tier: Tier, success: bool,
                    quality: float) -> Tuple[str, str, str, str, str, bytes, bool, float]:
        """The learning event of a logged outcome (offline training: the model served at ``min_tier``)."""
        features = self.classifier.encode_vector(self.classifier.vectorize(text))
        return (prompt_hash(text), model, min_tier.value, min_tier.value, max_tier.value, features, success, quality)

    def learn_rows(self, rows: List[Tuple[str, str, str, str, str, bytes, bool, float]]) -> None:
        """Store learning events in the outcome log (one durable transaction), then learn them by replay.

        Going through the log, not straight into the classifier, is what makes them survive a restart
        and reach other processes, whose snapshots would otherwise overwrite them.
        """
        with self._lock:
            self.outcomes.record_learning(rows)
            self.sync()
            self._unsaved += len(rows)
            if self.workspace is not None and self._unsaved >= self._checkpoint_every:
                self.checkpoint()

    # -- lookups for the policy -----------------------------------------------------------------
    def failing_models(self, tier: Tier) -> Mapping[str, float]:
        """Return {model: upper 95% bound of its success rate} for models that keep failing at ``tier``.

        Recomputed only when the outcome log's quality table changes, so route() pays a dict lookup.
        """
        table = self.outcomes.quality_table()
        if table is not self._table_seen:
            failing: Dict[str, Dict[str, float]] = {}
            for (model, tier_name), stats in table.items():
                if stats.n >= _MIN_OUTCOMES_FOR_BOUND and tier_name:
                    upper = stats.success_interval()[1]
                    if upper < self.min_success:
                        failing.setdefault(tier_name, {})[model] = upper
            self._failing = failing
            self._table_seen = table
        return self._failing.get(tier._value_, _NOTHING)

    def average_quality(self) -> Optional[float]:
        """Return the mean reported quality over every model and tier, or None before any outcome."""
        table = self.outcomes.quality_table()
        n = sum(s.n for s in table.values())
        return (sum(s.quality_sum for s in table.values()) / n) if n else None
