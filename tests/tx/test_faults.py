"""Faults caused for real: serialization failures, deadlocks and dropped connections."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from rfs.result import Failure, Result, Success
from rfs.tx import (
    ConnectionLostError,
    SerializationError,
    TransactionError,
    TransactionManager,
    current_session,
)
from rfs.tx import Transactional as Tx

from .conftest import scratch_table

pytestmark = pytest.mark.service("postgres")


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[TransactionManager]:
    manager = TransactionManager(postgres_url)
    yield manager
    await manager.dispose()


@pytest.fixture
async def bookings(pg: TransactionManager) -> AsyncIterator[str]:
    async with scratch_table(pg, "who TEXT PRIMARY KEY, seen INTEGER", "tx_book") as name:
        yield name


def write_skew(pg: TransactionManager, table: str, retries: int) -> tuple[object, Counter[str]]:
    """Two SERIALIZABLE transactions that both read the table, then both insert (write skew)."""
    attempts: Counter[str] = Counter()
    both_read = asyncio.Barrier(2)

    @Tx(manager=pg, isolation="SERIALIZABLE", retries=retries, backoff=0.01)
    async def book(who: str) -> Result[int, TransactionError]:
        attempts[who] += 1
        session = current_session()
        seen = int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
        if attempts[who] == 1:
            await both_read.wait()  # both have read before either writes
        await session.execute(
            text(f"INSERT INTO {table} (who, seen) VALUES (:who, :seen)"),
            {"who": who, "seen": seen},
        )
        return Success(seen)

    return book, attempts


async def test_serialization_failure_is_retried(pg: TransactionManager, bookings: str):
    """Of two conflicting SERIALIZABLE transactions, PostgreSQL aborts one; its retry succeeds."""
    book, attempts = write_skew(pg, bookings, retries=3)
    first, second = await asyncio.gather(book("ann"), book("bob"))  # type: ignore[operator]
    assert sorted([first.unwrap(), second.unwrap()]) == [0, 1]  # the retry saw the other's row
    assert sorted(attempts.values()) == [1, 2]
    async with pg.engine.connect() as conn:
        rows = (await conn.execute(text(f"SELECT who, seen FROM {bookings}"))).all()
    assert sorted(seen for _, seen in rows) == [0, 1]


async def test_serialization_failure_without_retries_is_a_failure(
    pg: TransactionManager, bookings: str
):
    """With retries=0 the aborted transaction returns Failure(SerializationError), rolled back."""
    book, _ = write_skew(pg, bookings, retries=0)
    results = await asyncio.gather(book("ann"), book("bob"))  # type: ignore[operator]
    failures = [r for r in results if isinstance(r, Failure)]
    assert len(failures) == 1
    error = failures[0].error
    assert isinstance(error, SerializationError)
    assert error.attempts == 1
    assert "40001" in repr(error.__cause__) or "serializ" in str(error).lower()
    async with pg.engine.connect() as conn:
        count = (await conn.execute(text(f"SELECT count(*) FROM {bookings}"))).scalar_one()
    assert count == 1


async def test_deadlock_is_retried(pg: TransactionManager, bookings: str):
    """Two transactions locking rows in opposite order deadlock (40P01); the victim retries."""
    async with pg.engine.begin() as conn:
        await conn.execute(text(f"INSERT INTO {bookings} VALUES ('a', 0), ('b', 0)"))
    attempts: Counter[str] = Counter()
    first_locks = asyncio.Barrier(2)

    @Tx(manager=pg, retries=3, backoff=0.01)
    async def bump(first: str, second: str) -> Result[None, TransactionError]:
        attempts[first] += 1
        session = current_session()
        update = text(f"UPDATE {bookings} SET seen = seen + 1 WHERE who = :who")
        await session.execute(update, {"who": first})
        if attempts[first] == 1:
            await first_locks.wait()
        await session.execute(update, {"who": second})
        return Success(None)

    results = await asyncio.gather(bump("a", "b"), bump("b", "a"))
    assert all(isinstance(r, Success) for r in results)
    assert sum(attempts.values()) == 3
    async with pg.engine.connect() as conn:
        rows = dict((await conn.execute(text(f"SELECT who, seen FROM {bookings}"))).all())
    assert rows == {"a": 2, "b": 2}


async def terminate(pg: TransactionManager, pid: int) -> None:
    """Kill backend ``pid`` from another connection, as an operator or failover would."""
    async with pg.engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await conn.commit()


async def test_dropped_connection_is_a_failure(pg: TransactionManager, bookings: str):
    """A connection killed mid-transaction gives Failure(ConnectionLostError); nothing commits."""

    @Tx(manager=pg)
    async def work() -> Result[None, TransactionError]:
        session = current_session()
        await session.execute(text(f"INSERT INTO {bookings} VALUES ('before', 0)"))
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await terminate(pg, pid)
        await session.execute(text(f"INSERT INTO {bookings} VALUES ('after', 0)"))
        return Success(None)

    result = await work()
    assert isinstance(result, Failure)
    assert isinstance(result.error, ConnectionLostError)
    assert "rolled back" in str(result.error)

    @Tx(manager=pg)
    async def count() -> int:  # the pool recovers: the next transaction works
        query = text(f"SELECT count(*) FROM {bookings}")
        return int((await current_session().execute(query)).scalar_one())

    assert await count() == 0


async def test_dropped_connection_raises_for_plain_functions(pg: TransactionManager, bookings: str):
    """Without a Result annotation the lost connection is raised as ConnectionLostError."""

    @Tx(manager=pg)
    async def work() -> None:
        session = current_session()
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await terminate(pg, pid)
        await session.execute(text(f"INSERT INTO {bookings} VALUES ('x', 0)"))

    with pytest.raises(ConnectionLostError) as caught:
        await work()
    assert caught.value.__cause__ is not None


def test_sync_serialization_failure_is_retried(pg: TransactionManager, bookings: str):
    """Sync functions in two threads hit the same write skew; the aborted one retries."""
    import threading

    from rfs.tx import current_sync_session

    attempts: Counter[str] = Counter()
    both_read = threading.Barrier(2, timeout=10)
    results: dict[str, object] = {}

    @Tx(manager=pg, isolation="SERIALIZABLE", retries=3, backoff=0.01)
    def book(who: str) -> Result[int, TransactionError]:
        attempts[who] += 1
        session = current_sync_session()
        seen = int(session.execute(text(f"SELECT count(*) FROM {bookings}")).scalar_one())
        if attempts[who] == 1:
            both_read.wait()
        session.execute(
            text(f"INSERT INTO {bookings} (who, seen) VALUES (:who, :seen)"),
            {"who": who, "seen": seen},
        )
        return Success(seen)

    threads = [
        threading.Thread(target=lambda w=who: results.__setitem__(w, book(w)))
        for who in ("ann", "bob")
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        pg.dispose_sync()
    assert sorted(r.unwrap() for r in results.values()) == [0, 1]  # type: ignore[attr-defined]
    assert sorted(attempts.values()) == [1, 2]


def test_sync_dropped_connection_is_a_failure(pg: TransactionManager, bookings: str):
    """A sync transaction whose connection is killed returns Failure(ConnectionLostError)."""
    from sqlalchemy import create_engine

    from rfs.tx import current_sync_session

    @Tx(manager=pg)
    def work() -> Result[None, TransactionError]:
        session = current_sync_session()
        session.execute(text(f"INSERT INTO {bookings} VALUES ('before', 0)"))
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer = create_engine(pg.sync_engine.url)
        with killer.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        session.execute(text(f"INSERT INTO {bookings} VALUES ('after', 0)"))
        return Success(None)

    try:
        result = work()
        assert isinstance(result, Failure)
        assert isinstance(result.error, ConnectionLostError)
        with pg.sync_engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {bookings}")).scalar_one() == 0
    finally:
        pg.dispose_sync()
