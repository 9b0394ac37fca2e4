"""The workspace folder: file paths, atomic JSON state, schema versions and the SQLite connection.

Guarantees (DESIGN.md §3.4):

* JSON state is replaced atomically (temp file in the same folder, flush, fsync, ``os.replace``,
  then fsync of the folder), so a crash leaves either the old or the new file, never half of one.
* A corrupt JSON file or SQLite database is moved aside to ``<name>.corrupt-<UTC time>`` with a
  logged warning and the caller starts cleanly; nothing is silently dropped or overwritten.
* State written by a newer version (``schema_version`` / ``PRAGMA user_version`` above what this
  code knows) is refused with :class:`StateError` and left untouched.
* Every ``sqlite3.Error`` becomes a :class:`StateError` in one place, :func:`sqlite_errors`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import sqlite3
import tempfile
import time
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Union

from .errors import StateError

try:  # POSIX
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]

__all__ = ["DB_NAME", "Workspace", "connect_memory", "sqlite_errors"]

log = logging.getLogger(__name__)

DB_NAME = "routing.db"
BUSY_TIMEOUT_S = 30.0

_SQLITE_MAGIC = b"SQLite format 3\x00"
# Messages SQLite uses for SQLITE_NOTADB / SQLITE_CORRUPT; Python 3.9 has no sqlite_errorcode.
_CORRUPT_MARKERS = ("file is not a database", "database disk image is malformed", "file is encrypted")
_BUSY_MARKERS = ("database is locked", "database table is locked", "database is busy")

_PRAGMA_BUSY = "PRAGMA busy_timeout = {ms:d}"
_PRAGMA_WAL = "PRAGMA journal_mode = WAL"
_PRAGMA_SYNC = "PRAGMA synchronous = {level}"
_PRAGMA_VERSION = "PRAGMA user_version"
_PRAGMA_SET_VERSION = "PRAGMA user_version = {version:d}"
_SQL_SCHEMA_PROBE = "SELECT count(*) FROM sqlite_master"

PathLike = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def sqlite_errors(action: str, path: str = "") -> Iterator[None]:
    """Map any ``sqlite3.Error`` raised inside the block to :class:`StateError` naming ``action``."""
    try:
        yield
    except sqlite3.Error as exc:
        where = f" ({path})" if path else ""
        raise StateError(f"{action} failed{where}: {exc}") from exc


def _is_corrupt(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and any(m in str(exc) for m in _CORRUPT_MARKERS)


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and any(m in str(exc) for m in _BUSY_MARKERS)


def _fsync_dir(path: str) -> None:
    """Make a rename in ``path`` durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the rename itself is still atomic
    finally:
        os.close(fd)


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` can only be read by setting it,
    which would race with other threads creating files); 0o022 where /proc is not there."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def file_mode(path: str) -> int:
    """The permission bits a rewrite of ``path`` should keep: its own, else what open() would give.

    mkstemp creates 0600; an atomic rewrite that kept that would undo an operator's ``chmod 664`` on
    a shared workspace at the next checkpoint, and lock the other users out.
    """
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


class Workspace:
    """A folder holding one router's persisted state; created (with parents) if missing."""

    # A temp file no writer holds the lock for is a crashed write's leftover; where there is no flock
    # (Windows) one this old (seconds) is taken to be one.
    STALE_TEMP_AGE = 3600.0

    def __init__(self, path: PathLike, *, clock: Callable[[], float] = time.time) -> None:
        if isinstance(path, Workspace):
            path = path.folder
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"workspace must be a folder path (str or os.PathLike), got {type(path).__name__}")
        text = os.fspath(path)
        if not isinstance(text, str) or not text.strip():
            raise ValueError("workspace must be a non-empty folder path")
        if "\x00" in text:
            raise ValueError("workspace path must not contain NUL characters")
        self.path: str = os.path.abspath(text)
        self.clock = clock
        try:
            os.makedirs(self.path, exist_ok=True)
        except (OSError, UnicodeError) as exc:
            raise StateError(f"cannot create workspace folder {self.path!r}: {exc}") from exc
        if not os.path.isdir(self.path):
            raise StateError(f"workspace {self.path!r} exists but is not a folder")
        self._remove_stale_temps()

    def _remove_stale_temps(self) -> None:
        """Delete ``.<name>.*.tmp`` files left by a process killed between writing and renaming.

        Each is a whole snapshot copy, so without this every such crash would leave one more. A writer
        holds ``.<name>.lock`` while its temp file exists (``_atomic_write``), so a temp file whose lock
        can be taken at once belongs to nobody. Only names with a lock file are judged: another writer
        of the same pattern (``ModelRegistry.save`` into this folder) takes no lock, and its live temp
        file must not be taken for a leftover. Best effort: a folder we cannot write is left alone.
        """
        try:
            entries = [e.name for e in os.scandir(self.path) if e.name.startswith(".") and e.name.endswith(".tmp")]
        except OSError:
            return
        for temp in entries:
            name = temp[1:].rsplit(".", 2)[0]  # ".classifier.json.ab12cd.tmp" -> "classifier.json"
            path = os.path.join(self.path, temp)
            with contextlib.suppress(OSError, ValueError, StateError):
                if _fcntl is None:
                    if time.time() - os.stat(path).st_mtime > self.STALE_TEMP_AGE:
                        os.unlink(path)
                    continue
                if not os.path.exists(self.file(f".{name}.lock")):
                    continue  # not written by a workspace (e.g. ModelRegistry.save beside it): not ours to judge
                with self._open_lock(name) as fh:
                    try:
                        _fcntl.flock(fh.fileno(), _fcntl.LOCK_EX | _fcntl.LOCK_NB)
                    except OSError:
                        continue  # a live writer: its temp file is about to be renamed
                    if os.path.exists(path):
                        os.unlink(path)
                        log.info("removed %s, left by a write that did not finish", path)

    @property
    def folder(self) -> str:
        """Return the absolute folder path (same as ``path``)."""
        return self.path

    def __repr__(self) -> str:
        return f"Workspace({self.path!r})"

    def file(self, name: str) -> str:
        """Return the path of file ``name`` inside the workspace (a plain file name, no folders)."""
        if not isinstance(name, str):
            raise TypeError(f"file name must be a str, got {type(name).__name__}")
        if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
            raise ValueError(f"file name must be a plain name inside the workspace, got {name!r}")
        return os.path.join(self.path, name)

    # -- JSON ---------------------------------------------------------------------------------

    def read_json(
        self,
        name: str,
        *,
        schema_version: int,
        default: Optional[Dict[str, Any]] = None,
        validate: Optional[Callable[[Dict[str, Any]], None]] = None,
    ) -> Optional[Dict[str, Any]]:
        """Return the JSON object stored in ``name``, or ``default`` if it is missing or corrupt.

        ``schema_version`` is the newest version this caller understands; a file with a newer one
        raises :class:`StateError` and is left in place. Older versions are returned as they are, for
        the caller to migrate. A corrupt file (unreadable bytes, not JSON, not an object, no integer
        ``schema_version``, or rejected by ``validate`` with ``ValueError``/``TypeError``/``KeyError``)
        is moved aside with a warning.
        """
        _check_version(schema_version)
        path = self.file(name)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return default
        except OSError as exc:
            raise StateError(f"cannot read state file {path!r}: {exc}") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            return self._corrupt(name, f"not valid UTF-8 JSON ({type(exc).__name__}: {exc})", default)
        if not isinstance(data, dict):
            return self._corrupt(name, f"top level is {type(data).__name__}, expected an object", default)
        version = data.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            return self._corrupt(name, f"missing or invalid schema_version {version!r}", default)
        if version > schema_version:
            raise StateError(
                f"{path} has schema_version {version}, newer than the {schema_version} this version of "
                "antaris_like understands: upgrade antaris_like or point it at another workspace"
            )
        if validate is not None:
            try:
                validate(data)
            except (ValueError, TypeError, KeyError) as exc:
                return self._corrupt(name, f"unexpected content: {exc}", default)
        return data

    def write_json(self, name: str, data: Dict[str, Any], *, schema_version: Optional[int] = None) -> None:
        """Replace ``name`` atomically with ``data`` (a dict with an integer ``schema_version``)."""
        if not isinstance(data, dict):
            raise TypeError(f"state must be a dict, got {type(data).__name__}")
        if schema_version is not None:
            _check_version(schema_version)
            data = dict(data, schema_version=schema_version)
        version = data.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError("state must carry a top-level integer 'schema_version' >= 1")
        try:
            payload = json.dumps(data, allow_nan=False, ensure_ascii=False, sort_keys=True).encode("utf-8")
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            raise ValueError(f"state for {name!r} is not JSON-serialisable: {exc}") from exc
        self._atomic_write(self.file(name), payload)

    def _atomic_write(self, path: str, payload: bytes) -> None:
        folder, base = os.path.split(path)
        fd, tmp = -1, ""
        try:
            with self._lock(base):  # marks the temp file as live for _remove_stale_temps
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=".tmp")
                with os.fdopen(fd, "wb") as fh:
                    fd = -1  # now owned by fh
                    fh.write(payload)
                    fh.flush()
                    os.chmod(tmp, file_mode(path))
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
                tmp = ""
            _fsync_dir(folder)
        except OSError as exc:
            raise StateError(f"cannot write state file {path!r}: {exc}") from exc
        finally:
            if fd >= 0:
                os.close(fd)
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def _corrupt(self, name: str, reason: str, default: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        moved = self.move_aside(name)
        log.warning("state file %s is corrupt (%s); moved it to %s and starting with a clean state",
                    self.file(name), reason, moved)
        return default

    def move_aside(self, name: str) -> str:
        """Rename ``name`` to ``name.corrupt-<UTC time>`` (unique) and return the new path."""
        path = self.file(name)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock()))
        target = f"{path}.corrupt-{stamp}"
        suffix = 0
        while os.path.lexists(target):
            suffix += 1
            target = f"{path}.corrupt-{stamp}-{suffix}"
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return target  # another process moved it first
        except OSError as exc:
            raise StateError(f"cannot move corrupt state {path!r} aside: {exc}") from exc
        return target

    # -- SQLite -------------------------------------------------------------------------------

    def connect(
        self,
        name: str = DB_NAME,
        *,
        migrations: Sequence[Sequence[str]] = (),
        busy_timeout: float = BUSY_TIMEOUT_S,
    ) -> sqlite3.Connection:
        """Open ``name`` (default ``routing.db``) in WAL mode and bring its schema up to date.

        ``migrations[i]`` holds the statements taking ``PRAGMA user_version`` from ``i`` to ``i + 1``;
        they run inside one ``BEGIN IMMEDIATE`` transaction, so processes creating the database at the
        same moment serialise and exactly one of them creates it. A database with a newer
        ``user_version`` than ``len(migrations)`` raises :class:`StateError` (only checked when
        migrations are given). A file that is not a database or is damaged is moved aside with a
        warning and a new one is created.

        The connection is in autocommit mode (``isolation_level=None``): callers issue ``BEGIN
        IMMEDIATE`` / ``COMMIT`` themselves. ``synchronous=NORMAL``: in WAL mode every commit is
        written to the WAL before it returns, so it survives a crash of the process; only a power
        loss or OS crash may roll back the last commits, never corrupt the file. Callers that must
        survive power loss (``OutcomeLog.report``) switch to ``FULL`` for that commit.
        """
        path = self.file(name)
        deadline = time.monotonic() + busy_timeout
        moved = False
        while True:
            conn = None
            try:
                _check_header(path)
                conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None,
                                       check_same_thread=False)
                conn.execute(_PRAGMA_BUSY.format(ms=int(busy_timeout * 1000)))
                _setup(conn, path, migrations)
                return conn
            except sqlite3.Error as exc:
                if conn is not None:
                    conn.close()
                if _is_corrupt(exc) and not moved:
                    moved = True
                    self._move_db_aside(name, str(exc))
                    continue
                # WAL switch and first reads of a database being created can report "locked"
                # without going through the busy handler; retrying is safe as nothing was changed.
                if _is_busy(exc) and time.monotonic() < deadline:
                    time.sleep(random.uniform(0.005, 0.05))
                    continue
                raise StateError(f"cannot open database {path!r}: {exc}") from exc
            except StateError:
                if conn is not None:
                    conn.close()
                raise

    def _move_db_aside(self, name: str, reason: str) -> None:
        """Move a corrupt database (and its WAL) aside while holding the workspace lock."""
        path = self.file(name)
        with self._lock(name):
            # Another process may already have replaced it with a fresh database: check again.
            try:
                _check_header(path)
                probe = sqlite3.connect(path, timeout=1.0)
                try:
                    probe.execute(_SQL_SCHEMA_PROBE).fetchone()
                finally:
                    probe.close()
                return
            except sqlite3.Error as exc:
                if not _is_corrupt(exc):
                    return
            moved = self.move_aside(name)
            for ext in ("-wal", "-journal"):
                if os.path.exists(path + ext):
                    with contextlib.suppress(OSError):
                        os.replace(path + ext, moved + ext)
            with contextlib.suppress(OSError):
                os.unlink(path + "-shm")  # derived from the WAL; stale after the move
        log.warning("database %s is corrupt (%s); moved it to %s and creating a new one", path, reason, moved)

    def _open_lock(self, name: str) -> Any:
        path = self.file(f".{name}.lock")
        try:
            return open(path, "a+b")
        except PermissionError as exc:
            refused = exc  # another user's lock file in a shared workspace: flock works on a read-only handle too
        except OSError as exc:
            raise StateError(f"workspace {self.path!r} is not writable: cannot create lock file {path!r}: {exc}") from exc
        try:
            return open(path, "rb")
        except OSError:
            raise StateError(f"workspace {self.path!r} is not writable: cannot create lock file {path!r}: "
                             f"{refused}") from refused

    @contextlib.contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        """Hold an exclusive advisory lock on ``.<name>.lock`` (POSIX; best effort elsewhere)."""
        fh = self._open_lock(name)
        try:
            if _fcntl is not None:
                _fcntl.flock(fh.fileno(), _fcntl.LOCK_EX)
            yield
        finally:
            fh.close()  # releases the lock


def connect_memory(migrations: Sequence[Sequence[str]] = ()) -> sqlite3.Connection:
    """Return a private in-memory database with ``migrations`` applied (no workspace: nothing persists)."""
    with sqlite_errors("creating an in-memory database"):
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        _setup(conn, ":memory:", migrations)
    return conn


def _check_version(version: object) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"schema_version must be an integer >= 1, got {version!r}")


def _check_header(path: str) -> None:
    """Raise a corrupt-database error for a file that cannot be an SQLite database (cheap check)."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
            size = os.fstat(fh.fileno()).st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StateError(f"cannot read database {path!r}: {exc}") from exc
    if size == 0:
        return  # a database being created by another process, or never written
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise sqlite3.DatabaseError("file is not a database (bad header)")
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1) or size % page:
        raise sqlite3.DatabaseError(f"database disk image is malformed (size {size} is not whole pages)")


def _setup(conn: sqlite3.Connection, path: str, migrations: Sequence[Sequence[str]]) -> None:
    """Switch to WAL (best effort), probe the file, then run pending migrations atomically."""
    try:
        conn.execute(_PRAGMA_WAL).fetchone()
    except sqlite3.OperationalError as exc:
        if _is_busy(exc):
            raise
        log.debug("WAL not available for %s (%s); using the default journal", path, exc)
    conn.execute(_PRAGMA_SYNC.format(level="NORMAL"))
    conn.execute(_SQL_SCHEMA_PROBE).fetchone()  # raises "not a database" / "malformed" early
    if not migrations:
        return
    supported = len(migrations)
    if conn.execute(_PRAGMA_VERSION).fetchone()[0] == supported:
        return  # fast path: no write lock for an up-to-date database
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute(_PRAGMA_VERSION).fetchone()[0]
        if version > supported:
            raise StateError(
                f"{path} has schema version {version}, newer than the {supported} this version of "
                "antaris_like understands: upgrade antaris_like or point it at another workspace"
            )
        for step in range(version, supported):
            for statement in migrations[step]:
                conn.execute(statement)
        if version != supported:
            conn.execute(_PRAGMA_SET_VERSION.format(version=supported))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise

