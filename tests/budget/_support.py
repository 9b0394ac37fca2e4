"""Shared helpers: store factories by picklable spec, server availability, process workers.

Redis and PostgreSQL tests use ANTARIS_TEST_REDIS_URL (default redis://127.0.0.1:6379/15) and
ANTARIS_TEST_POSTGRES_DSN (default postgresql://antaris:antaris@127.0.0.1:5432/antaris_test);
`bash .ci/services.sh` installs and starts both. They skip with a one-line reason when the client
library or the server is absent.
"""

from __future__ import annotations

import functools
import os
import random
import re
import uuid
from typing import Any, Optional, Tuple

from antaris_like.budget import (
    Budget,
    BudgetExceededError,
    Limit,
    MemoryStore,
    PostgresStore,
    RedisStore,
    SQLiteStore,
)
from antaris_like.budget.stores import Store

REDIS_URL = os.environ.get("ANTARIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_DSN = os.environ.get("ANTARIS_TEST_POSTGRES_DSN",
                              "postgresql://antaris:antaris@127.0.0.1:5432/antaris_test")

Spec = Tuple[str, ...]


@functools.cache
def redis_skip_reason() -> Optional[str]:
    """Return why Redis tests cannot run here, or None."""
    try:
        import redis  # noqa: F401  (test-only client)
    except ImportError:
        return "redis client not installed (pip install redis; CI runs .ci/services.sh)"
    try:
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2,
                                      retry=Retry(NoBackoff(), 0))  # one try: no back-off on a dead port
        client.ping()
        client.close()
    except Exception as exc:
        return f"no Redis server at {_masked(REDIS_URL)} ({type(exc).__name__}); run .ci/services.sh"
    return None


@functools.cache
def postgres_skip_reason() -> Optional[str]:
    """Return why PostgreSQL tests cannot run here, or None."""
    try:
        import psycopg  # noqa: F401  (test-only client)
    except ImportError:
        return "psycopg not installed (pip install 'psycopg[binary]'; CI runs .ci/services.sh)"
    try:
        psycopg.connect(POSTGRES_DSN, connect_timeout=2).close()
    except Exception as exc:
        return f"no PostgreSQL at {_masked(POSTGRES_DSN)} ({type(exc).__name__}); run .ci/services.sh"
    return None


def _masked(url: str) -> str:
    """Return ``url`` without its password."""
    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)


def redis_client() -> Any:
    """Return a redis-py client for the test server."""
    import redis
    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=10)


def postgres_connect() -> Any:
    """Return a new psycopg connection to the test database."""
    import psycopg
    return psycopg.connect(POSTGRES_DSN, connect_timeout=5)


def new_spec(kind: str, tmpdir: str = "") -> Spec:
    """Return a fresh, isolated store spec of ``kind``."""
    if kind == "memory":
        return ("memory",)
    if kind == "sqlite":
        return ("sqlite", os.path.join(tmpdir, f"ledger-{uuid.uuid4().hex[:8]}.db"))
    return (kind, "t" + uuid.uuid4().hex[:12])


def make_store(spec: Spec) -> Store:
    """Build the store a spec names (in any process)."""
    kind = spec[0]
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(spec[1])
    if kind == "redis":
        return RedisStore(redis_client(), prefix=spec[1])
    if kind == "postgres":
        return PostgresStore(postgres_connect, table_prefix=spec[1])
    raise ValueError(spec)


def drop_store(spec: Spec) -> None:
    """Remove the server-side data of a spec (files go with their temporary directory)."""
    if spec[0] == "redis":
        client = redis_client()
        keys = list(client.scan_iter(match="{" + spec[1] + "}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start:start + 500])
        client.close()
    elif spec[0] == "postgres":
        with postgres_connect() as conn:
            for table in ("counters", "charges", "reservations"):
                conn.execute(f"DROP TABLE IF EXISTS {spec[1]}_{table}")


# --- process workers (module level so that spawn can import them) ----------------------------

MAX_AMOUNT = 0.05


def cap_worker(spec: Spec, cap: float, seed: int, barrier: Any, results: Any) -> None:
    """Reserve and settle random amounts until the cap is used up; report what was settled."""
    budget = Budget(Limit(usd=cap), store=make_store(spec), expire_every=3600.0)
    rng = random.Random(seed)
    settled = largest = 0.0
    reserves = refusals = 0
    barrier.wait()
    for _ in range(20000):
        amount = round(rng.uniform(0.001, MAX_AMOUNT), 6)
        largest = max(largest, amount)
        try:
            reservation = budget.reserve(usd=amount)
        except BudgetExceededError:
            refusals += 1
            status = budget.status().limits[0]
            # Nothing held by anyone and this amount does not fit: the cap is used up for good.
            if status.reserved == 0.0 and status.spent + amount > cap:  # reserved: residue-free
                break
            continue
        reserves += 1
        choice = rng.random()
        if choice < 0.15:
            reservation.release()
        elif choice < 0.6:
            actual = round(amount * rng.uniform(0.1, 1.0), 6)
            reservation.settle(usd=actual)
            settled += actual
        else:
            reservation.settle(usd=amount)
            settled += amount
    budget.close()
    results.put((settled, largest, reserves, refusals))


def hold_and_spin_worker(path: str, conn: Any) -> None:
    """Hold five reservations, then reserve+settle in a loop until killed."""
    budget = Budget(Limit(usd=1000.0), store=SQLiteStore(path), reservation_ttl=60.0, expire_every=1e9)
    held = [budget.reserve(usd=0.125) for _ in range(5)]
    conn.send(("held", sum(r.usd for r in held)))
    count = 0
    while True:
        budget.reserve(usd=0.001).settle(usd=0.001)
        count += 1
        if count == 200:
            conn.send(("spinning", count))


def create_and_reserve_worker(path: str, barrier: Any, results: Any) -> None:
    """Open a ledger that may not exist yet, all processes at the same moment, and reserve once."""
    barrier.wait()
    try:
        budget = Budget(Limit(usd=1.0), store=SQLiteStore(path))
        budget.reserve(usd=0.01).settle()
        budget.close()
        results.put("ok")
    except Exception as exc:  # reported to the parent, which fails the test with it
        results.put(f"{type(exc).__name__}: {exc}")
