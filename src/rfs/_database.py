"""Database plumbing shared by every subsystem: data directory, URLs, pragmas, one fast writer.

Every default state lives in one data directory, ``.rfs/`` in the working directory unless
``RFS_DATA_DIR`` names another, one SQLite file per subsystem (``runs.db``, ``sagas.db``,
``scheduler.db``, ``rfs.db``). A subsystem's own URL variable (``RFS_RUN_STORE_URL``, ...)
still wins. Plain URLs get their driver here: ``sqlite://`` and ``postgresql://`` (or
``postgres://``) become aiosqlite/asyncpg for async engines and pysqlite/psycopg for sync ones.
No third-party import at module level: this module is imported by ``import rfs`` paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = [
    "ASYNC_DRIVERS",
    "SYNC_DRIVERS",
    "SqliteGroupWriter",
    "apply_sqlite_pragmas",
    "async_url",
    "data_dir",
    "default_url",
    "ensure_sqlite_parent",
    "install_sqlite_pragmas",
    "sqlite_file",
    "with_driver",
]

#: driver per backend for async engines and for sync ones
ASYNC_DRIVERS: Mapping[str, str] = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
SYNC_DRIVERS: Mapping[str, str] = {"sqlite": "pysqlite", "postgresql": "psycopg"}
_ALIASES = {"postgres": "postgresql"}
_DUAL_DRIVERS = {"psycopg"}  # one name for both (SQLAlchemy picks the async variant itself)

#: how long a writer waits for another process's lock before failing, in milliseconds
BUSY_TIMEOUT_MS = 30_000


def data_dir() -> Path:
    """Where default state files go: ``$RFS_DATA_DIR``, else ``.rfs`` in the working directory."""
    return Path(os.environ.get("RFS_DATA_DIR") or ".rfs")


def default_url(filename: str, env: str | None = None) -> str:
    """``$env`` when set, else an async SQLite URL for ``filename`` inside :func:`data_dir`."""
    if env:
        configured = os.environ.get(env)
        if configured:
            return configured
    return f"sqlite+aiosqlite:///{(data_dir() / filename).as_posix()}"


def async_url(url: str) -> str:
    """``url`` with an async driver when it names none (``sqlite://`` → ``sqlite+aiosqlite://``)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "+" in scheme:
        return url
    backend = _ALIASES.get(scheme, scheme)
    driver = ASYNC_DRIVERS.get(backend)
    return f"{backend}+{driver}://{rest}" if driver else url


def with_driver(url: URL, drivers: Mapping[str, str]) -> URL:
    """``url`` with the driver of ``drivers`` for its backend; a dual driver (psycopg) stays.

    Used to derive the sync engine of an async URL and back (``sqlite+aiosqlite`` <->
    ``sqlite``, ``postgresql+asyncpg`` <-> ``postgresql+psycopg``).
    """
    backend = url.get_backend_name()
    wanted = drivers.get(backend)
    explicit = url.drivername.partition("+")[2]
    if wanted is None or explicit == wanted or explicit in _DUAL_DRIVERS:
        return url
    if wanted == "pysqlite":
        return url.set(drivername=backend)
    return url.set(drivername=f"{backend}+{wanted}")


def sqlite_file(url: str) -> str | None:
    """The file path of a SQLite URL, or ``None`` for memory databases and other backends."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.partition("+")[0] != "sqlite" or not rest.startswith("/"):
        return None
    path = rest[1:].partition("?")[0]
    if not path or path == ":memory:" or path.startswith("file:") or "mode=memory" in rest:
        return None
    return path


def ensure_sqlite_parent(url: str) -> None:
    """Create the directory of a SQLite file URL (``.rfs/`` on first use); others are left."""
    path = sqlite_file(url)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def apply_sqlite_pragmas(dbapi_connection: Any, *, wal: bool = True) -> None:
    """WAL journaling, ``synchronous=NORMAL`` and a busy timeout on one SQLite connection.

    In WAL mode with ``synchronous=NORMAL`` a committed transaction survives a killed process
    (not a power cut: that needs ``synchronous=FULL``); readers never block the writer.
    ``wal=False`` for memory databases, which have no journal file.
    """
    cursor = dbapi_connection.cursor()
    try:
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def install_sqlite_pragmas(sync_engine: Any) -> None:
    """Apply :func:`apply_sqlite_pragmas` to every connection a SQLAlchemy engine opens."""
    from sqlalchemy import event

    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        apply_sqlite_pragmas(dbapi_connection)

    event.listen(sync_engine, "connect", _on_connect)


# -- the group-committing SQLite writer ------------------------------------------------------

T = TypeVar("T")
#: one write: a function run on the writer's connection inside its transaction
Op = Callable[[sqlite3.Connection], Any]
_Job = tuple[Op | None, "asyncio.Future[Any]"]
_MAX_BATCH = 1024  # writes per transaction: bounds the latency of one commit


class SqliteGroupWriter:
    """Writes to one SQLite file through one connection in one thread, with group commit.

    :meth:`write` queues a function of the connection and returns its value once the
    transaction holding it is committed. Writes that arrive while a commit is in flight go
    into the next transaction, so a burst of writes costs one commit, not one each. A write
    that raises is undone alone (the batch runs again with a savepoint per write) and raises
    to its caller, so a write must be pure database work. Writes run in the order they were
    queued. Statements are plain SQL text, which ``sqlite3`` prepares once and keeps in its
    statement cache. Usable from any event loop; a forked child gets its own thread and
    connection.

    ``inline=True`` commits a write on the caller's thread when nothing else is queued or in
    flight (one commit in WAL mode costs tens of microseconds, less than the hand-off to the
    writer thread), and hands it to the thread otherwise, so a burst still shares commits.
    Order is kept either way. The saga log uses it: one execution's steps are sequential.
    """

    def __init__(self, path: str, *, name: str = "rfs-db-writer", inline: bool = False) -> None:
        self.path = path
        self._name = name
        self._inline = inline
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Job] | None = None
        self._pid = os.getpid()
        self._con: sqlite3.Connection | None = None
        self._using = threading.Lock()  # held while the connection runs a transaction
        self._pending = 0  # writes queued or being committed by the thread

    def _jobs(self) -> queue.SimpleQueue[_Job]:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread is not ours
                self._pid, self._queue, self._con = os.getpid(), None, None
                self._using, self._pending = threading.Lock(), 0
            if self._queue is None:
                jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
                thread = threading.Thread(target=self._serve, args=(jobs,), name=self._name)
                thread.daemon = True
                thread.start()
                self._queue = jobs
            return self._queue

    async def write(self, op: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``op(connection)`` in the next transaction; return its value once committed."""
        if self._inline and self._pid == os.getpid() and self._claim():
            try:
                [(ok, value)] = _commit(self._connection(), [op])
            finally:
                self._using.release()
            if not ok:
                raise value
            return value  # type: ignore[no-any-return]
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        jobs = self._jobs()
        with self._lock:
            self._pending += 1
        jobs.put((op, future))
        return await future

    def _claim(self) -> bool:
        """Take the connection for an inline write when no queued write would be overtaken."""
        with self._lock:
            return self._pending == 0 and self._using.acquire(blocking=False)

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            self._con = self._connect()
        return self._con

    async def close(self) -> None:
        """Commit what is queued, close the connection and stop the thread."""
        with self._lock:
            jobs, self._queue = self._queue, None
        if jobs is not None and self._pid == os.getpid():
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            jobs.put((None, future))
            await future
        elif self._pid == os.getpid():  # only inline writes: no thread holds the connection
            with self._using:
                if self._con is not None:
                    self._con.close()
                    self._con = None

    # -- the writer thread ---------------------------------------------------------------------

    def _serve(self, jobs: queue.SimpleQueue[_Job]) -> None:
        while True:
            batch = [jobs.get()]
            while len(batch) < _MAX_BATCH:
                try:
                    batch.append(jobs.get_nowait())
                except queue.Empty:
                    break
            stop = [future for op, future in batch if op is None]
            work = [(op, future) for op, future in batch if op is not None]
            if work:
                try:
                    with self._using:
                        outcomes = _commit(self._connection(), [op for op, _ in work])
                except Exception as exc:  # the transaction failed as a whole
                    outcomes = [(False, exc)] * len(work)
                with self._lock:
                    self._pending -= len(work)
                _settle([future for _, future in work], outcomes)
            if stop:
                with self._using:
                    if self._con is not None:
                        self._con.close()
                        self._con = None
                _settle(stop, [(True, None)] * len(stop))
                return

    def _connect(self) -> sqlite3.Connection:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        apply_sqlite_pragmas(con)
        return con


def _commit(con: sqlite3.Connection, ops: list[Op]) -> list[tuple[bool, Any]]:
    """Run ``ops`` in one transaction and commit; ``(ok, value or exception)`` for each.

    The batch runs as is first; only if one raises is it rolled back and run again with a
    savepoint per op, so the failing one is undone alone (ops are pure database work, so
    running them again is safe).
    """
    con.execute("BEGIN IMMEDIATE")
    try:
        values = [op(con) for op in ops]
    except Exception as exc:
        con.execute("ROLLBACK")
        if len(ops) == 1:
            return [(False, exc)]
        return _commit_each(con, ops)
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    try:
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return [(True, value) for value in values]


def _commit_each(con: sqlite3.Connection, ops: list[Op]) -> list[tuple[bool, Any]]:
    """Run ``ops`` in one transaction, each in its own savepoint; commit what succeeded."""
    outcomes: list[tuple[bool, Any]] = []
    con.execute("BEGIN IMMEDIATE")
    try:
        for op in ops:
            con.execute("SAVEPOINT rfs_write")
            try:
                outcomes.append((True, op(con)))
            except Exception as exc:
                con.execute("ROLLBACK TO rfs_write")
                outcomes.append((False, exc))
            con.execute("RELEASE rfs_write")
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return outcomes


def _settle(futures: list[asyncio.Future[Any]], outcomes: list[tuple[bool, Any]]) -> None:
    """Hand each outcome to its future on the future's own loop (one wake-up per loop)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
    for future, outcome in zip(futures, outcomes, strict=True):
        by_loop.setdefault(future.get_loop(), []).append((future, outcome))
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[asyncio.Future[Any], tuple[bool, Any]]]) -> None:
    for future, (ok, value) in items:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
