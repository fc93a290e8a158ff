"""Saga step cost: in memory, and with the durable log on SQLite and PostgreSQL.

"per step" is the time of a 5-step execution divided by 5 (it includes the execution's
start record); "persist a step" times the log write alone, the transition every step makes
before it is acted on. Peers are the same work through SQLAlchemy's async engine (the path
``fast_path=False`` takes), and the driver's bare commit as the floor. PostgreSQL waits
for the WAL flush on each commit (``synchronous_commit=on``) unless the row says otherwise.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks._harness import Row, available, report
from rfs.result import Success
from rfs.saga import MemorySagaLog, Saga, SagaLog, SagaRegistry, SagaStore
from rfs.saga.records import EventKind, LogEvent

PG_URL = os.environ.get(
    "RFS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
STEPS = 5


async def _step(ctx: dict[str, Any]) -> Success[None]:
    return Success(None)


def _saga(log: SagaStore) -> Saga:
    saga = Saga(f"bench-{uuid.uuid4().hex[:6]}", log=log, registry=SagaRegistry())
    for i in range(STEPS):
        saga.add_step(f"s{i}", _step, _step)
    return saga


async def _best_us(fn: Callable[[], Awaitable[object]], number: int, repeat: int = 3) -> float:
    await fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            await fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


async def per_step_us(log: SagaStore, number: int) -> float:
    saga = _saga(log)
    return await _best_us(lambda: saga.execute({"order": 1}), number) / STEPS


async def concurrent_per_step_us(log: SagaStore, executions: int, width: int) -> float:
    """Per-step cost with ``width`` executions in flight (commits share WAL flushes)."""
    saga = _saga(log)
    await saga.execute({})
    gate = asyncio.Semaphore(width)

    async def one() -> None:
        async with gate:
            await saga.execute({"order": 1})

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(executions)))
    return (time.perf_counter() - start) / executions / STEPS * 1e6


async def persist_us(log: SagaLog, number: int) -> float:
    """One logged transition: the write a step makes before it is acted on."""
    await log.start("p1", "bench", {"order": 1}, "bench-owner", 1e12, [])
    events = [
        LogEvent(EventKind.STEP_SUCCEEDED, "a", 0, 1, None, 0.0),
        LogEvent(EventKind.STEP_STARTED, "b", 1, 1, None, 0.0),
    ]

    async def write() -> None:
        await log.append("p1", "bench-owner", events, lease_until=1e12, context={"order": 1})

    return await _best_us(write, number)


def sqlite_commit_us(path: str, number: int) -> float:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE t (a, b)")
    start = time.perf_counter()
    for _ in range(number):
        con.execute("BEGIN")
        con.execute("INSERT INTO t VALUES (1, 2)")
        con.execute("COMMIT")
    con.close()
    return (time.perf_counter() - start) / number * 1e6


async def pg_commit_us(number: int) -> float:
    import asyncpg

    con = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    table = f"bench_{uuid.uuid4().hex[:8]}"
    await con.execute(f"CREATE TABLE {table} (a int, b int)")
    try:
        return await _best_us(lambda: con.execute(f"INSERT INTO {table} VALUES (1, 2)"), number)
    finally:
        await con.execute(f"DROP TABLE {table}")
        await con.close()


async def _with_log(
    make: Callable[[], SagaLog], use: Callable[[SagaLog], Awaitable[float]]
) -> float:
    log = make()
    await log.create_tables()
    try:
        return await use(log)
    finally:
        if log.engine.dialect.name == "postgresql":
            await log.drop_tables()
        await log.close()


async def measure(tmp: Path) -> list[Row]:
    rows = [Row("in-memory log, per step", await per_step_us(MemorySagaLog(), 2000), {}, "µs")]

    def sqlite(fast: bool) -> Callable[[], SagaLog]:
        return lambda: SagaLog(f"sqlite:///{tmp / uuid.uuid4().hex}.db", fast_path=fast)

    n = 200
    fast_step = await _with_log(sqlite(True), lambda log: per_step_us(log, n))
    sqla_step = await _with_log(sqlite(False), lambda log: per_step_us(log, n // 2))
    fast_persist = await _with_log(sqlite(True), lambda log: persist_us(log, n))
    sqla_persist = await _with_log(sqlite(False), lambda log: persist_us(log, n))
    floor = sqlite_commit_us(str(tmp / "floor.db"), n)
    rows += [
        Row("SQLite log, per step", fast_step, {"sqlalchemy path": sqla_step}, "µs"),
        Row(
            "SQLite log, persist a step",
            fast_persist,
            {"sqlalchemy path": sqla_persist, "bare sqlite3 commit": floor},
            "µs",
        ),
    ]
    if not (available("asyncpg") and _pg_up()):
        return rows

    def pg(fast: bool, sync: bool = True) -> Callable[[], SagaLog]:
        prefix = f"b{uuid.uuid4().hex[:8]}_"
        return lambda: SagaLog(PG_URL, table_prefix=prefix, fast_path=fast, synchronous_commit=sync)

    pg_step = await _with_log(pg(True), lambda log: per_step_us(log, n // 2))
    pg_sqla_step = await _with_log(pg(False), lambda log: per_step_us(log, n // 4))
    pg_persist = await _with_log(pg(True), lambda log: persist_us(log, n))
    pg_sqla_persist = await _with_log(pg(False), lambda log: persist_us(log, n // 2))
    pg_floor = await pg_commit_us(n)
    pg_async = await _with_log(pg(True, sync=False), lambda log: persist_us(log, n))
    pg_conc = await _with_log(pg(True), lambda log: concurrent_per_step_us(log, 400, 16))
    rows += [
        Row("PostgreSQL log, per step", pg_step, {"sqlalchemy path": pg_sqla_step}, "µs"),
        Row(
            "PostgreSQL log, persist a step",
            pg_persist,
            {"sqlalchemy path": pg_sqla_persist, "bare asyncpg commit": pg_floor},
            "µs",
        ),
        Row("PostgreSQL, persist, synchronous_commit=off", pg_async, {}, "µs"),
        Row("PostgreSQL, per step, 16 executions at once", pg_conc, {}, "µs"),
    ]
    return rows


def _pg_up() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(measure(Path(tmp)))
    report(
        "Saga step cost (target: persisting a step < 1 ms)",
        rows,
        note="peer/rfs > 1 means the rfs figure is lower; per step = 5-step execution / 5",
    )


if __name__ == "__main__":
    main()
