"""The saga log's writers: one interface, one writer per way of reaching the database.

A writer starts executions and appends transitions, each one transaction that is committed
before the call returns (so a step's action runs only after its intent is durable), raising
``ExecutionExists``, ``OwnershipLost`` or ``SagaLogError``. :func:`writer_for` picks one:

- :class:`SqliteWriter`, a SQLite file: stdlib ``sqlite3`` on the shared group-committing
  writer (``rfs._database.SqliteGroupWriter``);
- :class:`PostgresWriter`, PostgreSQL through asyncpg: one statement per transition on the
  shared group-committing writer (``rfs._pgwriter.AsyncpgGroupWriter``);
- :class:`SqlAlchemyWriter`, anything else (or ``fast_path=False``): the log's engine.

Concurrent executions share commits on the first two. Schema, reads and claims stay on
SQLAlchemy whichever writer it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Protocol

from sqlalchemy import Table, insert, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from rfs._database import SqliteGroupWriter
from rfs._pgwriter import AsyncpgGroupWriter
from rfs.saga.errors import ExecutionExists, OwnershipLost, SagaLogError
from rfs.saga.records import LogEvent

DB_ERRORS = (SQLAlchemyError, OSError)

#: the events table's written columns, in the order of :func:`event_rows`
EVENT_COLUMNS = ("execution_id", "kind", "step", "step_index", "attempt", "detail", "at")
#: the execution columns an append may set, in the order the statements bind them
SET_ORDER = ("lease_until", "updated_at", "status", "context", "error")


class LogWriter(Protocol):
    """Writes the per-step transitions of the saga log (the hot path)."""

    async def start(self, row: dict[str, Any], events: Sequence[LogEvent]) -> None:
        """Insert an execution row and its first events; ``ExecutionExists`` if taken."""
        ...

    async def append(
        self,
        execution_id: str,
        owner: str,
        values: dict[str, Any],
        events: Sequence[LogEvent],
    ) -> None:
        """Update the execution with ``values`` and add ``events`` if ``owner`` holds it."""
        ...

    async def close(self) -> None: ...


def event_rows(execution_id: str, events: Sequence[LogEvent]) -> list[tuple[Any, ...]]:
    """The events as rows of :data:`EVENT_COLUMNS`."""
    return [
        (execution_id, e.kind.value, e.step, e.index, e.attempt, e.detail, e.at) for e in events
    ]


@contextmanager
def log_errors(
    action: str,
    execution_id: str,
    errors: tuple[type[Exception], ...],
    duplicate: tuple[type[Exception], ...] = (),
) -> Iterator[None]:
    """Raise a driver's ``duplicate`` as ``ExecutionExists``, its ``errors`` as ``SagaLogError``."""
    try:
        yield
    except SagaLogError:
        raise
    except duplicate as exc:
        raise ExecutionExists.of(execution_id) from exc
    except errors as exc:
        raise SagaLogError.cannot(action, execution_id, exc) from exc


def set_keys(values: dict[str, Any]) -> tuple[str, ...]:
    """The columns of ``values`` in :data:`SET_ORDER` (one statement per combination)."""
    return tuple(k for k in SET_ORDER if k in values)


def writer_for(
    engine: AsyncEngine,
    executions: Table,
    events: Table,
    *,
    fast_path: bool = True,
    synchronous_commit: bool = True,
) -> LogWriter:
    """The fast writer for this engine's database when there is one, else SQLAlchemy's."""
    url = engine.url
    preparer = engine.dialect.identifier_preparer
    ex, ev = preparer.format_table(executions), preparer.format_table(events)
    if fast_path and url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            return SqliteWriter(database, ex, ev)
    if fast_path and url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresWriter(dsn, ex, ev, synchronous_commit=synchronous_commit)
    return SqlAlchemyWriter(engine, executions, events)


