"""``SagaLog``: the durable saga log on SQLAlchemy (SQLite by default, PostgreSQL for real use)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from rfs._database import async_url, default_url, ensure_sqlite_parent, install_sqlite_pragmas
from rfs.result import Result
from rfs.saga import recovery
from rfs.saga.decode import decode_events, decode_record, salvage
from rfs.saga.errors import SagaLogError, UnreadableRecord
from rfs.saga.records import ACTIVE_STATUSES, ExecutionRecord, LogEvent, SagaStatus
from rfs.saga.registry import SagaRegistry
from rfs.saga.serializers import Serializer, get_serializer, resolve_key
from rfs.saga.store import UNSET, _statuses
from rfs.saga.writers import DB_ERRORS as _DB_ERRORS
from rfs.saga.writers import writer_for

#: The log's file in the data directory (``.rfs/``, or ``$RFS_DATA_DIR``).
DEFAULT_FILE = "sagas.db"
normalize_url = async_url  # the name this module has always exported


def default_log_url() -> str:
    """``$RFS_SAGA_LOG_URL``, else SQLite ``sagas.db`` in the data directory."""
    return default_url(DEFAULT_FILE, "RFS_SAGA_LOG_URL")


class SagaLog:
    """Executions and their transitions in two tables: ``<prefix>executions``, ``<prefix>events``.

    ``url_or_engine``: a SQLAlchemy async URL or engine (default ``RFS_SAGA_LOG_URL``, else
    ``sagas.db`` in the data directory ``.rfs/``, moved by ``RFS_DATA_DIR``). Each transition
    is one transaction, committed before the engine acts on it. SQLite runs in WAL mode with
    ``synchronous=NORMAL``: a committed transition survives a killed process (not a power cut;
    pass ``engine=`` with ``synchronous=FULL`` for that). ``table_prefix``/``schema`` let
    several logs share a database.
    With ``fast_path`` (default) the per-step writes on SQLite files and asyncpg go straight
    through the driver in one round trip; schema, reads and claims always use SQLAlchemy.
    ``synchronous_commit=False`` (PostgreSQL, fast path) stops waiting for the WAL flush: a
    step costs a fraction of a disk sync, and a *database server* crash may lose the last
    transitions (a killed application process still loses nothing).
    ``serializer="pickle"`` stores any picklable context, and unpickles what the table
    holds: give it ``signing_key=`` (or set ``RFS_SIGNING_KEY``) so each context is signed
    and checked before it is unpickled; a record that fails the check is unreadable.
    """

    durable = True

    def __init__(
        self,
        url_or_engine: str | AsyncEngine | None = None,
        *,
        table_prefix: str = "rfs_saga_",
        schema: str | None = None,
        serializer: str | Serializer = "json",
        fast_path: bool = True,
        synchronous_commit: bool = True,
        signing_key: bytes | str | None = None,
    ) -> None:
        if url_or_engine is None:
            url_or_engine = default_log_url()
        if isinstance(url_or_engine, str):
            # pre-ping: a connection the server dropped is replaced, not handed out
            self.engine = create_async_engine(normalize_url(url_or_engine), pool_pre_ping=True)
            self._owns_engine = True
        else:
            self.engine = url_or_engine
            self._owns_engine = False
        if self.engine.dialect.name == "sqlite":
            install_sqlite_pragmas(self.engine.sync_engine)
        self.serializer = get_serializer(serializer, key=resolve_key(signing_key))
        self.metadata = MetaData(schema=schema)
        self.executions = Table(
            f"{table_prefix}executions",
            self.metadata,
            Column("id", String(64), primary_key=True),
            Column("saga_name", String(200), nullable=False, index=True),
            Column("status", String(16), nullable=False, index=True),
            Column("context", LargeBinary),
            Column("owner", String(255), nullable=False),
            Column("lease_until", Float, nullable=False),
            Column("created_at", Float, nullable=False),
            Column("updated_at", Float, nullable=False),
            Column("error", Text),
        )
        self.events = Table(
            f"{table_prefix}events",
            self.metadata,
            Column(
                "seq",
                BigInteger().with_variant(Integer, "sqlite"),
                primary_key=True,
                autoincrement=True,
            ),
            Column("execution_id", String(64), nullable=False, index=True),
            Column("kind", String(32), nullable=False),
            Column("step", String(200)),
            Column("step_index", Integer),
            Column("attempt", Integer, nullable=False),
            Column("detail", Text),
            Column("at", Float, nullable=False),
        )
        self._ready = False
        self._ready_lock = asyncio.Lock()
        self._writer = writer_for(
            self.engine,
            self.executions,
            self.events,
            fast_path=fast_path,
            synchronous_commit=synchronous_commit,
        )

    def __repr__(self) -> str:
        return f"SagaLog({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- schema -----------------------------------------------------------------------------

    async def create_tables(self) -> None:
        """Create the log's tables if missing (done on first use)."""
        async with self._ready_lock:
            if self._ready:
                return
            try:
                # the data directory is made on first use, not by constructing the log
                # (read-only commands build one and must create nothing)
                ensure_sqlite_parent(self.engine.url.render_as_string(hide_password=False))
                async with self.engine.begin() as conn:
                    await conn.run_sync(self.metadata.create_all)
            except _DB_ERRORS as exc:
                raise SagaLogError(f"cannot create saga log tables: {exc}") from exc
            self._ready = True

    async def drop_tables(self) -> None:
        """Drop the log's tables (tests and tear-down)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(self.metadata.drop_all)
        self._ready = False

    async def close(self) -> None:
        """Close the writer, and dispose of the engine if this log created it."""
        await self._writer.close()
        if self._owns_engine:
            await self.engine.dispose()

    async def __aenter__(self) -> SagaLog:
        await self.create_tables()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- writes -----------------------------------------------------------------------------

    async def start(
        self,
        execution_id: str,
        saga_name: str,
        context: Any,
        owner: str,
        lease_until: float,
        events: Sequence[LogEvent],
    ) -> None:
        data = self.serializer.dumps(context)
        if not self._ready:
            await self.create_tables()
        now = time.time()
        row = {
            "id": execution_id,
            "saga_name": saga_name,
            "status": SagaStatus.RUNNING.value,
            "context": data,
            "owner": owner,
            "lease_until": lease_until,
            "created_at": now,
            "updated_at": now,
        }
        await self._writer.start(row, events)

    async def append(
        self,
        execution_id: str,
        owner: str,
        events: Sequence[LogEvent],
        *,
        lease_until: float,
        status: SagaStatus | None = None,
        context: Any = UNSET,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"lease_until": lease_until, "updated_at": time.time()}
        if context is not UNSET:
            values["context"] = self.serializer.dumps(context)
        if status is not None:
            values["status"] = status.value
        if error is not None:
            values["error"] = error
        if not self._ready:
            await self.create_tables()
        await self._writer.append(execution_id, owner, values, events)

    async def claim(
        self, execution_id: str, old_owner: str, new_owner: str, lease_until: float
    ) -> bool:
        if not self._ready:
            await self.create_tables()
        table = self.executions
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    update(table)
                    .where(
                        table.c.id == execution_id,
                        table.c.owner == old_owner,
                        table.c.status.in_([s.value for s in ACTIVE_STATUSES]),
                    )
                    .values(owner=new_owner, lease_until=lease_until, updated_at=time.time())
                )
        except _DB_ERRORS as exc:
            raise SagaLogError(f"cannot claim saga execution {execution_id!r}: {exc}") from exc
        return bool(result.rowcount == 1)

    async def delete(self, execution_id: str) -> None:
        """Remove an execution and its events from the log."""
        if not self._ready:
            await self.create_tables()
        async with self.engine.begin() as conn:
            events, executions = self.events, self.executions
            await conn.execute(delete(events).where(events.c.execution_id == execution_id))
            await conn.execute(delete(executions).where(executions.c.id == execution_id))

    async def purge(self, older_than: float) -> int:
        """Delete finished executions last updated more than ``older_than`` seconds ago.

        Running and compensating executions are never purged. Returns how many were deleted.
        """
        if not self._ready:
            await self.create_tables()
        executions, events = self.executions, self.events
        final = [s.value for s in SagaStatus if s.is_final]
        old = select(executions.c.id).where(
            executions.c.status.in_(final), executions.c.updated_at < time.time() - older_than
        )
        try:
            async with self.engine.begin() as conn:
                await conn.execute(delete(events).where(events.c.execution_id.in_(old)))
                result = await conn.execute(delete(executions).where(executions.c.id.in_(old)))
        except _DB_ERRORS as exc:
            raise SagaLogError(f"cannot purge the saga log: {exc}") from exc
        return int(result.rowcount)

    # -- reads ------------------------------------------------------------------------------

    async def load(self, execution_id: str) -> ExecutionRecord | None:
        if not self._ready:
            await self.create_tables()
        try:
            async with self.engine.connect() as conn:
                row = (
                    await conn.execute(
                        select(self.executions).where(self.executions.c.id == execution_id)
                    )
                ).first()
                if row is None:
                    return None
                rows = await conn.execute(
                    select(self.events)
                    .where(self.events.c.execution_id == execution_id)
                    .order_by(self.events.c.seq)
                )
                event_rows = [r._mapping for r in rows]
        except _DB_ERRORS as exc:
            raise SagaLogError(f"cannot read saga execution {execution_id!r}: {exc}") from exc
        record = decode_record(row._mapping, self.serializer)
        record.events = decode_events(record.id, event_rows)
        return record

    async def list(
        self,
        *,
        status: SagaStatus | Sequence[SagaStatus] | None = None,
        saga_name: str | None = None,
        limit: int = 100,
    ) -> list[ExecutionRecord]:
        if not self._ready:
            await self.create_tables()
        table = self.executions
        query = select(table).order_by(table.c.created_at.desc()).limit(limit)
        wanted = _statuses(status)
        if wanted is not None:
            query = query.where(table.c.status.in_(sorted(s.value for s in wanted)))
        if saga_name is not None:
            query = query.where(table.c.saga_name == saga_name)
        try:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        except _DB_ERRORS as exc:
            raise SagaLogError(f"cannot list saga executions: {exc}") from exc
        return [self._listed(row._mapping) for row in rows]

    def _listed(self, row: Any) -> ExecutionRecord:
        try:
            return decode_record(row, self.serializer)
        except UnreadableRecord as exc:
            return salvage(row, exc)

    # -- recovery ---------------------------------------------------------------------------

    async def recover(
        self, registry: SagaRegistry | None = None, *, concurrency: int = 16
    ) -> Result[recovery.RecoveryReport, SagaLogError]:
        """Drive every interrupted execution to completion or full compensation.

        An execution is interrupted when it is still running or compensating and its owner
        is a dead process on this host, or its lease has expired (another host). The saga
        definitions must be registered: import the modules that define them first.
        """
        return await recovery.recover(self, registry, concurrency=concurrency)

    async def watch(
        self,
        registry: SagaRegistry | None = None,
        *,
        interval: float = 0.5,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Call :meth:`recover` every ``interval`` seconds until ``stop`` is set."""
        await recovery.watch(self, registry, interval=interval, stop=stop)
