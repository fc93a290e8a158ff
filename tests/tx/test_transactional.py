"""@Transactional on async functions, run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from rfs.result import Failure, Result, Success
from rfs.tx import (
    IllegalTransactionStateError,
    NoTransactionError,
    Propagation,
    TransactionError,
    TransactionManager,
    TransactionTimeoutError,
    UnexpectedRollbackError,
    current_session,
    in_transaction,
    transactional,
)
from rfs.tx import Transactional as Tx

Committed = Callable[[], Awaitable[list[int]]]


async def insert(table: str, key: int) -> None:
    await current_session().execute(
        text(f"INSERT INTO {table} (id, name) VALUES (:id, :name)"), {"id": key, "name": "x"}
    )


async def test_commits_on_return(manager: TransactionManager, table: str, committed: Committed):
    """A function that returns normally commits its writes."""

    @Tx(manager=manager)
    async def add() -> int:
        await insert(table, 1)
        await insert(table, 2)
        return 2

    assert await add() == 2
    assert await committed() == [1, 2]


async def test_rolls_back_on_exception(
    manager: TransactionManager, table: str, committed: Committed
):
    """An exception rolls back every write and propagates unchanged."""

    @Tx(manager=manager)
    async def add() -> None:
        await insert(table, 1)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await add()
    assert await committed() == []


async def test_returned_failure_rolls_back(
    manager: TransactionManager, table: str, committed: Committed
):
    """A returned Failure rolls back and is returned as is; a Success commits."""

    @Tx(manager=manager)
    async def add(key: int, ok: bool) -> Result[int, str]:
        await insert(table, key)
        return Success(key) if ok else Failure("rejected")

    assert await add(1, False) == Failure("rejected")
    assert await add(2, True) == Success(2)
    assert await committed() == [2]


async def test_bare_and_called_forms_and_alias(
    manager: TransactionManager, table: str, committed: Committed
):
    """``@Transactional``, ``@Transactional()`` and ``@transactional`` all run in a transaction."""
    from rfs.tx import configure, get_manager

    previous = configure(manager)
    try:

        @Tx
        async def bare() -> bool:
            await insert(table, 1)
            return in_transaction()

        @transactional()
        async def called() -> bool:
            await insert(table, 2)
            return in_transaction()

        assert get_manager() is manager
        assert await bare() and await called()
        assert await committed() == [1, 2]
    finally:
        configure(None if previous is manager else previous)


async def test_methods(manager: TransactionManager, table: str, committed: Committed):
    """Methods are decorated like functions; ``self`` is passed through."""

    class Repo:
        def __init__(self, offset: int) -> None:
            self.offset = offset

        @Tx(manager=manager)
        async def add(self, key: int) -> int:
            await insert(table, key + self.offset)
            return key + self.offset

    assert await Repo(10).add(1) == 11
    assert await committed() == [11]


async def test_current_session_outside_raises() -> None:
    """current_session() outside a transaction is a programming error with a hint."""
    with pytest.raises(NoTransactionError, match="@Transactional"):
        current_session()


# --- rollback rules -------------------------------------------------------------------------


async def test_no_rollback_for_commits_then_raises(
    manager: TransactionManager, table: str, committed: Committed
):
    """An exception listed in no_rollback_for commits the work, then still propagates."""

    @Tx(manager=manager, no_rollback_for=LookupError)
    async def add() -> None:
        await insert(table, 1)
        raise KeyError("kept")

    with pytest.raises(KeyError):
        await add()
    assert await committed() == [1]


async def test_most_specific_rule_wins(
    manager: TransactionManager, table: str, committed: Committed
):
    """rollback_for a subclass overrides no_rollback_for its base class."""

    @Tx(manager=manager, no_rollback_for=Exception, rollback_for=ValueError)
    async def add(key: int, error: Exception) -> None:
        await insert(table, key)
        raise error

    with pytest.raises(ValueError):
        await add(1, ValueError("undo"))
    with pytest.raises(RuntimeError):
        await add(2, RuntimeError("keep"))
    assert await committed() == [2]


# --- propagation ----------------------------------------------------------------------------


async def test_required_joins_the_outer_transaction(
    manager: TransactionManager, table: str, committed: Committed
):
    """REQUIRED inside a transaction uses the same session; the outer failure undoes both."""
    sessions = []

    @Tx(manager=manager)
    async def inner() -> None:
        sessions.append(current_session())
        await insert(table, 2)

    @Tx(manager=manager)
    async def outer() -> None:
        sessions.append(current_session())
        await insert(table, 1)
        await inner()
        raise RuntimeError("outer fails")

    with pytest.raises(RuntimeError):
        await outer()
    assert sessions[0] is sessions[1]
    assert await committed() == []


async def test_required_inner_failure_marks_rollback_only(
    manager: TransactionManager, table: str, committed: Committed
):
    """A joined call that fails makes the outer commit a rollback, reported as a Failure."""

    @Tx(manager=manager)
    async def inner() -> Result[None, str]:
        await insert(table, 2)
        return Failure("inner said no")

    @Tx(manager=manager)
    async def outer() -> Result[str, object]:
        await insert(table, 1)
        await inner()  # the caller ignores the Failure...
        return Success("done")

    result = await outer()
    assert isinstance(result, Failure)
    assert isinstance(result.error, UnexpectedRollbackError)
    assert await committed() == []


async def test_requires_new_commits_independently(
    manager: TransactionManager, table: str, committed: Committed
):
    """REQUIRES_NEW commits its own work even when the outer transaction rolls back."""
    if manager.is_sqlite:  # one writer at a time: the outer must not hold the write lock yet
        pytest.skip("SQLite allows a single writer; covered by test_requires_new_suspends")

    @Tx(manager=manager, propagation=Propagation.REQUIRES_NEW)
    async def audit() -> None:
        await insert(table, 100)

    @Tx(manager=manager)
    async def outer() -> None:
        await insert(table, 1)
        await audit()
        raise RuntimeError("outer fails")

    with pytest.raises(RuntimeError):
        await outer()
    assert await committed() == [100]


async def test_requires_new_suspends(manager: TransactionManager, table: str, committed: Committed):
    """REQUIRES_NEW runs in a different session and restores the outer one afterwards."""
    seen = {}

    @Tx(manager=manager, propagation="requires_new")
    async def audit() -> None:
        seen["inner"] = current_session()
        await insert(table, 100)

    @Tx(manager=manager)
    async def outer() -> None:
        seen["outer"] = current_session()
        await audit()
        assert current_session() is seen["outer"]
        await insert(table, 1)

    await outer()
    assert seen["inner"] is not seen["outer"]
    assert await committed() == [1, 100]


async def test_nested_rolls_back_to_savepoint(
    manager: TransactionManager, table: str, committed: Committed
):
    """NESTED failures undo only the savepoint; the outer transaction commits the rest."""

    @Tx(manager=manager, propagation=Propagation.NESTED)
    async def risky(key: int, fail: bool) -> Result[int, str]:
        await insert(table, key)
        if fail:
            raise ValueError("savepoint rolled back")
        return Success(key)

    @Tx(manager=manager, propagation=Propagation.NESTED)
    async def refused(key: int) -> Result[int, str]:
        await insert(table, key)
        return Failure("no")

    @Tx(manager=manager)
    async def outer() -> None:
        await insert(table, 1)
        with pytest.raises(ValueError):
            await risky(2, True)
        assert await refused(3) == Failure("no")
        assert await risky(4, False) == Success(4)

    await outer()
    assert await committed() == [1, 4]


async def test_nested_without_outer_starts_a_transaction(
    manager: TransactionManager, table: str, committed: Committed
):
    """NESTED with no active transaction behaves like REQUIRED."""

    @Tx(manager=manager, propagation=Propagation.NESTED)
    async def add() -> bool:
        await insert(table, 1)
        return in_transaction()

    assert await add()
    assert await committed() == [1]


async def test_mandatory_requires_a_transaction(
    manager: TransactionManager, table: str, committed: Committed
):
    """MANDATORY raises outside a transaction and joins inside one."""

    @Tx(manager=manager, propagation=Propagation.MANDATORY)
    async def add() -> None:
        await insert(table, 1)

    @Tx(manager=manager)
    async def outer() -> None:
        await add()

    with pytest.raises(IllegalTransactionStateError, match="MANDATORY"):
        await add()
    await outer()
    assert await committed() == [1]


async def test_never_refuses_a_transaction(manager: TransactionManager, table: str):
    """NEVER runs without a transaction and raises inside one."""

    @Tx(manager=manager, propagation=Propagation.NEVER)
    async def plain() -> bool:
        return in_transaction()

    @Tx(manager=manager)
    async def outer() -> None:
        await plain()

    assert await plain() is False
    with pytest.raises(IllegalTransactionStateError, match="NEVER"):
        await outer()


async def test_supports_and_not_supported(manager: TransactionManager, table: str):
    """SUPPORTS joins when there is a transaction; NOT_SUPPORTED hides it."""

    @Tx(manager=manager, propagation=Propagation.SUPPORTS)
    async def supports() -> bool:
        return in_transaction()

    @Tx(manager=manager, propagation=Propagation.NOT_SUPPORTED)
    async def not_supported() -> bool:
        return in_transaction()

    @Tx(manager=manager)
    async def outer() -> tuple[bool, bool, bool]:
        return await supports(), await not_supported(), in_transaction()

    assert await supports() is False
    assert await outer() == (True, False, True)


# --- isolation, read-only, timeout ----------------------------------------------------------


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
async def test_isolation_level_applied(
    manager: TransactionManager, table: str, committed: Committed, level: str
):
    """The requested isolation level is the transaction's (PostgreSQL reports it back)."""

    @Tx(manager=manager, isolation=level)
    async def work() -> str | None:
        await insert(table, 1)
        if manager.is_sqlite:
            return None
        return (await current_session().execute(text("SHOW transaction_isolation"))).scalar()

    reported = await work()
    if not manager.is_sqlite:
        assert reported == level.lower()
    assert await committed() == [1]


async def test_isolation_is_reset_after_the_transaction(manager: TransactionManager):
    """The pooled connection goes back to the default level afterwards."""
    if manager.is_sqlite:
        pytest.skip("SQLite has no isolation levels to reset")

    @Tx(manager=manager, isolation="SERIALIZABLE")
    async def strict() -> None:
        await current_session().execute(text("SELECT 1"))

    @Tx(manager=manager)
    async def default() -> str:
        return str((await current_session().execute(text("SHOW transaction_isolation"))).scalar())

    await strict()
    assert await default() == "read committed"


async def test_read_only_rejects_writes(
    manager: TransactionManager, table: str, committed: Committed
):
    """A read-only transaction refuses writes, and the connection is writable afterwards."""

    @Tx(manager=manager, read_only=True)
    async def sneaky() -> None:
        await insert(table, 1)

    @Tx(manager=manager, read_only=True)
    async def count() -> int:
        result = await current_session().execute(text(f"SELECT count(*) FROM {table}"))
        return int(result.scalar_one())

    @Tx(manager=manager)
    async def write() -> None:
        await insert(table, 2)

    with pytest.raises(Exception, match=r"(?i)read-only|readonly"):
        await sneaky()
    assert await count() == 0
    await write()  # the pooled connection is writable again
    assert await committed() == [2]