class SqlAlchemyWriter:
    """Writes through the log's SQLAlchemy async engine (any database SQLAlchemy reaches)."""

    def __init__(self, engine: AsyncEngine, executions: Table, events: Table) -> None:
        self._engine = engine
        self._executions = executions
        self._events = events

    async def _insert_events(
        self, conn: Any, execution_id: str, events: Sequence[LogEvent]
    ) -> None:
        if events:
            rows = [
                dict(zip(EVENT_COLUMNS, r, strict=True)) for r in event_rows(execution_id, events)
            ]
            await conn.execute(insert(self._events), rows)

    async def start(self, row: dict[str, Any], events: Sequence[LogEvent]) -> None:
        with log_errors("start", row["id"], DB_ERRORS, duplicate=(IntegrityError,)):
            async with self._engine.begin() as conn:
                await conn.execute(insert(self._executions).values(**row))
                await self._insert_events(conn, row["id"], events)

    async def append(
        self,
        execution_id: str,
        owner: str,
        values: dict[str, Any],
        events: Sequence[LogEvent],
    ) -> None:
        table = self._executions
        with log_errors("log", execution_id, DB_ERRORS):
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    update(table)
                    .where(table.c.id == execution_id, table.c.owner == owner)
                    .values(**values)
                )
                if result.rowcount != 1:
                    raise OwnershipLost.of(execution_id, owner)  # rolls the transaction back
                await self._insert_events(conn, execution_id, events)

    async def close(self) -> None:
        """Nothing of its own: the engine belongs to the log."""


class SqliteWriter:
    """Writes through the shared group-committing SQLite writer (one thread, one connection).

    ``executions`` and ``events`` are quoted table names. An append whose owner check
    fails changes nothing; the other writes of its transaction are kept.
    """

    def __init__(self, database: str, executions: str, events: str) -> None:
        self._writer = SqliteGroupWriter(database, name="rfs-saga-log", inline=True)
        self._executions = executions
        self._insert_event = (
            f"INSERT INTO {events} ({', '.join(EVENT_COLUMNS)})"  # nosec B608 # quoted table names from the app's prefix (values bound)
            f" VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})"
        )
        self._updates: dict[tuple[str, ...], str] = {}

    def _update_sql(self, keys: tuple[str, ...]) -> str:
        sql = self._updates.get(keys)
        if sql is None:
            sets = ", ".join(f"{k} = ?" for k in keys)
            sql = self._updates[keys] = (
                f"UPDATE {self._executions} SET {sets} WHERE id = ? AND owner = ?"  # nosec B608 # quoted table names from the app's prefix (values bound)
            )
        return sql

    def _start(
        self, row: dict[str, Any], events: list[tuple[Any, ...]], con: sqlite3.Connection
    ) -> None:
        marks = ", ".join("?" for _ in row)
        con.execute(
            f"INSERT INTO {self._executions} ({', '.join(row)}) VALUES ({marks})",  # nosec B608 # quoted table names from the app's prefix (values bound)
            tuple(row.values()),
        )
        con.executemany(self._insert_event, events)

    def _append(
        self,
        sql: str,
        params: tuple[Any, ...],
        events: list[tuple[Any, ...]],
        con: sqlite3.Connection,
    ) -> bool:
        if con.execute(sql, params).rowcount != 1:
            return False  # nothing was changed
        con.executemany(self._insert_event, events)
        return True

    async def start(self, row: dict[str, Any], events: Sequence[LogEvent]) -> None:
        rows = event_rows(row["id"], events)
        errors, duplicate = (sqlite3.Error,), (sqlite3.IntegrityError,)
        with log_errors("start", row["id"], errors, duplicate):
            await self._writer.write(partial(self._start, row, rows))

    async def append(
        self,
        execution_id: str,
        owner: str,
        values: dict[str, Any],
        events: Sequence[LogEvent],
    ) -> None:
        keys = set_keys(values)
        params = (*(values[k] for k in keys), execution_id, owner)
        rows = event_rows(execution_id, events)
        with log_errors("log", execution_id, (sqlite3.Error,)):
            owned = await self._writer.write(
                partial(self._append, self._update_sql(keys), params, rows)
            )
        if not owned:
            raise OwnershipLost.of(execution_id, owner)

    async def close(self) -> None:
        await self._writer.close()


#: PostgreSQL types of the event columns after ``execution_id`` (bound parameters need them)
_EVENT_TYPES = ("text", "text", "int", "int", "text", "float8")


