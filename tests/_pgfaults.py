"""A lost PostgreSQL link, caused with the real server: the server ends a writer's session.

:func:`cut_mid_statement` holds a lock on a table, so a write to it waits in the server (it
is in flight, uncommitted); :func:`cut_blocked` then ends that backend with
``pg_terminate_backend`` from the admin connection, and the writer sees its connection closed
in the middle of the operation. The lock is released when the block ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NamedTuple


class Cut(NamedTuple):
    pid: int  # the backend that was ended
    query: str  # the statement it was running
    batch: bool  # whether that statement was not the first of its transaction


@asynccontextmanager
async def cut_mid_statement(dsn: str, lock: str) -> AsyncIterator[Any]:
    """An admin connection holding ``lock`` (``LOCK TABLE ...`` or ``SELECT ... FOR UPDATE``)
    until the block ends; pass it to :func:`cut_blocked`."""
    import asyncpg

    admin = await asyncpg.connect(dsn)
    try:
        async with admin.transaction():
            await admin.execute(lock)
            yield admin
    finally:
        await admin.close()


async def cut_blocked(admin: Any, seconds: float = 10.0) -> Cut:
    """End the backend that waits on a lock ``admin`` holds (waiting until one does)."""
    for _ in range(int(seconds / 0.01)):
        await admin.execute("SELECT pg_stat_clear_snapshot()")  # a fresh look in the same xact
        row = await admin.fetchrow(
            "SELECT pid, query, xact_start < query_start AS batch FROM pg_stat_activity"
            " WHERE $1 = ANY(pg_blocking_pids(pid))",
            admin.get_server_pid(),
        )
        if row is not None:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("no write waited on the lock")
    await terminate(admin, row["pid"])
    return Cut(row["pid"], row["query"], row["batch"])


async def terminate(admin: Any, pid: int) -> None:
    """End backend ``pid`` and wait (up to 5 s) until it has exited."""
    assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
