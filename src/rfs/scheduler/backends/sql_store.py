"""``SQLStateStore``: trigger state in a SQL table (SQLite or PostgreSQL).

Reads and the table's creation go through SQLAlchemy; on a SQLite file, saves go through the
shared group-committing writer (:class:`rfs._database.SqliteGroupWriter`), as the run store's
and the saga log's writes do.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from rfs._database import (
    SqliteGroupWriter,
    async_url,
    default_url,
    ensure_sqlite_parent,
    install_sqlite_pragmas,
    sqlite_file,
)
from rfs.result import Failure, Result, Success
from rfs.scheduler.store import StaleFence, TriggerState

#: Where ``SQLStateStore()`` keeps state by default: ``scheduler.db`` in the data directory.
DEFAULT_FILE = "scheduler.db"


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Refused(Exception):
    def __init__(self, error: StaleFence) -> None:
        super().__init__(str(error))
        self.error = error


class SqlStateStore:
    """Trigger state in table ``table_name``, created on first use.

    ``url`` is a SQLAlchemy URL (``sqlite:///path.db``, ``postgresql://user@host/db``; the
    async driver is picked when none is named); several scheduler processes may share it.
    Without one: ``$RFS_SCHEDULER_STORE_URL``, else ``scheduler.db`` in the data directory
    (``.rfs/``, or ``$RFS_DATA_DIR``).
    A write carries the leader's fencing token and is refused when the row holds a newer one.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        table_name: str = "rfs_scheduler_triggers",
        engine: AsyncEngine | None = None,
    ) -> None:
        url = async_url(url or default_url(DEFAULT_FILE, "RFS_SCHEDULER_STORE_URL"))
        self.url = url
        sqlite = url.startswith("sqlite")
        path = sqlite_file(url) if engine is None else None  # a given engine writes itself
        if engine is None:
            ensure_sqlite_parent(url)
            connect_args: dict[str, Any] = {"timeout": 30} if sqlite else {}
            engine = create_async_engine(url, connect_args=connect_args)
            if sqlite:
                install_sqlite_pragmas(engine.sync_engine)
        self._engine = engine
        self._dialect = self._engine.dialect.name
        metadata = sa.MetaData()
        self.table = sa.Table(
            table_name,
            metadata,
            sa.Column("name", sa.String(200), primary_key=True),
            sa.Column("cursor", sa.DateTime(timezone=True), nullable=True),
            sa.Column("next_fire", sa.DateTime(timezone=True), nullable=True),
            sa.Column("paused", sa.Boolean, nullable=False, default=False),
            sa.Column("fence", sa.BigInteger, nullable=False, default=0),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        )
        self._metadata = metadata
        self._ready = False
        self._writer = SqliteGroupWriter(path, name="rfs-scheduler-store") if path else None

    async def _ensure(self) -> None:
        if self._ready:
            return
        for attempt in range(3):
            try:
                async with self._engine.begin() as conn:
                    await conn.run_sync(self._metadata.create_all, checkfirst=True)
                break
            except sa.exc.DBAPIError:
                # another process created the table between our check and our CREATE
                if attempt == 2:
                    raise
        self._ready = True

    async def load_all(self) -> dict[str, TriggerState]:
        await self._ensure()
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(self.table))).mappings().all()
        return {
            row["name"]: TriggerState(
                name=row["name"],
                cursor=_utc(row["cursor"]),
                next_fire=_utc(row["next_fire"]),
                paused=bool(row["paused"]),
                fence=int(row["fence"]),
            )
            for row in rows
        }

    def _insert(self) -> Any:
        if self._dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(self.table)
        if self._dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(self.table)
        raise ValueError(f"SQLStateStore supports SQLite and PostgreSQL, not {self._dialect!r}")

    async def save(self, states: list[TriggerState], fence: int) -> Result[None, StaleFence]:
        if not states:
            return Success(None)
        await self._ensure()
        now = datetime.now(UTC)
        try:
            await self._save(states, fence, now)
        except _Refused as refused:
            return Failure(refused.error)
        return Success(None)

    async def _save(self, states: list[TriggerState], fence: int, now: datetime) -> None:
        if self._writer is not None:
            table = self._engine.dialect.identifier_preparer.format_table(self.table)
            await self._writer.write(lambda con: _upsert(con, table, states, fence, now))
            return
        async with self._engine.begin() as conn:
            for state in states:
                insert = self._insert().values(
                    name=state.name,
                    cursor=state.cursor,
                    next_fire=state.next_fire,
                    paused=state.paused,
                    fence=fence,
                    updated_at=now,
                )
                statement = insert.on_conflict_do_update(
                    index_elements=[self.table.c.name],
                    set_={
                        "cursor": insert.excluded.cursor,
                        "next_fire": insert.excluded.next_fire,
                        "paused": insert.excluded.paused,
                        "fence": insert.excluded.fence,
                        "updated_at": insert.excluded.updated_at,
                    },
                    where=self.table.c.fence <= fence,
                )
                result = await conn.execute(statement)
                if result.rowcount == 0:
                    current = await conn.scalar(
                        sa.select(self.table.c.fence).where(self.table.c.name == state.name)
                    )
                    raise _Refused(StaleFence(state.name, fence, int(current or 0)))

    async def delete(self, name: str) -> None:
        await self._ensure()
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(self.table).where(self.table.c.name == name))

    async def drop(self) -> None:
        """Drop the table (tests and teardown)."""
        async with self._engine.begin() as conn:
            await conn.run_sync(self._metadata.drop_all, checkfirst=True)
        self._ready = False

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
        await self._engine.dispose()


def _stamp(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy stores ``DateTime`` on SQLite (UTC, no offset), so reads agree."""
    utc = _utc(value)
    return None if utc is None else utc.strftime("%Y-%m-%d %H:%M:%S.%f")


def _upsert(
    con: sqlite3.Connection, table: str, states: list[TriggerState], fence: int, now: datetime
) -> None:
    """Write every state in the writer's transaction; a newer fence on any row refuses them all
    (the writer's savepoint undoes the ones written before)."""
    upsert = (
        f"INSERT INTO {table} (name, cursor, next_fire, paused, fence, updated_at)"  # nosec B608 - quoted table name
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
        " cursor = excluded.cursor, next_fire = excluded.next_fire, paused = excluded.paused,"
        f" fence = excluded.fence, updated_at = excluded.updated_at WHERE {table}.fence <= ?"
    )
    stamp = _stamp(now)
    for state in states:
        row = (state.name, _stamp(state.cursor), _stamp(state.next_fire), state.paused, fence)
        if con.execute(upsert, (*row, stamp, fence)).rowcount == 0:
            query = f"SELECT fence FROM {table} WHERE name = ?"  # nosec B608 - quoted table name
            current = con.execute(query, (state.name,)).fetchone()
            raise _Refused(StaleFence(state.name, fence, int(current[0] if current else 0)))


SQLStateStore = SqlStateStore
"""The old spelling of :class:`SqlStateStore` (rfs spells SQL in class names ``Sql``)."""