class PostgresWriter:
    """Writes each transition as one PostgreSQL statement on the shared asyncpg writer.

    ``executions`` and ``events`` are quoted table names. A transition is one statement
    (the execution row, then its events as bound ``VALUES`` in their order; one statement
    text per shape, prepared once); an append counts the rows it updated, and writes nothing
    when ``owner`` no longer holds the execution. ``synchronous_commit=False`` stops waiting
    for the WAL flush. No write is marked idempotent (an append adds events: twice is not
    once), so one in flight when the link is lost, its commit unknown, is not sent again by
    the writer: it raises ``SagaLogError``.
    """

    def __init__(
        self, dsn: str, executions: str, events: str, *, synchronous_commit: bool = True
    ) -> None:
        settings = {} if synchronous_commit else {"synchronous_commit": "off"}
        self._writer = AsyncpgGroupWriter(dsn, server_settings=settings)
        self._executions = executions
        self._events = events
        self._statements: dict[tuple[str, int, tuple[str, ...]], str] = {}

    def _insert_events(self, first: int, count: int) -> str:
        """INSERT ``count`` events bound from ``$first`` on, for the row of ``src``, in order."""
        width = len(_EVENT_TYPES)
        rows = ", ".join(
            f"({n}, "
            + ", ".join(f"${first + n * width + i}::{t}" for i, t in enumerate(_EVENT_TYPES))
            + ")"
            for n in range(count)
        )
        return (
            f"INSERT INTO {self._events} ({', '.join(EVENT_COLUMNS)})"  # nosec B608 # quoted table names from the app's prefix (values bound)
            f" SELECT src.id, {', '.join(f'e.{c}' for c in EVENT_COLUMNS[1:])} FROM src,"
            f" (VALUES {rows}) AS e(n, {', '.join(EVENT_COLUMNS[1:])}) ORDER BY e.n"
        )

    def _sql(self, kind: str, count: int, columns: tuple[str, ...]) -> str:
        """The statement of a start or an append of ``columns`` with ``count`` events."""
        key = (kind, count, columns)
        sql = self._statements.get(key)
        if sql is not None:
            return sql
        if kind == "start":  # $1.. the row, then the events
            marks = ", ".join(f"${i}" for i in range(1, 1 + len(columns)))
            src = f"INSERT INTO {self._executions} ({', '.join(columns)}) VALUES ({marks})"  # nosec B608 # quoted table names from the app's prefix (values bound)
        else:  # $1 id, $2 owner, $3.. the values, then the events
            sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(columns, start=3))
            src = f"UPDATE {self._executions} SET {sets} WHERE id = $1 AND owner = $2"  # nosec B608 # quoted table names from the app's prefix (values bound)
        first = len(columns) + (1 if kind == "start" else 3)
        logged = f", logged AS ({self._insert_events(first, count)})" if count else ""
        sql = f"WITH src AS ({src} RETURNING id){logged} SELECT count(*) FROM src"  # nosec B608 # built above from quoted names and the log's own columns (values bound)
        self._statements[key] = sql
        return sql

    @staticmethod
    def _event_args(events: Sequence[LogEvent]) -> list[Any]:
        return [value for row in event_rows("", events) for value in row[1:]]

    async def start(self, row: dict[str, Any], events: Sequence[LogEvent]) -> None:
        import asyncpg

        sql = self._sql("start", len(events), tuple(row))
        duplicate = (asyncpg.UniqueViolationError,)
        # asyncpg's errors share no base class
        with log_errors("start", row["id"], (Exception,), duplicate):
            await self._writer.write(sql, (*row.values(), *self._event_args(events)))

    async def append(
        self,
        execution_id: str,
        owner: str,
        values: dict[str, Any],
        events: Sequence[LogEvent],
    ) -> None:
        keys = set_keys(values)
        sql = self._sql("append", len(events), keys)
        args = (execution_id, owner, *(values[k] for k in keys), *self._event_args(events))
        with log_errors("log", execution_id, (Exception,)):
            owned = await self._writer.fetchval(sql, args)
        if owned != 1:
            raise OwnershipLost.of(execution_id, owner)

    async def close(self) -> None:
        await self._writer.close()
