"""Transactions: ``@Transactional`` against a hand-written ``async with session.begin()``.

Both run the same two statements (an UPDATE and a SELECT of one row) in one transaction on
a new session from the same engine, on SQLite (file, aiosqlite) and on PostgreSQL (asyncpg,
when it answers on 127.0.0.1:5432).
Rounds alternate between the two so drift on a busy machine hits both alike; figures are
medians over rounds. Wall time is dominated by I/O (fsync, network) and noisy on a shared
machine, so the CPU time this process spends per transaction is given too: the decorator's
own cost is the CPU difference, shown as a share of the transaction's wall time. Target
(issue 8): < 3%.

Run: ``python -m benchmarks tx`` (``RFS_BENCH_TX_ROUNDS`` / ``RFS_BENCH_TX_CALLS`` to resize).
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import sessionmaker

from benchmarks._harness import Row, per_call_ns, per_call_ns_async, report
from rfs.tx import Transactional, TransactionManager, current_session, current_sync_session

POSTGRES_URL = os.environ.get(
    "RFS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
ROUNDS = int(os.environ.get("RFS_BENCH_TX_ROUNDS", "40"))
CALLS = int(os.environ.get("RFS_BENCH_TX_CALLS", "50"))


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1.0):
            return True
    except OSError:
        return False


class Figures:
    """Per-transaction wall and CPU times of each round, for one side."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []


def _bookkeeping(url: str) -> tuple[float, float, float, float]:
    """ns per empty transaction (no statement, so no I/O), async then sync code:
    (hand-written, @Transactional, hand-written sync, @Transactional sync)."""
    manager = TransactionManager(url)
    factory = async_sessionmaker(manager.engine, expire_on_commit=False)
    sync_factory = sessionmaker(manager.sync_engine, expire_on_commit=False)

    async def hand_written() -> None:
        async with factory() as session, session.begin():
            pass

    @Transactional(manager=manager)
    async def ours() -> None:
        current_session()

    def hand_written_sync() -> None:
        with sync_factory() as session, session.begin():
            pass

    @Transactional(manager=manager)
    def ours_sync() -> None:
        current_sync_session()

    try:
        timing = {"number": 2_000, "repeat": 5}
        return (
            per_call_ns_async(hand_written, **timing),
            per_call_ns_async(ours, **timing),
            per_call_ns(hand_written_sync, repeat=5),
            per_call_ns(ours_sync, repeat=5),
        )
    finally:
        asyncio.run(manager.dispose())


async def _measure(url: str) -> tuple[Figures, Figures]:
    """Wall and CPU µs per transaction of each round: (hand-written, @Transactional)."""
    manager = TransactionManager(url)
    table = f"bench_tx_{os.getpid()}"
    update = text(f"UPDATE {table} SET n = n + 1 WHERE id = 1")
    select = text(f"SELECT n FROM {table} WHERE id = 1")
    async with manager.engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await conn.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, n INTEGER)"))
        await conn.execute(text(f"INSERT INTO {table} VALUES (1, 0)"))
    factory = async_sessionmaker(manager.engine, expire_on_commit=False)

    async def hand_written() -> int:
        async with factory() as session, session.begin():
            await session.execute(update)
            return int((await session.execute(select)).scalar_one())

    @Transactional(manager=manager)
    async def ours() -> int:
        session = current_session()
        await session.execute(update)
        return int((await session.execute(select)).scalar_one())

    async def timed(fn: Callable[[], Awaitable[int]], into: Figures) -> None:
        cpu, start = time.process_time(), time.perf_counter()
        for _ in range(CALLS):
            await fn()
        into.wall.append((time.perf_counter() - start) / CALLS * 1e6)
        into.cpu.append((time.process_time() - cpu) / CALLS * 1e6)

    try:
        hand, mine = Figures(), Figures()
        for fn in (hand_written, ours):  # warm the pool and the statement caches
            await timed(fn, Figures())
        for round_ in range(ROUNDS):
            order = (hand_written, ours) if round_ % 2 == 0 else (ours, hand_written)
            for fn in order:
                await timed(fn, hand if fn is hand_written else mine)
        return hand, mine
    finally:
        async with manager.engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await manager.dispose()


def main() -> None:
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("SQLite (aiosqlite)", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")]
        if _postgres_up():
            backends.append(("PostgreSQL (asyncpg)", POSTGRES_URL))
        else:
            notes.append("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
        peer = "hand-written session.begin()"
        for name, url in backends:
            hand, mine = asyncio.run(_measure(url))
            wall_h, wall_o = statistics.median(hand.wall), statistics.median(mine.wall)
            cpu_h, cpu_o = statistics.median(hand.cpu), statistics.median(mine.cpu)
            rows.append(Row(f"{name}: wall per tx", wall_o, {peer: wall_h}, unit="µs"))
            rows.append(Row(f"{name}: CPU per tx", cpu_o, {peer: cpu_h}, unit="µs"))
            notes.append(
                f"{name}: wall {wall_o:,.0f} vs {wall_h:,.0f} µs ({(wall_o / wall_h - 1) * 100:+.1f}%);"
                f" CPU {cpu_o:,.1f} vs {cpu_h:,.1f} µs ({cpu_o - cpu_h:+.1f} µs ="
                f" {(cpu_o - cpu_h) / wall_h * 100:+.2f}% of the transaction's time); target < 3%"
            )
        hand_ns, ours_ns, hand_sync_ns, ours_sync_ns = _bookkeeping(backends[0][1])
        rows.append(
            Row("empty tx, no I/O (bookkeeping)", ours_ns / 1000, {peer: hand_ns / 1000}, "µs")
        )
        rows.append(
            Row(
                "empty sync tx, no I/O (bookkeeping)",
                ours_sync_ns / 1000,
                {peer: hand_sync_ns / 1000},
                "µs",
            )
        )
        notes.append(
            f"bookkeeping alone: {ours_ns / 1000:.1f} vs {hand_ns / 1000:.1f} µs per transaction"
            f" (sync: {ours_sync_ns / 1000:.1f} vs {hand_sync_ns / 1000:.1f} µs)"
        )
    report(
        f"@Transactional vs hand-written transaction (median of {ROUNDS} rounds x {CALLS} calls)",
        rows,
        note="; ".join(notes),
    )
    for line in notes:
        print(line)


if __name__ == "__main__":
    main()