async def test_timeout_cancels_the_statement(
    manager: TransactionManager, table: str, committed: Committed
):
    """Past the timeout the running statement is cancelled and the transaction rolled back."""
    marker = uuid.uuid4().hex
    if manager.is_sqlite:
        slow = (
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000)"
            f" SELECT count(*) /* {marker} */ FROM c"
        )
    else:
        slow = f"SELECT pg_sleep(30) /* {marker} */"

    @Tx(manager=manager, timeout=0.3)
    async def work() -> Result[None, TransactionError]:
        await insert(table, 1)
        await current_session().execute(text(slow))
        return Success(None)

    started = time.monotonic()
    result = await work()
    assert time.monotonic() - started < 5
    assert isinstance(result, Failure)
    assert isinstance(result.error, TransactionTimeoutError)
    assert await committed() == []
    if not manager.is_sqlite:
        async with manager.engine.connect() as conn:
            running = await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                    "AND pid <> pg_backend_pid() AND query LIKE :q"
                ),
                {"q": f"%{marker}%"},
            )
            assert running.scalar() == 0


async def test_timeout_raises_for_plain_functions(manager: TransactionManager, table: str):
    """Without a Result annotation, the timeout is raised as TransactionTimeoutError."""

    @Tx(manager=manager, timeout=0.05)
    async def work() -> None:
        await insert(table, 1)
        await asyncio.sleep(5)

    with pytest.raises(TransactionTimeoutError, match=r"timeout of 0\.05s"):
        await work()


