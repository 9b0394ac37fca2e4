"""The SQLite schema of ``routing.db`` and its statements, with row <-> record conversions (OutcomeLog's)."""

from __future__ import annotations

import json
from typing import Any, Optional, Tuple

from .feedback import DecisionRecord, Outcome

_MICRO = 1_000_000
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
), (
    # The log's identity, random per database file: a classifier snapshot records the log its
    # applied_seq counts in, so a snapshot restored beside a new routing.db (save_state() into a
    # fresh folder, a corrupt database moved aside) is not trusted to have seen this log's events.
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "INSERT OR IGNORE INTO meta VALUES ('log_id', lower(hex(randomblob(16))))",
))
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
_SQL_LOG_ID = "SELECT value FROM meta WHERE key = 'log_id'"
_SQL_LAST_EVENT = "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)"
_SQL_COUNT = {"decisions": "SELECT COUNT(*) FROM decisions", "outcomes": "SELECT COUNT(*) FROM outcomes",
              "events": "SELECT COUNT(*) FROM events"}
_SQL_DATA_VERSION = "PRAGMA data_version"


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

