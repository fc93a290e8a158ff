"""One-round-trip writers for the saga log's hot path (stdlib sqlite3, asyncpg).

SQLAlchemy's async layer costs about a millisecond per transaction; a saga writes one
transaction per step. These writers run the same statements straight on the driver: SQLite
through the shared group-committing writer (``rfs._database``: one thread, concurrent
executions share commits), PostgreSQL as a single statement (one round trip).
Both are :class:`rfs.saga.writers.LogWriter` s, picked by ``writers.writer_for``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import Any

from sqlalchemy.engine import URL

from rfs._database import SqliteGroupWriter
from rfs._pgwriter import reusable_after
from rfs.saga.errors import ExecutionExists, OwnershipLost, SagaLogError
from rfs.saga.records import LogEvent


def _event_tuples(execution_id: str, events: Sequence[LogEvent]) -> list[tuple[Any, ...]]:
    return [
        (execution_id, e.kind.value, e.step, e.index, e.attempt, e.detail, e.at) for e in events
    ]


_EVENT_COLUMNS = "execution_id, kind, step, step_index, attempt, detail, at"
_SET_ORDER = ("lease_until", "updated_at", "status", "context", "error")


class SqliteWriter:
    """Writes through the shared group-committing SQLite writer (one thread, one connection)."""

    def __init__(self, database: str, executions: str, events: str) -> None:
        self._writer = SqliteGroupWriter(database, name="rfs-saga-log", inline=True)
        self._executions = executions
        self._events = events

    def _start(
        self, row: dict[str, Any], events: list[tuple[Any, ...]], con: sqlite3.Connection
    ) -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        con.execute(
            f"INSERT INTO {self._executions} ({columns}) VALUES ({marks})",  # nosec B608 # quoted table names from the app's prefix (values bound)
            tuple(row.values()),
        )
        self._insert_events(con, events)

    def _append(
        self,
        execution_id: str,
        owner: str,
        values: dict[str, Any],
        events: list[tuple[Any, ...]],
        con: sqlite3.Connection,
    ) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        cursor = con.execute(
            f"UPDATE {self._executions} SET {sets} WHERE id = ? AND owner = ?",  # nosec B608 # quoted table names from the app's prefix (values bound)
            (*values.values(), execution_id, owner),
        )
        if cursor.rowcount != 1:
            raise OwnershipLost.of(execution_id, owner)  # its savepoint is rolled back
        self._insert_events(con, events)

    def _insert_events(self, con: sqlite3.Connection, events: list[tuple[Any, ...]]) -> None:
        if events:
            con.executemany(
                f"INSERT INTO {self._events} ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # nosec B608 # quoted table names from the app's prefix (values bound)
                events,
            )

    async def start(self, row: dict[str, Any], events: Sequence[LogEvent]) -> None:
        try:
            await self._writer.write(partial(self._start, row, _event_tuples(row["id"], events)))
        except sqlite3.IntegrityError as exc:
            raise ExecutionExists.of(row["id"]) from exc
        except sqlite3.Error as exc:
            raise SagaLogError.cannot("start", row["id"], exc) from exc

    async def append(
        self,
        execution_id: str,
        owner: str,
        values: dict[str, Any],
        events: Sequence[LogEvent],
    ) -> None:
        rows = _event_tuples(execution_id, events)
        try:
            await self._writer.write(partial(self._append, execution_id, owner, values, rows))
        except sqlite3.Error as exc:
            raise SagaLogError.cannot("log", execution_id, exc) from exc

    async def close(self) -> None:
        await self._writer.close()


async def _keep_session(connection: Any) -> None:
    """Skip asyncpg's reset query on release: the writer never changes session state."""


class AsyncpgWriter:
    """Writes each transition as one PostgreSQL statement on an asyncpg pool."""

    def __init__(
        self,
        url: URL,
        executions: str,
        events: str,
        *,
        max_size: int = 10,
        synchronous_commit: bool = True,
    ) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._settings = {} if synchronous_commit else {"synchronous_commit": "off"}
        self._executions = executions
        self._events = events
        self._max_size = max_size
        self._pool: Any = None
        self._lock = asyncio.Lock()
        self._unnest = (
            "unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::float8[])"
            " WITH ORDINALITY AS e(kind, step, step_index, attempt, detail, at, n)"
        )

    async def _get_pool(self) -> Any:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    import asyncpg

                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=1,
                        max_size=self._max_size,
                        server_settings=self._settings,
                        reset=_keep_session,
                    )
        return self._pool

    async def _run(self, method: str, sql: str, *args: Any) -> Any:
        """Run one statement on a pooled connection; a broken connection is thrown away.

        The pool skips asyncpg's reset query (a round trip per write), so a connection left
        mid-protocol by a dropped socket or a cancellation is terminated here instead.
        """
        pool = await self._get_pool()
        async with pool.acquire() as con:
            try:
                return await getattr(con, method)(sql, *args)
            except BaseException as exc:
                if not reusable_after(exc):
                    con.terminate()
                raise

    @staticmethod
    def _arrays(events: Sequence[LogEvent]) -> list[list[Any]]:
        return [
            [e.kind.value for e in events],
            [e.step for e in events],
            [e.index for e in events],
            [e.attempt for e in events],
            [e.detail for e in events],
            [e.at for e in events],
        ]

    async def start(self, row: dict[str, Any], events: Sequence[LogEvent]) -> None:
        import asyncpg

        columns = list(row)
        marks = ", ".join(f"${i}" for i in range(7, 7 + len(columns)))
        sql = (
            f"WITH x AS (INSERT INTO {self._executions} ({', '.join(columns)})"  # nosec B608 # quoted table names from the app's prefix (values bound)
            f" VALUES ({marks}) RETURNING id)"
            f" INSERT INTO {self._events} ({_EVENT_COLUMNS})"
            f" SELECT x.id, e.kind, e.step, e.step_index, e.attempt, e.detail, e.at"
            f" FROM x, {self._unnest} ORDER BY e.n"
        )
        try:
            await self._run("execute", sql, *self._arrays(events), *row.values())
        except asyncpg.UniqueViolationError as exc:
            raise ExecutionExists.of(row["id"]) from exc
        except Exception as exc:  # asyncpg's errors share no base class
            raise SagaLogError.cannot("start", row["id"], exc) from exc

    async def append(
        self,
        execution_id: str,
        owner: str,
        values: dict[str, Any],
        events: Sequence[LogEvent],
    ) -> None:

        keys = [k for k in _SET_ORDER if k in values]
        sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(keys, start=9))
        sql = (
            f"WITH u AS (UPDATE {self._executions} SET {sets}"  # nosec B608 # quoted table names from the app's prefix (values bound)
            f" WHERE id = $7 AND owner = $8 RETURNING id),"
            f" i AS (INSERT INTO {self._events} ({_EVENT_COLUMNS})"
            f" SELECT u.id, e.kind, e.step, e.step_index, e.attempt, e.detail, e.at"
            f" FROM u, {self._unnest} ORDER BY e.n)"
            f" SELECT count(*) FROM u"
        )
        try:
            owned = await self._run(
                "fetchval",
                sql,
                *self._arrays(events),
                execution_id,
                owner,
                *(values[k] for k in keys),
            )
        except Exception as exc:  # asyncpg's errors share no base class
            raise SagaLogError.cannot("log", execution_id, exc) from exc
        if owned != 1:
            raise OwnershipLost.of(execution_id, owner)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