async def test_cancellation_rolls_back(
    manager: TransactionManager, table: str, committed: Committed
):
    """Cancelling the calling task rolls the transaction back and propagates."""
    started = asyncio.Event()

    @Tx(manager=manager)
    async def work() -> None:
        await insert(table, 1)
        started.set()
        await asyncio.sleep(30)

    task = asyncio.create_task(work())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await committed() == []


async def test_concurrent_tasks_get_their_own_sessions(
    manager: TransactionManager, table: str, committed: Committed
):
    """Concurrent calls in separate tasks never share a session."""

    @Tx(manager=manager, retries=5)
    async def add(key: int) -> int:
        session = current_session()
        await insert(table, key)
        await asyncio.sleep(0)
        assert current_session() is session
        return id(session)

    ids = await asyncio.gather(*(add(k) for k in range(8)))
    assert len(set(ids)) >= 2 or len(ids) == 1
    assert await committed() == list(range(8))


async def test_failed_join_beats_no_rollback_for(
    manager: TransactionManager, table: str, committed: Committed
):
    """A rollback-only transaction is not committed even by a no_rollback_for exception."""

    @Tx(manager=manager)
    async def inner() -> Result[None, str]:
        return Failure("no")

    @Tx(manager=manager, no_rollback_for=LookupError)
    async def outer() -> None:
        await insert(table, 1)
        await inner()
        raise KeyError("would normally commit")

    with pytest.raises(KeyError):
        await outer()
    assert await committed() == []


async def test_busy_sqlite_is_retried(tmp_path: Path):
    """SQLite reporting a locked database (another process writing) is retried until free."""
    path = tmp_path / "busy.db"
    manager = TransactionManager(
        f"sqlite+aiosqlite:///{path}", engine_options={"connect_args": {"timeout": 0.05}}
    )
    async with manager.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock
    attempts = []

    @Tx(manager=manager, retries=20, backoff=0.02)
    async def add() -> Result[int, TransactionError]:
        attempts.append(1)
        if len(attempts) == 2:
            other.execute("ROLLBACK")  # the other writer finishes
        await current_session().execute(text("INSERT INTO t VALUES (1)"))
        return Success(len(attempts))

    try:
        assert await add() == Success(2)
    finally:
        other.close()
        await manager.dispose()


async def test_with_injected_repository(
    manager: TransactionManager, table: str, committed: Committed
):
    """A DI-resolved use case's @Transactional method drives an injected repository."""
    from rfs.di import Adapter, Port, Registry, UseCase

    registry = Registry(profile="test")

    @Port(registry=registry)
    class Items:
        async def add(self, key: int) -> None: ...

    @Adapter(port=Items, registry=registry)
    class SqlItems(Items):
        async def add(self, key: int) -> None:
            await insert(table, key)  # the session comes from the caller's transaction

    @UseCase(registry=registry)
    class AddPair:
        def __init__(self, items: Items) -> None:
            self.items = items

        @Tx(manager=manager)
        async def execute(self, first: int) -> Result[int, str]:
            await self.items.add(first)
            await self.items.add(first + 1)
            return Success(2) if first > 0 else Failure("first must be positive")

    use_case = registry.resolve(AddPair)
    assert await use_case.execute(0) == Failure("first must be positive")
    assert await use_case.execute(1) == Success(2)
    assert await committed() == [1, 2]
