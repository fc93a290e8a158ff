"""``TransactionManager``: engines and sessions for one database, and the default manager."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from rfs.di.registry import current_registry

__all__ = [
    "DEFAULT_DATABASE_URL",
    "TransactionManager",
    "configure",
    "get_manager",
    "manager_for",
]

#: The embedded database used when neither ``configure()`` nor ``RFS_DATABASE_URL`` says otherwise.
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///rfs.db"

# driver swaps between the async and the sync engine of one database
_ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_SYNC_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
_DUAL_DRIVERS = {"psycopg"}  # one name for both (SQLAlchemy picks the async variant itself)


class TransactionManager:
    """Engines and session factories of one database, for ``@Transactional``.

    ``bind`` is a URL, an ``AsyncEngine`` or an ``Engine``. Async functions get an
    ``AsyncSession``; sync functions a ``Session`` on a sync engine derived from the same URL
    (``sqlite+aiosqlite`` <-> ``sqlite``, ``postgresql+asyncpg`` <-> ``postgresql+psycopg``),
    created the first time it is needed. ``engine_options`` go to ``create_async_engine`` /
    ``create_engine``, ``session_options`` to the session factories (``expire_on_commit``
    defaults to False so results stay usable after commit).

    SQLite engines created here (and given ones unless ``sqlite_hooks=False``) hand transaction
    control to SQLAlchemy so savepoints (NESTED) and read-only transactions work: ``BEGIN
    IMMEDIATE`` for writers, ``BEGIN`` for read-only ones, and WAL journaling for file databases.
    """

    def __init__(
        self,
        bind: str | URL | Engine | AsyncEngine | None = None,
        *,
        engine_options: Mapping[str, Any] | None = None,
        session_options: Mapping[str, Any] | None = None,
        sqlite_hooks: bool = True,
    ) -> None:
        self._engine: AsyncEngine | None = None
        self._sync_engine: Engine | None = None
        self._given: AsyncEngine | Engine | None = None
        if bind is None:
            bind = os.environ.get("RFS_DATABASE_URL") or DEFAULT_DATABASE_URL
        if isinstance(bind, AsyncEngine):
            self._engine = self._given = bind
            self.url = bind.url
        elif isinstance(bind, Engine):
            self._sync_engine = self._given = bind
            self.url = bind.url
        elif isinstance(bind, (str, URL)):
            self.url = make_url(bind)
        else:
            raise TypeError(
                f"TransactionManager(bind=...) takes a URL, Engine or AsyncEngine, not {bind!r}"
            )
        self.dialect: str = self.url.get_backend_name()
        self._engine_options = dict(engine_options or {})
        self._session_options: dict[str, Any] = {"expire_on_commit": False}
        self._session_options.update(session_options or {})
        self._sqlite_hooks = sqlite_hooks and self.dialect == "sqlite"
        self._lock = threading.Lock()
        self._async_factory: async_sessionmaker[AsyncSession] | None = None
        self._sync_factory: sessionmaker[Session] | None = None
        if self._engine is not None and self._sqlite_hooks:
            _install_sqlite_hooks(self._engine.sync_engine, self.url)
        if self._sync_engine is not None and self._sqlite_hooks:
            _install_sqlite_hooks(self._sync_engine, self.url)

    def __repr__(self) -> str:
        return f"TransactionManager({self.url.render_as_string(hide_password=True)!r})"

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite (no isolation levels; read-only via ``query_only``)."""
        return self.dialect == "sqlite"

    @property
    def engine(self) -> AsyncEngine:
        """The async engine, created on first use."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = _create_async_engine(
                        _with_driver(self.url, _ASYNC_DRIVERS), **self._engine_options
                    )
                    if self._sqlite_hooks:
                        _install_sqlite_hooks(engine.sync_engine, self.url)
                    self._engine = engine
        return self._engine

    @property
    def sync_engine(self) -> Engine:
        """The sync engine for sync functions, created on first use."""
        if self._sync_engine is None:
            with self._lock:
                if self._sync_engine is None:
                    engine = create_engine(
                        _with_driver(self.url, _SYNC_DRIVERS), **self._engine_options
                    )
                    if self._sqlite_hooks:
                        _install_sqlite_hooks(engine, self.url)
                    self._sync_engine = engine
        return self._sync_engine

    def session(self) -> AsyncSession:
        """A new ``AsyncSession`` bound to the async engine (the caller closes it)."""
        factory = self._async_factory
        if factory is None:
            factory = self._async_factory = async_sessionmaker(self.engine, **self._session_options)
        return factory()

    def sync_session(self) -> Session:
        """A new sync ``Session`` bound to the sync engine (the caller closes it)."""
        factory = self._sync_factory
        if factory is None:
            factory = self._sync_factory = sessionmaker(self.sync_engine, **self._session_options)
        return factory()

    async def dispose(self) -> None:
        """Close the pooled connections of the engines this manager created."""
        if self._engine is not None and self._engine is not self._given:
            await self._engine.dispose()
        self.dispose_sync()

    def dispose_sync(self) -> None:
        """Close the pooled connections of the sync engine, if this manager created it."""
        if self._sync_engine is not None and self._sync_engine is not self._given:
            self._sync_engine.dispose()


def _with_driver(url: URL, drivers: Mapping[str, str]) -> URL:
    """``url`` with the driver this engine kind needs (a dual driver such as psycopg stays)."""
    backend = url.get_backend_name()
    wanted = drivers.get(backend)
    explicit = url.drivername.partition("+")[2]
    if wanted is None or explicit == wanted or explicit in _DUAL_DRIVERS:
        return url
    if wanted == "pysqlite":
        return url.set(drivername=backend)
    return url.set(drivername=f"{backend}+{wanted}")


def _install_sqlite_hooks(engine: Engine, url: URL) -> None:
    """Let SQLAlchemy emit BEGIN (see SQLAlchemy's "SQLite transactions" notes); once per engine."""
    if getattr(engine, "_rfs_sqlite_hooks", False):
        return
    engine._rfs_sqlite_hooks = True  # type: ignore[attr-defined]
    database = url.database or ""
    file_backed = database not in ("", ":memory:") and "mode=memory" not in str(url.query)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own
        if file_backed:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        begin = options.get("rfs_sqlite_begin")
        if begin is None:
            begin = "BEGIN" if options.get("rfs_read_only") else "BEGIN IMMEDIATE"
        connection.exec_driver_sql(begin)


_default: TransactionManager | None = None
_default_lock = threading.Lock()


def configure(
    bind: str | URL | Engine | AsyncEngine | TransactionManager | None = None, **options: Any
) -> TransactionManager | None:
    """Set the default manager used by ``@Transactional`` without ``manager=``.

    Pass a URL, an engine or a ``TransactionManager``; extra keyword arguments go to
    ``TransactionManager``. ``configure(None)`` forgets the default, so the next use builds
    one from ``RFS_DATABASE_URL`` (or the embedded SQLite ``DEFAULT_DATABASE_URL``). Returns
    the new default. The previous default is not disposed: dispose it if you created it.
    """
    global _default
    with _default_lock:
        if bind is None:
            _default = None
        elif isinstance(bind, TransactionManager):
            _default = bind
        else:
            _default = TransactionManager(bind, **options)
        return _default


def get_manager() -> TransactionManager:
    """The default manager, created from ``RFS_DATABASE_URL`` on first use if not configured."""
    global _default
    manager = _default
    if manager is None:
        with _default_lock:
            if _default is None:
                _default = TransactionManager()
            manager = _default
    return manager


def manager_for(explicit: TransactionManager | None) -> TransactionManager:
    """The manager a transactional call uses, decided at call time.

    ``explicit`` (``@Transactional(manager=...)``) if given; else the ``TransactionManager``
    bound in the active DI registry (``rfs.di.current_registry()``: inside
    ``registry.activate()``, a request scope, or ``async with registry:``), under its
    profiles; else the default manager (:func:`get_manager`).
    """
    if explicit is not None:
        return explicit
    registry = current_registry()
    if registry is not None:
        bound = registry.resolve_optional(TransactionManager)
        if bound is not None:
            return bound
    return get_manager()
