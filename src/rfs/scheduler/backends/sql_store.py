"""``SQLStateStore``: trigger state in a SQL table through SQLAlchemy (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from rfs._database import (
    async_url,
    default_url,
    ensure_sqlite_parent,
    install_sqlite_pragmas,
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


class SQLStateStore:
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
        await self._engine.dispose()
