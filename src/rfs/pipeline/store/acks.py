"""Acknowledgements: which failed runs (and misfires) a person has dealt with, kept durably.

The ops API and dashboard take a failed run off the "needs attention" screen once it is
acknowledged. :class:`SqlAckStore` keeps acknowledgements in one small table beside the runs
(``{prefix}acks`` in the run store's database, SQLite or PostgreSQL), so they survive a
restart; :class:`MemoryAckStore` keeps them in the process (tests, memory run stores).
:func:`ack_store_for` picks the one that matches a run store.

An acknowledgement covers what happened up to its time: a run that fails again after it was
acknowledged (say, a resume that fails) needs attention again. Reads create nothing: until
the first acknowledgement is written the table does not exist and every read answers "none".
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rfs._database import async_url, ensure_sqlite_parent, install_sqlite_pragmas, sqlite_file

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["AckStore", "Acknowledgement", "MemoryAckStore", "SqlAckStore", "ack_store_for"]

#: ``kind`` of an acknowledged failed run (``item_id`` is the run id)
RUN = "run"
#: ``kind`` of acknowledged misfires of a trigger (``item_id`` is the trigger name)
MISFIRE = "misfire"


@dataclass(frozen=True)
class Acknowledgement:
    """``item_id`` of ``kind`` was dealt with at ``at`` (epoch seconds), with an optional note."""

    kind: str
    item_id: str
    at: float
    note: str | None = None

    def covers(self, happened_at: float | None) -> bool:
        """Whether something that happened at ``happened_at`` was known when acknowledged."""
        return happened_at is None or happened_at <= self.at


@runtime_checkable
class AckStore(Protocol):
    """Where acknowledgements are kept; each write is durable when it returns."""

    async def acknowledge(
        self, kind: str, item_id: str, note: str | None = None
    ) -> Acknowledgement:
        """Record (or renew) the acknowledgement of ``item_id``, at the current time."""
        ...

    async def find(self, kind: str, ids: Iterable[str]) -> dict[str, Acknowledgement]:
        """The acknowledgements of those of ``ids`` that have one."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MemoryAckStore:
    """Acknowledgements in a dict of this process (lost on restart)."""

    def __init__(self) -> None:
        self._acks: dict[tuple[str, str], Acknowledgement] = {}

    async def acknowledge(
        self, kind: str, item_id: str, note: str | None = None
    ) -> Acknowledgement:
        ack = Acknowledgement(kind, item_id, time.time(), note)
        self._acks[kind, item_id] = ack
        return ack

    async def find(self, kind: str, ids: Iterable[str]) -> dict[str, Acknowledgement]:
        found = (self._acks.get((kind, i)) for i in ids)
        return {a.item_id: a for a in found if a is not None}

    async def close(self) -> None:
        return None


_CHUNK = 500  # ids per ``IN (...)`` query: under every backend's bound-parameter limit


class SqlAckStore:
    """Acknowledgements in ``{table_prefix}acks`` of a SQLAlchemy database.

    Give it the run store's URL and table prefix (:func:`ack_store_for` does) and the table
    sits beside ``{prefix}runs``. The table is created by the first acknowledgement, never by
    a read; a SQLite file that does not exist is not created by a read either.
    """

    def __init__(self, url: str, *, table_prefix: str = "rfs_pipeline_") -> None:
        self.url = async_url(url)
        self.table_prefix = table_prefix
        self._engine: AsyncEngine | None = None
        self._table: Table | None = None
        self._exists = False

    def _ready(self) -> tuple[AsyncEngine, Table]:
        if self._engine is None or self._table is None:
            self._engine, self._table = self._connect()
        return self._engine, self._table

    def _connect(self) -> tuple[AsyncEngine, Table]:
        from sqlalchemy import Column, Float, MetaData, String, Table, Text
        from sqlalchemy.ext.asyncio import create_async_engine

        sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 30}} if sqlite else {}
        engine = create_async_engine(self.url, **kwargs)
        if sqlite:
            install_sqlite_pragmas(engine.sync_engine)
        table = Table(
            f"{self.table_prefix}acks",
            MetaData(),
            Column("kind", String(20), primary_key=True),
            Column("item_id", String(200), primary_key=True),
            Column("acknowledged_at", Float, nullable=False),
            Column("note", Text),
        )
        return engine, table

    async def _table_exists(self, engine: AsyncEngine, table: Table) -> bool:
        if not self._exists:
            from sqlalchemy import inspect

            async with engine.connect() as conn:
                self._exists = await conn.run_sync(lambda sync: inspect(sync).has_table(table.name))
        return self._exists

    async def acknowledge(
        self, kind: str, item_id: str, note: str | None = None
    ) -> Acknowledgement:
        ensure_sqlite_parent(self.url)
        engine, table = self._ready()
        if not self._exists:
            try:
                async with engine.begin() as conn:
                    await conn.run_sync(table.create, checkfirst=True)
            except Exception:
                # another server may have created it between the check and the create
                if not await self._table_exists(engine, table):
                    raise
            self._exists = True
        ack = Acknowledgement(kind, item_id, time.time(), note)
        async with engine.begin() as conn:
            await conn.execute(_upsert(engine.dialect.name, table, ack))
        return ack

    async def find(self, kind: str, ids: Iterable[str]) -> dict[str, Acknowledgement]:
        wanted = list(dict.fromkeys(ids))
        if not wanted or self._no_file():
            return {}
        engine, table = self._ready()
        if not await self._table_exists(engine, table):
            return {}
        found: dict[str, Acknowledgement] = {}
        async with engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = table.select().where((table.c.kind == kind) & table.c.item_id.in_(chunk))
                for row in await conn.execute(query):
                    found[row.item_id] = Acknowledgement(
                        kind, row.item_id, row.acknowledged_at, row.note
                    )
        return found

    def _no_file(self) -> bool:
        """Whether this is a SQLite file that does not exist (a read must not create it)."""
        path = sqlite_file(self.url)
        return path is not None and not Path(path).exists()

    async def drop_table(self) -> None:
        """Drop the table (tests and cleanup)."""
        engine, table = self._ready()
        async with engine.begin() as conn:
            await conn.run_sync(table.drop, checkfirst=True)
        self._exists = False

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        self._exists = False

    def __repr__(self) -> str:
        return f"SqlAckStore({self.url!r})"


def _upsert(dialect: str, table: Table, ack: Acknowledgement) -> Any:
    """One statement that inserts ``ack`` or renews the row of its key (``ON CONFLICT``, in
    SQLite and PostgreSQL, the run store's databases), so acknowledgements of one item at the
    same moment (a double click, two operators, two servers) all succeed."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]

    stmt = insert(table).values(
        kind=ack.kind, item_id=ack.item_id, acknowledged_at=ack.at, note=ack.note
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.kind, table.c.item_id],
        set_={"acknowledged_at": stmt.excluded.acknowledged_at, "note": stmt.excluded.note},
    )


def ack_store_for(run_store: object) -> AckStore:
    """The acknowledgement store beside ``run_store``: a table in its database for a
    :class:`~rfs.pipeline.store.sql.SqlRunStore` on a file or server, else one in this
    process's memory (memory run stores, in-memory SQLite)."""
    from rfs.pipeline.store.sql import SqlRunStore

    if isinstance(run_store, SqlRunStore):
        in_memory = run_store.url.startswith("sqlite") and sqlite_file(run_store.url) is None
        if not in_memory:  # a memory database is one per connection: keep them here instead
            return SqlAckStore(run_store.url, table_prefix=run_store.table_prefix)
    return MemoryAckStore()
