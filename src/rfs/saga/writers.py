"""The saga log's writers: one interface, SQLAlchemy's path and the drivers' fast paths.

A writer starts executions and appends transitions, each as one transaction, raising
``ExecutionExists``, ``OwnershipLost`` or ``SagaLogError``. ``SagaLog`` picks one with
:func:`writer_for`; schema, reads and claims stay on SQLAlchemy whichever it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Table, insert, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from rfs.saga.errors import ExecutionExists, OwnershipLost, SagaLogError
from rfs.saga.fastpath import AsyncpgWriter, SqliteWriter
from rfs.saga.records import LogEvent

DB_ERRORS = (SQLAlchemyError, OSError)


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


class SqlAlchemyWriter:
    """Writes through the log's SQLAlchemy async engine (any database SQLAlchemy reaches)."""

    def __init__(self, engine: AsyncEngine, executions: Table, events: Table) -> None:
        self._engine = engine
        self._executions = executions
        self._events = events

    def _event_rows(self, execution_id: str, events: Sequence[LogEvent]) -> list[dict[str, Any]]:
        return [
            {
                "execution_id": execution_id,
                "kind": e.kind.value,
                "step": e.step,
                "step_index": e.index,
                "attempt": e.attempt,
                "detail": e.detail,
                "at": e.at,
            }
            for e in events
        ]

    async def start(self, row: dict[str, Any], events: Sequence[LogEvent]) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(self._executions).values(**row))
                if events:
                    rows = self._event_rows(row["id"], events)
                    await conn.execute(insert(self._events), rows)
        except IntegrityError as exc:
            raise ExecutionExists.of(row["id"]) from exc
        except DB_ERRORS as exc:
            raise SagaLogError.cannot("start", row["id"], exc) from exc

    async def append(
        self,
        execution_id: str,
        owner: str,
        values: dict[str, Any],
        events: Sequence[LogEvent],
    ) -> None:
        table = self._executions
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    update(table)
                    .where(table.c.id == execution_id, table.c.owner == owner)
                    .values(**values)
                )
                if result.rowcount != 1:
                    raise OwnershipLost.of(execution_id, owner)
                if events:
                    rows = self._event_rows(execution_id, events)
                    await conn.execute(insert(self._events), rows)
        except DB_ERRORS as exc:
            raise SagaLogError.cannot("log", execution_id, exc) from exc

    async def close(self) -> None:
        """Nothing of its own: the engine belongs to the log."""


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
        return AsyncpgWriter(url, ex, ev, synchronous_commit=synchronous_commit)
    return SqlAlchemyWriter(engine, executions, events)
