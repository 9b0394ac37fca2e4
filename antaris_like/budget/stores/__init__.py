"""Ledger backends, one module each, and a URL registry for the ones that need no client object.

    store_from_url("memory://")                 -> MemoryStore()
    store_from_url("sqlite:///ledger.db")       -> SQLiteStore("ledger.db")        (relative path)
    store_from_url("sqlite:////var/ledger.db")  -> SQLiteStore("/var/ledger.db")   (absolute path)

Redis and PostgreSQL take the user's own client (``RedisStore(redis.Redis(...))``,
``PostgresStore(lambda: psycopg.connect(dsn))``): the package never imports a driver.
"""

from __future__ import annotations

from typing import Callable, Dict
from urllib.parse import unquote

from ...errors import ConfigurationError
from .base import ReserveResult, SettleRecord, Store, UnknownReservationError, Usage
from .memory import MemoryStore
from .postgres import PostgresStore
from .redis import RedisStore
from .sqlite import SQLiteStore

__all__ = ["MemoryStore", "PostgresStore", "RedisStore", "ReserveResult", "SQLiteStore", "SettleRecord",
           "Store", "UnknownReservationError", "Usage", "store_from_url"]


def _memory(rest: str) -> Store:
    if rest.strip("/"):
        raise ConfigurationError(f"memory:// takes no path, got 'memory://{rest}'")
    return MemoryStore()


def _sqlite(rest: str) -> Store:
    # SQLAlchemy's convention: three slashes then the path, so four slashes for an absolute path.
    if not rest.startswith("/") or not rest[1:]:
        raise ConfigurationError(
            f"a SQLite ledger URL is sqlite:///relative/path.db or sqlite:////absolute/path.db, got 'sqlite://{rest}'")
    return SQLiteStore(unquote(rest[1:].split("?", 1)[0]))


def _needs_client(scheme: str, hint: str) -> Callable[[str], Store]:
    def build(rest: str) -> Store:
        raise ConfigurationError(f"{scheme}:// ledgers take your own client, the package imports no driver: "
                                 f"pass store={hint}")
    return build


_SCHEMES: Dict[str, Callable[[str], Store]] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "redis": _needs_client("redis", "RedisStore(redis.Redis.from_url(url))"),
    "rediss": _needs_client("rediss", "RedisStore(redis.Redis.from_url(url))"),
    "postgres": _needs_client("postgres", "PostgresStore(lambda: psycopg.connect(dsn))"),
    "postgresql": _needs_client("postgresql", "PostgresStore(lambda: psycopg.connect(dsn))"),
}


def store_from_url(url: str) -> Store:
    """Return the store a URL names (``memory://``, ``sqlite:///path``)."""
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(f"a ledger URL looks like 'sqlite:///ledger.db' or 'memory://', got {url!r}")
    scheme, rest = url.split("://", 1)
    factory = _SCHEMES.get(scheme.lower())
    if factory is None:
        raise ConfigurationError(f"unknown ledger URL scheme {scheme!r}: use one of {', '.join(sorted(_SCHEMES))}")
    return factory(rest)
