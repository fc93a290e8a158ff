"""The group-committing PostgreSQL writer (asyncpg), the twin of ``_database.SqliteGroupWriter``.

A write is one SQL statement and its arguments. Writes queued while a commit is in flight go
into the next transaction, where consecutive writes of the same statement are sent with
``executemany`` (pipelined: one round trip for all of them), so a burst of finishing tasks
costs a few round trips and one commit, not one each. If a batch fails as a whole, each write
is retried in its own transaction so only the failing one raises. Each caller returns once its
transaction is committed. One connection, bound to the event loop that first writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

_MAX_BATCH = 1024


class AsyncpgGroupWriter:
    """Group-committed statements on one asyncpg connection (see the module docstring)."""

    def __init__(self, dsn: str, *, server_settings: dict[str, str] | None = None) -> None:
        self._dsn = dsn
        self._settings = server_settings or {}
        self._con: Any = None
        self._pending: list[tuple[str, Sequence[Any], asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, sql: str, args: Sequence[Any]) -> None:
        """Run ``sql`` with ``args`` in the next transaction; return once it is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((sql, args, future))
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush())
        await future

    async def _connection(self) -> Any:
        if self._con is None or self._con.is_closed():
            import asyncpg

            self._con = await asyncpg.connect(self._dsn, server_settings=self._settings)
        return self._con

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:_MAX_BATCH]
                del self._pending[:_MAX_BATCH]
                try:
                    await self._commit([(sql, args) for sql, args, _ in batch])
                except Exception:
                    await self._one_by_one(batch)
                else:
                    for _, _, future in batch:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._flushing = None

    async def _commit(self, writes: list[tuple[str, Sequence[Any]]]) -> None:
        con = await self._connection()
        try:
            async with con.transaction():
                start = 0
                while start < len(writes):
                    sql = writes[start][0]
                    end = start
                    while end < len(writes) and writes[end][0] == sql:
                        end += 1
                    if end - start == 1:
                        await con.execute(sql, *writes[start][1])
                    else:
                        await con.executemany(sql, [args for _, args in writes[start:end]])
                    start = end
        except BaseException as exc:
            if not reusable_after(exc):  # maybe mid-protocol: never reuse it
                con.terminate()
                self._con = None
            raise

    async def _one_by_one(
        self, batch: list[tuple[str, Sequence[Any], asyncio.Future[None]]]
    ) -> None:
        for sql, args, future in batch:
            try:
                await self._commit([(sql, args)])
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(None)

    async def close(self) -> None:
        """Wait for queued writes, then close the connection."""
        if self._flushing is not None:
            await asyncio.shield(self._flushing)
        if self._con is not None:
            await self._con.close()
            self._con = None


def reusable_after(exc: BaseException) -> bool:
    """Whether a connection that raised ``exc`` can be reused: a server error, not a lost link."""
    import asyncpg

    return isinstance(exc, asyncpg.PostgresError) and not isinstance(
        exc, asyncpg.PostgresConnectionError | asyncpg.OperatorInterventionError
    )
